"""The dashboard in a real headless Chromium: what a person sees, links that reproduce a view.

One streamlit server for the module (bundled data), one Chromium; a fresh browser context
per test, so nothing carries over but the URL. Screenshots of every page in zh and en go
to artifacts/screenshots/ (git-ignored) for a person to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from browser_helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    VIEWPORT,
    full_screenshot,
    open_view,
    overlapping_labels,
    streamlit_server,
    wait_for_app,
)
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from redengine.core.domain import HEADLINE_CATEGORIES
from redengine.core.i18n import t
from redengine.data.db import Database
from redengine.present import views

pytestmark = pytest.mark.browser
expect.set_options(timeout=15_000)  # a loaded machine renders the long source texts slowly

BUNDLED = "2026-11-23-curated"
JIANGAN_VOLUNTEERS_FACT = "f472762d79"


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with streamlit_server() as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def new_context(browser: Browser, locale: str = "en-US") -> BrowserContext:
    context = browser.new_context(viewport=VIEWPORT, locale=locale)
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
def page(browser) -> Iterator[Page]:
    context = new_context(browser)
    yield context.new_page()
    context.close()


def query(page: Page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(page.url).query).items()}


def main(page: Page):
    return page.get_by_test_id("stMain")


def cell(page: Page, text: str):
    """A table cell: st.dataframe draws on a canvas and mirrors the cells in an accessible grid."""
    return page.get_by_test_id("stDataFrame").get_by_role("gridcell", name=text, exact=True, include_hidden=True)


# --- the first request after start-up names a page (Streamlit's old pages/ mode) -----------------


def test_a_shared_profile_link_is_the_first_request_after_start(page):
    """On a server of its own, so that this is its first request whatever ran before: the server has
    not run st.navigation yet, so Streamlit runs pages/profile.py on its own; the page must still come
    up through app.py, with the sidebar and the view."""
    with streamlit_server() as fresh_server:
        open_view(page, f"{fresh_server}/profile?lang=zh&district=jiangan")
        expect(main(page).get_by_role("heading", name="城区档案")).to_be_visible()
        expect(page.get_by_test_id("stMetricValue").filter(has_text="104,953人")).to_be_visible()
        expect(page.get_by_test_id("stSidebar").get_by_text("数据版本")).to_be_visible()
        assert query(page) == {"lang": "zh", "snapshot": BUNDLED, "district": "jiangan"}


# --- every page, as a person sees it, in both languages ---------------------------------------------

PAGES = {
    # name: (path and query, what must be visible there)
    "overview": (
        "?section=charts",
        {"zh": ["总览", "江岸区", "104,953人"], "en": ["Overview", "Jiang'an District", "104,953 people"]},
    ),
    "compare": (
        "compare?category=volunteers&metric=registered_volunteers&places=jiangan,wuchang&view=chart",
        {
            "zh": ["对比", "104,953人", "180,000人", "截至2017年底"],
            "en": ["Compare", "104,953 people", "as of end-2017"],
        },
    ),
    "profile": (
        "profile?district=jiangan",
        {
            "zh": ["城区档案", "104,953人", "截至2018年第一季度"],
            "en": ["District profile", "104,953 people", "as of 2018 Q1"],
        },
    ),
    "sources": (
        f"sources?source=jiangan_2018q1&fact={JIANGAN_VOLUNTEERS_FACT}",
        {"zh": ["来源", "注册志愿者104953人"], "en": ["Sources", "注册志愿者104953人"]},
    ),
    "changes": ("changes", {"zh": ["版本变化", "修订"], "en": ["What changed", "revised"]}),
}


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("name", list(PAGES))
def test_each_page_shows_its_figures(page, base_url, name, lang):
    path, expected = PAGES[name]
    separator = "&" if "?" in path else "?"
    open_view(page, f"{base_url}/{path}{separator}lang={lang}")
    title, *figures = expected[lang]
    expect(main(page).get_by_role("heading", name=title, exact=True)).to_be_visible()
    for text in figures:
        expect(main(page).get_by_text(text, exact=False).first).to_be_visible()
    # The sidebar (language, snapshot) is on every page; the URL holds the language.
    expect(page.get_by_test_id("stSidebar").get_by_role("radio", name="中文")).to_be_visible()
    assert query(page)["lang"] == lang
    assert query(page)["snapshot"] == BUNDLED
    assert not page.get_by_test_id("stException").count()
    full_screenshot(page, f"{name}-{lang}")


def test_compare_table_and_not_reported(page, base_url):
    open_view(page, f"{base_url}/compare?lang=zh&category=governance&metric=streets&places=jiangan,haizhu&view=table")
    expect(main(page).get_by_text("未报告此指标：海珠区")).to_be_visible()
    expect(cell(page, "海珠区")).to_have_count(1)
    expect(cell(page, "未报告")).to_have_count(1)
    expect(cell(page, "16")).to_have_count(2)  # value and base value
    expect(cell(page, "0")).to_have_count(0)  # not reported is never 0
    full_screenshot(page, "compare-table-zh")


# --- change a selection, copy the URL, open it elsewhere -------------------------------------------------


def test_a_copied_url_reopens_the_same_view_in_a_new_browser(page, browser, base_url):
    open_view(page, f"{base_url}/compare?lang=en")
    # the default view: the first headline concept the reports support comparing like for like
    assert (query(page)["concept"], query(page)["metric"]) == ("registered_volunteers", "all")

    main(page).get_by_test_id("stButtonGroup").get_by_role("radio", name="Table").first.click()
    expect(page).to_have_url(re.compile(r"[?&]view=table"))
    main(page).get_by_test_id("stSelectbox").filter(has_text="Category").click()
    page.get_by_role("option", name="Governance").click()
    wait_for_app(page)
    main(page).get_by_test_id("stSelectbox").filter(has_text="Concept").click()
    page.get_by_role("option", name=re.compile(r"^Communities \(")).click()
    expect(page).to_have_url(re.compile(r"[?&]concept=communities"))
    wait_for_app(page)
    expect(cell(page, "140")).not_to_have_count(0)  # Wuchang's communities
    shown = query(page)
    assert shown == {
        "lang": "en",
        "snapshot": BUNDLED,
        "category": "governance",
        "concept": "communities",
        "metric": "all",
        "places": "bazhou,wuchang",  # a new concept starts from the places that report it
        "view": "table",
        "figures": "all",
        "amount": "total",
        "per": "none",
    }

    # A colleague whose browser is set to Chinese opens the copied link: the link wins.
    other = new_context(browser, locale="zh-CN")
    try:
        colleague = other.new_page()
        open_view(colleague, page.url)
        assert query(colleague) == shown
        expect(main(colleague).get_by_role("heading", name="Compare", exact=True)).to_be_visible()
        expect(main(colleague).get_by_role("combobox", name="Concept")).to_have_value("Communities (reported by 2)")
        for place in ("Bazhou District", "Wuchang District"):
            expect(main(colleague).get_by_test_id("stMultiSelect").get_by_text(place)).to_be_visible()
        expect(main(colleague).get_by_role("radio", name="Table").first).to_be_checked()
        expect(cell(colleague, "140")).not_to_have_count(0)
        expect(cell(colleague, "42")).not_to_have_count(0)  # Bazhou's communities after the restructuring
    finally:
        other.close()


def test_the_browser_language_is_the_default(browser, base_url):
    context = new_context(browser, locale="zh-CN")
    try:
        chinese = context.new_page()
        open_view(chinese, base_url)
        expect(main(chinese).get_by_role("heading", name="总览", exact=True)).to_be_visible()
        assert query(chinese)["lang"] == "zh"
    finally:
        context.close()


# --- sources --------------------------------------------------------------------------------------------


def test_a_fact_link_opens_its_source_with_the_passage_in_view(page, base_url):
    open_view(page, f"{base_url}/compare?lang=en&category=volunteers&metric=registered_volunteers&places=jiangan")
    # The relative link the Compare table carries for this figure (test_pages checks the cell holds it),
    # followed from the Compare page as a click would.
    link = f"./sources?lang=en&snapshot={BUNDLED}&source=jiangan_2018q1&fact={JIANGAN_VOLUNTEERS_FACT}"
    open_view(page, urljoin(page.url, link))
    assert urlsplit(page.url).path == "/sources"
    target = page.locator("mark.fact.target")
    expect(target).to_have_count(1)
    expect(target).to_have_text("注册志愿者104953人")
    expect(target).to_be_visible()
    expect(target).to_be_in_viewport()  # scrolled into view inside the report
    assert page.locator("mark.fact").count() > 10  # the report's other figures are marked too
    expect(main(page).get_by_text("The figure you followed")).to_be_visible()


# --- bad parameters -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "named", "expected_query"),
    [
        ("?lang=fr", "lang=fr", {"lang": "en"}),
        ("compare?lang=en&view=pie&metric=..%2F..%2Fetc", "metric=../../etc", {"view": "chart", "metric": "all"}),
        ("profile?lang=en&district=%3Cscript%3Ealert(1)%3C/script%3E", "district=<script>", {"district": "wuchang"}),
    ],
    ids=["lang", "compare-metric", "profile-district"],
)
def test_a_bad_parameter_shows_a_notice(page, base_url, path, named, expected_query, request):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_view(page, f"{base_url}/{path}")
    for name, value in expected_query.items():
        assert query(page)[name] == value
    assert not page.get_by_test_id("stException").count()
    assert dialogs == []  # nothing from the URL ran as script
    expect(main(page).get_by_test_id("stAlert").filter(has_text=named)).to_be_visible()
    full_screenshot(page, f"bad-parameter-{request.node.callspec.id}")


# --- many places: what a person sees at the scale analysts add ------------------------------------


@pytest.fixture(scope="module")
def many_places_url(many_places_template) -> Iterator[str]:
    with streamlit_server(data_dir=many_places_template) as url:
        yield url


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_with_many_places_the_charts_labels_stay_apart(page, many_places_url, many_places_template, lang):
    open_view(page, f"{many_places_url}/compare?lang={lang}")
    charts = main(page).locator(".redengine-bars")
    expect(charts).to_have_count(1)
    expect(charts.locator("li")).to_have_count(30)  # the 30 highest, one per line
    expect(charts.locator("li .place")).to_have_count(30)
    assert main(page).locator(".js-plotly-plot").count() == 0
    assert overlapping_labels(page) == []
    full_screenshot(page, f"many-places-compare-{lang}")
    open_view(page, f"{many_places_url}/?lang={lang}&section=charts")
    # a panel charts its 12 places (a bar, or a line saying 'not like for like') only where the verdict finds a
    # like-for-like comparison; the others list what each place reports (#22)
    database = Database(many_places_template)
    places = database.query("district_cards", snapshot_id=database.snapshots()[-1].id)["district_id"].tolist()
    charted = sum(
        views.headline_panel(database.query, database.snapshots()[-1].id, c, places).comparable
        for c in HEADLINE_CATEGORIES
    )
    assert charted >= 1
    expect(main(page).locator(".js-plotly-plot .bartext")).to_have_count(charted * 12)
    assert overlapping_labels(page) == []
    full_screenshot(page, f"many-places-overview-{lang}")


@pytest.mark.parametrize(
    "path",
    ["?lang=zh&section=charts", "?lang=en&section=coverage", "compare?lang=en&category=governance&metric=streets"],
)
def test_bundled_chart_labels_stay_apart(page, base_url, path):
    open_view(page, f"{base_url}/{path}")
    expect(main(page).locator(".js-plotly-plot, .redengine-bars").first).to_be_visible()
    assert overlapping_labels(page) == []


# --- the concept layer, as a researcher sees it ---------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_evidence_matrix_shows_each_place_and_leads_to_the_quote(page, base_url, lang):
    open_view(page, f"{base_url}/?lang={lang}&category=organizations")
    matrix = main(page).locator(".evidence table")
    expect(matrix).to_be_visible()
    expect(matrix.locator("thead th")).to_have_count(7)  # the concept, then six places
    party = matrix.locator("tr", has=page.locator("th.concept", has_text="4"))
    expect(party.first.locator("td .figure")).not_to_have_count(0)
    expect(matrix.get_by_text(t("not_reported", lang)).first).to_be_visible()
    full_screenshot(page, f"evidence-{lang}")
    link = party.first.locator("td .figure a").first
    href = link.get_attribute("href")
    link.click()
    wait_for_app(page)
    expect(page).to_have_url(re.compile(r"/sources\?"))
    fact = parse_qs(urlsplit(urljoin(base_url + "/", href)).query)["fact"][0]
    assert query(page)["fact"] == fact
    expect(page.locator(f"#fact-{fact} + mark.target")).to_be_visible()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_compare_by_concept_shows_one_definition_its_relatives_and_the_like_for_like_switch(page, base_url, lang):
    places = "bazhou,haizhu,jiangan,jianghan,wuchang,zhenjiang"
    open_view(page, f"{base_url}/compare?lang={lang}&concept=party_working_committees&places={places}")
    chart = main(page).locator(".redengine-bars")
    expect(chart).to_have_count(1)
    definitions = chart.locator("li[data-definition]").evaluate_all("es => es.map(e => e.dataset.definition)")
    assert len(set(definitions)) == 1  # one definition on the axis (was 18 before #22)
    expect(chart.locator("li")).to_have_count(6)  # each place: its bar, or a line saying why it has none
    expect(main(page).get_by_text(t("related_title", lang))).to_be_visible()  # the family's others, apart
    assert overlapping_labels(page) == []
    full_screenshot(page, f"compare-concept-{lang}")
    main(page).get_by_role("radio", name=t("shown_like", lang)).click()
    expect(page).to_have_url(re.compile(r"[?&]figures=like"))
    wait_for_app(page)
    left_out = t("left_out_not_like", lang, places="")
    expect(main(page).get_by_text(left_out)).to_be_visible()
    full_screenshot(page, f"compare-concept-like-{lang}")


@pytest.mark.parametrize("path", ["?lang=zh&category=organizations", "compare?lang=en&concept=party_organizations"])
def test_concept_views_fit_a_phone(browser, base_url, path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
    try:
        phone = context.new_page()
        open_view(phone, f"{base_url}/{path}")
        drawn = ".evidence table" if path.startswith("?") else ".redengine-bars"  # the Overview opens on the matrix
        expect(main(phone).locator(drawn).first).to_be_visible()
        overflow = phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0  # the evidence table scrolls inside its box, not the page
        full_screenshot(phone, "phone-" + ("evidence" if path.startswith("?") else "compare-concept"))
    finally:
        context.close()

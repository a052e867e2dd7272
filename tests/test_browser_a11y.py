"""WCAG 2.2 AA in a real Chromium: axe-core over every page, zh and en, on a desktop and on a phone; a
keyboard-only walk of Compare; a shared link's answer on a phone's first screen; every chart's accessible
name; a copied link in the reader's language.

One server and one Chromium for the module, one browser page per screen size, reused from view to
view (a new URL is a new Streamlit session). A serious or critical violation fails its test and is
printed: the rule, its help, and the first elements it names. Screenshots of the first screens go to
artifacts/screenshots/ for a person to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from browser_helpers import SCREENSHOTS, debian_chromium, open_view, streamlit_server
from playwright.sync_api import Browser, Page, expect

from harness.page import wait_until_settled
from redengine.core.i18n import t

pytestmark = pytest.mark.browser

SCREENS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
# A phone's browser says so in its User-Agent, as Safari on an iPhone does (widgets.on_phone reads it).
PHONE_AGENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
    " Version/17.0 Mobile/15E148 Safari/604.1"
)
# Each page as a shared link opens it, with a chart where the page has one.
PAGES = {
    "overview": "",
    "compare": "compare?concept=registered_volunteers&places=jiangan,wuchang,haizhu",
    "profile": "profile?district=jiangan",
    "sources": "sources?source=jiangan_2018q1",
    "changes": "changes",
    "sql": "sql",
    "comparable": "comparable?place=jiangan&other=wuchang",
}
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}
FAILING_IMPACTS = ("serious", "critical")
AXE = Axe()


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with streamlit_server() as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with debian_chromium() as chromium:
        yield chromium


@pytest.fixture(scope="module")
def screens(browser) -> Iterator[dict[str, Page]]:
    """One page per screen size, reused by every view of the module."""
    contexts = {
        "desktop": browser.new_context(viewport=SCREENS["desktop"], locale="en-US"),
        "phone": browser.new_context(
            viewport=SCREENS["phone"], locale="zh-CN", is_mobile=True, has_touch=True, user_agent=PHONE_AGENT
        ),
    }
    pages = {}
    for name, context in contexts.items():
        context.set_default_timeout(20_000)
        pages[name] = context.new_page()
    yield pages
    for context in contexts.values():
        context.close()


def view_url(base_url: str, name: str, lang: str) -> str:
    path = PAGES[name]
    return f"{base_url}/{path}{'&' if '?' in path else '?'}lang={lang}"


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical WCAG 2.2 AA violations on the page, one line per rule."""
    results = AXE.run(page, options=AXE_OPTIONS)
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] not in FAILING_IMPACTS:
            continue
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:4]]
        found.append(
            f"{violation['impact']} {violation['id']} ×{len(violation['nodes'])}: {violation['help']} — {targets}"
        )
    return found


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("screen", list(SCREENS))
@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_accessibility_violation(screens, base_url, name, screen, lang):
    page = screens[screen]
    open_view(page, view_url(base_url, name, lang))
    wait_until_settled(page)
    found = serious_violations(page)
    for line in found:
        print(f"{name}/{screen}/{lang}: {line}")
    assert found == []


# --- a keyboard alone ---------------------------------------------------------------------------------

FOCUSED = "() => { const e = document.activeElement; return [e.tagName, e.getAttribute('role') || '',"
FOCUSED += " (e.getAttribute('aria-label') || e.innerText || '').trim().slice(0, 80)]; }"


def tab_to(page: Page, matches, most: int = 120) -> list[str]:
    """Presses Tab until the focused element satisfies `matches` (tag, role, name); returns it."""
    for _ in range(most):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if matches(*focused):
            return focused
    raise AssertionError(f"not reached by {most} presses of Tab")


def test_compare_by_keyboard_alone(screens, base_url):
    """Change the places, switch from the chart to the table, open a figure's quote: keys only."""
    page = screens["desktop"]
    open_view(page, f"{base_url}/compare?lang=en&concept=registered_volunteers&places=jiangan,wuchang")
    wait_until_settled(page)
    tab_to(page, lambda tag, role, name: role == "combobox" and name == t("places", "en"))
    page.keyboard.type("Haizhu")
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")
    expect(page).to_have_url(re.compile(r"places=jiangan%2Cwuchang%2Chaizhu"))
    wait_until_settled(page)
    # A segmented control is one stop for Tab (its chosen option); the arrows move between its options.
    tab_to(page, lambda tag, role, name: role == "radio" and name == t("chart", "en"))
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"view=table"))
    wait_until_settled(page)
    tab_to(page, lambda tag, role, name: tag == "SUMMARY" and t("figures_with_quotes", "en") in name)
    page.keyboard.press("Enter")
    quote = page.locator(".redengine-figure-list blockquote").first
    expect(quote).to_contain_text("注册志愿者")
    tab_to(page, lambda tag, role, name: tag == "A" and name == "104,953 people")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/sources\?.*fact=f472762d79"))
    expect(page.locator("mark.fact.target")).to_contain_text("104953")


# --- a shared link on a phone: the answer on the first screen ----------------------------------------


def on_first_screen(page: Page, selector: str, text: str, screen: str = "phone") -> bool:
    """Whether an element matching `selector` that contains `text` lies wholly within the first screen."""
    height = SCREENS[screen]["height"]
    return page.evaluate(
        "([selector, text, height]) => [...document.querySelectorAll(selector)].some(e => {"
        " const r = e.getBoundingClientRect(); return e.textContent.includes(text) && r.height > 0"
        " && r.top >= 0 && r.bottom <= height; })",
        [selector, text, height],
    )


# A figure of the evidence card's first place: the cell's data-place names it on a phone (share.css).
# Compare draws its bars in HTML (no Plotly): each figure a row of the list.
BARS = ".redengine-bars li"
BAZHOU_ZH, BAZHOU_EN = '.evidence td[data-place="巴州区"] .figure', '.evidence td[data-place="Bazhou District"] .figure'
FIRST_SCREEN = {
    # page, path, then (selector, text) pairs: a figure, its place and its period, all on the first screen
    "compare-zh": (
        "compare?lang=zh&concept=registered_volunteers&places=jiangan,wuchang,haizhu",
        [(BARS, "104,953人"), (BARS, "截至2018年第一季度"), (BARS, "江岸区")],
    ),
    "compare-en": (
        "compare?lang=en&concept=registered_volunteers&places=jiangan,wuchang,haizhu",
        [(BARS, "104,953 people"), (BARS, "as of 2018 Q1"), (BARS, "Jiang'an")],
    ),
    "overview-zh": ("?lang=zh", [(BAZHOU_ZH, "6"), (BAZHOU_ZH, "截至2021年7月")]),
    "overview-en": ("?lang=en", [(BAZHOU_EN, "6"), (BAZHOU_EN, "as of 2021 Jul")]),
}


@pytest.mark.parametrize("name", list(FIRST_SCREEN))
def test_a_shared_link_shows_its_answer_on_a_phones_first_screen(screens, base_url, name):
    page = screens["phone"]
    path, shown = FIRST_SCREEN[name]
    open_view(page, f"{base_url}/{path}")
    wait_until_settled(page)
    page.screenshot(path=str(SCREENSHOTS / f"first-screen-phone-{name}.png"))
    assert page.evaluate("() => document.documentElement.scrollWidth") <= SCREENS["phone"]["width"]
    for selector, text in shown:
        assert on_first_screen(page, selector, text), (selector, text)
    if name.startswith("compare"):  # the controls are one tap away, folded; no Plotly
        assert page.get_by_test_id("stPlotlyChart").count() == 0
        assert "104,953" in (page.locator(".redengine-bars").get_attribute("aria-label") or "")
        expect(page.get_by_test_id("stExpander").first).to_contain_text(t("change_view", name[-2:]))
        expect(page.get_by_test_id("stMultiSelect")).to_be_hidden()


@pytest.mark.parametrize("name", ["compare-zh", "compare-en"])
def test_compare_s_answer_is_on_a_desktop_s_first_screen_too(screens, base_url, name):
    """Under the open controls, the HTML bars start within the first screen; Plotly's chart showed only its
    axis there (and its chunk was a quarter of the page's first view)."""
    page = screens["desktop"]
    path, shown = FIRST_SCREEN[name]
    open_view(page, f"{base_url}/{path}")
    wait_until_settled(page)
    page.screenshot(path=str(SCREENSHOTS / f"first-screen-desktop-{name}.png"))
    for selector, text in shown:
        assert on_first_screen(page, selector, text, "desktop"), (selector, text)
    assert page.get_by_test_id("stPlotlyChart").count() == 0
    expect(page.get_by_test_id("stMultiSelect")).to_be_visible()  # a desktop's controls are open


def test_a_phone_draws_the_folded_controls_once_opened_and_keeps_the_link_s_choices(screens, base_url):
    page = screens["phone"]
    open_view(page, f"{base_url}/compare?lang=en&concept=registered_volunteers&places=jiangan,wuchang&per=subdistrict")
    wait_until_settled(page)
    # Folded: no widget is rendered at all (rendering them cost a throttled phone about a second)
    assert page.get_by_test_id("stMultiSelect").count() == 0
    page.get_by_test_id("stExpander").first.get_by_text(t("change_view", "en")).click()
    places = page.get_by_test_id("stMultiSelect")
    expect(places).to_contain_text("Jiang'an District")
    expect(places).to_contain_text("Wuchang District")
    expect(page.get_by_role("radio", name=t("per_subdistrict", "en"))).to_be_checked()
    page.get_by_role("radio", name=t("table", "en")).click()  # a change of view with the controls open
    page.wait_for_function("() => location.search.includes('view=table')")
    assert "places=jiangan%2Cwuchang" in page.url or "places=jiangan,wuchang" in page.url
    assert "per=subdistrict" in page.url


def test_a_phone_gets_the_list_without_the_hidden_table_at_any_width(browser, screens, base_url):
    """A phone draws no data grid it would hide (Streamlit's grid chunk and its drawing, for nothing); its list
    shows upright and turned sideways. A desktop keeps the table, and the list for a narrow window. (What changed
    the same: tests/test_pages.py, with two snapshots.)"""
    path, listed = "profile?lang=zh&district=wuchang", "ul.redengine-figure-list"
    phone = screens["phone"]
    open_view(phone, f"{base_url}/{path}")
    wait_until_settled(phone)
    expect(phone.locator(listed).first).to_be_visible()
    assert phone.get_by_test_id("stDataFrame").count() == 0
    sideways = browser.new_context(viewport={"width": 844, "height": 390}, is_mobile=True, user_agent=PHONE_AGENT)
    try:
        turned = sideways.new_page()
        open_view(turned, f"{base_url}/{path}")
        wait_until_settled(turned)
        expect(turned.locator(listed).first).to_be_visible()
        assert turned.get_by_test_id("stDataFrame").count() == 0
    finally:
        sideways.close()
    desktop = screens["desktop"]
    open_view(desktop, f"{base_url}/{path}")
    wait_until_settled(desktop)
    expect(desktop.get_by_test_id("stDataFrame").first).to_be_visible()
    assert desktop.locator(listed).count() >= 1  # drawn, hidden by share.css until the window narrows


# --- what a screen reader hears of each chart --------------------------------------------------------

NUMBER_TICK = re.compile(r"^[\d.,−\-]+[kMGT]?$")


def chart_words(chart) -> list[str]:
    """The words a chart draws that a reader needs: each line of its bar labels and of its category ticks
    (not the value axis' numbers); of HTML bars, each place, value and line of details."""
    lines = chart.locator(
        ".bartext tspan, .bartext, .xtick text tspan, .xtick text, .ytick text tspan, .ytick text,"
        " .place, .value, .details, .none"
    )
    words = [w.strip() for w in lines.evaluate_all("es => es.map(e => e.childElementCount ? '' : e.textContent)")]
    return [w for w in words if w and not NUMBER_TICK.match(w)]


@pytest.mark.parametrize(
    ("path", "charts", "verdict"),
    [
        ("compare?lang=en&concept=registered_volunteers&places=jiangan,wuchang,haizhu", 1, "like for like"),
        ("compare?lang=zh&concept=registered_volunteers&places=jiangan,wuchang,haizhu", 1, "同口径可比"),
        ("?lang=en&section=charts", 2, ""),  # the categories whose reports support a comparison (#22)
        ("?lang=zh&section=coverage", 1, ""),
    ],
)
def test_every_chart_is_named_by_its_places_values_periods_and_verdict(screens, base_url, path, charts, verdict):
    page = screens["desktop"]
    open_view(page, f"{base_url}/{path}")
    wait_until_settled(page)
    drawn = page.locator("[data-testid=stPlotlyChart], .redengine-bars")
    expect(drawn).to_have_count(charts)
    for index in range(charts):
        chart = drawn.nth(index)
        expect(chart).to_have_attribute("role", "img")
        name = chart.get_attribute("aria-label")
        words = chart_words(chart)
        assert words, "the chart draws labels"
        missing = [w for w in words if w not in name.replace("\u2060", "")]
        assert missing == [], (missing, name)
    if verdict:
        assert any(verdict in drawn.nth(i).get_attribute("aria-label") for i in range(charts))


# --- a copied link keeps the reader's language --------------------------------------------------------


def test_a_copied_link_is_in_the_language_the_reader_switched_to(screens, base_url):
    page = screens["desktop"]
    open_view(page, f"{base_url}/compare?lang=en&concept=registered_volunteers&places=jiangan,wuchang")
    wait_until_settled(page)
    page.get_by_test_id("stSidebar").get_by_role("radio", name="中文").click()
    expect(page).to_have_url(re.compile(r"lang=zh"))
    wait_until_settled(page)
    page.get_by_test_id("stPopover").first.get_by_role("button").click()
    link = page.get_by_test_id("stPopoverBody").get_by_test_id("stCode").first
    expect(link).to_contain_text("lang=zh")
    expect(link).not_to_contain_text("lang=en")

"""The hostile corpus in a real Chromium: what a visitor's browser does with a crafted link or snapshot.

One server, on a data directory whose every text field is hostile; each page is loaded once
with every URL parameter hostile too (the corpus cycled across pages), Sources once more with a
figure followed, and the What changed upload box gets a crafted file. After each load: no
request left 127.0.0.1, no element outside Streamlit's own navigation carries an href, nothing
rendered as a formula, icon, image or coloured text, no label is larger than the page's normal
text, and no traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from browser_helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    VIEWPORT,
    open_view,
    streamlit_server,
    wait_for_app,
    wait_until_settled,
)
from hostile import hostile, hostile_data_dir
from playwright.sync_api import Browser, Page, sync_playwright
from test_hostile import PAGE_PARAMS, hostile_upload

from redengine.data.db import Database

pytestmark = pytest.mark.browser

PATHS = {
    "pages/overview.py": "",
    "pages/compare.py": "compare",
    "pages/profile.py": "profile",
    "pages/sources.py": "sources",
    "pages/changes.py": "changes",
}
# Headings each page draws itself (title, subheaders, the profile's and source's name): a hostile
# '# …' would add one.
HEADINGS = {"": 2, "compare": 1, "profile": 4, "sources": 3, "changes": 1, "?section=charts": 2, "?section=coverage": 2}
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# Links Streamlit itself draws: the skip link, the page navigation, page links, and in-page anchors
# beside headings (the headings themselves are counted); the evidence matrix's and figure lists' links to a
# fact, the Overview's place chips' links to a profile, and Get this data's link to the snapshot's data
# package on this server.
OWN_LINKS = "[data-testid=stSkipToContent], [data-testid=stTopNavLink], [data-testid=stPageLink-NavLink]"
STRAY_LINKS = rf"""() => [...document.querySelectorAll("a[href]")]
    .filter(a => !a.closest("{OWN_LINKS}"))
    .filter(a => !(a.closest("[data-testid=stHeaderActionElements]") && a.getAttribute("href").startsWith("#")))
    .filter(a => !(a.closest(".evidence .figure, .redengine-figure-list .figure")
        && /^\.\/sources\?[\w=&.%-]*$/.test(a.getAttribute("href"))))
    .filter(a => !(a.closest(".redengine-places") && /^\.\/profile\?[\w=&.%-]*$/.test(a.getAttribute("href"))))
    .filter(a => !(a.closest("[data-testid=stLinkButton]") && new URL(a.href).origin === location.origin
        && /^\/api\/v1\/snapshots\/[\w-]+\.zip$/.test(new URL(a.href).pathname)))
    .filter(a => !(a.closest("[data-testid=stLinkButton]") && new URL(a.href).origin === location.origin
        && /^\/share\/\w+\.(png|svg)$/.test(new URL(a.href).pathname)))
    .map(a => a.getAttribute("href"))"""
# What rendered Markdown makes of formulas, icon shortcodes, images, colours and directives.
RENDERED_MARKUP = (
    ".katex, [data-testid=stMarkdownContainer] span[role=img], [data-testid=stMarkdownContainer] img,"
    " .stMarkdownColoredText, .stMarkdownColoredBackground, .stMarkdownBadge, .stMarkdownShimmer,"
    " [data-testid=stMarkdownContainer] table, [data-testid=stMarkdownContainer] pre,"
    " [data-testid=stMarkdownContainer] blockquote blockquote"
)
# Text that reads as a label or body text, not a heading or a metric's big number.
LABELS = (
    "[data-testid=stWidgetLabel], [data-testid=stMetricLabel], [data-testid=stCaptionContainer],"
    " [data-testid=stAlertContainer] [data-testid=stMarkdownContainer], [data-testid=stExpander] summary,"
    " [data-testid=stMarkdown] [data-testid=stMarkdownContainer], .js-plotly-plot .main-svg, .redengine-bars"
)
OVERSIZED_LABELS = f"""(normal) => {{
    const sizes = [];
    for (const root of document.querySelectorAll("{LABELS}")) {{
        if (root.closest("[data-testid=stMetricValue], [data-testid=stHeadingWithActionElements]")) continue;
        for (const e of [root, ...root.querySelectorAll("*")]) {{
            if (e.matches("h1, h2, h3, h4, h5, h6, h1 *, h2 *, h3 *, h4 *, h5 *, h6 *")) continue;
            const size = parseFloat(getComputedStyle(e).fontSize);
            if (size > normal && e.textContent.trim()) sizes.push([e.tagName, size, e.textContent.slice(0, 60)]);
        }}
    }}
    return sizes;
}}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser) -> Iterator[tuple[Page, list[str]]]:
    """A fresh page that records every request it makes."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-US")
    context.set_default_timeout(20_000)
    tab = context.new_page()
    requests: list[str] = []
    tab.on("request", lambda request: requests.append(request.url))
    dialogs: list[str] = []
    tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    yield tab, requests
    context.close()
    assert dialogs == [], "nothing from outside may run as script"


def outside_requests(requests: list[str]) -> list[str]:
    return [
        url
        for url in requests
        if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).hostname not in LOCAL_HOSTS
    ]


def assert_shown_as_text(tab: Page, requests: list[str], path: str) -> None:
    # Images and fonts a hostile element would load start after the run ends.
    wait_until_settled(tab)
    tab.wait_for_load_state("networkidle")
    assert outside_requests(requests) == []
    assert tab.get_by_test_id("stException").count() == 0
    assert tab.evaluate(STRAY_LINKS) == [], "links outside the app's own"
    main = tab.get_by_test_id("stMain")
    assert main.locator("h1, h2, h3, h4, h5, h6").count() == HEADINGS[path]
    assert tab.locator(RENDERED_MARKUP).count() == 0
    normal = tab.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert tab.evaluate(OVERSIZED_LABELS, normal) == []


@pytest.fixture(scope="module")
def hostile_data(tmp_path_factory) -> Path:
    return hostile_data_dir(tmp_path_factory.mktemp("hostile"), 0)


@pytest.fixture(scope="module")
def hostile_url(hostile_data) -> Iterator[str]:
    with streamlit_server(data_dir=hostile_data) as url:
        yield url


def _offsets() -> dict[str, int]:
    """Where each page starts in the corpus, so the pages together use consecutive strings."""
    offsets, first = {}, 0
    for page, names in PAGE_PARAMS.items():
        offsets[page], first = first, first + len(names)
    return offsets


OFFSETS = _offsets()


def hostile_link(page_file: str, **valid: str) -> tuple[str, dict[str, str]]:
    """The page's path and query string with every parameter hostile, except those given as valid."""
    rejected = {
        name: hostile(OFFSETS[page_file] + j) for j, name in enumerate(PAGE_PARAMS[page_file]) if name not in valid
    }
    return f"{PATHS[page_file]}?{urlencode({**rejected, **valid})}", rejected


@pytest.mark.parametrize("page_file", list(PATHS))
def test_a_hostile_link_on_hostile_data(page, hostile_url, page_file):
    tab, requests = page
    link, rejected = hostile_link(page_file)
    open_view(tab, f"{hostile_url}/{link}")
    notices = tab.get_by_test_id("stMain").get_by_test_id("stAlertContainer").filter(has_text="is not valid here")
    assert notices.count() == len(rejected)
    assert notices.locator("code").count() == len(rejected)  # each value shown as code
    assert_shown_as_text(tab, requests, PATHS[page_file])


@pytest.mark.parametrize("section", ["charts", "coverage"])
def test_the_overviews_other_sections_on_hostile_data(page, hostile_url, section):
    """The Overview opens on the evidence matrix; its charts and coverage show the same hostile names as text."""
    tab, requests = page
    link, rejected = hostile_link("pages/overview.py", section=section)
    open_view(tab, f"{hostile_url}/{link}")
    notices = tab.get_by_test_id("stMain").get_by_test_id("stAlertContainer").filter(has_text="is not valid here")
    assert notices.count() == len(rejected)
    assert_shown_as_text(tab, requests, f"?section={section}")  # waits until the charts are drawn
    assert tab.get_by_test_id("stMain").locator(".js-plotly-plot").count() == (4 if section == "charts" else 1)


def test_a_followed_figure_on_hostile_data(page, hostile_url, hostile_data):
    """Sources with a figure followed: its metric, value as written, period and quote are shown too."""
    tab, requests = page
    facts = Database(hostile_data).query("source_facts", snapshot_id="hostile", source_id="src_0")
    link, _ = hostile_link("pages/sources.py", source="src_0", fact=facts["fact_id"].iloc[0])
    open_view(tab, f"{hostile_url}/{link}")
    assert tab.get_by_test_id("stMain").locator("blockquote").count() == 1
    assert_shown_as_text(tab, requests, "sources")


def test_a_crafted_upload_is_reported_as_text(page, hostile_url, tmp_path):
    tab, requests = page
    open_view(tab, f"{hostile_url}/changes?lang=en")
    crafted = tmp_path / "crafted.parquet"
    crafted.write_bytes(hostile_upload(0))
    tab.get_by_test_id("stExpander").locator("summary").first.click()  # the upload box, above Get this data
    tab.locator("input[type=file]").set_input_files(str(crafted))
    tab.get_by_test_id("stMain").get_by_test_id("stAlertContentError").wait_for()
    wait_for_app(tab)
    assert_shown_as_text(tab, requests, "changes")

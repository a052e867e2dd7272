"""A shared link's view painted by the server, in a real Chromium against server.py on the bundled data: with
JavaScript off it is the whole answer (places, values, periods, sources, the data API's link); with JavaScript on
the app replaces it and nothing of it stays behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import pytest
from browser_helpers import debian_chromium, streamlit_server
from conftest import BUNDLED, DATA_DIR

from harness.page import wait_until_settled
from redengine.data.db import Database
from redengine.present import share

pytestmark = pytest.mark.browser

SHARED_COMPARE = "/compare?concept=registered_volunteers&places=jiangan,wuchang&lang={lang}"
DATABASE = Database(DATA_DIR)
SNAPSHOTS = DATABASE.snapshots()
# What the view shows, as a reader reads it: place, value with its unit, period; and a report of the source line.
EXPECTED = {
    "zh": {
        "rows": [("江岸区", "104,953人", "截至2018年第一季度"), ("武昌区", "180,000人", "截至2017年底")],
        "source": "来源：",
        "api": "此视图的数据（CSV）",
    },
    "en": {
        "rows": [
            ("Jiang'an District", "104,953 people", "as of 2018 Q1"),
            ("Wuchang District", "180,000 people", "as of end-2017"),
        ],
        "source": "Source: ",
        "api": "This view's data (CSV)",
    },
}


def link_params(lang: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(SHARED_COMPARE.format(lang=lang)).query))


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with streamlit_server("server.py") as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with debian_chromium() as chromium:
        yield chromium


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}, {"width": 390, "height": 844}])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_without_javascript_a_shared_compare_link_shows_its_figures_and_sources(browser, base_url, lang, viewport):
    context = browser.new_context(java_script_enabled=False, viewport=viewport)
    try:
        page = context.new_page()
        page.goto(base_url + SHARED_COMPARE.format(lang=lang))
        expected = EXPECTED[lang]
        rows = page.get_by_role("table").get_by_role("row")
        read = [row.inner_text() for row in rows.all()[1:]]  # after the header row
        assert len(read) == len(expected["rows"]), read
        for text, (place, value, period) in zip(read, expected["rows"], strict=True):
            assert place in text and value in text and period in text, text
        described = share.describe("compare", link_params(lang), DATABASE.query, SNAPSHOTS)
        assert described.sources and described.sources_text.startswith(expected["source"])
        assert page.get_by_text(described.sources_text, exact=True).is_visible()
        api = page.get_by_role("link", name=expected["api"])
        href = api.get_attribute("href")
        assert href.startswith(f"{base_url}/api/v1/facts.csv?snapshot={BUNDLED}") and "district=jiangan,wuchang" in href
        # The link answers with the same figures.
        answer = context.request.get(href)
        assert answer.ok and "104953" in answer.text() and "180000" in answer.text()
    finally:
        context.close()


def test_the_app_replaces_the_painted_view_once_it_has_drawn_the_page(browser, base_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(base_url + SHARED_COMPARE.format(lang="en"), wait_until="commit")
        # Over the app's frame until the page's title is drawn: never the frame alone.
        page.wait_for_selector("[data-testid=stApp]", timeout=60_000)
        title = "[data-testid=stMainBlockContainer] h1"
        assert page.evaluate(
            f"!!document.querySelector('{title}') || getComputedStyle(document.querySelector('.rv')).display !== 'none'"
        )
        wait_until_settled(page, timeout_ms=60_000)
        assert page.locator(".rv").is_hidden()
        assert page.get_by_role("heading", name="Compare", exact=True).count() == 1
    finally:
        context.close()

"""WCAG 2.2 AA in a real Chromium: axe-core over every page, zh and en, on a desktop and on a phone.

One server and one Chromium for the module, one browser page per screen size, reused from view to
view (a new URL is a new Streamlit session). A serious or critical violation fails its test and is
printed: the rule, its help, and the first elements it names.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from browser_helpers import debian_chromium, open_view, streamlit_server
from playwright.sync_api import Browser, Page

from harness.page import wait_until_settled

pytestmark = pytest.mark.browser

SCREENS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
# Each page as a shared link opens it, with a chart where the page has one.
PAGES = {
    "overview": "",
    "compare": "compare?concept=registered_volunteers&places=jiangan,wuchang,haizhu",
    "profile": "profile?district=jiangan",
    "sources": "sources?source=jiangan_2018q1",
    "changes": "changes",
    "sql": "sql",
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
        "phone": browser.new_context(viewport=SCREENS["phone"], locale="zh-CN", is_mobile=True, has_touch=True),
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

"""Browser tests' helpers on top of harness/ (the server and the waits the benchmarks share):
the dashboard served for a test, one HTTP request, chart-label overlaps, full-page screenshots.
"""

from __future__ import annotations

import contextlib
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from harness import chromium, server
from harness.page import wait_for_app, wait_until_settled

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = chromium.EXECUTABLE
CHROMIUM_ARGS = list(chromium.ARGS)
SCREENSHOTS = REPO / "artifacts" / "screenshots"
VIEWPORT = {"width": 1400, "height": 900}


@contextlib.contextmanager
def streamlit_server(
    app: str = "app.py", data_dir: Path | None = None, env_extra: dict[str, str] | None = None
) -> Iterator[str]:
    """Serves the app on data_dir, or on the bundled data; yields its base URL.

    app="server.py" starts the launcher `make run` starts: the dashboard and the data API.
    """
    with server.serving(app, data_dir, env=env_extra, timeout_s=30) as running:
        yield running.url


def get(url: str, headers: dict[str, str] | None = None, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-case names) and body of one request; an HTTP error is an answer, not an exception."""
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


@contextlib.contextmanager
def debian_chromium() -> Iterator[Browser]:
    """Debian's headless Chromium, driven by Playwright (which cannot download its own here)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_view(page: Page, url: str) -> None:
    page.goto(url)
    wait_for_app(page)


def _content_height(page: Page) -> int:
    return int(
        page.evaluate(
            "(() => { const b = document.querySelector('[data-testid=stMainBlockContainer]');"
            " return b ? b.getBoundingClientRect().bottom + document.querySelector('[data-testid=stMain]').scrollTop"
            " : document.documentElement.scrollHeight; })()"
        )
    )


def overlapping_labels(page: Page) -> list[tuple[str, str]]:
    """Pairs of chart labels (axis ticks, bar values; the HTML bars' places, values and details) whose boxes on
    screen intersect."""
    boxes = page.locator(
        ".js-plotly-plot .xtick text, .js-plotly-plot .ytick text, .js-plotly-plot .bartext,"
        " .redengine-bars .place, .redengine-bars .value, .redengine-bars .details, .redengine-bars .none"
    )
    drawn = boxes.evaluate_all(
        "texts => texts.map(e => { const r = e.getBoundingClientRect();"
        " return [e.textContent, r.left, r.top, r.right, r.bottom]; }).filter(b => b[3] > b[1])"
    )
    return [
        (a[0], b[0])
        for i, a in enumerate(drawn)
        for b in drawn[i + 1 :]
        if a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]
    ]


def full_screenshot(page: Page, name: str) -> Path:
    """The whole page: Streamlit scrolls inside [data-testid=stMain], so the viewport is
    stretched to the content's height for the shot (until it stops growing: tables and
    charts lay out late, so each size is shot once the page has settled), then put back."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or VIEWPORT
    height = size["height"]
    for _ in range(4):
        wait_until_settled(page, quiet_ms=200)
        needed = max(size["height"], _content_height(page) + 40)
        if needed <= height:
            break
        height = needed
        page.set_viewport_size({"width": size["width"], "height": height})
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    return path

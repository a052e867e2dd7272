"""Running the dashboard for browser tests: a streamlit server on a free port, Chromium, readiness.

Follows Streamlit's own e2e suite: start `streamlit run` headless, poll /_stcore/health, and
treat a page as ready once [data-testid=stApp] says it is connected and its script is not
running.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from redengine import chromium

REPO = Path(__file__).resolve().parent.parent
STREAMLIT = Path(sys.executable).parent / "streamlit"
CHROMIUM = chromium.EXECUTABLE
CHROMIUM_ARGS = list(chromium.ARGS)
SCREENSHOTS = REPO / "artifacts" / "screenshots"
VIEWPORT = {"width": 1400, "height": 900}
STARTUP_TIMEOUT_S = 30
READY_TIMEOUT_MS = 20_000


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
            return response.read().decode().strip() == "ok"
    except OSError:
        return False


@contextlib.contextmanager
def streamlit_server(
    app: str = "app.py", data_dir: Path | None = None, env_extra: dict[str, str] | None = None
) -> Iterator[str]:
    """Serves the app on data_dir, or on the bundled data (REDENGINE_DATA_DIR unset); yields its base URL.

    app="server.py" starts the launcher `make run` starts: the dashboard and the data API.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k != "REDENGINE_DATA_DIR"} | (env_extra or {})
    if data_dir is not None:
        env["REDENGINE_DATA_DIR"] = str(data_dir)
    log = (REPO / "artifacts").joinpath("streamlit-browser-tests.log")
    log.parent.mkdir(exist_ok=True)
    command = [
        str(STREAMLIT),
        "run",
        app,
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    with log.open("w") as output:
        server = subprocess.Popen(command, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT_S
            while not _healthy(url):
                if server.poll() is not None:
                    raise RuntimeError(f"streamlit exited with {server.returncode}; see {log}")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"streamlit not healthy at {url} after {STARTUP_TIMEOUT_S} s; see {log}")
                time.sleep(0.2)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


@contextlib.contextmanager
def debian_chromium() -> Iterator[Browser]:
    """Debian's headless Chromium, driven by Playwright (which cannot download its own here)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def wait_for_app(page: Page) -> None:
    """Connected, and the script run finished (Streamlit's own e2e readiness test)."""
    page.wait_for_selector("[data-testid=stApp][data-test-connection-state=CONNECTED]", timeout=READY_TIMEOUT_MS)
    page.wait_for_selector("[data-testid=stApp][data-test-script-state=notRunning]", timeout=READY_TIMEOUT_MS)


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
    """Pairs of chart labels (axis ticks, bar values) whose boxes on screen intersect."""
    boxes = page.locator(".js-plotly-plot .xtick text, .js-plotly-plot .ytick text, .js-plotly-plot .bartext")
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
    charts lay out late), then put back."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or VIEWPORT
    height = size["height"]
    for _ in range(4):
        page.wait_for_timeout(300)  # tables and charts re-lay out to the new size
        needed = max(size["height"], _content_height(page) + 40)
        if needed <= height:
            break
        height = needed
        page.set_viewport_size({"width": size["width"], "height": height})
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    return path

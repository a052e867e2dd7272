"""The answer before the app: time until a shared link's first paint shows the view's figures, beside the bare
Streamlit page's settled time in the same run.

Overview, Compare and Profile links in zh and en, served by server.py on the bundled data, on the desktop
viewport and on the emulated mid-range phone of first_view.py (CPU 4x, 10 Mbit/s, 40 ms), each opened in a fresh
browser context, alternating with the bare page (benchmarks/bare_app.py) so both meet the same machine.

"First paint showing the figures": the later of the first contentful paint and the first frame whose painted
view shows its figure table (it comes with the HTML, so the two meet). Also recorded per open: the frame the
painted view is hidden in, the one the app has drawn the page's title in, the gap between the two (what a reader
would see of the app's bare frame: none when the hand-over works) and the view's settled time.

    python benchmarks/first_paint.py                # prints a table, writes benchmarks/first_paint_last_run.json
    python benchmarks/first_paint.py --repeats 1    # quicker, noisier
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from first_view import THROTTLED_CPU, THROTTLED_NETWORK, TIMEOUT_MS, VIEWPORTS, report  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402

from harness import chromium, page, server  # noqa: E402

RESULT = REPO / "benchmarks" / "first_paint_last_run.json"
PAGES = {"overview": "", "compare": "compare", "profile": "profile"}
PROFILES = (("desktop", False), ("phone", True))  # (viewport, throttled)
TARGET = 0.5  # first paint with the figures, as a share of the bare page's settled time

# Page-clock times (ms since navigation) of what the reader sees, recorded from before the page's own scripts.
WATCH_FIRST_VIEW = """(() => {
  const seen = window.__firstView = {paint: null, figures: null, gone: null, title: null};
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries())
      if (entry.name === 'first-contentful-paint') seen.paint = entry.startTime;
  }).observe({type: 'paint', buffered: true});
  const title = '[data-testid=stMainBlockContainer] h1';
  function frame(now) {  // before each paint: what it will show
    const painted = document.querySelector('.rv');
    const shown = painted !== null && getComputedStyle(painted).display !== 'none';
    if (seen.figures === null && shown && painted.querySelector('tbody td')) seen.figures = now;
    if (seen.figures !== null && seen.gone === null && !shown) seen.gone = now;
    if (seen.title === null && document.querySelector(title)) seen.title = now;
    if (seen.gone === null || seen.title === null) requestAnimationFrame(frame);
  }
  requestAnimationFrame(frame);
})()"""


def open_once(browser, url: str, viewport: str, lang: str, throttled: bool, painted: bool) -> dict:
    """One open in a fresh context: the first-view times (a view) or the settled time (the bare page)."""
    context = browser.new_context(
        locale="zh-CN" if lang == "zh" else "en-US", timezone_id="Asia/Shanghai", **VIEWPORTS[viewport]
    )
    context.add_init_script(page.WATCH_CHANGES)
    context.add_init_script(WATCH_FIRST_VIEW)
    tab = context.new_page()
    if throttled:
        cdp = context.new_cdp_session(tab)
        cdp.send("Network.enable")
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": THROTTLED_CPU})
        cdp.send("Network.emulateNetworkConditions", THROTTLED_NETWORK)
    try:
        tab.goto(url, timeout=TIMEOUT_MS)
        settled = page.wait_until_settled(tab, timeout_ms=TIMEOUT_MS)
        seen = tab.evaluate("window.__firstView")
    except PlaywrightTimeout as error:
        print(f"  {url} ({viewport}{', throttled' if throttled else ''}) did not settle: {str(error)[:120]}")
        failed = ("first_paint_ms", "painted_view_gone_ms", "app_title_ms", "hand_over_gap_ms") if painted else ()
        return dict.fromkeys(("settled_ms", *failed))
    finally:
        context.close()
    opened = {"settled_ms": round(settled, 1)}
    if painted:
        shown = None if None in (seen["paint"], seen["figures"]) else max(seen["paint"], seen["figures"])
        gap = None if None in (seen["gone"], seen["title"]) else max(0.0, seen["title"] - seen["gone"])
        opened |= {
            "first_paint_ms": None if shown is None else round(shown, 1),
            "painted_view_gone_ms": seen["gone"] and round(seen["gone"], 1),
            "app_title_ms": seen["title"] and round(seen["title"], 1),
            "hand_over_gap_ms": None if gap is None else round(gap, 1),
        }
    return opened


def _line(view: dict) -> str:
    def ms(key: str) -> str:
        return "   n/a" if view[key] is None else f"{view[key]:6.0f}"

    ratio = "n/a" if view["vs_bare"] is None else f"{view['vs_bare']:.2f}"
    return (
        f"first paint {ms('first_paint_ms')} ms  bare settled {ms('bare_settled_ms')} ms  {ratio} x bare"
        f"  hand-over gap {ms('hand_over_gap_ms')} ms  view settled {ms('settled_ms')} ms"
    )


def _median(opens: list[dict], key: str) -> float | None:
    values = [o[key] for o in opens if o.get(key) is not None]
    return round(statistics.median(values), 1) if len(values) == len(opens) else None


def measure(repeats: int = 3) -> dict:
    """Every link on every profile, `repeats` opens each beside as many of the bare page; medians."""
    from playwright.sync_api import sync_playwright

    result: dict = {"load_average_start": round(os.getloadavg()[0], 2), "views": {}}
    with (
        server.serving("benchmarks/bare_server.py") as bare,
        server.serving("server.py") as app,
        sync_playwright() as playwright,
    ):
        browser = chromium.launch(playwright)
        try:
            open_once(browser, f"{app.url}/?lang=zh", "desktop", "zh", False, True)  # start-up's first visitor
            for viewport, throttled in PROFILES:
                profile = "throttled_phone" if throttled else viewport
                for name, path in PAGES.items():
                    for lang in ("zh", "en"):
                        views, bares = [], []
                        for _ in range(repeats):
                            bares.append(open_once(browser, f"{bare.url}/", viewport, "en", throttled, False))
                            views.append(
                                open_once(browser, f"{app.url}/{path}?lang={lang}", viewport, lang, throttled, True)
                            )
                        view = {key: _median(views, key) for key in views[0]}
                        view["bare_settled_ms"] = _median(bares, "settled_ms")
                        shown, bare_ms = view["first_paint_ms"], view["bare_settled_ms"]
                        view["vs_bare"] = None if None in (shown, bare_ms) else round(shown / bare_ms, 2)
                        result["views"][f"{profile}/{name}/{lang}"] = view
                        print(f"  {profile:16s} {name:8s} {lang}  " + _line(view))
        finally:
            browser.close()
    result["load_average_end"] = round(os.getloadavg()[0], 2)
    ratios = [v["vs_bare"] for v in result["views"].values()]
    worst = float("inf") if None in ratios else max(ratios)
    result["ratios"] = {
        "first_paint_vs_bare": {
            "median": round(statistics.median(r for r in ratios if r is not None), 2),
            "worst": worst,
            "target": f"worst <= {TARGET}",
            "met": worst <= TARGET,
        }
    }
    return result


def main(argv: list[str] | None = None) -> int:
    """Time to the first paint showing a shared view's figures, beside the bare Streamlit page's settled time."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--repeats", type=int, default=3, help="opens per view (the median is kept)")
    parser.add_argument("--output", type=Path, default=RESULT)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    result = measure(args.repeats)
    result["seconds"] = round(time.perf_counter() - started, 1)
    report(result, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())

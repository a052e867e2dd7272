"""The first view of a shared link: time until each page has settled in headless Chromium.

Every page of the dashboard (server.py, as `make run` serves it, on the bundled data) in zh and
en, on a desktop viewport and a phone viewport (390 x 844), each opened from its URL in a fresh
browser context (nothing cached); beside each open, alternating with it, a bare Streamlit page (a
title and a paragraph, benchmarks/bare_app.py) served the same way, so a view and its baseline meet
the same machine. Then the same on an emulated mid-range phone: CPU throttled 4x, 10 Mbit/s down,
40 ms latency (Chrome DevTools Protocol).

"Settled" (harness/page.py): connected, the script not running, content drawn, every chart
drawn, no skeleton or spinner, and nothing on the page changing for 0.5 s; the time is the page
clock (from navigation start) at its last change. Bytes are what the network delivered
(HTTP bodies as sent, and websocket frames).

    python benchmarks/first_view.py                 # prints a table, writes benchmarks/first_view_last_run.json
    python benchmarks/first_view.py --repeats 1     # one open per view: quicker, noisier
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402

from harness import chromium, page, server  # noqa: E402

RESULT = REPO / "benchmarks" / "first_view_last_run.json"
BUNDLED_SNAPSHOT_PARAMS = "lang={lang}"
# Each page opened as a shared link names it: the page's path and the language.
PAGES = {"overview": "", "compare": "compare", "profile": "profile", "sources": "sources", "changes": "changes"}
PAGES["sql"] = "sql"
# Lighthouse's mobile profile's User-Agent (a Moto G Power).
PHONE_USER_AGENT = (
    "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Chrome/120.0.0.0 Mobile Safari/537.36"
)
VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 900}},
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
        # A phone says so in its User-Agent, as Lighthouse's mobile emulation does (is_mobile alone keeps the
        # desktop one); the dashboard serves phones their own first screen (widgets.on_phone), the bare page not.
        "user_agent": PHONE_USER_AGENT,
    },
}
# A mid-range phone on a mobile network, as Lighthouse's mobile profile emulates one.
THROTTLED_CPU = 4
THROTTLED_NETWORK = {
    "offline": False,
    "latency": 40,
    "downloadThroughput": 10_000_000 / 8,
    "uploadThroughput": 5_000_000 / 8,
}
TIMEOUT_MS = 120_000
TARGETS = {"median": 2.0, "worst": 3.0, "phone_worst": 3.0}


def open_once(browser, url: str, viewport: str, lang: str, throttled: bool) -> dict:
    """One open in a fresh context: settled time (ms) and bytes received."""
    context = browser.new_context(
        locale="zh-CN" if lang == "zh" else "en-US", timezone_id="Asia/Shanghai", **VIEWPORTS[viewport]
    )
    context.add_init_script(page.WATCH_CHANGES)
    tab = context.new_page()
    cdp = context.new_cdp_session(tab)
    received = {"http": 0, "websocket": 0, "requests": 0}

    def finished(event):
        received["http"] += int(event.get("encodedDataLength", 0))
        received["requests"] += 1

    def frame(event):
        received["websocket"] += len(event["response"].get("payloadData", ""))

    cdp.on("Network.loadingFinished", finished)
    cdp.on("Network.webSocketFrameReceived", frame)
    cdp.send("Network.enable")
    if throttled:
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": THROTTLED_CPU})
        cdp.send("Network.emulateNetworkConditions", THROTTLED_NETWORK)
    try:
        tab.goto(url, timeout=TIMEOUT_MS)
        settled_ms = page.wait_until_settled(tab, timeout_ms=TIMEOUT_MS)
        errors = tab.locator('[data-testid="stException"], [data-testid="stAlertContentError"]').count()
    except PlaywrightTimeout as error:  # recorded as a failed open, so one hung view does not lose the run
        print(f"  {url} ({viewport}{', throttled' if throttled else ''}) did not settle: {str(error)[:120]}")
        settled_ms, errors = None, 1
    finally:
        context.close()
    # Binary websocket frames arrive base64-encoded in the protocol: 4 characters per 3 bytes.
    return {
        "settled_ms": None if settled_ms is None else round(settled_ms, 1),
        "http_bytes": received["http"],
        "websocket_bytes": received["websocket"] * 3 // 4,
        "requests": received["requests"],
        "errors": errors,
    }


def median_open(opens: list[dict]) -> dict:
    """The median open (one that never settled counts as slowest; all of them failing gives settled_ms None)."""
    middle = sorted(opens, key=lambda o: float("inf") if o["settled_ms"] is None else o["settled_ms"])[
        (len(opens) - 1) // 2
    ]
    return {**middle, "runs_ms": [o["settled_ms"] for o in opens]}


def opens_beside_bare(browser, url: str, bare_url: str, viewport: str, lang: str, throttled: bool, repeats: int):
    """`repeats` opens of the view, each right after an open of the bare page: (view's median, bare's median).
    One bare baseline per profile, measured minutes before the last views, met another machine: the load
    average rises from about 0.5 to 3 during a run."""
    opens, bare_opens = [], []
    for _ in range(repeats):
        bare_opens.append(open_once(browser, bare_url, viewport, "en", throttled))
        opens.append(open_once(browser, url, viewport, lang, throttled))
    return median_open(opens), median_open(bare_opens)


def measure(repeats: int = 3, phone: bool = True, data_dir: Path | None = None) -> dict:
    """The first views and their ratios to the bare page's; see the module's docstring."""
    from playwright.sync_api import sync_playwright

    result: dict = {"load_average_start": round(os.getloadavg()[0], 2), "views": {}, "bare": {}}
    profiles = [("desktop", False), ("phone", False)] + ([("phone", True)] if phone else [])
    with (
        server.serving("benchmarks/bare_server.py") as bare,
        server.serving("server.py", data_dir) as app,
        sync_playwright() as playwright,
    ):
        browser = chromium.launch(playwright)
        try:
            # The first visitor after start-up, before anything else: what start-up leaves undone.
            first = open_once(browser, f"{app.url}/?lang=zh", "desktop", "zh", False)
            result["first_visitor"] = first
            for viewport, throttled in profiles:
                profile = "throttled_phone" if throttled else viewport
                bare_opens = []
                for name, path in PAGES.items():
                    for lang in ("zh", "en"):
                        urls = f"{app.url}/{path}?lang={lang}", f"{bare.url}/"
                        view, bare_view = opens_beside_bare(browser, *urls, viewport, lang, throttled, repeats)
                        settled, bare_ms = view["settled_ms"], bare_view["settled_ms"]
                        bare_opens.append(bare_view)
                        # A view (or its baseline) that never settled has no ratio, and its target is not met.
                        view["bare_ms"] = bare_ms
                        view["vs_bare"] = None if None in (settled, bare_ms) else round(settled / bare_ms, 2)
                        result["views"][f"{profile}/{name}/{lang}"] = view
                        megabytes = (view["http_bytes"] + view["websocket_bytes"]) / 1e6
                        print(
                            f"  {profile:16s} {name:8s} {lang}  {settled or float('nan'):8.0f} ms"
                            f"  bare {bare_ms or float('nan'):6.0f} ms  {view['vs_bare'] or float('nan'):5.2f} x bare"
                            f"  {megabytes:5.2f} MB" + (f"  {view['errors']} error(s)!" if view["errors"] else "")
                        )
                # The bare page's figures for the profile: the median of the medians beside each view.
                result["bare"][profile] = median_open(bare_opens)
        finally:
            browser.close()
    result["load_average_end"] = round(os.getloadavg()[0], 2)
    result["ratios"] = ratios(result)
    return result


def ratios(result: dict) -> dict:
    """first_view_vs_bare (desktop and phone viewports, unthrottled) and phone_first_view_vs_bare."""
    # A view that never settled counts as infinitely slow (and is listed).
    ratio = {key: float("inf") if v["vs_bare"] is None else v["vs_bare"] for key, v in result["views"].items()}
    plain = [r for key, r in ratio.items() if not key.startswith("throttled_phone/")]
    throttled = {key: r for key, r in ratio.items() if key.startswith("throttled_phone/")}
    unsettled = sorted(key for key, v in result["views"].items() if v["vs_bare"] is None)
    figures = {
        "first_view_vs_bare": {
            "median": round(statistics.median(plain), 2),
            "worst": max(plain),
            "target": f"median <= {TARGETS['median']}, worst <= {TARGETS['worst']}",
            "met": statistics.median(plain) <= TARGETS["median"] and max(plain) <= TARGETS["worst"],
        }
    }
    if unsettled:
        figures["unsettled_views"] = unsettled
    if throttled:
        worst = max(throttled.values())
        figures["phone_first_view_vs_bare"] = {
            "median": round(statistics.median(throttled.values()), 2),
            "worst": worst,
            "target": f"worst <= {TARGETS['phone_worst']}",
            "met": worst <= TARGETS["phone_worst"],
            "bytes_per_page": {
                key.split("/", 1)[1]: view["http_bytes"] + view["websocket_bytes"]
                for key, view in result["views"].items()
                if key in throttled
            },
            "bare_bytes": result["bare"]["throttled_phone"]["http_bytes"]
            + result["bare"]["throttled_phone"]["websocket_bytes"],
        }
    return figures


def main(argv: list[str] | None = None) -> int:
    """First views of every page in headless Chromium beside a bare Streamlit page's."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--repeats", type=int, default=3, help="opens per view (the median is kept)")
    parser.add_argument("--no-phone", action="store_true", help="leave out the throttled phone")
    parser.add_argument("--output", type=Path, default=RESULT)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    result = measure(args.repeats, phone=not args.no_phone)
    result["seconds"] = round(time.perf_counter() - started, 1)
    report(result, args.output)
    return 0


def report(result: dict, output: Path) -> None:
    """Writes `result` to `output` and prints its ratios against their targets."""
    output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for name, figures in result["ratios"].items():
        mark = "ok" if figures["met"] else "MISSED"
        print(f"{name}: median {figures['median']}, worst {figures['worst']}  (target {figures['target']})  {mark}")
    print(f"written to {output}")


if __name__ == "__main__":
    sys.exit(main())

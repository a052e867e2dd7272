"""`make bench`: the dashboard's speed as ratios, each measured beside its baseline in the same run.

1. Generates a synthetic data directory (benchmarks/generate.py) in a temporary folder.
2. Times every query in queries/ through redengine.data.db.Database (p50/p95 over repeated runs
   after a warm-up), every page's AppTest rerun beside a bare Streamlit script's
   (benchmarks/bare_app.py) in the same process, and `streamlit run` to a healthy server.
3. The same queries and pages on the bundled data/.
4. The first view of every page in headless Chromium beside a bare page's
   (benchmarks/first_view.py), on the bundled data.
5. The load test (benchmarks/loadtest.py) on the bundled data: 1, 10 and 100 sessions, and the
   bare script under the same 100-session client.

Writes benchmarks/last_run.json (the ratios under "ratios"; the absolute figures as information,
with the machine) and prints the ratios with their targets. The generated data is deleted afterwards.

    python benchmarks/run.py                       # full size, as `make bench`
    python benchmarks/run.py --places 300 --metrics 50 --snapshots 4   # quick
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import first_view  # noqa: E402
import loadtest  # noqa: E402
import share_images  # noqa: E402

from harness import server as harness_server  # noqa: E402
from redengine.core.domain import HEADLINE_CATEGORIES  # noqa: E402
from redengine.data import store  # noqa: E402
from redengine.data.db import Database, available_queries  # noqa: E402

BUNDLED = REPO / "data"
APP = REPO / "app.py"
BARE_APP = REPO / "benchmarks" / "bare_app.py"
RESULT = REPO / "benchmarks" / "last_run.json"
PAGES = ["overview", "compare", "profile", "sources", "changes"]
TARGETS = {"rerun_vs_bare": 8.0, "scale": 1.5, "load_10_vs_single": 4.0}
# (key, script, sessions): one session first, the rerun p95 the loaded p95 is divided by; and the
# bare script under the same 100-session client, for the interactions per second a server sustains.
LOAD_RUNS = [
    ("1", "app.py", 1),
    ("10", "app.py", 10),
    ("100", "app.py", 100),
    ("100_bare", "benchmarks/bare_app.py", 100),
]
PLACES_CHOSEN = 6


# -- parameters a person would pick --------------------------------------------------------


def realistic_params(db: Database) -> dict[str, dict[str, object]]:
    """For each query (and a few variants, "name[variant]"), the parameters a page passes.

    The pages' own defaults where they have one: the latest snapshot and the one before,
    the best-covered concept, the place with the most figures, the most cited report.
    """
    ids = [entry.id for entry in db.snapshots()]
    latest, previous = ids[-1], ids[-2] if len(ids) > 1 else ids[-1]
    concepts = db.query("concept_coverage", snapshot_id=latest, category=None)
    cards = db.query("district_cards", snapshot_id=latest)
    sources = db.query("source_list", snapshot_id=latest)
    concept = concepts["concept_id"].iloc[0]
    category = concepts["category"].iloc[0]
    places = list(cards["district_id"])
    step = max(1, len(places) // PLACES_CHOSEN)
    chosen = places[::step][:PLACES_CHOSEN]
    ranking = db.query("concept_ranking", snapshot_id=latest, concept_id=concept, metric_id=None)
    top = list(ranking["district_id"].head(30))
    figures = {"snapshot_id": latest, "concept_id": concept, "metric_id": None, "per_month": False, "per": None}
    busiest = cards.sort_values("figures", ascending=False)["district_id"].iloc[0]
    cited = sources.sort_values("figures", ascending=False)["source_id"].iloc[0]
    params: dict[str, dict[str, object]] = {
        "coverage_matrix": {"snapshot_id": latest},
        "dimension_ids": {"kind": "metrics"},
        "district_cards": {"snapshot_id": latest},
        "district_facts": {"snapshot_id": latest, "district_id": busiest},
        "headline_figures": {"snapshot_id": latest, "categories": list(HEADLINE_CATEGORIES), "top_n": 12},
        "comparability_verdict": {
            f"{key}_{side}": value
            for side, end in (("a", "2020-12-31"), ("b", "2021-06-30"))
            for key, value in (
                ("metric", concept),
                ("measure", "stock"),
                ("scope", None),
                ("qualifier", "exact"),
                ("basis", "stated"),
                ("start", "2020-01-01"),
                ("end", end),
                ("level", "district"),
                ("size", None),
            )
        }
        | {"per_month": False},
        "concept_coverage": {"snapshot_id": latest, "category": None},
        "concept_figures": {**figures, "district_ids": chosen, "like_for_like_only": False},
        # Compare's default: the 30 places with the highest figures; and its "download all" button.
        "concept_figures[top 30]": {**figures, "district_ids": top, "like_for_like_only": False},
        "concept_figures[top 30, like for like]": {**figures, "district_ids": top, "like_for_like_only": True},
        "concept_figures[all, CSV]": {
            **figures,
            "district_ids": list(ranking["district_id"]),
            "like_for_like_only": False,
        },
        "concept_ranking": {"snapshot_id": latest, "concept_id": concept, "metric_id": None},
        "evidence_matrix": {"snapshot_id": latest, "category": category, "district_ids": top},
        "family_figures": {"snapshot_id": latest, "concept_id": concept, "district_ids": top},
        "place_headlines": {"snapshot_id": latest, "district_ids": top[:12], "categories": list(HEADLINE_CATEGORIES)},
        "concept_figures[top 30, per sub-district]": {
            **figures,
            "district_ids": top,
            "like_for_like_only": False,
            "per": "subdistrict",
        },
        "metric_coverage": {"snapshot_id": latest, "category": None, "concept_id": concept},
        # What the What-changed page asks: the counts, then the first 1,000 rows.
        "snapshot_diff": {"old_snapshot_id": previous, "new_snapshot_id": latest, "row_limit": 1000},
        "snapshot_diff_counts": {"old_snapshot_id": previous, "new_snapshot_id": latest},
        "snapshot_summary": {"snapshot_ids": ids},  # `redengine snapshot list`: every snapshot
        "source_facts": {"snapshot_id": latest, "source_id": cited},
        "source_list": {"snapshot_id": latest},
    }
    missing = set(available_queries()) - {name.split("[")[0] for name in params}
    if missing:
        print(f"  note: no parameters chosen for {', '.join(sorted(missing))}; not measured")
    return params


def page_query_params(params: dict[str, dict[str, object]]) -> dict[str, dict[str, str]]:
    """The URL each page is opened with (the names pages/*.py read), from the query parameters."""
    compare = params["concept_figures"]
    return {
        "overview": {},
        "compare": {
            "concept": str(compare["concept_id"]),
            "places": ",".join(compare["district_ids"]),
            "view": "chart",
        },
        "profile": {"district": str(params["district_facts"]["district_id"])},
        "sources": {"source": str(params["source_facts"]["source_id"])},
        "changes": {
            "from": str(params["snapshot_diff"]["old_snapshot_id"]),
            "to": str(params["snapshot_diff"]["new_snapshot_id"]),
        },
    }


# -- timing ----------------------------------------------------------------------------------


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(loadtest.percentile(samples_ms, 50), 2),
        "p95_ms": round(loadtest.percentile(samples_ms, 95), 2),
        "runs": len(samples_ms),
    }


def timed(call: Callable[[], object], warmup: int, repeats: int, budget_s: float) -> dict[str, float]:
    """Warm-up calls, then up to `repeats` timed calls (at least 5) within about budget_s."""
    first = time.perf_counter()
    call()
    first_ms = (time.perf_counter() - first) * 1000
    for _ in range(warmup - 1):
        call()
    samples = []
    deadline = time.perf_counter() + budget_s
    while len(samples) < repeats and (len(samples) < 5 or time.perf_counter() < deadline):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return {**percentiles(samples), "first_ms": round(first_ms, 1)}


def timed_beside(
    call: Callable[[], object], baseline: Callable[[], object], warmup: int, repeats: int, budget_s: float
) -> tuple[dict[str, float], dict[str, float]]:
    """timed() of `call` and of `baseline`, alternating, so both meet the same conditions (a busy
    machine, a process grown by what ran before)."""
    for _ in range(warmup):
        call()
        baseline()
    samples: tuple[list[float], list[float]] = ([], [])
    deadline = time.perf_counter() + budget_s
    while len(samples[0]) < repeats and (len(samples[0]) < 5 or time.perf_counter() < deadline):
        for measured, sample in zip((call, baseline), samples, strict=True):
            started = time.perf_counter()
            measured()
            sample.append((time.perf_counter() - started) * 1000)
    return percentiles(samples[0]), percentiles(samples[1])


def measure_queries(data_dir: Path, repeats: int = 30, warmup: int = 3, budget_s: float = 10.0) -> dict:
    """p50/p95 of Database.query for every query, with the parameters the pages pass."""
    db = Database(data_dir)
    params = realistic_params(db)
    results = {}
    for name, bound in params.items():
        query = name.split("[")[0]
        rows = len(db.query(query, **bound))
        results[name] = {**timed(lambda q=query, b=bound: db.query(q, **b), warmup, repeats, budget_s), "rows": rows}
        print(f"  query {name:26s} p50 {results[name]['p50_ms']:8.1f} ms  p95 {results[name]['p95_ms']:8.1f} ms")
    return {"queries": results, "params": params}


def measure_pages(
    data_dir: Path,
    params: dict[str, dict[str, object]] | None = None,
    repeats: int = 100,
    warmup: int = 5,
    budget_s: float = 20.0,
    app: Path = APP,
) -> dict:
    """AppTest rerun time of each page (app.py + st.navigation), opened with a realistic URL, and
    of the bare script (benchmarks/bare_app.py) in the same process: {"pages": …, "bare": …}.

    Every page is first opened once (cold: runs its queries; kept as open_ms), then each is opened
    again and rerun as a widget interaction that changes no data would: the cached rerun a user
    waits for.
    """
    import streamlit as st
    import streamlit.logger
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import AppTest, app_test, local_script_runner

    streamlit.logger.set_log_level("error")  # AppTest's "no runtime" warnings are noise here
    # A server compiles each script once (its Runtime's ScriptCache serves the entry script and, through its
    # PagesManager, every page); AppTest makes two new caches per run, so it compiles app.py and the page
    # again every time, a cost no click pays (py-spy: a fifth of a Compare rerun). Its runs share one cache
    # here, as the server's do.
    compiled = ScriptCache()
    local_script_runner.ScriptCache = app_test.ScriptCache = lambda: compiled

    # One process measures two data directories: start each from empty caches.
    os.environ[store.DATA_DIR_ENV] = str(data_dir)
    st.cache_data.clear()
    st.cache_resource.clear()
    params = params or realistic_params(Database(data_dir))
    urls = page_query_params(params)
    snapshot = str(params["source_list"]["snapshot_id"])
    bare = AppTest.from_file(str(BARE_APP), default_timeout=300)
    bare.run()

    def opened(page: str) -> tuple[AppTest, float]:
        """A session opened on the page's link (its URL, then the page), and the ms its page took."""
        at = AppTest.from_file(str(app), default_timeout=300)
        url = {"lang": "zh", "snapshot": snapshot, **urls.get(page, {})}
        at.query_params.update(url)
        started = time.perf_counter()
        at.run()
        if page != "overview":
            at.switch_page(f"pages/{page}.py")
            at.query_params.update(url)
            started = time.perf_counter()
            at.run()
        return at, (time.perf_counter() - started) * 1000

    # Every page opened once first (as on a server that has been up), so no page's reruns are measured
    # while the process still fills the others' caches: in the last run before this, at 11.2 M facts, the
    # bare script measured 4.7 ms beside the first two pages and 2.0-2.6 ms beside the last three.
    cold = {page: opened(page)[1] for page in PAGES}
    results, bare_figures = {}, {}
    for page in PAGES:
        at, _ = opened(page)
        cold_ms = cold[page]
        problems = []

        def rerun(at=at, problems=problems):
            at.run()
            if at.exception:
                problems.append(at.exception[0].value)

        page_figures, bare_figures[page] = timed_beside(rerun, bare.run, warmup, repeats, budget_s)
        figures = {**page_figures, "open_ms": round(cold_ms, 1), "bare_p50_ms": bare_figures[page]["p50_ms"]}
        figures["vs_bare"] = round(figures["p50_ms"] / bare_figures[page]["p50_ms"], 2)
        errors = [e.value for e in at.error]
        if problems or errors:
            figures["errors"] = sorted({str(p)[:200] for p in problems + errors})
        results[page] = figures
        flag = f"  ({len(figures.get('errors', []))} error(s)!)" if figures.get("errors") else ""
        print(
            f"  page  {page:26s} p50 {figures['p50_ms']:8.1f} ms  p95 {figures['p95_ms']:8.1f} ms"
            f"  {figures['vs_bare']:5.1f} x bare ({figures['bare_p50_ms']:.1f} ms)"
            f"  (opened in {figures['open_ms']:.0f} ms){flag}"
        )
    return {"pages": results, "bare": bare_figures}


def measure_startup(data_dir: Path) -> dict:
    """Seconds from `streamlit run server.py` (as `make run`) to /_stcore/health "ok", and to a first page run."""
    server = harness_server.start("server.py", data_dir)
    try:
        first = loadtest.load(server.port, sessions=1, seconds=0.1, pages=["overview"])
        figures = {
            "startup_s": round(server.startup_s, 2),
            "first_page_s": round((first["first_run_p95_ms"] or 0) / 1000, 2),
            "first_page_errors": first["errors"],
            "server_rss_mb": round(server.memory_mb().get("VmHWM", 0), 1),
        }
    finally:
        server.stop()
    print(f"  startup {figures['startup_s']:.2f} s to a healthy server; first page run {figures['first_page_s']:.2f} s")
    return figures


# -- the run -------------------------------------------------------------------------------


def generate(out_dir: Path, places: int, metrics: int, snapshots: int) -> float:
    """Runs the generator in its own process, so its memory does not count as the app's."""
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            str(REPO / "benchmarks" / "generate.py"),
            str(out_dir),
            "--places",
            str(places),
            "--metrics",
            str(metrics),
            "--snapshots",
            str(snapshots),
        ],
        check=True,
    )
    return round(time.perf_counter() - started, 1)


def machine() -> dict:
    memory_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "load_average_start": round(os.getloadavg()[0], 2),
    }


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def bench(
    places: int,
    metrics: int,
    snapshots: int,
    skip_load: bool,
    load_seconds: float,
    first_view_repeats: int | None,
    generated: Path | None = None,
    skip_share_images: bool = False,
) -> dict:
    result: dict[str, object] = {"machine": machine()}
    busy = os.getloadavg()[0]
    if busy > 0.5:
        print(f"note: the machine is busy (load average {busy:.1f}); the figures will be inflated")
    with tempfile.TemporaryDirectory(prefix="redengine-bench-") as folder:
        if generated is None:
            data_dir = Path(folder)
            print(f"generating {places} places x {metrics} metrics x {snapshots} snapshots into {data_dir}")
            result["generate_s"] = generate(data_dir, places, metrics, snapshots)
        else:
            data_dir = generated
            print(f"using {data_dir}, generated with --places {places} --metrics {metrics} --snapshots {snapshots}")
        result["rows"] = places * metrics * snapshots
        measured = measure_queries(data_dir)
        result["queries"] = measured["queries"]
        result["params"] = {  # long id lists shortened: the JSON is for reading
            name: {k: f"<{len(v)} ids>" if isinstance(v, list) and len(v) > 10 else v for k, v in bound.items()}
            for name, bound in measured["params"].items()
        }
        reruns = measure_pages(data_dir, measured["params"])
        result["pages"], result["bare_rerun"] = reruns["pages"], reruns["bare"]
        startup = measure_startup(data_dir)
        result["startup_s"] = startup.get("startup_s")
        result["startup"] = startup
        result["peak_rss_mb"] = peak_rss_mb()
    print("bundled data")
    bundled = measure_queries(BUNDLED)
    reruns = measure_pages(BUNDLED, bundled["params"])
    result["bundled"] = {"queries": bundled["queries"], "pages": reruns["pages"], "bare_rerun": reruns["bare"]}
    if first_view_repeats:
        print("first views in headless Chromium, on the bundled data")
        result["first_view"] = first_view.measure(repeats=first_view_repeats)
    if not skip_load:
        result["load"] = {}
        for key, app, sessions in LOAD_RUNS:
            print(f"load test: {sessions} sessions of {app} for {load_seconds:.0f} s on the bundled data")
            pages = None if app == "app.py" else []
            result["load"][key] = loadtest.run_load(None, sessions, load_seconds, app=app, pages=pages)
            figures = result["load"][key]
            print(
                f"  p50 {figures['p50_ms']} ms  p95 {figures['p95_ms']} ms  {figures['interactions_per_s']}"
                f" interactions/s  {figures['errors']} errors  server {figures['rss_mb']} MB"
            )
    result["peak_rss_mb"] = max(result["peak_rss_mb"], peak_rss_mb())
    if not skip_share_images:
        print("chart images: 200 different views from one server, its memory beside the peak above")
        result["share_images"] = share_images.measure(result["peak_rss_mb"])
        images = result["share_images"]
        print(
            f"  peak {images['server_tree_pss_mb']['peak']} MB (PSS) of a budget of {images['budget_pss_mb']} MB;"
            f" {images['per_image_s']['p50']} s per image; {len(images['failures'])} failures"
        )
    result["machine"]["load_average_end"] = round(os.getloadavg()[0], 2)
    result["ratios"] = ratios(result)
    return result


def ratios(result: dict) -> dict:
    """The targets, each a ratio to a baseline measured in the same run."""
    figures: dict[str, dict] = {}
    scale, bundled = result.get("pages", {}), result.get("bundled", {}).get("pages", {})
    per_page = {
        f"{where}/{page}": p["vs_bare"]
        for where, pages in (("scale", scale), ("bundled", bundled))
        for page, p in pages.items()
    }
    if per_page:
        errors = [page for page, p in {**scale, **bundled}.items() if p.get("errors")]
        worst = max(per_page.values())
        figures["rerun_vs_bare"] = {
            "pages": per_page,
            "worst": worst,
            "target": f"<= {TARGETS['rerun_vs_bare']} for every page",
            "met": worst <= TARGETS["rerun_vs_bare"] and not errors,
        }
    common = [page for page in scale if page in bundled]
    if common:
        growth = {page: round(scale[page]["p50_ms"] / bundled[page]["p50_ms"], 2) for page in common}
        figures["scale"] = {
            "pages": growth,
            "worst": max(growth.values()),
            "target": f"<= {TARGETS['scale']} for every page",
            "met": max(growth.values()) <= TARGETS["scale"],
        }
    if "first_view" in result:
        figures.update(result["first_view"]["ratios"])
    load = result.get("load", {})
    if {key for key, _, _ in LOAD_RUNS} <= set(load):
        single, ten, hundred, bare = load["1"], load["10"], load["100"], load["100_bare"]
        vs_single = round(ten["p95_ms"] / single["p95_ms"], 2) if ten["p95_ms"] and single["p95_ms"] else None
        figures["load"] = {
            "10_p95_vs_single_p95": vs_single,
            "errors_10": ten["errors"],
            "errors_100": hundred["errors"],
            "interactions_per_s_100": hundred["interactions_per_s"],
            "bare_interactions_per_s_100": bare["interactions_per_s"],
            "target": f"10 sessions' p95 <= {TARGETS['load_10_vs_single']} x one session's, 0 errors; 100: 0 errors",
            "met": vs_single is not None
            and vs_single <= TARGETS["load_10_vs_single"]
            and ten["errors"] == 0
            and hundred["errors"] == 0,
        }
    return figures


def ratio_lines(measured: dict) -> list[str]:
    """Two lines per ratio: its figure, then its target and whether it is met."""
    lines = []
    for name, r in measured.items():
        if name == "load":
            figure = (
                f"10 sessions {r['10_p95_vs_single_p95']} x one; errors {r['errors_10']} (10), {r['errors_100']} (100);"
                f" 100 sessions {r['interactions_per_s_100']} interactions/s (bare {r['bare_interactions_per_s_100']})"
            )
        elif "median" in r:
            figure = f"median {r['median']}, worst {r['worst']}"
        else:
            figure = f"worst {r['worst']} (" + ", ".join(f"{page} {value}" for page, value in r["pages"].items()) + ")"
        lines.append(f"{name:26s} {figure}\n{'':26s} target {r['target']}: {'ok' if r['met'] else 'MISSED'}")
    return lines


def print_table(result: dict) -> None:
    m = result["machine"]
    print(
        f"\n{result['rows']:,} facts on {m['cores']} cores, {m['memory_gb']} GB; load average "
        f"{m['load_average_start']} at the start, {m.get('load_average_end')} at the end"
    )
    print("absolute figures (information: they do not travel between machines)")
    bundled = result.get("bundled", {})
    for where, pages, bare in (
        (f"{result['rows']:,} facts", result.get("pages", {}), result.get("bare_rerun")),
        ("bundled data", bundled.get("pages", {}), bundled.get("bare_rerun")),
    ):
        reruns = ", ".join(f"{page} {p['p50_ms']:.0f}/{p['p95_ms']:.0f}" for page, p in pages.items())
        if bare:
            beside = ", ".join(f"{b['p50_ms']:.1f}" for b in bare.values())
            print(f"  rerun p50/p95 ms, {where}: {reruns}; bare script p50 beside each: {beside}")
    slowest = max(result.get("queries", {}).items(), key=lambda q: q[1]["p95_ms"], default=None)
    if slowest:
        name, q = slowest
        print(f"  slowest query at scale: {name} p50 {q['p50_ms']:.1f} / p95 {q['p95_ms']:.1f} ms")
    if result.get("startup_s") is not None:
        print(
            f"  start-up {result['startup_s']:.2f} s to a healthy server, first page run"
            f" {result['startup'].get('first_page_s')} s; peak memory {result['peak_rss_mb']:.0f} MB"
        )
    print("ratios")
    for line in ratio_lines(result["ratios"]):
        print(line)
    missed = [name for name, r in result["ratios"].items() if not r["met"]]
    print(f"\n{len(missed)} target(s) missed: {', '.join(missed)}" if missed else "\nevery target met")


def main(argv: list[str] | None = None) -> int:
    """The benchmark: writes benchmarks/last_run.json and prints the ratios beside their targets."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--places", type=int, default=2800)
    parser.add_argument("--metrics", type=int, default=200)
    parser.add_argument("--snapshots", type=int, default=20)
    parser.add_argument("--skip-load", action="store_true", help="leave out the load test")
    parser.add_argument("--load-seconds", type=float, default=20.0)
    parser.add_argument("--skip-first-view", action="store_true", help="leave out the first views in Chromium")
    parser.add_argument("--skip-share-images", action="store_true", help="leave out the 200 chart images")
    parser.add_argument("--first-view-repeats", type=int, default=3, help="opens per view (the median is kept)")
    parser.add_argument(
        "--data-dir", type=Path, help="a directory generate.py already wrote with these sizes (kept), to iterate"
    )
    parser.add_argument("--output", type=Path, default=RESULT)
    args = parser.parse_args(argv)
    repeats = None if args.skip_first_view else args.first_view_repeats
    result = bench(
        args.places,
        args.metrics,
        args.snapshots,
        args.skip_load,
        args.load_seconds,
        repeats,
        args.data_dir,
        args.skip_share_images,
    )
    args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    print_table(result)
    print(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

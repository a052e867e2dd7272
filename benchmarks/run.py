"""`make bench`: the dashboard at 11.2 M facts and on the bundled data, against the targets.

1. Generates a synthetic data directory (benchmarks/generate.py) in a temporary folder.
2. Times every query in queries/ through redengine.db.Database (p50/p95 over repeated runs
   after a warm-up), every page's AppTest rerun, and `streamlit run` to a healthy server.
3. The same queries and pages on the bundled data/.
4. The load test (benchmarks/loadtest.py) on the bundled data: 10 and 100 sessions.

Writes benchmarks/last_run.json and prints a table with the targets beside the figures.
The generated data is deleted afterwards.

    python benchmarks/run.py                       # full size, as `make bench`
    python benchmarks/run.py --places 300 --metrics 50 --snapshots 4 --skip-load   # quick
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

import loadtest  # noqa: E402

from redengine import store  # noqa: E402
from redengine.db import Database, available_queries  # noqa: E402
from redengine.domain import HEADLINE_CATEGORIES  # noqa: E402

BUNDLED = REPO / "data"
APP = REPO / "app.py"
RESULT = REPO / "benchmarks" / "last_run.json"
PAGES = ["overview", "compare", "profile", "sources", "changes"]
TARGETS = {
    "query_p95_ms": 25,
    "page_p95_ms": 150,
    "bundled_page_p95_ms": 50,
    "startup_s": 2.0,
    "peak_rss_mb": 1024,
    "load_10_p95_ms": 500,
}
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
    figures = {"snapshot_id": latest, "concept_id": concept, "metric_id": None, "per_month": False}
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
            )
        },
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
    repeats: int = 20,
    warmup: int = 2,
    budget_s: float = 20.0,
    app: Path = APP,
) -> dict:
    """AppTest rerun time of each page (app.py + st.navigation), opened with a realistic URL.

    Each page is opened once (cold: runs its queries), then rerun as a widget interaction
    that changes no data would: the cached rerun a user waits for. Skipped, with a note,
    while app.py does not exist.
    """
    if not app.is_file():
        print(f"  note: {app} does not exist yet; page reruns not measured")
        return {}
    import streamlit as st
    import streamlit.logger
    from streamlit.testing.v1 import AppTest

    streamlit.logger.set_log_level("error")  # AppTest's "no runtime" warnings are noise here

    # One process measures two data directories: start each from empty caches.
    os.environ[store.DATA_DIR_ENV] = str(data_dir)
    st.cache_data.clear()
    st.cache_resource.clear()
    params = params or realistic_params(Database(data_dir))
    urls = page_query_params(params)
    snapshot = str(params["source_list"]["snapshot_id"])
    results = {}
    for page in PAGES:
        at = AppTest.from_file(str(app), default_timeout=300)
        url = {"lang": "zh", "snapshot": snapshot, **urls.get(page, {})}
        at.query_params.update(url)
        started = time.perf_counter()
        at.run()
        if page != "overview":  # as a link to the page would: its URL, then the page
            at.switch_page(f"pages/{page}.py")
            at.query_params.update(url)
            started = time.perf_counter()
            at.run()
        cold_ms = (time.perf_counter() - started) * 1000
        problems = []

        def rerun(at=at, problems=problems):
            at.run()
            if at.exception:
                problems.append(at.exception[0].value)

        figures = {**timed(rerun, warmup, repeats, budget_s), "open_ms": round(cold_ms, 1)}
        errors = [e.value for e in at.error]
        if problems or errors:
            figures["errors"] = sorted({str(p)[:200] for p in problems + errors})
        results[page] = figures
        flag = f"  ({len(figures.get('errors', []))} error(s)!)" if figures.get("errors") else ""
        print(
            f"  page  {page:26s} p50 {figures['p50_ms']:8.1f} ms  p95 {figures['p95_ms']:8.1f} ms"
            f"  (opened in {figures['open_ms']:.0f} ms){flag}"
        )
    return results


def measure_startup(data_dir: Path) -> dict:
    """Seconds from `streamlit run app.py` to /_stcore/health "ok", and to a first page run."""
    if not APP.is_file():
        print(f"  note: {APP} does not exist yet; startup not measured")
        return {}
    server = loadtest.start_server(data_dir, APP)
    try:
        first = loadtest.load(server.port, sessions=1, seconds=0.1, client="ws", pages=["overview"])
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
    places: int, metrics: int, snapshots: int, skip_load: bool, load_seconds: float, skip_browser: bool = False
) -> dict:
    result: dict[str, object] = {"machine": machine()}
    busy = os.getloadavg()[0]
    if busy > 0.5:
        print(f"note: the machine is busy (load average {busy:.1f}); the figures will be inflated")
    with tempfile.TemporaryDirectory(prefix="redengine-bench-") as folder:
        data_dir = Path(folder)
        print(f"generating {places} places x {metrics} metrics x {snapshots} snapshots into {data_dir}")
        result["generate_s"] = generate(data_dir, places, metrics, snapshots)
        result["rows"] = places * metrics * snapshots
        measured = measure_queries(data_dir)
        result["queries"] = measured["queries"]
        result["params"] = {  # long id lists shortened: the JSON is for reading
            name: {k: f"<{len(v)} ids>" if isinstance(v, list) and len(v) > 10 else v for k, v in bound.items()}
            for name, bound in measured["params"].items()
        }
        result["pages"] = measure_pages(data_dir, measured["params"])
        startup = measure_startup(data_dir)
        result["startup_s"] = startup.get("startup_s")
        result["startup"] = startup
        result["peak_rss_mb"] = peak_rss_mb()
    print("bundled data")
    bundled = measure_queries(BUNDLED)
    result["bundled"] = {"queries": bundled["queries"], "pages": measure_pages(BUNDLED, bundled["params"])}
    if not skip_load and APP.is_file():
        result["load"] = {}
        # The targets are judged on the protocol client: real browsers do not share the server's
        # two cores. Ten headless Chromium pages on the same machine are run too, for what a
        # browser sees, but their rendering competes with the server for CPU.
        runs = [(10, "ws"), (100, "ws")] + ([] if skip_browser else [(10, "browser")])
        for sessions, client in runs:
            key = str(sessions) if client == "ws" else f"{sessions}_{client}"
            print(f"load test: {sessions} sessions ({client}) for {load_seconds:.0f} s on the bundled data")
            result["load"][key] = loadtest.run_load(BUNDLED, sessions, load_seconds, client=client)
            figures = result["load"][key]
            print(
                f"  p50 {figures['p50_ms']} ms  p95 {figures['p95_ms']} ms  {figures['interactions']} interactions"
                f"  {figures['errors']} errors  server {figures['rss_mb']} MB"
            )
    result["peak_rss_mb"] = max(result["peak_rss_mb"], peak_rss_mb())
    result["machine"]["load_average_end"] = round(os.getloadavg()[0], 2)
    return result


def verdicts(result: dict) -> list[tuple[str, str, str, str, bool | None]]:
    """Rows of (section, name, figure, target, met) for the table."""
    rows = []

    def add(section, name, value, target, met):
        rows.append((section, name, value, target, met))

    for name, q in result.get("queries", {}).items():
        add(
            "query",
            name,
            f"p50 {q['p50_ms']:.1f} / p95 {q['p95_ms']:.1f} ms",
            f"p95 <= {TARGETS['query_p95_ms']} ms",
            q["p95_ms"] <= TARGETS["query_p95_ms"],
        )
    for name, p in result.get("pages", {}).items():
        add(
            "page",
            name,
            f"p50 {p['p50_ms']:.1f} / p95 {p['p95_ms']:.1f} ms",
            f"p95 <= {TARGETS['page_p95_ms']} ms",
            p["p95_ms"] <= TARGETS["page_p95_ms"] and not p.get("errors"),
        )
    if result.get("startup_s") is not None:
        add(
            "server",
            "startup",
            f"{result['startup_s']:.2f} s",
            f"<= {TARGETS['startup_s']} s",
            result["startup_s"] <= TARGETS["startup_s"],
        )
    add(
        "process",
        "peak memory",
        f"{result['peak_rss_mb']:.0f} MB",
        f"<= {TARGETS['peak_rss_mb']} MB",
        result["peak_rss_mb"] <= TARGETS["peak_rss_mb"],
    )
    bundled = result.get("bundled", {})
    for name, q in bundled.get("queries", {}).items():
        add("bundled query", name, f"p50 {q['p50_ms']:.1f} / p95 {q['p95_ms']:.1f} ms", "", None)
    for name, p in bundled.get("pages", {}).items():
        met = p["p95_ms"] <= TARGETS["bundled_page_p95_ms"] and not p.get("errors")
        figure = f"p50 {p['p50_ms']:.1f} / p95 {p['p95_ms']:.1f} ms"
        add("bundled page", name, figure, f"p95 <= {TARGETS['bundled_page_p95_ms']} ms", met)
    for sessions, figures in result.get("load", {}).items():
        p95 = figures["p95_ms"]
        figure = f"p50 {figures['p50_ms']} / p95 {p95} ms, {figures['errors']} errors, server {figures['rss_mb']} MB"
        if sessions == "10":
            met = figures["errors"] == 0 and p95 is not None and p95 <= TARGETS["load_10_p95_ms"]
            target = f"p95 <= {TARGETS['load_10_p95_ms']} ms, 0 errors"
        elif sessions == "100":
            met, target = figures["errors"] == 0 and figures["interactions"] > 0, "0 errors"
        elif sessions == "10_browser":
            met, target = None, "(browser on the same 2 cores; not judged)"
        else:
            met, target = None, ""
        add("load", f"{sessions} sessions ({figures['client']})", figure, target, met)
    return rows


def print_table(result: dict) -> None:
    rows = verdicts(result)
    print()
    m = result["machine"]
    print(
        f"{result['rows']:,} facts on {m['cores']} cores, {m['memory_gb']} GB; load average "
        f"{m['load_average_start']} at the start, {m.get('load_average_end')} at the end"
    )
    widths = [max(len(str(r[i])) for r in rows) for i in range(4)]
    for section, name, value, target, met in rows:
        mark = {True: "ok", False: "MISSED", None: ""}[met]
        print(f"{section:<{widths[0]}}  {name:<{widths[1]}}  {value:<{widths[2]}}  {target:<{widths[3]}}  {mark}")
    missed = sum(1 for r in rows if r[4] is False)
    print(f"\n{missed} target(s) missed" if missed else "\nevery target met")


def main(argv: list[str] | None = None) -> int:
    """The benchmark: writes benchmarks/last_run.json and prints the figures beside the targets."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--places", type=int, default=2800)
    parser.add_argument("--metrics", type=int, default=200)
    parser.add_argument("--snapshots", type=int, default=20)
    parser.add_argument("--skip-load", action="store_true", help="leave out the load test")
    parser.add_argument("--skip-browser", action="store_true", help="leave out the 10 Chromium sessions")
    parser.add_argument("--load-seconds", type=float, default=20.0)
    parser.add_argument("--output", type=Path, default=RESULT)
    args = parser.parse_args(argv)
    result = bench(args.places, args.metrics, args.snapshots, args.skip_load, args.load_seconds, args.skip_browser)
    args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    print_table(result)
    print(f"\nwritten to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

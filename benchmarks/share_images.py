"""Chart images under load: 200 different /share/…png images from one server, and its memory before, at the
peak and after (the server and its children: kaleido's Chromium lives in a child process).

    .venv/bin/python benchmarks/share_images.py                  # starts server.py on the bundled data
    (also run by `make bench`, after the load test: --skip-share-images leaves it out)
    .venv/bin/python benchmarks/share_images.py --url http://127.0.0.1:8501 --pid 12345   # a running server

Each request is a different view (concepts × languages on Compare, then places on the Profile and categories
on the Overview), so none comes from the image cache; the renderer's page collects its garbage every
images.COLLECT_EVERY images and the renderer is recycled every images.RECYCLE_AFTER. Budget: the server's peak
(PSS of it and its children) stays under the benchmark's peak memory (`make bench`, benchmarks/last_run.json)
+ BUDGET_MB; the growth over the second hundred images shows whether it is bounded. Prints JSON; --out
writes it to a file too.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
import urllib.request
from itertools import product
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from harness import server  # noqa: E402
from redengine.core.domain import HEADLINE_CATEGORIES  # noqa: E402
from redengine.data import shared  # noqa: E402
from redengine.web import images  # noqa: E402

BUDGET_MB = 300
SAMPLE_S = 0.2


def tree_pss_mb(pid: int) -> float:
    """Proportional memory (PSS) of a process and its descendants: shared pages counted once in total."""
    return _tree_sum(pid, "smaps_rollup", "Pss:")


def tree_rss_mb(pid: int) -> float:
    """Resident memory (RSS) of a process and its descendants, summed: pages Chromium's processes share are
    counted once per process, so this overstates the tree (PSS does not)."""
    return _tree_sum(pid, "status", "VmRSS:")


def _tree_sum(pid: int, file: str, field: str) -> float:
    """A /proc/<pid>/<file> field in kB, summed over the process and its descendants, in MB (Linux)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total_kb, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            lines = Path(f"/proc/{current}/{file}").read_text().splitlines()
        except OSError:
            continue
        total_kb += next((int(line.split()[1]) for line in lines if line.startswith(field)), 0)
        todo += children.get(current, [])
    return total_kb / 1024


def views(count: int) -> list[str]:
    """`count` different image paths with query strings."""
    data = shared.database()
    concepts = list(data.query("concept_coverage", snapshot_id=data.snapshots()[-1].id, category=None)["concept_id"])
    places = list(data.query("district_cards", snapshot_id=data.snapshots()[-1].id)["district_id"])
    paths = [f"/share/compare.png?lang={lang}&concept={c}" for c, lang in product(concepts, ("zh", "en"))]
    paths += [f"/share/profile.png?lang={lang}&district={p}" for p, lang in product(places, ("zh", "en"))]
    paths += [f"/share/overview.png?lang={lang}&category={c}" for c, lang in product(HEADLINE_CATEGORIES, ("zh", "en"))]
    if len(paths) < count:
        raise SystemExit(f"Only {len(paths)} different views in this data; ask for fewer with --images.")
    return paths[:count]


def memory_mb(pid: int) -> dict[str, float]:
    return {"pss": tree_pss_mb(pid), "rss": tree_rss_mb(pid)}


def run(url: str, pid: int, count: int, baseline_peak_mb: float) -> dict:
    paths = views(count)
    before = memory_mb(pid)
    peak = dict(before)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(SAMPLE_S):
            for kind, value in memory_mb(pid).items():
                peak[kind] = max(peak[kind], value)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    seconds, failures, halfway = [], [], {}
    started = time.perf_counter()
    for index, path in enumerate(paths):
        began = time.perf_counter()
        try:
            with urllib.request.urlopen(url + path, timeout=120) as response:
                body = response.read()
            if not body.startswith(b"\x89PNG"):
                failures.append(path)
        except OSError as error:
            failures.append(f"{path}: {error}")
        seconds.append(time.perf_counter() - began)
        if index == len(paths) // 2 - 1:
            halfway = memory_mb(pid)
    total = time.perf_counter() - started
    done.set()
    sampler.join()
    after = memory_mb(pid)
    ordered = sorted(seconds)
    budget = baseline_peak_mb + BUDGET_MB
    moments = {"before": before, "halfway": halfway, "peak": peak, "after": after}
    return {
        "images": len(paths),
        "failures": failures,
        "total_s": round(total, 1),
        "per_image_s": {
            "first": round(seconds[0], 2),
            "p50": round(statistics.median(ordered), 3),
            "p95": round(ordered[int(0.95 * (len(ordered) - 1))], 3),
        },
        "collect_every": images.COLLECT_EVERY,
        "recycle_after": images.RECYCLE_AFTER,
        # PSS counts the pages Chromium's processes share once; RSS summed over them counts them per process.
        **{f"server_tree_{kind}_mb": {name: round(m[kind]) for name, m in moments.items()} for kind in ("pss", "rss")},
        "second_half_growth_pss_mb": round(after["pss"] - halfway["pss"]),
        "baseline_peak_mb": baseline_peak_mb,
        "budget_pss_mb": round(budget),
        "within_budget": peak["pss"] <= budget and not failures,
    }


def measure(baseline_peak_mb: float, images: int = 200) -> dict:
    """`images` different chart images from server.py started on the bundled data, and its memory."""
    with server.serving("server.py", timeout_s=60) as running:
        return run(running.url, running.process.pid, images, baseline_peak_mb)


def benchmark_peak_mb() -> float:
    """The dashboard's peak memory in the last `make bench` (benchmarks/last_run.json)."""
    return float(json.loads((REPO / "benchmarks" / "last_run.json").read_text())["peak_rss_mb"])


def main(argv: list[str] | None = None) -> int:
    """Renders --images different chart images and reports the server's memory."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--url", help="a running server (started with server.py); else one is started")
    parser.add_argument("--pid", type=int, help="the running server's process id, for its memory")
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    parser.add_argument(
        "--baseline-peak-mb", type=float, help="the benchmark's peak memory (default: benchmarks/last_run.json)"
    )
    args = parser.parse_args(argv)
    baseline = args.baseline_peak_mb or benchmark_peak_mb()
    if args.url:
        if not args.pid:
            parser.error("--url needs --pid, to measure the server's memory")
        result = run(args.url.rstrip("/"), args.pid, args.images, baseline)
    else:
        result = measure(baseline, args.images)
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0 if result["within_budget"] else 1


if __name__ == "__main__":
    raise SystemExit(main())

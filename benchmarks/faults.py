"""Fault injection on a copy of the data: flipped bits, interrupted adds, a 1 M-row duplicate upload.

Used by tests/test_integrity.py and tests/test_store.py (small samples) and by `make bench-faults`
(the full run: 200 flips, 20 interrupted adds, the 1 M-row file), which writes
benchmarks/faults_last_run.json.

    python benchmarks/faults.py                   # full run
    python benchmarks/faults.py --flips 20 --kills 5
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from redengine.core.domain import HEADLINE_CATEGORIES  # noqa: E402
from redengine.data import store  # noqa: E402
from redengine.data.db import Database  # noqa: E402

BUNDLED = REPO / "data"
RESULT = REPO / "benchmarks" / "faults_last_run.json"
REDENGINE = Path(sys.executable).parent / "redengine"

# -- every read the pages make, on every place, metric and report ------------------------------------


def page_reads(database: Database) -> dict[str, pd.DataFrame]:
    """The results every page would show for the latest snapshot, keyed by query and parameters."""
    snapshot = database.snapshots()[-1].id
    ids = {kind: list(database.query("dimension_ids", kind=kind)["id"]) for kind in store.DIMENSION_FILES}
    calls: list[tuple[str, dict]] = [(f"dimension_ids {k}", {"kind": k}) for k in store.DIMENSION_FILES]
    calls += [
        ("coverage_matrix", {"snapshot_id": snapshot}),
        ("district_cards", {"snapshot_id": snapshot}),
        ("source_list", {"snapshot_id": snapshot}),
        ("metric_coverage", {"snapshot_id": snapshot, "category": None, "concept_id": None}),
        ("concept_coverage", {"snapshot_id": snapshot, "category": None}),
        ("headline_figures", {"snapshot_id": snapshot, "categories": list(HEADLINE_CATEGORIES), "top_n": 12}),
        ("snapshot_summary", {"snapshot_ids": [snapshot]}),
        ("snapshot_diff", {"old_snapshot_id": snapshot, "new_snapshot_id": snapshot, "row_limit": None}),
    ]
    calls += [("district_facts", {"snapshot_id": snapshot, "district_id": d}) for d in ids["districts"]]
    calls += [("source_facts", {"snapshot_id": snapshot, "source_id": s}) for s in ids["sources"]]
    calls += [
        (
            "concept_figures",
            {
                "snapshot_id": snapshot,
                "concept_id": c,
                "metric_id": None,
                "district_ids": ids["districts"],
                "like_for_like_only": False,
                "per_month": False,
                "per": None,
            },
        )
        for c in ids["concepts"]
    ]
    reads = {}
    for name, params in calls:
        query = name.split()[0]
        reads[f"{name} {sorted(params.items())}"] = database.query(query, **params)
    return reads


def flippable_files(data_dir: Path) -> list[str]:
    """The files the dashboard reads, relative to the data directory."""
    listed = [f"snapshots/{f}" for e in store.read_manifest(data_dir) for f in e.stored_files()]
    return [*listed, *store.DIMENSION_FILES.values()]


def flip_outcome(data_dir: Path, relative: str, bit: int, expected: dict[str, pd.DataFrame]) -> dict:
    """Flips one bit, reads every page's data in a fresh Database, then flips it back.

    unchanged: every result equals the undamaged one; refused: a clear error naming the file;
    unclear: a DataDirError that does not name it; wrong: different numbers served; crash: any other error.
    """
    path = data_dir / relative
    payload = bytearray(path.read_bytes())
    payload[bit // 8] ^= 1 << (bit % 8)
    path.write_bytes(bytes(payload))
    outcome = {"file": relative, "bit": bit}
    try:
        reads = page_reads(Database(data_dir))
        same = reads.keys() == expected.keys() and all(reads[k].equals(expected[k]) for k in expected)
        outcome["result"] = "unchanged" if same else "wrong"
    except store.DataDirError as error:
        outcome["result"] = "refused" if relative in str(error) and "Fix:" in str(error) else "unclear"
        outcome["message"] = str(error)[:300]
    except Exception as error:  # noqa: BLE001 - any other exception is what this counts
        outcome["result"] = "crash"
        outcome["message"] = f"{type(error).__name__}: {error}"[:300]
    finally:
        payload[bit // 8] ^= 1 << (bit % 8)
        path.write_bytes(bytes(payload))
    return outcome


def random_flips(data_dir: Path, count: int, seed: int) -> list[dict]:
    """count flips at random bits of random files the dashboard reads (weighted by size)."""
    expected = page_reads(Database(data_dir))
    files = flippable_files(data_dir)
    sizes = [(data_dir / f).stat().st_size for f in files]
    chooser = random.Random(seed)
    outcomes = []
    for _ in range(count):
        (relative,) = chooser.choices(files, weights=sizes)
        bit = chooser.randrange(sizes[files.index(relative)] * 8)
        outcomes.append(flip_outcome(data_dir, relative, bit, expected))
    return outcomes


# -- interrupted adds ---------------------------------------------------------------------------------


def write_snapshot_file(path: Path, data_dir: Path, copies: int = 150) -> Path:
    """A valid facts file for data_dir: the latest snapshot's rows, copied with periods moved back 0, 10, 20 … years
    (the reports' periods span less than 10 years, so no copy repeats another's period; the first copy keeps
    every figure of the latest snapshot, so the file is not refused for leaving them out)."""
    entry = store.read_manifest(data_dir)[-1]
    facts = pq.read_table(data_dir / "snapshots" / entry.file).drop_columns(["snapshot_id"]).to_pandas()
    moved = []
    for k in range(copies):
        copy = facts.copy()
        for column in ("period_start", "period_end"):
            copy[column] = pd.to_datetime(copy[column]) - pd.DateOffset(years=10 * k)
        moved.append(copy)
    pd.concat(moved).to_parquet(path, index=False)
    return path


def add_command(data_dir: Path, file: Path, snapshot_id: str) -> tuple[list[str], dict[str, str]]:
    return [str(REDENGINE), "snapshot", "add", str(file), "--id", snapshot_id], {
        **os.environ,
        store.DATA_DIR_ENV: str(data_dir),
    }


def interrupted_adds(data_dir: Path, file: Path, count: int, seed: int) -> dict:
    """Starts count adds and kills each (kill -9) at a random moment of its run."""
    command, env = add_command(data_dir, file, "timing")
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    duration = time.perf_counter() - started
    chooser = random.Random(seed)
    finished = 0
    for k in range(count):
        command, env = add_command(data_dir, file, f"killed-{k}")
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Most of an add is starting Python and validating; the files are written near its end.
        time.sleep(chooser.uniform(0.5, 1.1) * duration)
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        else:
            finished += 1
        process.wait()
    return {"kills": count, "finished_before_the_kill": finished, "add_seconds": round(duration, 2)}


# -- the 1 M-row duplicate file ------------------------------------------------------------------------


def duplicate_rows_file(path: Path, data_dir: Path, rows: int) -> Path:
    """rows copies of one valid fact: a small file (zstd) whose rows all repeat the first."""
    entry = store.read_manifest(data_dir)[0]
    one = pq.read_table(data_dir / "snapshots" / entry.file).drop_columns(["snapshot_id"]).slice(0, 1)
    pq.write_table(one.take(pa.array([0] * rows)), path, compression="zstd")
    return path


# Peak memory: a process's ru_maxrss includes its parent's resident memory at the moment it was started
# (Linux carries the high-water mark across exec), so the measured processes are started by these
# small scripts, never by a large test process, and the server reads its own mark (VmHWM) instead.
MEASURE_UPLOAD = """
import re, resource, sys, time
from pathlib import Path
from redengine.data import shared, snapshots
database = shared.database()
database.snapshots()
start = time.perf_counter()
result = snapshots.check_upload(database, Path(sys.argv[1]), "duplicates.parquet")
seconds = time.perf_counter() - start
server_kb = re.search(r"VmHWM:\\s+(\\d+)", Path("/proc/self/status").read_text()).group(1)
print(seconds, server_kb, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(result.shown_problems()[0])
"""


MEASURE_VALIDATE = """
import resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(time.perf_counter() - start, usage.ru_maxrss, usage.ru_utime + usage.ru_stime, done.returncode)
print((done.stderr or done.stdout).splitlines()[1 if done.returncode else 0])
"""


def measure_duplicates(file: Path, data_dir: Path) -> dict:
    """The upload box's check (server and its child) and `snapshot validate` on the file: time and peak memory."""
    env = {**os.environ, store.DATA_DIR_ENV: str(data_dir)}
    upload = subprocess.run(
        [sys.executable, "-c", MEASURE_UPLOAD, str(file)], env=env, capture_output=True, text=True, check=True
    )
    figures, message = upload.stdout.splitlines()[:2]
    seconds, server_kb, child_kb = figures.split()
    validate = subprocess.run(
        [sys.executable, "-c", MEASURE_VALIDATE, str(REDENGINE), "snapshot", "validate", str(file)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    figures, validate_message = validate.stdout.splitlines()[:2]
    validate_seconds, validate_kb, validate_cpu, exit_code = figures.split()
    return {
        "file_bytes": file.stat().st_size,
        "upload_box": {
            "seconds": round(float(seconds), 2),
            "server_peak_mb": round(int(server_kb) / 1024),
            "check_process_peak_mb": round(int(child_kb) / 1024),
            "message": message,
        },
        "validate": {
            "seconds": round(float(validate_seconds), 2),
            "cpu_seconds": round(float(validate_cpu), 2),
            "peak_mb": round(int(validate_kb) / 1024),
            "exit_code": int(exit_code),
            "message": validate_message,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flips", type=int, default=200)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        data_dir = Path(shutil.copytree(BUNDLED, work / "data"))
        started = time.perf_counter()
        flips = random_flips(data_dir, args.flips, args.seed)
        counts = {
            r: sum(o["result"] == r for o in flips) for r in ("unchanged", "refused", "unclear", "wrong", "crash")
        }
        flip_seconds = time.perf_counter() - started

        before = {p.name for p in (data_dir / "snapshots").iterdir()}
        adds = interrupted_adds(data_dir, write_snapshot_file(work / "add.parquet", data_dir), args.kills, args.seed)
        entries = store.read_manifest(data_dir)
        named = {f for e in entries for f in e.named_files()} | {"manifest.json"}
        present = {p.name for p in (data_dir / "snapshots").iterdir()}
        kept = {f for f in present if f in before or f in named}
        gc = subprocess.run(
            [str(REDENGINE), "snapshot", "gc", "--delete"],
            env={**os.environ, store.DATA_DIR_ENV: str(data_dir)},
            capture_output=True,
            text=True,
        )
        after = {p.name for p in (data_dir / "snapshots").iterdir()}
        adds |= {
            "left_behind": sorted(present - kept),
            "gc_removed_exactly_those": after == kept,
            "gc_exit_code": gc.returncode,
        }

        duplicates = measure_duplicates(duplicate_rows_file(work / "dups.parquet", data_dir, args.rows), data_dir)
    result = {
        "machine": {"cpus": os.cpu_count(), "load_average_start": os.getloadavg()},
        "bit_flips": {"count": args.flips, "seconds": round(flip_seconds, 1), "outcomes": counts},
        "bad_flips": [o for o in flips if o["result"] in ("unclear", "wrong", "crash")],
        "interrupted_adds": adds,
        "duplicate_rows": {"rows": args.rows, **duplicates},
    }
    RESULT.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()

"""`redengine snapshot …` and `redengine build-data` as analysts run them.

Every bad input exits 2 with a message naming the problem, prints no traceback and leaves
every file under the data directory byte-for-byte as it was.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import (
    BIN,
    BUNDLED,
    DISTRICTS,
    METRICS,
    NEW,
    NEW_FACTS,
    OLD,
    OLD_FACTS,
    SOURCES,
    fact,
    facts_table,
    tree_digest,
    write_facts,
)
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from redengine.core.domain import QUALIFIERS
from redengine.data import schema, store
from redengine.ops import cli

INVALID = 2


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def run_process(data_dir: Path, *argv: str, module: bool = False) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "redengine"] if module else [str(BIN / "redengine")]
    return subprocess.run(
        [*command, *argv],
        env={**os.environ, store.DATA_DIR_ENV: str(data_dir)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _replace(table: pa.Table, name: str, column) -> pa.Table:
    return table.set_column(table.schema.get_field_index(name), name, column)


def _edit(row: int, **changes):
    """A facts table from OLD_FACTS with one row (1-based) changed."""

    def make() -> pa.Table:
        rows = [dict(r) for r in OLD_FACTS]
        rows[row - 1].update(changes)
        return facts_table(rows)

    return make


def _nan_value() -> pa.Table:
    values = [r["value"] for r in OLD_FACTS]
    values[2] = float("nan")
    return _replace(facts_table(OLD_FACTS), "value", pa.array(values, pa.float64(), from_pandas=False))


def _as_text(column: str):
    return lambda: _replace(facts_table(OLD_FACTS), column, facts_table(OLD_FACTS)[column].cast(pa.string()))


# name → (table maker or raw bytes maker, phrases the message must contain)
BAD_TABLES = {
    "zero rows": (lambda: facts_table([]), ["the table has no rows"]),
    "missing column": (lambda: facts_table(OLD_FACTS).drop_columns(["quote"]), ["column 'quote': is missing"]),
    "value as string": (_as_text("value"), ["column 'value': has type string", "double"]),
    "period as string": (_as_text("period_start"), ["column 'period_start': has type string", "a date"]),
    "unknown district": (_edit(2, district_id="atlantis"), ["column 'district_id'", "row 2 ('atlantis')"]),
    "unknown metric": (_edit(4, metric_id="gdp_per_capita"), ["column 'metric_id'", "row 4 ('gdp_per_capita')"]),
    "unknown source": (_edit(9, source_id="src_z"), ["column 'source_id'", "row 9 ('src_z')"]),
    "NaN value": (_nan_value, ["column 'value'", "not finite", "row 3 ('NaN')"]),
    "infinite value": (_edit(5, value=float("inf")), ["column 'value'", "not finite", "row 5 (inf)"]),
    "empty value": (_edit(6, value=None), ["column 'value'", "are empty", "row 6 (None)"]),
    "bad qualifier": (_edit(7, qualifier="roughly"), ["column 'qualifier'", "row 7 ('roughly')", "at_least"]),
    "reversed period": (
        _edit(1, period_start=date(2020, 1, 1), period_end=date(2019, 1, 1)),
        ["column 'period_start'", "row 1 ('2020-01-01')", "period_start ≤ period_end"],
    ),
    "duplicate rows": (
        lambda: facts_table([*OLD_FACTS, OLD_FACTS[3]]),
        ["repeat a (district, metric, period)", "row 10 ('alpha / branches / 2018-01-01 / 2018-12-31')"],
    ),
    "empty quote": (_edit(8, quote=" "), ["column 'quote'", "are empty", "row 8"]),
    "empty district": (_edit(1, district_id=None), ["column 'district_id'", "are empty", "row 1 (None)"]),
}
BAD_BYTES = {
    "not parquet": (lambda good: b"district_id,metric_id\nalpha,members\n", ["not a readable Parquet file"]),
    "truncated": (lambda good: good[: len(good) // 2], ["not a readable Parquet file"]),
    "empty file": (lambda good: b"", ["the file is empty (0 bytes)"]),
    "corrupted page": (
        lambda good: good[:200] + bytes(b ^ 0xFF for b in good[200:260]) + good[260:],
        ["not a readable Parquet file"],
    ),
}


def _bad_file(tmp_path: Path, case: str) -> tuple[Path, list[str]]:
    path = tmp_path / "bad.parquet"
    if case in BAD_TABLES:
        make, phrases = BAD_TABLES[case]
        pq.write_table(make(), path)
    else:
        make, phrases = BAD_BYTES[case]
        good = write_facts(tmp_path / "good.parquet", OLD_FACTS).read_bytes()
        path.write_bytes(make(good))
    return path, phrases


@pytest.mark.parametrize("command", ["validate", "add"])
@pytest.mark.parametrize("case", [*BAD_TABLES, *BAD_BYTES])
def test_bad_snapshots_are_refused_and_nothing_changes(fixture_dir, use_data_dir, tmp_path, capsys, command, case):
    use_data_dir(fixture_dir)
    path, phrases = _bad_file(tmp_path, case)
    before = tree_digest(fixture_dir)
    argv = ["snapshot", command, str(path)] + (["--id", "2026-06-01-bad"] if command == "add" else [])
    code, out, err = run(capsys, *argv)
    assert code == INVALID
    assert out == ""
    for phrase in phrases:
        assert phrase in err
    assert str(path) in err
    assert "nothing was written" in err or "Parquet" in err or "empty" in err
    assert tree_digest(fixture_dir) == before


@pytest.mark.parametrize("kind", ["districts", "metrics", "sources"])
def test_bad_supplied_dimension_files_are_refused(fixture_dir, use_data_dir, tmp_path, capsys, kind):
    use_data_dir(fixture_dir)
    rows = {"districts": DISTRICTS, "metrics": METRICS, "sources": SOURCES}[kind]
    broken = dict(rows[0], **{schema.ID_COLUMN[kind]: "Not Safe"})
    pq.write_table(pa.Table.from_pylist([broken], schema=schema.DIMENSIONS[kind]), tmp_path / "dim.parquet")
    facts = write_facts(tmp_path / "f.parquet", OLD_FACTS)
    before = tree_digest(fixture_dir)
    for command in ("validate", "add"):
        code, out, err = run(capsys, "snapshot", command, str(facts), f"--{kind}", str(tmp_path / "dim.parquet"))
        assert code == INVALID
        assert f"--{kind} {tmp_path / 'dim.parquet'}: column '{schema.ID_COLUMN[kind]}'" in err
        assert "row 1 ('Not Safe')" in err
    assert tree_digest(fixture_dir) == before


def test_a_supplied_file_that_is_not_parquet_is_refused(fixture_dir, use_data_dir, tmp_path, capsys):
    use_data_dir(fixture_dir)
    (tmp_path / "d.txt").write_text("district_id\nnew\n", encoding="utf-8")
    facts = write_facts(tmp_path / "f.parquet", OLD_FACTS)
    code, _, err = run(capsys, "snapshot", "add", str(facts), "--districts", str(tmp_path / "d.txt"))
    assert code == INVALID
    assert f"--districts: {tmp_path / 'd.txt'}: not a readable Parquet file" in err


def test_a_csv_file_is_read_as_its_table_and_checked_the_same_way(fixture_dir, use_data_dir, tmp_path, capsys):
    use_data_dir(fixture_dir)
    (tmp_path / "d.csv").write_text("district_id\nnew\n", encoding="utf-8")
    facts = tmp_path / "f.csv"
    pd.DataFrame(OLD_FACTS).to_csv(facts, index=False)
    code, out, err = run(capsys, "snapshot", "validate", str(facts))
    assert (code, err) == (0, "")
    assert out.strip() == f"{facts}: valid, 9 figures"  # named as given, not as the converted copy
    code, _, err = run(capsys, "snapshot", "add", str(facts), "--districts", str(tmp_path / "d.csv"))
    assert code == INVALID
    assert f"--districts {tmp_path / 'd.csv'}: column 'name_zh'" in err


def test_a_missing_file_is_refused(fixture_dir, use_data_dir, tmp_path, capsys):
    use_data_dir(fixture_dir)
    code, _, err = run(capsys, "snapshot", "validate", str(tmp_path / "none.parquet"))
    assert code == INVALID
    assert "none.parquet: no such file" in err


@pytest.mark.parametrize("snapshot_id", [OLD, NEW])
def test_an_existing_id_is_refused_without_replace(fixture_dir, use_data_dir, tmp_path, capsys, snapshot_id):
    use_data_dir(fixture_dir)
    facts = write_facts(tmp_path / "f.parquet", NEW_FACTS)
    before = tree_digest(fixture_dir)
    code, _, err = run(capsys, "snapshot", "add", str(facts), "--id", snapshot_id)
    assert code == INVALID
    assert f"snapshot '{snapshot_id}' exists already" in err
    assert "--replace" in err
    assert tree_digest(fixture_dir) == before


@pytest.mark.parametrize("snapshot_id", ["../evil", "a/b", "/tmp/x", ".hidden", "with space", "x" * 81])
def test_unsafe_ids_are_refused(fixture_dir, use_data_dir, tmp_path, capsys, snapshot_id):
    use_data_dir(fixture_dir)
    facts = write_facts(tmp_path / "f.parquet", NEW_FACTS)
    before = tree_digest(fixture_dir)
    code, _, err = run(capsys, "snapshot", "add", str(facts), "--id", snapshot_id)
    assert code == INVALID
    assert f"snapshot id {snapshot_id!r} is not a safe name" in err
    assert tree_digest(fixture_dir) == before
    assert not (tmp_path / "evil").exists()


def test_an_unsafe_file_name_needs_an_id(fixture_dir, use_data_dir, tmp_path, capsys):
    use_data_dir(fixture_dir)
    facts = write_facts(tmp_path / "my figures.parquet", NEW_FACTS)
    code, _, err = run(capsys, "snapshot", "add", str(facts))
    assert code == INVALID
    assert "'my figures' is not a safe name" in err
    code, out, _ = run(capsys, "snapshot", "add", str(facts), "--id", "my-figures")
    assert code == 0 and "added snapshot my-figures" in out


# --- valid snapshots -------------------------------------------------------------------


def test_validate_a_valid_file(fixture_dir, use_data_dir, tmp_path, capsys):
    use_data_dir(fixture_dir)
    facts = write_facts(tmp_path / "f.parquet", NEW_FACTS)
    before = tree_digest(fixture_dir)
    code, out, err = run(capsys, "snapshot", "validate", str(facts))
    assert (code, err) == (0, "")
    assert out.strip() == f"{facts}: valid, 9 figures"
    assert tree_digest(fixture_dir) == before


def test_add_then_list(fixture_dir, use_data_dir, tmp_path, capsys):
    use_data_dir(fixture_dir)
    rows = [*NEW_FACTS[:3], fact("gamma", "branches", 4, "4个")]
    file = str(write_facts(tmp_path / "f.parquet", rows))
    code, _, err = run(capsys, "snapshot", "add", file, "--id", "q3")
    assert code == INVALID  # it would leave out 6 of the latest snapshot's 9 figures
    assert "would leave out 6 of the 9 figures of the latest snapshot 2026-02-01-new" in err
    assert "Fix: pass --amend to add its figures to the latest snapshot" in err
    code, out, _ = run(capsys, "snapshot", "add", file, "--id", "q3", "--replace-all")
    assert code == 0
    manifest = json.loads(store.manifest_path(fixture_dir).read_text(encoding="utf-8"))
    entry = manifest["snapshots"][-1]
    assert out.strip() == f"added snapshot q3: 4 figures, sha256 {entry['sha256']}"
    assert store.sha256_file(fixture_dir / "snapshots" / entry["file"]) == entry["sha256"]

    code, out, _ = run(capsys, "snapshot", "list")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[0].split() == ["id", "added", "figures", "places", "metrics", "sha256"]
    assert [line.split()[0] for line in lines[1:]] == [OLD, NEW, "q3"]
    # id, added, figures, places, metrics, checksum
    assert lines[3].split()[2:] == ["4", "3", "2", entry["sha256"][:16]]
    assert lines[1].split()[1:5] == ["2026-01-01T00:00:00+00:00", "9", "3", "5"]


def test_diff_shows_added_removed_and_revised_with_values_and_quotes(fixture_dir, use_data_dir, capsys):
    use_data_dir(fixture_dir)
    code, out, _ = run(capsys, "snapshot", "diff", OLD, NEW)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"{OLD} → {NEW}: 1 added, 1 removed, 2 revised"
    assert "  added    gamma · volunteers · 2020: not reported → 300 people" in lines
    assert "  removed  alpha · volunteers · 2020: 500 people → not reported" in lines
    assert "  revised  beta · members · 2020: 2,000 people → 2,100 people" in lines
    assert "  revised  beta · investment · 2020: CNY 1.5 bn → ≈ CNY 1.5 bn" in lines  # qualifier shown
    assert "           old quote: 乙市党员2000名" in lines
    assert "           new quote: 后核实为2100名" in lines


def test_diff_of_unknown_snapshots(fixture_dir, use_data_dir, capsys):
    use_data_dir(fixture_dir)
    code, out, err = run(capsys, "snapshot", "diff", OLD, "nope")
    assert code == INVALID
    assert err.strip() == f"unknown snapshot(s): nope; known: {OLD}, {NEW}"


def test_replace_keeps_the_old_file(fixture_dir, use_data_dir, tmp_path, capsys):
    use_data_dir(fixture_dir)
    old_file = fixture_dir / "snapshots" / f"{NEW}.parquet"
    old_sha = store.sha256_file(old_file)
    rows = [dict(r) for r in NEW_FACTS]
    rows[2] = fact("beta", "members", 2200, "2200名")
    code, out, _ = run(
        capsys, "snapshot", "add", str(write_facts(tmp_path / "f.parquet", rows)), "--id", NEW, "--replace"
    )
    assert code == 0
    assert store.sha256_file(old_file) == old_sha
    entry = json.loads(store.manifest_path(fixture_dir).read_text(encoding="utf-8"))["snapshots"][-1]
    assert (entry["id"], entry["replaces"]) == (NEW, f"{NEW}.parquet")
    assert entry["file"] != f"{NEW}.parquet"
    code, out, _ = run(capsys, "snapshot", "diff", OLD, NEW)
    assert "  revised  beta · members · 2020: 2,000 people → 2,200 people" in out.splitlines()


def test_new_places_become_queryable_in_the_same_step(fixture_dir, use_data_dir, tmp_path, capsys):
    use_data_dir(fixture_dir)
    delta = dict(DISTRICTS[0], district_id="delta", name_en="Delta District", name_zh="丁区")
    pq.write_table(pa.Table.from_pylist([delta], schema=schema.DIMENSIONS["districts"]), tmp_path / "d.parquet")
    rows = [*NEW_FACTS, fact("delta", "members", 321, "321名", source="src_a")]
    facts = write_facts(tmp_path / "f.parquet", rows)
    code, _, err = run(capsys, "snapshot", "validate", str(facts))
    assert code == INVALID and "row 10 ('delta')" in err and "--districts FILE" in err
    code, out, _ = run(capsys, "snapshot", "validate", str(facts), "--districts", str(tmp_path / "d.parquet"))
    assert code == 0 and "valid, 10 figures" in out
    code, out, _ = run(
        capsys, "snapshot", "add", str(facts), "--id", "with-delta", "--districts", str(tmp_path / "d.parquet")
    )
    assert code == 0
    code, out, _ = run(capsys, "snapshot", "diff", NEW, "with-delta")
    assert "  added    delta · members · 2020: not reported → 321 people" in out.splitlines()
    code, out, _ = run(capsys, "snapshot", "list")
    assert out.strip().splitlines()[-1].split()[2:5] == ["10", "4", "5"]


# --- as a process ----------------------------------------------------------------------


def test_the_console_script_refuses_bad_input_without_a_traceback(fixture_dir, tmp_path):
    path, _ = _bad_file(tmp_path, "empty district")
    before = tree_digest(fixture_dir)
    done = run_process(fixture_dir, "snapshot", "validate", str(path))
    assert done.returncode == INVALID
    assert "column 'district_id': 1 row(s) are empty — row 1 (None)" in done.stderr
    assert "Traceback" not in done.stderr
    done = run_process(fixture_dir, "snapshot", "add", str(path), module=True)
    assert done.returncode == INVALID
    assert "Traceback" not in done.stderr
    assert tree_digest(fixture_dir) == before


def test_an_analyst_edits_the_bundled_snapshot_and_adds_it(real_data_copy, tmp_path):
    """The whole bundled file, one figure edited: a value its report does not print is refused; a quote
    widened to the whole sentence is added as a revision."""
    table = pq.read_table(real_data_copy / "snapshots" / f"{BUNDLED}.parquet")  # has snapshot_id
    frame = table.to_pandas()
    row = (frame["district_id"] == "jiangan") & (frame["metric_id"] == "registered_volunteers")
    frame.loc[row, "value"] = 105_000.0
    frame.loc[row, "value_as_written"] = "105000人"
    frame.to_parquet(tmp_path / "edited.parquet")
    before = tree_digest(real_data_copy)
    done = run_process(real_data_copy, "snapshot", "add", str(tmp_path / "edited.parquet"), "--id", "2026-12-01-edit")
    assert done.returncode == INVALID
    assert "column 'value_as_written' ('105000人'): value_as_written is not in the quote" in done.stderr
    assert tree_digest(real_data_copy) == before

    frame = table.to_pandas()
    frame.loc[row, "quote"] = "目前全区共有注册社区志愿者队伍854个、注册志愿者104953人"
    frame.to_parquet(tmp_path / "edited.parquet")
    done = run_process(real_data_copy, "snapshot", "validate", str(tmp_path / "edited.parquet"))
    assert (done.returncode, done.stdout.strip()) == (0, f"{tmp_path / 'edited.parquet'}: valid, 328 figures")
    done = run_process(
        real_data_copy, "snapshot", "add", str(tmp_path / "edited.parquet"), "--id", "2026-12-01-edit", module=True
    )
    assert done.returncode == 0, done.stderr
    done = run_process(real_data_copy, "snapshot", "diff", BUNDLED, "2026-12-01-edit")
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert lines[0] == f"{BUNDLED} → 2026-12-01-edit: 0 added, 0 removed, 1 revised"
    assert lines[1] == "  revised  jiangan · registered_volunteers · as of 2018 Q1: 104,953 people → 104,953 people"
    done = run_process(real_data_copy, "snapshot", "list")
    assert [line.split()[0] for line in done.stdout.splitlines()[1:]] == [BUNDLED, "2026-12-01-edit"]
    assert done.stdout.splitlines()[1].split()[2:5] == ["328", "6", "315"]


def test_two_processes_adding_at_once_both_land(fixture_dir, tmp_path):
    ids = ["2026-07-01-north", "2026-07-01-south"]
    files = [write_facts(tmp_path / f"{i}.parquet", NEW_FACTS) for i in ids]
    env = {**os.environ, store.DATA_DIR_ENV: str(fixture_dir)}
    processes = [
        subprocess.Popen(
            [str(BIN / "redengine"), "snapshot", "add", str(f), "--id", i],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for f, i in zip(files, ids, strict=True)
    ]
    results = [p.communicate(timeout=60) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], results
    manifest = json.loads(store.manifest_path(fixture_dir).read_text(encoding="utf-8"))
    listed = manifest["snapshots"]
    assert sorted(e["id"] for e in listed) == sorted([OLD, NEW, *ids])
    for entry in listed:
        assert store.sha256_file(fixture_dir / "snapshots" / entry["file"]) == entry["sha256"]
    leftovers = [p.name for p in (fixture_dir / "snapshots").iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_build_data_rebuilds_identically(real_data_copy, use_data_dir, capsys):
    use_data_dir(real_data_copy)
    before = tree_digest(real_data_copy)
    code, out, _ = run(capsys, "build-data")
    assert code == 0
    assert out.strip() == f"6 districts, 315 metrics, 328 facts written to {real_data_copy}"
    assert tree_digest(real_data_copy) == before


def test_build_data_refuses_a_broken_curation_and_writes_nothing(real_data_copy, tmp_path):
    path = real_data_copy / "curation" / "facts" / "zhenjiang_2021.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines, start=1) if ",functional_party_branches," in line)
    lines[number - 1] = lines[number - 1].replace(",80,80个,", ",81,80个,")
    path.write_text("".join(lines), encoding="utf-8")
    before = tree_digest(real_data_copy)
    done = run_process(real_data_copy, "build-data")
    assert done.returncode == INVALID
    assert (
        f"curation/facts/zhenjiang_2021.csv:{number}, column 'value' ('81'): value is not 80个 in base units"
    ) in done.stderr
    assert "Traceback" not in done.stderr
    assert tree_digest(real_data_copy) == before


def test_build_data_never_drops_snapshots_behind_an_unreadable_manifest(real_data_copy, tmp_path):
    manifest = store.manifest_path(real_data_copy)
    manifest.write_text(manifest.read_text(encoding="utf-8")[:-20], encoding="utf-8")  # cut short
    before = tree_digest(real_data_copy)
    done = run_process(real_data_copy, "build-data")
    assert done.returncode == INVALID
    assert "snapshots/manifest.json cannot be read" in done.stderr
    assert "restore it from git or a backup" in done.stderr
    assert tree_digest(real_data_copy) == before


def test_a_missing_data_dir_is_explained(tmp_path, use_data_dir, capsys):
    use_data_dir(tmp_path / "nowhere")
    code, _, err = run(capsys, "snapshot", "list")
    assert code == INVALID
    assert "The data directory 'nowhere' does not exist" in err
    assert f"(data directory: {tmp_path / 'nowhere'})" in err  # the CLI says which one it looked at
    assert not (tmp_path / "nowhere").exists()


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as raised:
        cli.run(["snapshot"])
    assert raised.value.code == INVALID
    assert "usage: redengine snapshot" in capsys.readouterr().err


# --- property-based: snapshots broken in random ways -----------------------------------

REQUIRED = [name for name in schema.FACTS.names if name not in schema.OPTIONAL_FACT_COLUMNS]
KEY = ", ".join(schema.FACT_KEY)


@st.composite
def corruption(draw):
    """(table maker, column the message must name) for one random way of breaking a snapshot."""
    kind = draw(
        st.sampled_from(
            ["unknown id", "bad value", "bad qualifier", "reversed", "blank", "duplicate", "drop", "retype"]
        )
    )
    row = draw(st.integers(0, len(OLD_FACTS) - 1))
    if kind == "unknown id":
        column = draw(st.sampled_from(["district_id", "metric_id", "source_id"]))
        known = (
            {d["district_id"] for d in DISTRICTS}
            | {m["metric_id"] for m in METRICS}
            | {s["source_id"] for s in SOURCES}
        )
        value = draw(st.text(min_size=1, max_size=12).filter(lambda t: t.strip() and t not in known))
        return ("rows", row, {column: value}), column
    if kind == "bad value":
        value = draw(st.sampled_from([float("nan"), float("inf"), float("-inf")]))
        return ("rows", row, {"value": value}), "value"
    if kind == "bad qualifier":
        value = draw(st.text(max_size=10).filter(lambda t: t not in QUALIFIERS))
        return ("rows", row, {"qualifier": value}), "qualifier"
    if kind == "reversed":
        start = OLD_FACTS[row]["period_end"] + timedelta(days=draw(st.integers(1, 4000)))
        return ("rows", row, {"period_start": start}), "period_start"
    if kind == "blank":
        column = draw(st.sampled_from(REQUIRED))
        text = pa.types.is_string(schema.FACTS.field(column).type)
        return ("rows", row, {column: draw(st.sampled_from(["", " ", "\t", None]) if text else st.none())}), column
    if kind == "duplicate":
        copies = draw(st.lists(st.integers(0, len(OLD_FACTS) - 1), min_size=1, max_size=4))
        return ("duplicate", copies), KEY
    if kind == "drop":
        columns = draw(st.lists(st.sampled_from(REQUIRED), min_size=1, max_size=3, unique=True))
        return ("drop", columns), columns[0]
    column = draw(st.sampled_from(["value", "period_start", "period_end", "district_id", "quote"]))
    return ("retype", column), column


def _apply(corruptions) -> pa.Table:
    rows = [dict(r) for r in OLD_FACTS]
    structural = []
    for change in corruptions:
        if change[0] == "rows":
            rows[change[1]].update(change[2])
        elif change[0] == "duplicate":
            rows += [dict(rows[i]) for i in change[1]]
        else:
            structural.append(change)
    table = pa.Table.from_pylist(rows, schema=schema.FACTS)
    for change in structural:
        if change[0] == "drop":
            table = table.drop_columns([c for c in change[1] if c in table.column_names])
        elif change[1] in table.column_names:
            wrong = pa.int64() if pa.types.is_string(table[change[1]].type) else pa.string()
            table = _replace(table, change[1], pa.nulls(len(table), wrong))
    return table


@pytest.fixture(scope="module")
def frozen_dir(fixture_template, tmp_path_factory) -> Path:
    """A fixture copy the property tests share: they must never change it."""
    return Path(shutil.copytree(fixture_template, tmp_path_factory.mktemp("frozen") / "data"))


@settings(max_examples=25, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(broken=st.lists(corruption(), min_size=1, max_size=3), command=st.sampled_from(["validate", "add"]))
def test_randomly_broken_snapshots_are_refused(frozen_dir, tmp_path, monkeypatch, capsys, broken, command):
    monkeypatch.setenv(store.DATA_DIR_ENV, str(frozen_dir))
    before = tree_digest(frozen_dir)
    path = tmp_path / "broken.parquet"
    pq.write_table(_apply([change for change, _ in broken]), path)
    code, out, err = (
        run(capsys, "snapshot", command, str(path), "--id", "prop")
        if command == "add"
        else run(capsys, "snapshot", command, str(path))
    )
    assert code == INVALID, err
    assert out == ""
    named = {column for _, column in broken}
    assert any(f"column '{column}'" in err for column in named), (named, err)
    assert tree_digest(frozen_dir) == before


@settings(max_examples=15, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(picked=st.lists(st.integers(0, len(NEW_FACTS) - 1), min_size=1, max_size=len(NEW_FACTS), unique=True))
def test_any_choice_of_well_sourced_figures_is_valid(frozen_dir, tmp_path, monkeypatch, capsys, picked):
    monkeypatch.setenv(store.DATA_DIR_ENV, str(frozen_dir))
    rows = [NEW_FACTS[i] for i in picked]
    path = write_facts(tmp_path / "ok.parquet", rows)
    code, out, err = run(capsys, "snapshot", "validate", str(path))
    assert (code, err) == (0, "")
    assert out.strip() == f"{path}: valid, {len(rows)} figures"


@settings(max_examples=15, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    index=st.integers(0, len(NEW_FACTS) - 1),
    value=st.floats(allow_nan=False, allow_infinity=False, width=64),
)
def test_any_value_but_the_written_one_is_refused(frozen_dir, tmp_path, monkeypatch, capsys, index, value):
    monkeypatch.setenv(store.DATA_DIR_ENV, str(frozen_dir))
    written = NEW_FACTS[index]["value"]
    assume(not math.isclose(value, written, rel_tol=1e-9))
    path = write_facts(tmp_path / "bad.parquet", [dict(NEW_FACTS[index], value=value)])
    code, out, err = run(capsys, "snapshot", "validate", str(path))
    assert (code, out) == (INVALID, "")
    assert f"row 1, column 'value' ({str(value)!r}): value is not {NEW_FACTS[index]['value_as_written']}" in err
    assert "[rule: value-is-written]. Fix: set value to" in err


README_REVISION = {  # the README's "Adding a snapshot" example, as it is written there
    "district_id": ["jiangan"],
    "metric_id": ["registered_volunteers"],
    "value": [104953.0],
    "qualifier": ["exact"],
    "period_start": ["2018-03-31"],
    "period_end": ["2018-03-31"],
    "period_label": ["as of 2018 Q1"],
    "period_basis": ["inferred"],
    "value_as_written": ["104953人"],
    "source_id": ["jiangan_2018q1"],
    "quote": ["目前全区共有注册社区志愿者队伍854个、注册志愿者104953人"],
    "note": ["Quoted with the sentence that also counts the volunteer teams."],
}


def test_the_readme_example_amends_the_latest_snapshot(real_data_copy, tmp_path):
    """Followed literally: without --amend the one-row file is refused (it would leave out 326 figures), with
    it the new snapshot is the latest with that one figure revised."""
    import pandas as pd

    frame = pd.DataFrame(README_REVISION)
    for column in ("period_start", "period_end"):
        frame[column] = pd.to_datetime(frame[column])
    frame.to_parquet(tmp_path / "wuhan-update.parquet")
    done = run_process(real_data_copy, "snapshot", "validate", str(tmp_path / "wuhan-update.parquet"))
    assert done.returncode == 0, done.stderr
    before = tree_digest(real_data_copy)
    done = run_process(real_data_copy, "snapshot", "add", str(tmp_path / "wuhan-update.parquet"), "--id", "q3")
    assert done.returncode == INVALID
    assert "would leave out 326 of the 327 figures of the latest snapshot" in done.stderr
    assert "Fix: pass --amend" in done.stderr
    assert tree_digest(real_data_copy) == before
    done = run_process(
        real_data_copy, "snapshot", "add", str(tmp_path / "wuhan-update.parquet"), "--id", "q3", "--amend"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("added snapshot q3: 327 figures")
    done = run_process(real_data_copy, "snapshot", "diff", BUNDLED, "q3")
    lines = done.stdout.splitlines()
    assert lines[0] == f"{BUNDLED} → q3: 0 added, 0 removed, 1 revised"
    assert lines[-1] == "           new quote: 目前全区共有注册社区志愿者队伍854个、注册志愿者104953人"


def _damage(path: Path) -> None:
    """Flips the bits of one byte in the middle of a file, as a bad disk or copy would."""
    payload = bytearray(path.read_bytes())
    payload[len(payload) // 2] ^= 0xFF
    path.write_bytes(bytes(payload))


@pytest.mark.parametrize("file", ["2026-11-23-curated.parquet", "2026-11-23-curated.by-place.parquet"])
def test_list_verify_names_a_damaged_snapshot_file(real_data_copy, use_data_dir, capsys, file):
    use_data_dir(real_data_copy)
    code, out, err = run(capsys, "snapshot", "list", "--verify")
    assert code == 0 and "2026-11-23-curated" in out
    _damage(real_data_copy / "snapshots" / file)
    code, out, err = run(capsys, "snapshot", "list", "--verify")
    assert code == INVALID
    assert f"snapshots/{file} does not match the manifest's sha256" in err


def test_a_damaged_file_gives_a_clear_error_not_a_traceback(real_data_copy):
    _damage(real_data_copy / "snapshots" / "2026-11-23-curated.parquet")
    result = run_process(real_data_copy, "snapshot", "diff", "2026-11-23-curated", "2026-11-23-curated")
    assert result.returncode == INVALID
    assert "snapshots/2026-11-23-curated.parquet does not match the manifest's sha256" in result.stderr
    assert "snapshot list --verify" in result.stderr  # how to find the others
    assert "Traceback" not in result.stderr


def test_list_verify_names_a_listed_source_without_its_text(real_data_copy, use_data_dir, capsys):
    use_data_dir(real_data_copy)
    (real_data_copy / "sources" / "haizhu_2021.txt").unlink()
    code, _, err = run(capsys, "snapshot", "list", "--verify")
    assert code == INVALID
    assert "1 listed source(s) without their text: haizhu_2021 (sources/haizhu_2021.txt). Fix: " in err

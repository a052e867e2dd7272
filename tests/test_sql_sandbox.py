"""The SQL sandbox on the bundled data: what researchers may do, and everything hostile refused or stopped.

Each case runs a real query in a real sandbox process with a 2 s wall clock (small on purpose:
the machine is shared), and checks the message a researcher would read.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from redengine.data import sql_sandbox, store

REPO = Path(__file__).resolve().parent.parent
DATA_DIR = REPO / "data"
BUNDLED = "2026-11-23-curated"
LIMITS = sql_sandbox.Limits(wall_seconds=2, row_cap=1000, memory_limit="128MB")
FIX = "Fix: "


def run(sql: str, limits: sql_sandbox.Limits = LIMITS) -> sql_sandbox.Result:
    return sql_sandbox.run(DATA_DIR, BUNDLED, sql, limits)


def refusal(sql: str, limits: sql_sandbox.Limits = LIMITS) -> str:
    with pytest.raises(sql_sandbox.SqlRefused) as caught:
        run(sql, limits)
    message = str(caught.value)
    assert FIX in message, message
    return message


def bundled_rows() -> int:
    entry = next(e for e in store.read_manifest(DATA_DIR) if e.id == BUNDLED)
    return pq.read_metadata(DATA_DIR / "snapshots" / entry.file).num_rows


def test_a_select_over_the_snapshot_answers_with_the_snapshot_rows():
    result = run("select count(*) as n, count(distinct district_id) as places from facts")
    assert result.table.to_pylist() == [{"n": bundled_rows(), "places": 6}]
    assert not result.truncated


def test_joins_over_the_dimension_tables_use_the_csv_column_names():
    sql = (
        "select d.name_en, sum(f.value) as total from facts f join districts d using (district_id) "
        "where f.metric_id = 'registered_volunteers' group by all order by all"
    )
    entry = next(e for e in store.read_manifest(DATA_DIR) if e.id == BUNDLED)
    facts = pq.read_table(DATA_DIR / "snapshots" / entry.file).to_pandas()
    names = pq.read_table(DATA_DIR / "districts.parquet").to_pandas().set_index("district_id")["name_en"]
    chosen = facts[facts["metric_id"] == "registered_volunteers"]
    expected = chosen.groupby(chosen["district_id"].map(names))["value"].sum().sort_index()
    assert len(expected) >= 2
    assert [(r["name_en"], r["total"]) for r in run(sql).table.to_pylist()] == list(expected.items())


def test_more_rows_than_the_cap_are_cut_and_said_so():
    result = run("select * from range(5000)")
    assert result.table.num_rows == LIMITS.row_cap
    assert result.truncated


HOSTILE = {
    # statements other than one SELECT: refused by DuckDB's own parser, before anything runs
    "copy_out": ("copy facts to '/tmp/redengine-leak.csv'", "COPY statements are refused"),
    "copy_query_out": ("copy (select * from facts) to '/tmp/leak.parquet' (format parquet)", "COPY statements"),
    "copy_in": ("copy facts from '/etc/passwd'", "COPY statements"),
    "attach_file": ("attach '/tmp/redengine.data.db' as scratch", "ATTACH statements"),
    "attach_memory": ("attach ':memory:' as scratch", "ATTACH statements"),
    "detach": ("detach memory", "DETACH statements"),
    "install": ("install httpfs", "LOAD statements"),
    "load": ("load json", "LOAD statements"),
    "pragma": ("pragma version", "PRAGMA statements"),
    "pragma_database_list": ("pragma database_list", "PRAGMA statements"),
    "set_threads": ("set threads = 8", "SET statements"),
    "set_external_access": ("set enable_external_access = true", "SET statements"),
    "reset": ("reset memory_limit", "SET statements"),
    "call": ("call pragma_version()", "CALL statements"),
    "checkpoint": ("checkpoint", "CALL statements"),
    "export": ("export database '/tmp/redengine-export'", "EXPORT statements"),
    "create": ("create table scratch as select 1", "CREATE statements"),
    "create_secret": ("create secret (type s3, key_id 'x', secret 'y')", "CREATE statements"),
    "drop": ("drop table facts", "DROP statements"),
    "delete": ("delete from facts", "DELETE statements"),
    "update": ("update facts set value = 0", "UPDATE statements"),
    "insert": ("insert into facts select * from facts", "INSERT statements"),
    "two_statements": ("select 1; select 2", "holds 2 statements"),
    "select_then_copy": ("select 1; copy facts to '/tmp/leak.csv'", "holds 2 statements"),
    "empty": ("   ", "The query is empty"),
    "syntax": ("selec * from facts", "does not parse"),
    # file readers: external access is off, so DuckDB refuses to open anything
    "read_csv_data_dir": ("select * from read_csv('data/curation/districts.csv')", "reads files"),
    "read_csv_auto_passwd": ("select * from read_csv_auto('/etc/passwd')", "reads files"),
    "read_text": ("select * from read_text('/etc/hostname')", "reads files"),
    "read_blob_environ": ("select * from read_blob('/proc/self/environ')", "reads files"),
    "read_parquet_snapshots": ("select * from read_parquet('data/snapshots/*.parquet')", "reads files"),
    "parquet_metadata": ("select * from parquet_metadata('data/snapshots/2026-11-23-curated.parquet')", "reads files"),
    "glob": ("select * from glob('data/*')", "reads files"),
    "glob_root": ("select * from glob('/*')", "reads files"),
    "sniff_csv": ("select * from sniff_csv('/etc/passwd')", "reads files"),
    "read_json_network": ("select * from read_json('http://127.0.0.1:9/x.json')", "reads files"),
    # a file path as a table name (DuckDB's replacement scan of a file)
    "file_as_table": ("select * from 'data/districts.parquet'", "reads files"),
    # the environment: getenv() does not exist outside DuckDB's shell
    "getenv": ("select getenv('HOME')", "getenv does not exist"),
    # Python replacement scans: names of variables in the sandbox's own code are not tables
    "python_variable_tables": ("select * from tables", "does not exist"),
    "python_module_os": ("select * from os", "does not exist"),
    "python_variable_limits": ("select * from limits", "does not exist"),
}


@pytest.mark.parametrize("sql, said", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_sql_is_refused_with_a_clear_message(sql, said):
    # The paths these statements would write to (a shared /tmp holds other processes' files too).
    targets = [Path(path) for path in re.findall(r"'(/tmp/[^']+)'", sql)]
    for target in targets:
        target.unlink(missing_ok=True)
    message = refusal(sql)
    assert said in message, message
    assert not [target for target in targets if target.exists()]  # nothing written


RUNAWAY = {
    "huge_range": "select count(*) from range(1000000000000)",
    "cross_join": "select count(*) from facts a, facts b, facts c, facts d, facts e, facts f",
    "recursive": "with recursive r(n) as (select 1 union all select n + 1 from r) select count(*) from r",
    "huge_list": "select list(range) from range(200000000)",
    "huge_string": "select length(string_agg(repeat('x', 1000), '')) from range(10000000)",
}


@pytest.mark.parametrize("sql", list(RUNAWAY.values()), ids=list(RUNAWAY))
def test_a_runaway_query_is_stopped_at_a_limit(sql):
    started = time.monotonic()
    message = refusal(sql)
    elapsed = time.monotonic() - started
    assert "time limit" in message or "memory limit" in message or "ran out of memory" in message, message
    # The limit counts from the loaded snapshot; loading takes seconds more on a busy machine.
    assert elapsed < LIMITS.wall_seconds + 15, elapsed


def test_a_stopped_query_leaves_no_process_and_the_next_query_runs_normally():
    started = time.monotonic()
    run("select 1")
    normal = time.monotonic() - started
    refusal(RUNAWAY["huge_range"])
    started = time.monotonic()
    assert run("select count(*) as n from facts").table.to_pylist() == [{"n": bundled_rows()}]
    assert time.monotonic() - started < max(3 * normal, normal + 1.5)
    # Queries run in children of the fork server (a child of this process): none is left running.
    helpers = children(os.getpid())
    assert helpers, "the fork server should be running"
    assert [pid for helper in helpers for pid in children(helper)] == []


def children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_a_query_longer_than_the_maximum_is_refused():
    assert "characters long" in refusal("select 1 -- " + "x" * sql_sandbox.MAX_SQL_CHARS)


def test_an_unknown_snapshot_is_a_clear_error():
    with pytest.raises(sql_sandbox.SqlRefused, match=f"No snapshot 'no-such-snapshot'. Fix: use one of {BUNDLED}"):
        sql_sandbox.run(DATA_DIR, "no-such-snapshot", "select count(*) from facts", LIMITS)

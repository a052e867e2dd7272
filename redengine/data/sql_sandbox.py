"""Researchers' read-only SQL over one snapshot, safe by construction.

Each query runs in a process of its own, forked from a clean fork server (not from the threaded
dashboard), which loads the snapshot's facts and dimension tables into an in-memory DuckDB with
file, network and extension access off and its settings locked (redengine.data.db.run_untrusted), then
runs one SELECT with a row cap and a memory cap. The dashboard waits at most `wall_seconds` for the
answer and then kills the process, so no query can outlast its limit or touch the dashboard's memory.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

import pyarrow as pa

from redengine.data import db, package, store

MAX_SQL_CHARS = 10_000
# Two cores serve everyone: at most this many queries at once, the others are asked to retry.
CONCURRENT_QUERIES = 2
WALL_SECONDS_ENV = "REDENGINE_SQL_SECONDS"
# Starting the fork server (the first query only) and loading the snapshot: trusted work, timed apart.
LOAD_SECONDS = 60
LOAD_LATE = f"The snapshot could not be loaded within {LOAD_SECONDS} s. Fix: try again in a minute."


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = float(os.environ.get(WALL_SECONDS_ENV, "5"))
    row_cap: int = 10_000
    memory_limit: str = "256MB"
    result_bytes: int = 32 * 1024 * 1024


@dataclass(frozen=True)
class Result:
    table: pa.Table
    truncated: bool  # more rows than the row cap existed


class SqlRefused(ValueError):
    """The query was refused, failed or was stopped; the message says why and ends with a fix."""


class SqlBusy(SqlRefused):
    """As many queries as the server runs at once are running; this one may be retried."""


_context = multiprocessing.get_context("forkserver")
# The fork server imports the main module once (children then skip it) and this module before it forks.
_context.set_forkserver_preload(["__main__", "redengine.data.sql_sandbox"])
_running = threading.BoundedSemaphore(CONCURRENT_QUERIES)


def start() -> None:
    """Starts the fork server now (seconds on a busy machine), so the first query does not wait for it."""
    multiprocessing.forkserver.ensure_running()


def _child(answer: Connection, data_dir: str, snapshot_id: str, sql: str, limits: Limits) -> None:
    try:
        database = db.Database(data_dir)
        known = [entry.id for entry in database.snapshots()]
        if snapshot_id not in known:
            raise db.UntrustedSqlError(f"No snapshot {snapshot_id!r}. Fix: use one of {', '.join(known)}.")
        tables = package.snapshot_tables(database, snapshot_id)
        answer.send(("loaded", None, False))  # the query's own time starts now
        os.nice(10)  # and a runaway query yields the CPU to the dashboard's own work
        table, truncated = db.run_untrusted(tables, sql, limits.row_cap, limits.memory_limit)
        if table.nbytes > limits.result_bytes:
            raise db.UntrustedSqlError(
                f"The result is {table.nbytes / 1e6:.0f} MB, more than the {limits.result_bytes / 1e6:.0f} MB "
                "returned at once. Fix: select fewer columns or rows."
            )
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        answer.send(("ok", sink.getvalue().to_pybytes(), truncated))
    except (db.UntrustedSqlError, store.DataDirError) as error:
        answer.send(("refused", str(error), False))
    finally:
        answer.close()


def run(data_dir: Path, snapshot_id: str, sql: str, limits: Limits | None = None) -> Result:
    """Runs `sql` over the snapshot in a throwaway process; raises SqlRefused with a clear message."""
    limits = limits or Limits()
    if not sql.strip():
        raise SqlRefused("The query is empty. Fix: write a SELECT, for example: select * from facts limit 10")
    if len(sql) > MAX_SQL_CHARS:
        raise SqlRefused(f"The query is {len(sql):,} characters long. Fix: keep it under {MAX_SQL_CHARS:,}.")
    if not _running.acquire(blocking=False):
        raise SqlBusy(
            f"{CONCURRENT_QUERIES} SQL queries are already running on this server. Fix: try again in a few seconds."
        )
    try:
        return _run_in_process(str(data_dir), snapshot_id, sql, limits)
    finally:
        _running.release()


def _run_in_process(data_dir: str, snapshot_id: str, sql: str, limits: Limits) -> Result:
    receive, send = _context.Pipe(duplex=False)
    process = _context.Process(target=_child, args=(send, data_dir, snapshot_id, sql, limits), daemon=True)
    process.start()
    send.close()  # the child holds the only sending end: a dead child reads as end of file here
    try:
        status, payload, truncated = _receive(receive, LOAD_SECONDS, LOAD_LATE)
        if status == "loaded":
            late = (
                f"The query was stopped after {limits.wall_seconds:g} s, the time limit. "
                "Fix: filter or aggregate earlier, avoid cross joins and huge ranges, or add a LIMIT."
            )
            status, payload, truncated = _receive(receive, limits.wall_seconds, late)
    finally:
        process.kill()
        process.join()
        receive.close()
    if status != "ok":
        raise SqlRefused(payload)
    return Result(pa.ipc.open_stream(payload).read_all(), truncated)


def _receive(receive: Connection, seconds: float, late: str) -> tuple[str, object, bool]:
    """The child's next message, or SqlRefused when it is late or the child died."""
    if not receive.poll(seconds):
        raise SqlRefused(late)
    try:
        return receive.recv()
    except EOFError:
        raise SqlRefused(
            "The query's process ended without an answer: it ran out of memory or crashed. "
            "Fix: aggregate or filter so that it needs less memory."
        ) from None

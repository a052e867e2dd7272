"""The one place that talks to DuckDB: opens the data directory, runs named queries.

Pages never see SQL. Each query is a file in queries/, run with bound parameters.
Only the files the manifest lists are read (never a glob: one bad file in a glob
would break every query). When the manifest changes, the next query sees it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
import threading
import time
import warnings
import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from redengine.data import integrity, schema, store

QUERIES_DIR = Path(__file__).resolve().parents[2] / "queries"
SETUP_DIR = QUERIES_DIR / "setup"  # run once per connection: views and empty summary tables
# Summary tables, each filled by the file of its name the first time a query that declares it
# ("-- summaries: name, ..." in its header) names a snapshot, or an (old, new) pair of snapshots.
SUMMARIES_DIR = QUERIES_DIR / "summaries"
PAIR_SUMMARIES_DIR = QUERIES_DIR / "pair_summaries"
SUMMARIES_HEADER = "-- summaries:"
PARAMS_HEADER = "-- params:"
SNAPSHOT_PARAMS = ("snapshot_id", "old_snapshot_id", "new_snapshot_id", "snapshot_ids")
# DuckDB suggests con.sql(...) over a cursor's Arrow output, to save one copy of the rows; measured
# on the pages' queries, the cursor is faster still (a relation is planned again), so the hint is muted.
warnings.filterwarnings("ignore", message="Arrow output on a DB-API result", category=UserWarning)
# A manifest whose status (inode, size, times) is unchanged is not read again, unless its last change is this
# recent: two edits within one tick of the file system's clock leave equal times ("racily clean", as git says).
RACY_NS = 1_000_000_000


def _has_columns(file: str, columns: Sequence[str]) -> bool:
    """Whether a Parquet file's schema has the columns; an unreadable footer counts as yes (the file is
    verified, and refused clearly, before a query reads it)."""
    try:
        names = set(pq.read_schema(file).names)
    except (pa.ArrowException, OSError):
        return True
    return set(columns) <= names


class UnknownQueryError(KeyError):
    """A query name with no file in queries/."""

    def __str__(self) -> str:
        known = ", ".join(available_queries())
        return f"no query named {self.args[0]!r} in {QUERIES_DIR}; known: {known}"


class QueryParamsError(TypeError):
    """A named query called with parameters other than those its file's `-- params:` header declares."""


@dataclass(frozen=True)
class NamedQuery:
    """A file of queries/: its SQL and what its header declares (as aiosql reads a query's name and kind)."""

    name: str
    sql: str
    params: frozenset[str]  # "-- params: $a, $b (what b means)"
    summaries: tuple[str, ...]  # "-- summaries: a, b"

    def check(self, given: Iterable[str]) -> None:
        given = set(given)
        if given == self.params:
            return
        missing, unknown = sorted(self.params - given), sorted(given - self.params)
        raise QueryParamsError(
            f"query {self.name!r} takes {', '.join(sorted(self.params)) or 'no parameters'}"
            + (f"; missing: {', '.join(missing)}" if missing else "")
            + (f"; not declared: {', '.join(unknown)}" if unknown else "")
            + f". Fix: pass exactly the parameters its header (queries/{self.name}.sql) declares."
        )


def available_queries() -> list[str]:
    return sorted(p.stem for p in QUERIES_DIR.glob("*.sql"))


def header_value(sql: str, header: str) -> str | None:
    """The text after `header` ("-- params:") among the comment lines a query file starts with."""
    for line in sql.splitlines():
        if not line.startswith("--"):
            return None
        if line.startswith(header):
            return line.removeprefix(header)
    return None


def declared_summaries(sql: str) -> list[str]:
    """The summary tables a query's header declares it reads ("-- summaries: a, b")."""
    listed = header_value(sql, SUMMARIES_HEADER) or ""
    return [name.strip() for name in listed.split(",") if name.strip()]


@functools.cache
def named_query(name: str) -> NamedQuery:
    path = QUERIES_DIR / f"{name}.sql"
    if not path.is_file() or path.parent != QUERIES_DIR or name not in available_queries():
        raise UnknownQueryError(name)
    sql = path.read_text(encoding="utf-8")
    params = frozenset(re.findall(r"\$(\w+)", header_value(sql, PARAMS_HEADER) or ""))
    return NamedQuery(name, sql, params, tuple(declared_summaries(sql)))


def summary_file(summary: str) -> Path:
    """The file that fills summary table `summary`: per snapshot, or per (old, new) pair."""
    for folder in (SUMMARIES_DIR, PAIR_SUMMARIES_DIR):
        if (folder / f"{summary}.sql").is_file():
            return folder / f"{summary}.sql"
    known = ", ".join(sorted(p.stem for d in (SUMMARIES_DIR, PAIR_SUMMARIES_DIR) for p in d.glob("*.sql")))
    raise UnknownQueryError(f"summary {summary} (known summaries: {known})")


class Database:
    """A DuckDB connection over one data directory, refreshed when its manifest changes."""

    def __init__(self, data_dir: Path | str):
        self.data_dir = Path(data_dir)
        self._lock = threading.Lock()
        self._connection: duckdb.DuckDBPyConnection | None = None
        # Per connection: the (summary, snapshot id or (old, new) pair) already filled in it.
        self._filled: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._stamp: str | None = None
        self._status: tuple[int, int, int, int] | None = None  # the manifest's, when _stamp was taken
        self._snapshots: list[store.SnapshotEntry] = []

    # -- state of the directory -----------------------------------------------------

    def _manifest_stamp(self) -> str:
        """A digest of the manifest's bytes: unlike its mtime and size, it changes with every
        edit, even two replacements of equal length within one clock tick."""
        try:
            raw = store.manifest_path(self.data_dir).read_bytes()
        except OSError:
            store.read_manifest(self.data_dir)  # raises the explanatory error
            raise
        return hashlib.sha256(raw).hexdigest()[:16]

    def _connect(self, snapshots: list[store.SnapshotEntry]) -> duckdb.DuckDBPyConnection:
        connection = duckdb.connect(":memory:", config={"threads": 2})
        for kind, file in store.DIMENSION_FILES.items():
            optional = kind in store.OPTIONAL_DIMENSION_FILES and not (self.data_dir / file).is_file()
            files = [
                *([] if optional else [file]),
                *(f"snapshots/{s.extras[kind]}" for s in snapshots if kind in s.extras),
            ]
            for relative in files:
                integrity.verify(self.data_dir, relative)
            if files:
                # A few thousand rows: held in memory rather than re-read from Parquet by every query.
                with self._reading(files):
                    connection.read_parquet([str(self.data_dir / f) for f in files], union_by_name=True).create(kind)
        # Which file holds which snapshot in which sort order (a snapshot listed without its copy
        # sorted by place is read from its one file in both). The facts views join on it, so a
        # query naming one snapshot opens that snapshot's file only: DuckDB prunes the rest by name.
        # DuckDB reads every listed file's footer here. A snapshot whose file is missing or has a footer
        # that cannot be read is left out, so the others keep working; it is said so when that snapshot
        # is asked for (see _verify_snapshots).
        listing = pd.DataFrame(
            [
                (s.id, order, str(self.data_dir / "snapshots" / file))
                for s in snapshots
                for order, file in (("metric", s.file), ("place", s.by_place_file or s.file))
                if all(integrity.footer_readable(self.data_dir / "snapshots" / f, s.rows) for f in s.stored_files())
            ],
            columns=["snapshot_id", "sorted_by", "file"],
        )
        if listing.empty:
            self._verify_snapshots(snapshots[-1:])  # raises: the latest snapshot's files are missing or damaged
        connection.from_df(listing).create("snapshot_files")
        # No data is read here: DuckDB reads a file's pages when a query names its snapshot, and query()
        # verifies that snapshot's files first.
        with self._reading(sorted(f"snapshots/{Path(f).name}" for f in set(listing["file"]))):
            files = sorted(set(listing["file"]))
            # Files written before period bases and scopes existed lack those columns: null, read as
            # the contract's defaults by the facts views. Unifying schemas makes DuckDB read every file's
            # footer on every query (a damaged old one too), so only a mix of old and new files does it.
            older = [f for f in files if not _has_columns(f, schema.FACT_COLUMNS_ADDED_LATER)]
            stored = connection.read_parquet(files, filename=True, union_by_name=bool(older))
            absent = [c for c in schema.FACT_COLUMNS_ADDED_LATER if c not in stored.columns]
            if absent:
                stored = stored.project(", ".join(["*", *(f"null::varchar as {c}" for c in absent)]))
            stored.create_view("stored_facts_files")
        for setup in sorted(SETUP_DIR.glob("*.sql")):
            connection.execute(setup.read_text(encoding="utf-8"))
        return connection

    def _fill_once(self, connection: duckdb.DuckDBPyConnection, summary: str, key: str | tuple[str, str]) -> None:
        """Fills summary table `summary` for one snapshot (or (old, new) pair) the first time it is asked for.

        Counting places per metric over a whole snapshot, or joining two snapshots, costs tens to
        hundreds of milliseconds at millions of facts; done once, the pages' queries read small tables.
        """
        with self._lock:
            filled = self._filled[connection]
            if (summary, key) in filled:
                return
            file = summary_file(summary)
            if file.parent == PAIR_SUMMARIES_DIR:
                params = {"old_snapshot_id": key[0], "new_snapshot_id": key[1]}
            else:
                params = {"snapshot_id": key}
            cursor = connection.cursor()
            try:
                with self._reading(self._files_of(set(key) if isinstance(key, tuple) else {key})):
                    cursor.execute(file.read_text(encoding="utf-8"), params)
            finally:
                cursor.close()
            filled.add((summary, key))

    @contextlib.contextmanager
    def _reading(self, files: Sequence[str] = ()) -> Iterator[None]:
        """A file that DuckDB or Arrow cannot read (damaged, truncated, replaced by hand) becomes a clear
        error naming the files being read (relative to the data directory)."""
        # Every DuckDB error counts: a damaged footer can rename a column, which DuckDB reports as a binder error.
        try:
            yield
        except (duckdb.Error, pa.ArrowException) as error:
            raise integrity.read_error(error, self.data_dir, files) from None

    def _files_of(self, snapshot_ids: set[str]) -> list[str]:
        return [f"snapshots/{f}" for s in self._snapshots if s.id in snapshot_ids for f in s.stored_files()]

    def _verify_snapshots(self, snapshots: list[store.SnapshotEntry]) -> None:
        """Raises the clear error for the first of these snapshots whose files are not intact."""
        for snapshot in snapshots:
            for file, sha256 in snapshot.stored_files().items():
                integrity.verify(self.data_dir, f"snapshots/{file}", sha256, snapshot.rows)

    def _manifest_status(self) -> tuple[int, int, int, int]:
        try:
            status = os.stat(store.manifest_path(self.data_dir))
        except OSError:
            store.read_manifest(self.data_dir)  # raises the explanatory error
            raise
        return status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns

    def _current(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            # A page asks for the version with every query: a stat, not a read and a digest, while nothing changed.
            status = self._manifest_status()
            settled = time.time_ns() - status[3] > RACY_NS
            if self._connection is not None and status == self._status and settled:
                return self._connection
            stamp = self._manifest_stamp()
            if self._connection is None or stamp != self._stamp:
                snapshots = store.read_manifest(self.data_dir)
                if not snapshots:
                    raise store.DataDirError(
                        f"{store.MANIFEST} lists no snapshot. Fix: run 'make data' or 'redengine snapshot add FILE'."
                    )
                self._connection = self._connect(snapshots)
                # What each connection has summarised travels with it, so a query still on an
                # old connection after a manifest change cannot mark the new one as filled.
                self._filled[self._connection] = set()
                self._snapshots = snapshots
                self._stamp = stamp
            self._status = status  # taken before the read: a change since then is seen next time
            return self._connection

    # -- what pages and commands call -----------------------------------------------

    def snapshots(self) -> list[store.SnapshotEntry]:
        """Every snapshot the manifest lists, oldest first."""
        self._current()
        return list(self._snapshots)

    def version(self) -> str:
        """Changes whenever the manifest does: part of every cache key."""
        self._current()
        return self._stamp

    def query(self, name: str, **params: object) -> pd.DataFrame:
        """Runs queries/<name>.sql with its $parameters bound; returns a DataFrame."""
        # Through Arrow: text columns stay in Arrow buffers (pandas' str dtype), 3-5 ms less
        # than .df() for a few thousand rows with quotes.
        return self.query_arrow(name, **params).to_pandas(date_as_object=False)

    def query_arrow(self, name: str, **params: object) -> pa.Table:
        """Runs queries/<name>.sql with its $parameters bound; returns an Arrow table."""
        query = named_query(name)
        query.check(params)
        sql = query.sql
        bound = {
            key: list(value) if isinstance(value, Sequence) and not isinstance(value, str) else value
            for key, value in params.items()
        }
        connection = self._current()
        named: set[str] = set()
        for key in SNAPSHOT_PARAMS:
            value = bound.get(key)
            named.update(value if isinstance(value, list) else [value] if isinstance(value, str) else [])
        known = {s.id for s in self._snapshots}
        # Checked before served: DuckDB reads a snapshot's files only after they pass (cached per file state).
        self._verify_snapshots([s for s in self._snapshots if s.id in named])
        pair = (bound.get("old_snapshot_id"), bound.get("new_snapshot_id"))
        for summary in query.summaries:
            per_pair = summary_file(summary).parent == PAIR_SUMMARIES_DIR
            for key in ([pair] if set(pair) <= known else []) if per_pair else sorted(named & known):
                self._fill_once(connection, summary, key)
        cursor = connection.cursor()  # one cursor per query: a connection is not thread-safe
        try:
            with self._reading(self._files_of(named)):
                return cursor.execute(sql, bound).to_arrow_table()
        finally:
            cursor.close()

    def fill_summaries(self, snapshot_id: str) -> None:
        """Fills every per-snapshot summary table of `snapshot_id` now (at start-up), rather than on the
        first query of each page that reads one."""
        connection = self._current()
        self._verify_snapshots([s for s in self._snapshots if s.id == snapshot_id])
        for file in sorted(SUMMARIES_DIR.glob("*.sql")):
            self._fill_once(connection, file.stem, snapshot_id)

    def source_text(self, file: str) -> str:
        """The full text of a report file listed in sources (kept inside data/sources/)."""
        root = (self.data_dir / "sources").resolve()
        path = (self.data_dir / file).resolve()
        if root not in path.parents:
            raise store.DataDirError(
                f"source file {file[:200]!r} is outside sources/. Fix: correct its 'file' in sources.parquet."
            )
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise store.DataDirError(f"the source text {file} is missing. Fix: restore it from git.") from None
        except (OSError, UnicodeDecodeError) as error:
            reason = "not UTF-8 text" if isinstance(error, UnicodeDecodeError) else error.strerror
            raise store.DataDirError(
                f"the source text {file} cannot be read ({reason}). Fix: restore it from git, saved as UTF-8."
            ) from None


class UntrustedSqlError(ValueError):
    """A researcher's SQL that was refused or failed; the message says what and how to fix it."""


# Settings fixed at connect time, before any data is loaded: no file, network or extension access,
# no lookups of Python variables by name, one thread. `lock_configuration` then freezes them.
UNTRUSTED_CONFIG = {
    "threads": 1,
    "enable_external_access": False,
    "python_enable_replacements": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
}
UNTRUSTED_FIX = "Fix: write one SELECT (or WITH … SELECT) over the tables {tables}."


def run_untrusted(tables: dict[str, pa.Table], sql: str, row_cap: int, memory_limit: str) -> tuple[pa.Table, bool]:
    """Runs one SELECT over `tables`, held in memory; returns at most `row_cap` rows and whether more existed.

    Meant for a throwaway process (redengine.data.sql_sandbox), which enforces the wall clock from outside.
    """
    fix = UNTRUSTED_FIX.format(tables=", ".join(tables))
    connection = duckdb.connect(":memory:", config={**UNTRUSTED_CONFIG, "memory_limit": memory_limit})
    try:
        for name, table in tables.items():
            connection.from_arrow(table).create(name)
        connection.execute("SET lock_configuration = true")
        try:
            statements = connection.extract_statements(sql)
        except duckdb.Error as error:
            raise UntrustedSqlError(f"The SQL does not parse: {_first_line(error)}. {fix}") from None
        if len(statements) != 1:
            raise UntrustedSqlError(
                f"The SQL holds {len(statements)} statements; one is run at a time. "
                + (fix if statements else "Fix: write a SELECT.")
            )
        kind = statements[0].type.name
        if kind != "SELECT":
            raise UntrustedSqlError(f"{kind} statements are refused: the data is read-only here. {fix}")
        try:
            result = connection.sql(sql).limit(row_cap + 1).to_arrow_table()
        except duckdb.OutOfMemoryException:
            raise UntrustedSqlError(
                f"The query was stopped at the memory limit ({memory_limit}). "
                "Fix: aggregate, filter or add a LIMIT so that it needs less memory."
            ) from None
        except duckdb.PermissionException:
            raise UntrustedSqlError(
                "The query was refused: it reads files, the network or settings, which are off here. "
                f"Only the tables in memory can be read. {fix}"
            ) from None
        except duckdb.Error as error:
            raise UntrustedSqlError(f"The query failed: {_first_line(error)}. {fix}") from None
        return result.slice(0, row_cap), result.num_rows > row_cap
    finally:
        connection.close()


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0][:300] if str(error) else type(error).__name__

"""Analysts' snapshots: validate, add (atomically), list, diff.

A failed command changes nothing under the data directory: every new file gets a new
name and becomes visible only when the manifest, replaced by one atomic rename, lists it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from redengine.data import integrity, provenance, schema, store

if TYPE_CHECKING:  # not imported at run time: the upload check's child process runs without DuckDB
    from redengine.data.db import Database

# Bounded work for every input. The CLI is the analyst's own machine; the upload box on What changed
# is open to any visitor of the dashboard, so it accepts far less and checks in a child process that
# is stopped after UPLOAD_SECONDS and gives all its memory back when it ends.
CLI_MAX_ROWS = 20_000_000
UPLOAD_MAX_ROWS = 1_000_000
UPLOAD_MAX_MB = 10  # server.maxUploadSize in .streamlit/config.toml (a test keeps them equal)
UPLOAD_SECONDS = 20
PROBLEMS_SHOWN = 20
# Text is read as dictionaries (a value repeated a million times is stored once); every check but the
# one for repeated rows needs it decoded. Past this many decoded bytes, a file whose rows repeat is
# refused on its repeats alone, and the upload box refuses any file.
REPEATS_TEXT_BYTES = 64 * 1024 * 1024
UPLOAD_MAX_TEXT_BYTES = 64 * 1024 * 1024
NOT_TEXT = frozenset(
    f.name for table in (schema.FACTS, *schema.DIMENSIONS.values()) for f in table if not pa.types.is_string(f.type)
)
PREVIEW_ROWS = 50
# The columns the provenance rules read but a period: rows equal in these are checked once, with the latest
# of their periods (a file may repeat a figure over many places or periods that do not change what it says).
PROVENANCE_COLUMNS = ["source_id", "metric_id", "value", "value_as_written", "qualifier", "quote", "note"]


class SnapshotError(RuntimeError):
    """A snapshot that cannot be accepted; the message lists every problem."""


@dataclass
class Validation:
    """What validating a snapshot (and the dimension files supplied with it) found."""

    file: Path
    # How the file is named in messages (an upload's own name, not the server's temporary path).
    label: str = ""
    rows: int = 0
    problems: list[str] = field(default_factory=list)
    facts: pa.Table | None = None
    extras: dict[str, pa.Table] = field(default_factory=dict)
    texts: dict[str, Path] = field(default_factory=dict)  # new sources' texts: their `file` → the file given

    @property
    def ok(self) -> bool:
        return not self.problems

    def report(self) -> str:
        name = self.label or self.file
        if self.ok:
            return f"{name}: valid, {self.rows} figures"
        lines = [f"{name}: {len(self.problems)} problem(s), nothing was written"]
        lines += [f"  - {p}" for p in self.shown_problems()]
        return "\n".join(lines)

    def shown_problems(self) -> list[str]:
        """At most PROBLEMS_SHOWN problems, then how many more there are."""
        hidden = len(self.problems) - PROBLEMS_SHOWN
        return self.problems[:PROBLEMS_SHOWN] + ([f"… and {hidden} more problem(s)"] if hidden > 0 else [])


def release_memory_promptly() -> None:
    """Arrow memory goes back to the system as soon as it is freed (jemalloc, no decay delay).

    For processes that validate one large file and exit: the steps of a check then reuse memory
    instead of stacking on pages an allocator keeps; a 1 M-row file peaks ~55 MB lower.
    """
    with contextlib.suppress(NotImplementedError):  # a pyarrow built without jemalloc keeps its pool
        pa.set_memory_pool(pa.jemalloc_memory_pool())
        pa.jemalloc_set_decay_ms(0)


def read_parquet(path: Path, label: str | None = None, max_rows: int = CLI_MAX_ROWS) -> pa.Table:
    """Reads a Parquet file of at most max_rows rows or raises SnapshotError saying why it cannot be read."""
    label = label or str(path)
    if not path.is_file():
        raise SnapshotError(f"{label}: no such file")
    if path.stat().st_size == 0:
        raise SnapshotError(f"{label}: the file is empty (0 bytes). Fix: export the table again as Parquet")
    try:
        parquet = pq.ParquetFile(path, page_checksum_verification=True)
        # Counted from the footer before any row is decoded: a small file can hold millions of rows.
        if parquet.metadata.num_rows > max_rows:
            raise SnapshotError(
                f"{label}: {parquet.metadata.num_rows:,} rows, more than the {max_rows:,} accepted here. "
                "Fix: split the file, or check it with 'redengine snapshot validate' (up to "
                f"{CLI_MAX_ROWS:,} rows)"
            )
        # A text column where the contract wants a number or a date keeps its type: the problem names it.
        text = [
            f.name
            for f in parquet.schema_arrow
            if (pa.types.is_string(f.type) or pa.types.is_large_string(f.type)) and f.name not in NOT_TEXT
        ]
        return pq.read_table(path, page_checksum_verification=True, read_dictionary=text)
    except (pa.ArrowException, OSError, ValueError) as error:
        reason = str(error).replace(str(path), label).splitlines()[0][:200] if str(error) else type(error).__name__
        raise SnapshotError(
            f"{label}: not a readable Parquet file ({reason}). Fix: write it with "
            "pandas.DataFrame.to_parquet or pyarrow.parquet.write_table; a truncated copy must be copied again."
        ) from None


def _source_file_problems(data_dir: Path, table: pa.Table, texts: dict[str, Path]) -> list[str]:
    """New sources name a file inside sources/, and come with its UTF-8 text (--text), unless it is there already."""
    root = (data_dir / "sources").resolve()
    problems = []
    for row, file in enumerate(table["file"].to_pylist(), start=1):
        path = (data_dir / file).resolve()
        if root not in path.parents:
            problems.append(
                f"column 'file': row {row} ({file[:200]!r}) is outside sources/. Fix: name it sources/NAME.txt"
            )
            continue
        if file in texts and path.is_file() and path.read_bytes() != texts[file].read_bytes():
            problems.append(
                f"column 'file': row {row} ({file[:200]!r}) is the file of another report already. "
                "Fix: name the new source's file and its --text differently"
            )
            continue
        path = texts.get(file, path)
        if not path.is_file():
            problems.append(
                f"column 'file': row {row} ({file[:200]!r}): the report's text is not given, so its figures' "
                f"quotes cannot be checked. Fix: add --text PATH/{Path(file).name} (the report's verbatim text, UTF-8)"
            )
            continue
        try:
            path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            reason = "not UTF-8 text" if isinstance(error, UnicodeDecodeError) else (error.strerror or "unreadable")
            problems.append(
                f"column 'file': row {row} ({file[:200]!r}) cannot be read ({reason}). "
                "Fix: give the report's text as UTF-8"
            )
        if len(problems) >= schema.ROWS_SHOWN:
            break
    return problems


def texts_for(texts: list[Path] | None, sources: pa.Table | None) -> tuple[dict[str, Path], list[str]]:
    """The --text files by the `file` of the new source they are the text of (matched by file name)."""
    wanted = {Path(f).name: f for f in (sources["file"].to_pylist() if sources is not None else [])}
    found, problems = {}, []
    for path in texts or []:
        if path.name not in wanted:
            listed = ", ".join(sorted(wanted)) or "none: pass --sources F with the new source"
            problems.append(
                f"--text {path}: no new source names a file {path.name!r} (new sources' files: {listed}). "
                "Fix: name the text file as the source's `file` column does"
            )
        elif not path.is_file():
            problems.append(f"--text {path}: no such file. Fix: give the path of the report's text")
        else:
            found[wanted[path.name]] = path
    return found, problems


def rule_sources(database: Database, extras: dict[str, pa.Table], texts: dict[str, Path]) -> dict:
    """What the provenance rules check figures against: every source's text and date, every metric's unit."""
    sources = database.query("dimension_table", kind="sources").to_dict("records")
    metrics = database.query("dimension_table", kind="metrics").to_dict("records")
    if "sources" in extras:
        sources += extras["sources"].to_pylist()
    if "metrics" in extras:
        metrics += schema.with_defaults("metrics", extras["metrics"]).to_pylist()
    return {
        "sources": provenance.sources_with_texts(database.data_dir, sources, texts),
        "metrics": provenance.metrics_of(metrics),
    }


def provenance_problems(
    facts: pa.Table, sources: dict[str, provenance.Source], metrics: dict[str, provenance.Metric]
) -> list[str]:
    """The provenance rules over a facts table, each distinct figure once, named by its first row."""
    numbered = facts.select([*PROVENANCE_COLUMNS, "period_end"]).append_column(
        "row", pa.array(np.arange(1, len(facts) + 1))
    )
    aggregates = [("row", "min"), ("row", "count"), ("period_end", "max")]
    distinct = numbered.group_by(PROVENANCE_COLUMNS, use_threads=False).aggregate(aggregates).sort_by("row_min")

    def rows():
        for row in distinct.to_pylist():
            more = row["row_count"] - 1
            where = f"row {row['row_min']}" + (f" (and {more} more rows like it)" if more else "")
            yield where, {**row, "period_end": row["period_end_max"]}

    return [str(r) for r in provenance.check(rows(), sources, metrics)]


def _known_ids(database: Database, extras: dict[str, pa.Table]) -> schema.KnownIds:
    known = schema.KnownIds()
    for kind in store.DIMENSION_FILES:
        ids = database.query("dimension_ids", kind=kind)["id"]
        getattr(known, kind).update(ids)
        if kind in extras and schema.ID_COLUMN[kind] in extras[kind].column_names:
            getattr(known, kind).update(extras[kind][schema.ID_COLUMN[kind]].to_pylist())
    return known


def _concept_fit_problems(database: Database, metrics: pa.Table, new_concepts: pa.Table | None) -> list[schema.Problem]:
    """New metrics fit the concepts they name: the concept's category, and the unit its metrics share."""
    existing = database.query("concept_units")
    concepts = pa.Table.from_pandas(existing[["concept_id", "category"]], preserve_index=False)
    if new_concepts is not None:
        concepts = pa.concat_tables([concepts, new_concepts.select(["concept_id", "category"])])
    # The existing concepts' units stand in as one metric each, so a new metric of another unit shows.
    metrics = schema.with_defaults("metrics", schema.conform(metrics, schema.METRICS))
    standing = pa.table(
        {
            "metric_id": [f"(existing {c})" for c in existing["concept_id"]],
            "category": existing["category"].tolist(),
            "unit": existing["unit"].tolist(),
            "concept_id": existing["concept_id"].tolist(),
        }
    )
    named = set(metrics["concept_id"].to_pylist())
    standing = standing.filter(pc.is_in(standing["concept_id"], pa.array(sorted(named), pa.string())))
    together = pa.concat_tables([metrics.select(standing.column_names), standing])
    return schema.concept_problems(concepts, together)


def validate(
    database: Database, file: Path, supplied: dict[str, Path] | None = None, texts: list[Path] | None = None
) -> Validation:
    """Checks a snapshot file (and the new places, metrics, sources and report texts with it) without writing."""
    result = Validation(file=file)
    for kind, path in (supplied or {}).items():
        try:
            table = read_parquet(path)
        except SnapshotError as error:
            result.problems.append(f"--{kind}: {error}")
            continue
        existing = set(database.query("dimension_ids", kind=kind)["id"])
        concepts = _known_ids(database, result.extras).concepts if kind == "metrics" else None
        problems = schema.check_dimension(kind, table, concepts)
        if kind == "metrics" and not problems:
            problems += _concept_fit_problems(database, table, result.extras.get("concepts"))
        id_column = schema.ID_COLUMN[kind]
        if id_column in table.column_names:
            clashing = sorted(existing & set(table[id_column].to_pylist()))
            if clashing:
                problems.append(
                    schema.Problem(
                        id_column,
                        f"names {kind} that already exist: {', '.join(clashing[:5])}",
                        f"supply only new {kind}; existing ones cannot be redefined by a snapshot",
                    )
                )
        if kind == "sources" and not problems:
            problems = _source_file_problems(database.data_dir, table, texts_for(texts, table)[0])
        result.problems += [f"--{kind} {path}: {p}" for p in problems]
        if not problems:
            result.extras[kind] = schema.conform(table, schema.DIMENSIONS[kind])
    result.texts, text_problems = texts_for(texts, result.extras.get("sources"))
    if "sources" in result.extras or "sources" not in (supplied or {}):  # else --sources' problems say it
        result.problems += text_problems
    check_facts_file(result, _known_ids(database, result.extras))
    if result.facts is not None:
        result.problems += provenance_problems(result.facts, **rule_sources(database, result.extras, result.texts))
    return result


def decoded_text_bytes(table: pa.Table) -> int:
    """The bytes the table's text takes once its dictionaries are decoded, counted without decoding them."""
    total = 0
    for column in table.columns:
        for chunk in column.chunks:
            if pa.types.is_dictionary(chunk.type):
                lengths = pc.binary_length(chunk.dictionary)
                total += pc.sum(pc.take(lengths, chunk.indices)).as_py() or 0
            elif pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type):
                total += pc.sum(pc.binary_length(chunk)).as_py() or 0
    return total


def _repeats(table: pa.Table) -> schema.Problem | None:
    """The repeated-rows problem, from the key columns alone; None when they repeat nothing or are unusable."""
    keys = table.select([c for c in schema.FACT_KEY if c in table.column_names])
    if schema.check_columns(keys, schema.FACT_KEY_SCHEMA):
        return None
    return schema.duplicate_problem(schema.conform(keys, schema.FACT_KEY_SCHEMA))


def check_facts_file(
    result: Validation,
    known: schema.KnownIds,
    max_rows: int = CLI_MAX_ROWS,
    max_text_bytes: int | None = None,
) -> Validation:
    """Checks result.file's facts against the contract and the known ids; adds to result."""
    name = result.label or result.file
    try:
        table = read_parquet(result.file, result.label, max_rows)
    except SnapshotError as error:
        result.problems.append(str(error))
        return result
    result.rows = len(table)
    if len(table) == 0:
        result.problems.append(f"{name}: the table has no rows. Fix: a snapshot needs at least one figure")
        return result
    text_bytes = decoded_text_bytes(table)
    if text_bytes > REPEATS_TEXT_BYTES and (repeats := _repeats(table)):
        result.problems += [
            str(repeats),
            f"{name}: its text takes {text_bytes / 1024 / 1024:.0f} MB once decoded, so the other checks "
            "were skipped. Fix: remove the repeated rows, then check the file again",
        ]
        return result
    if max_text_bytes is not None and text_bytes > max_text_bytes:
        result.problems.append(
            f"{name}: its text takes {text_bytes / 1024 / 1024:.0f} MB once decoded, more than the "
            f"{max_text_bytes // 1024 // 1024} MB checked here. Fix: check it with 'redengine snapshot validate FILE'"
        )
        return result
    try:
        problems = schema.check_facts(table, known)
    except (pa.ArrowException, ValueError, OverflowError) as error:  # e.g. a date in year -20
        result.problems.append(
            f"{name}: its values cannot be read ({str(error)[:200]}). Fix: give dates between the years 1 and 9999 "
            "and the column types of the contract (README, 'Adding a snapshot')"
        )
        return result
    result.problems += [str(p) for p in problems]
    if not problems:
        result.facts = schema.with_defaults("facts", schema.conformed_facts(table))
    return result


LATEST = ""  # `--amend` without a name: the latest snapshot
# A file that would leave out more than this share of the latest snapshot's figures is refused unless it says
# it is the whole new snapshot (--replace-all): a few revised rows were meant to amend, not replace.
MOST = 0.5


@dataclass(frozen=True)
class Plan:
    """How a file becomes a snapshot: on its own (replace_all), or amending a base (amend: its id, LATEST for
    the latest), with the texts of new reports (their `file` in sources/ → the file given)."""

    amend: str | None = None
    replace_all: bool = False
    texts: tuple[Path, ...] = ()


def add(
    database: Database,
    file: Path,
    snapshot_id: str | None = None,
    replace: bool = False,
    supplied: dict[str, Path] | None = None,
    plan: Plan | None = None,
) -> store.SnapshotEntry:
    """Validates, then adds the snapshot, any new places, metrics and sources and their texts in one step."""
    snapshot_id = checked_id(snapshot_id or file.stem)
    data_dir = database.data_dir
    with store.writer_lock(data_dir):
        # Validated under the lock, against the manifest as it is now: an add that landed
        # meanwhile may have brought the same new place, which would then be defined twice.
        entries = store.read_manifest(data_dir)
        result, existing = checked_for_add(database, file, snapshot_id, replace, supplied, entries, plan or Plan())
        snapshots_dir = data_dir / "snapshots"
        new_files: list[str] = []
        new_texts: list[Path] = []
        writing = "sources/"
        try:
            # The reports' texts first: nothing lists a new source until the manifest names its snapshot.
            for relative, given in result.texts.items():
                target = data_dir / relative
                if not target.is_file():
                    target.parent.mkdir(parents=True, exist_ok=True)
                    store.atomic_write_bytes(target, given.read_bytes())
                    new_texts.append(target)
            writing = "snapshots/"
            entry = write_snapshot(snapshots_dir, snapshot_id, result, existing, new_files)
            store.write_manifest(data_dir, listed_with(entries, entry))
        except OSError as error:
            _remove(snapshots_dir, new_files)
            _remove(data_dir, new_texts)
            raise SnapshotError(
                f"the data directory's {writing} cannot be written ({error.strerror or error}); nothing was added. "
                "Fix: run the command as a user who may write there, or free disk space"
            ) from None
        except BaseException:
            _remove(snapshots_dir, new_files)
            _remove(data_dir, new_texts)
            raise
    return entry


def checked_id(snapshot_id: str) -> str:
    if not schema.SAFE_SNAPSHOT_ID.fullmatch(snapshot_id):
        raise SnapshotError(
            f"snapshot id {snapshot_id!r} is not a safe name. Fix: use letters, digits, '-' and '_' "
            "(up to 80 characters, starting with a letter or digit), e.g. 2026-11-22-wuhan-q3"
        )
    return snapshot_id


def checked_for_add(
    database: Database,
    file: Path,
    snapshot_id: str,
    replace: bool,
    supplied: dict[str, Path] | None,
    entries: list[store.SnapshotEntry],
    plan: Plan | None = None,
) -> tuple[Validation, store.SnapshotEntry | None]:
    """The validated file (amending its base when the plan says so) and the entry it replaces; raises
    SnapshotError when it cannot be added to `entries`."""
    plan = plan or Plan()
    result = validate(database, file, supplied, list(plan.texts))
    if not result.ok:
        raise SnapshotError(result.report())
    existing = next((e for e in entries if e.id == snapshot_id), None)
    if existing and not replace:
        raise SnapshotError(
            f"snapshot {snapshot_id!r} exists already (added {existing.added}). "
            "Fix: choose another --id, or pass --replace to replace it (the old file is kept as a backup)"
        )
    if plan.amend is not None:
        base = _base(entries, plan.amend)
        result.facts = amended(_stored_facts(database.data_dir, base), result.facts)
        result.rows = len(result.facts)
    elif entries and not plan.replace_all:
        latest = entries[-1]
        left_out = len(_left_out(_stored_facts(database.data_dir, latest), result.facts))
        if left_out > MOST * latest.rows:
            raise SnapshotError(
                f"{file}: as a snapshot of its own it would leave out {left_out:,} of the {latest.rows:,} "
                f"figures of the latest snapshot {latest.id}; nothing was added. Fix: pass --amend to add its "
                "figures to the latest snapshot (a row with the same place, metric and period replaces the old "
                "one), or --replace-all if the file is the whole new snapshot"
            )
    return result, existing


def _base(entries: list[store.SnapshotEntry], amend: str) -> store.SnapshotEntry:
    if not entries:
        raise SnapshotError("there is no snapshot to amend. Fix: add the file without --amend")
    if amend == LATEST:
        return entries[-1]
    found = next((e for e in entries if e.id == amend), None)
    if found is None:
        known = ", ".join(e.id for e in entries)
        raise SnapshotError(f"--amend {amend}: no such snapshot. Fix: name one of {known}")
    return found


def _stored_facts(data_dir: Path, entry: store.SnapshotEntry) -> pa.Table:
    """A listed snapshot's facts in the analysts' contract (verified against the manifest first)."""
    relative = f"snapshots/{entry.file}"
    integrity.verify(data_dir, relative, entry.sha256, entry.rows)
    return schema.with_defaults("facts", schema.conformed_facts(pq.read_table(data_dir / relative)))


def _keys(facts: pa.Table) -> pa.Table:
    """The facts' (place, metric, period) keys, an open period's missing start as a value a join can match."""
    keys = facts.select(schema.FACT_KEY)
    start = pc.fill_null(keys["period_start"], pa.scalar(0, pa.date32()))
    return keys.set_column(keys.schema.get_field_index("period_start"), "period_start", start)


def _left_out(base: pa.Table, changes: pa.Table) -> np.ndarray:
    """The row numbers, in order, of base's rows whose (place, metric, period) no row of changes has."""
    numbered = _keys(base).append_column("_row", pa.array(np.arange(len(base))))
    return np.sort(numbered.join(_keys(changes), schema.FACT_KEY, join_type="left anti")["_row"].to_numpy())


def amended(base: pa.Table, changes: pa.Table) -> pa.Table:
    """base with changes applied: a row of changes replaces base's row of the same key, or is added."""
    untouched = base.take(_left_out(base, changes))
    return pa.concat_tables([untouched.select(changes.column_names).cast(changes.schema), changes])


def write_snapshot(
    snapshots_dir: Path,
    snapshot_id: str,
    result: Validation,
    existing: store.SnapshotEntry | None,
    new_files: list[str],
) -> store.SnapshotEntry:
    """Writes a validated snapshot's files under new names into snapshots_dir (appending each to new_files
    as soon as it exists) and returns its manifest entry; nothing is listed until a manifest names it."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    # A fresh file name each time: a reader holding the old manifest keeps reading old files.
    file_name = f"{snapshot_id}.{stamp}.parquet"
    facts = result.facts.append_column("snapshot_id", pa.array([snapshot_id] * result.rows, pa.string()))
    written = store.write_snapshot_files(snapshots_dir, file_name, facts)
    new_files += [written["file"], written["by_place_file"]]
    extras = {}
    for kind, table in result.extras.items():
        extras[kind] = f"{snapshot_id}.{stamp}.{kind}.parquet"
        store.write_parquet(snapshots_dir / extras[kind], table.sort_by(schema.ID_COLUMN[kind]))
        new_files.append(extras[kind])
    backups: list[str] = []
    if existing:
        # The replaced files stay as backups, named in the manifest until 'snapshot gc --backups'.
        superseded = [existing.extras[kind] for kind in extras if kind in existing.extras]
        backups = [*existing.backups, *existing.stored_files(), *superseded]
        extras = {**existing.extras, **extras}
    return store.SnapshotEntry(
        id=snapshot_id,
        added=datetime.now(UTC).isoformat(timespec="seconds"),
        extras=extras,
        replaces=existing.file if existing else None,
        backups=backups,
        **written,
    )


def listed_with(entries: list[store.SnapshotEntry], entry: store.SnapshotEntry) -> list[store.SnapshotEntry]:
    """The manifest's entries once `entry` is added (in place of an entry with its id)."""
    return [e for e in entries if e.id != entry.id] + [entry]


def _remove(folder: Path, files: list[str]) -> None:
    for file in files:
        (folder / file).unlink(missing_ok=True)


def collect_garbage(data_dir: Path, backups: bool = False, delete: bool = False) -> list[str]:
    """Files under snapshots/ that interrupted adds left (and, with backups, the files '--replace' kept).

    Removes them only when delete is true; under the writers' lock, so an add in progress keeps its files.
    """
    with store.writer_lock(data_dir):
        entries = store.read_manifest(data_dir)
        garbage = store.orphans(data_dir, entries)
        if backups:
            garbage += [file for entry in entries for file in entry.backups]
        if delete:
            if backups:
                store.write_manifest(data_dir, [dataclasses.replace(entry, backups=[]) for entry in entries])
            _remove(data_dir / "snapshots", garbage)
    return garbage


def check_upload(database: Database, path: Path, label: str) -> Validation:
    """Validates an uploaded file in a child process, within UPLOAD_MAX_ROWS and UPLOAD_SECONDS."""
    result = Validation(file=path, label=label)
    known = _known_ids(database, {})
    evidence = rule_sources(database, {}, {})
    command = [sys.executable, "-m", "redengine.data.snapshots", str(path), label]
    given = {
        "known": {kind: sorted(getattr(known, kind)) for kind in store.DIMENSION_FILES},
        "sources": {key: dataclasses.astuple(value) for key, value in evidence["sources"].items()},
        "metrics": {key: dataclasses.astuple(value) for key, value in evidence["metrics"].items()},
    }
    try:
        child = subprocess.run(
            command,
            input=json.dumps(given, ensure_ascii=False),
            capture_output=True,
            text=True,
            timeout=UPLOAD_SECONDS,
        )
        report = json.loads(child.stdout)
    except subprocess.TimeoutExpired:
        result.problems.append(
            f"{label}: checking took longer than {UPLOAD_SECONDS} s and was stopped. "
            "Fix: check it with 'redengine snapshot validate FILE', which has no time limit"
        )
        return result
    except ValueError:
        result.problems.append(
            f"{label}: the check stopped unexpectedly. Fix: check it with 'redengine snapshot validate FILE'"
        )
        return result
    result.rows, result.problems = report["rows"], report["problems"]
    return result


def preview(path: Path, rows: int = PREVIEW_ROWS) -> pd.DataFrame:
    """The first rows of a file that passed validation."""
    first = next(pq.ParquetFile(path).iter_batches(batch_size=rows), None)
    return first.to_pandas() if first is not None else pd.DataFrame()


def _check_upload_in_child(path: str, label: str) -> None:
    """The child process of check_upload: reads the known ids and the rules' sources as JSON, prints the
    validation as JSON."""
    release_memory_promptly()
    given = json.load(sys.stdin)
    known = schema.KnownIds(**{kind: set(ids) for kind, ids in given["known"].items()})
    result = check_facts_file(Validation(file=Path(path), label=label), known, UPLOAD_MAX_ROWS, UPLOAD_MAX_TEXT_BYTES)
    if result.facts is not None:
        sources = {key: provenance.Source(*value) for key, value in given["sources"].items()}
        metrics = {key: provenance.Metric(*value) for key, value in given["metrics"].items()}
        result.problems += provenance_problems(result.facts, sources, metrics)
    print(json.dumps({"rows": result.rows, "problems": result.problems}, ensure_ascii=False))


if __name__ == "__main__":
    _check_upload_in_child(*sys.argv[1:3])

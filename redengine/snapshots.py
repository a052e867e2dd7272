"""Analysts' snapshots: validate, add (atomically), list, diff.

A failed command changes nothing under the data directory: every new file gets a new
name and becomes visible only when the manifest, replaced by one atomic rename, lists it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from redengine import schema, store
from redengine.db import Database


class SnapshotError(RuntimeError):
    """A snapshot that cannot be accepted; the message lists every problem."""


@dataclass
class Validation:
    """What validating a snapshot (and the dimension files supplied with it) found."""

    file: Path
    rows: int = 0
    problems: list[str] = field(default_factory=list)
    facts: pa.Table | None = None
    extras: dict[str, pa.Table] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def report(self) -> str:
        if self.ok:
            return f"{self.file}: valid, {self.rows} figures"
        lines = [f"{self.file}: {len(self.problems)} problem(s), nothing was written"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


def read_parquet(path: Path) -> pa.Table:
    """Reads a Parquet file or raises SnapshotError saying why it cannot be read."""
    if not path.is_file():
        raise SnapshotError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise SnapshotError(f"{path}: the file is empty (0 bytes); export the table again as Parquet")
    try:
        return pq.read_table(path, page_checksum_verification=True)
    except (pa.ArrowException, OSError, ValueError) as error:
        raise SnapshotError(
            f"{path}: not a readable Parquet file ({error}). Fix: write it with "
            "pandas.DataFrame.to_parquet or pyarrow.parquet.write_table; a truncated copy must be copied again."
        ) from None


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


def validate(database: Database, file: Path, supplied: dict[str, Path] | None = None) -> Validation:
    """Checks a snapshot file without writing anything."""
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
        result.problems += [f"--{kind} {path}: {p}" for p in problems]
        if not problems:
            result.extras[kind] = schema.conform(table, schema.DIMENSIONS[kind])
    try:
        table = read_parquet(file)
    except SnapshotError as error:
        result.problems.append(str(error))
        return result
    result.rows = len(table)
    if len(table) == 0:
        result.problems.append(f"{file}: the table has no rows; a snapshot needs at least one figure")
        return result
    problems = schema.check_facts(table, _known_ids(database, result.extras))
    result.problems += [str(p) for p in problems]
    if not problems:
        result.facts = schema.with_defaults("facts", schema.conformed_facts(table))
    return result


def add(
    database: Database,
    file: Path,
    snapshot_id: str | None = None,
    replace: bool = False,
    supplied: dict[str, Path] | None = None,
) -> store.SnapshotEntry:
    """Validates, then adds the snapshot and any new places, metrics and sources in one step."""
    snapshot_id = snapshot_id or file.stem
    if not schema.SAFE_SNAPSHOT_ID.fullmatch(snapshot_id):
        raise SnapshotError(
            f"snapshot id {snapshot_id!r} is not a safe name. Fix: use letters, digits, '-' and '_' "
            "(up to 80 characters, starting with a letter or digit), e.g. 2026-11-22-wuhan-q3"
        )
    data_dir = database.data_dir
    with store.writer_lock(data_dir):
        # Validated under the lock, against the manifest as it is now: an add that landed
        # meanwhile may have brought the same new place, which would then be defined twice.
        result = validate(database, file, supplied)
        if not result.ok:
            raise SnapshotError(result.report())
        entries = store.read_manifest(data_dir)
        existing = next((e for e in entries if e.id == snapshot_id), None)
        if existing and not replace:
            raise SnapshotError(
                f"snapshot {snapshot_id!r} exists already (added {existing.added}). "
                "Fix: choose another --id, or pass --replace to replace it (the old file is kept as a backup)"
            )
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        # A fresh file name each time: a reader holding the old manifest keeps reading old files.
        file_name = f"{snapshot_id}.{stamp}.parquet"
        snapshots_dir = data_dir / "snapshots"
        facts = result.facts.append_column("snapshot_id", pa.array([snapshot_id] * result.rows, pa.string()))
        written = store.write_snapshot_files(snapshots_dir, file_name, facts)
        extras = {}
        for kind, table in result.extras.items():
            extras[kind] = f"{snapshot_id}.{stamp}.{kind}.parquet"
            store.write_parquet(snapshots_dir / extras[kind], table.sort_by(schema.ID_COLUMN[kind]))
        if existing:
            extras = {**existing.extras, **extras}
        entry = store.SnapshotEntry(
            id=snapshot_id,
            added=datetime.now(UTC).isoformat(timespec="seconds"),
            extras=extras,
            # The replaced file stays where it was, unlisted: it is the backup.
            replaces=existing.file if existing else None,
            **written,
        )
        new_files = [*entry.stored_files(), *extras.values()]
        try:
            store.write_manifest(data_dir, [e for e in entries if e.id != snapshot_id] + [entry])
        except BaseException:
            for path in (snapshots_dir / f for f in new_files):
                if existing is None or path.name not in existing.extras.values():
                    path.unlink(missing_ok=True)
            raise
    return entry

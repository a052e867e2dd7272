"""Builds the bundled Parquet tables from the human-edited CSV files in data/curation/.

Deterministic: the same CSVs give byte-identical Parquet, so a test can prove the
committed tables are a fresh build.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa

from redengine.data import provenance, schema, store

BUNDLED_SNAPSHOT_ID = "2026-11-23-curated"
BUNDLED_SNAPSHOT_ADDED = "2026-11-23T00:00:00+00:00"
CURATION = Path("curation")


class CurationError(RuntimeError):
    """The curation files do not make a valid dataset; lists every problem."""


@dataclass(frozen=True)
class Curation:
    districts: pa.Table
    concepts: pa.Table
    metrics: pa.Table
    sources: pa.Table
    facts: pd.DataFrame  # with `file` and `line` of each row, for messages
    headers: dict[str, list[str]]  # each file's columns: curation writes every column, defaults are for snapshots


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def to_table(frame: pd.DataFrame, table_schema: pa.Schema) -> pa.Table:
    columns = {}
    for field_ in table_schema:
        values = frame[field_.name].replace("", None) if field_.name in frame else None
        if values is None:
            columns[field_.name] = pa.nulls(len(frame), field_.type)
        elif pa.types.is_date(field_.type):
            columns[field_.name] = pa.array(pd.to_datetime(values).dt.date, type=field_.type)
        elif pa.types.is_floating(field_.type):
            columns[field_.name] = pa.array(values.astype(float), type=field_.type)
        else:
            columns[field_.name] = pa.array(values, type=field_.type)
    return pa.table(columns, schema=table_schema)


def load(data_dir: Path) -> Curation:
    folder = data_dir / CURATION
    headers = {}
    tables = {}
    for kind in schema.DIMENSIONS:
        frame = _read_csv(folder / f"{kind}.csv")
        headers[f"{kind}.csv"] = list(frame.columns)
        tables[kind] = to_table(frame, schema.DIMENSIONS[kind]).sort_by(schema.ID_COLUMN[kind])
    frames = []
    for path in sorted((folder / "facts").glob("*.csv")):
        frame = _read_csv(path)
        headers[f"facts/{path.name}"] = list(frame.columns)
        frame["file"] = str(path.relative_to(data_dir))
        frame["line"] = range(2, len(frame) + 2)  # the header is line 1
        frames.append(frame)
    facts = pd.concat(frames, ignore_index=True)
    return Curation(facts=facts, headers=headers, **tables)


def provenance_problems(data_dir: Path, curation: Curation) -> list[str]:
    """What the contract cannot see: quotes in their source, values and qualifiers as the text writes them."""
    rows = ((f"{row['file']}:{row['line']}", row) for row in curation.facts.to_dict("records"))
    sources = provenance.sources_with_texts(data_dir, curation.sources.to_pylist())
    return [str(r) for r in provenance.check(rows, sources, provenance.metrics_of(curation.metrics.to_pylist()))]


def _header_problems(curation: Curation) -> list[str]:
    """Every contract column is written out in the curation files: no row relies on a default."""
    problems = []
    for file, columns in curation.headers.items():
        expected = schema.FACTS if file.startswith("facts/") else schema.DIMENSIONS[file.removesuffix(".csv")]
        missing = [name for name in expected.names if name not in columns]
        if missing:
            problems.append(
                f"{CURATION / file}: columns {', '.join(missing)} are missing. Fix: add them (see README.md)"
            )
    return problems


def _concept_use_problems(curation: Curation) -> list[str]:
    unused = set(curation.concepts["concept_id"].to_pylist()) - set(curation.metrics["concept_id"].to_pylist())
    return [
        f"{CURATION / 'concepts.csv'}: concept {c!r} has no metric. Fix: remove it or give a metric this concept"
        for c in sorted(unused)
    ]


def _one_definition_problems(curation: Curation) -> list[str]:
    """A concept two or more places report is one definition: its places are counted as comparable (reach)."""
    concept_of = dict(
        zip(curation.metrics["metric_id"].to_pylist(), curation.metrics["concept_id"].to_pylist(), strict=True)
    )
    figures = curation.facts.assign(concept_id=curation.facts["metric_id"].map(concept_of))
    per_concept = figures.groupby("concept_id").agg(places=("district_id", "nunique"), metrics=("metric_id", "nunique"))
    mixed = per_concept[(per_concept["places"] > 1) & (per_concept["metrics"] > 1)]
    return [
        f"{CURATION / 'metrics.csv'}: concept {concept!r} is reported by {row.places} places in {row.metrics} "
        "definitions. Fix: give each definition a concept of its own, in one family (concepts.csv family_id)"
        for concept, row in mixed.iterrows()
    ]


def check(data_dir: Path, curation: Curation) -> list[str]:
    problems = _header_problems(curation)
    if problems:
        return problems
    concepts = set(curation.concepts["concept_id"].to_pylist())
    for kind in schema.DIMENSIONS:
        table = getattr(curation, kind)
        problems += [f"{CURATION / kind}.csv: {p}" for p in schema.check_dimension(kind, table, concepts)]
    problems += [
        f"{CURATION / 'metrics.csv'}: {p}" for p in schema.concept_problems(curation.concepts, curation.metrics)
    ]
    problems += _concept_use_problems(curation)
    problems += _one_definition_problems(curation)
    known = schema.KnownIds(
        districts=set(curation.districts["district_id"].to_pylist()),
        metrics=set(curation.metrics["metric_id"].to_pylist()),
        sources=set(curation.sources["source_id"].to_pylist()),
    )
    facts = to_table(curation.facts, schema.FACTS)
    for problem in schema.check_facts(facts, known):
        lines = [f"{curation.facts.loc[r - 1, 'file']}:{curation.facts.loc[r - 1, 'line']}" for r in problem.rows]
        problems.append(f"{problem} (at {', '.join(lines)})" if lines else str(problem))
    return problems + provenance_problems(data_dir, curation)


def stored_facts(curation: Curation, snapshot_id: str) -> pa.Table:
    facts = to_table(curation.facts, schema.FACTS)
    return facts.append_column("snapshot_id", pa.array([snapshot_id] * len(facts), pa.string()))


def _listed_snapshots(out_dir: Path) -> list[store.SnapshotEntry]:
    """The manifest's entries; none when there is no manifest yet. An unreadable manifest
    raises: rewriting it would drop the snapshots analysts added."""
    if not store.manifest_path(out_dir).exists():
        return []
    return store.read_manifest(out_dir)


def build(data_dir: Path, out_dir: Path | None = None) -> dict[str, int]:
    """Checks the curation, then writes the tables and the bundled snapshot into out_dir.

    Snapshots that analysts added stay listed in the manifest.
    """
    out_dir = out_dir or data_dir
    curation = load(data_dir)
    problems = check(data_dir, curation)
    if problems:
        raise CurationError("\n".join(problems))
    _listed_snapshots(out_dir)  # an unreadable manifest stops the build before anything is written
    for kind, file in store.DIMENSION_FILES.items():
        store.write_parquet(out_dir / file, getattr(curation, kind))
    facts = stored_facts(curation, BUNDLED_SNAPSHOT_ID)
    written = store.write_snapshot_files(out_dir / "snapshots", f"{BUNDLED_SNAPSHOT_ID}.parquet", facts)
    bundled = store.SnapshotEntry(id=BUNDLED_SNAPSHOT_ID, added=BUNDLED_SNAPSHOT_ADDED, **written)
    with store.writer_lock(out_dir):  # an analyst's `snapshot add` may be landing meanwhile
        others = [e for e in _listed_snapshots(out_dir) if e.id != BUNDLED_SNAPSHOT_ID]
        store.write_manifest(out_dir, [bundled, *others])
    return {"districts": len(curation.districts), "metrics": len(curation.metrics), "facts": len(facts)}

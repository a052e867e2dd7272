"""A snapshot as a citable Frictionless Data Package: one zip, the same bytes from the API and the CLI.

The zip holds the snapshot's facts and the dimension tables as CSV (the package's resources, with
typed, described fields and foreign keys) and as Parquet, the report texts the quotes come from,
`datapackage.json` (snapshot id and sha256, licence, sources) and `CITATION.cff`.
"""

from __future__ import annotations

import io
import json
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq

from redengine.data import schema, store
from redengine.data.db import Database
from redengine.data.schema import ID_COLUMN

TITLE = "Red Engine (红色引擎): Party-building figures of Chinese districts, with their sources"
AUTHOR = "Red Engine dashboard project"
# The curated tables' licence. The report texts under sources/ remain their publishers' and are
# included so that every quote can be checked.
LICENSE = {
    "name": "CC-BY-4.0",
    "path": "https://creativecommons.org/licenses/by/4.0/",
    "title": "Creative Commons Attribution 4.0",
}
# The dimension tables served beside the facts (package, API, SQL sandbox).
DIMENSIONS = tuple(schema.DIMENSIONS)
FIELD_TYPES = {"string": "string", "double": "number", "int64": "integer", "date32[day]": "date", "bool": "boolean"}
DESCRIPTIONS = {
    "snapshot_id": "The snapshot this figure belongs to.",
    "district_id": "The place (see districts).",
    "metric_id": "What is counted (see metrics).",
    "value": "The figure in the metric's base unit (亿 = 1e8, 万 = 1e4 converted).",
    "qualifier": "exact, at_least (余/以上/超过), approx (约/近), estimate (预计) or target.",
    "period_start": "First day of the period the figure covers.",
    "period_end": "Last day of the period the figure covers (the day, for a figure 'as of').",
    "period_label": "The period as people say it: '2018 Q1', '2017', 'as of 2020-12-31'.",
    "value_as_written": "The figure exactly as the report prints it.",
    "source_id": "The report that states the figure (see sources).",
    "quote": "The shortest verbatim passage of the report that states the figure.",
    "note": "A curator's note, in English.",
    "period_basis": "stated (the text gives the period), inferred (from context; see the source's period_note) "
    "or open (the text gives no start; period_start is then empty).",
    "scope_zh": "Empty for a whole-place figure; else the part of the place it covers, in Chinese.",
    "scope_en": "Empty for a whole-place figure; else the part of the place it covers, in English.",
    "concept_id": "The concept the metric is one definition of (see concepts).",
    "measure": "stock, flow, change_rate, share, target, duration, size or ratio: decides which periods compare.",
    "name_zh": "Name in Chinese.",
    "name_en": "Name in English.",
    "level": "district or city.",
    "city_zh": "City, in Chinese.",
    "city_en": "City, in English.",
    "province_zh": "Province, in Chinese.",
    "province_en": "Province, in English.",
    "category": "organizations, volunteers, service_centers, investment, economy or governance.",
    "unit": "The base unit of the values: count, people, CNY, percent, …",
    "description_en": "What the metric counts, in English.",
    "title_zh": "The report's title, in Chinese.",
    "title_en": "The report's title, in English.",
    "publisher": "Who published the report (empty when the text does not say).",
    "published": "When it was published (empty when the text does not say).",
    "file": "The report's full text, in this package under sources/.",
    "period_note": "How the report's period was inferred, when it does not print a year.",
}
FOREIGN_KEYS = {"district_id": "districts", "metric_id": "metrics", "source_id": "sources"}


def snapshot_tables(database: Database, snapshot_id: str) -> dict[str, pa.Table]:
    """The snapshot's facts and the dimension tables, with the API's column names."""
    no_filter = {"district_ids": None, "metric_ids": None, "source_ids": None}
    tables = {"facts": database.query_arrow("snapshot_facts", snapshot_id=snapshot_id, **no_filter)}
    for kind in DIMENSIONS:
        tables[kind] = database.query_arrow("dimension_table", kind=kind)
    return tables


def csv_bytes(table: pa.Table) -> bytes:
    """Plain UTF-8 CSV, as Frictionless and R expect it in a package."""
    return table.to_pandas().to_csv(index=False).encode("utf-8")


def parquet_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def _schema(name: str, table: pa.Table) -> dict:
    fields = []
    for field in table.schema:
        described = {"name": field.name, "type": FIELD_TYPES.get(str(field.type), "any")}
        if DESCRIPTIONS.get(field.name):
            described["description"] = DESCRIPTIONS[field.name]
        fields.append(described)
    schema: dict = {"fields": fields}
    if name in ID_COLUMN:
        schema["primaryKey"] = [ID_COLUMN[name]]
    else:
        schema["foreignKeys"] = [
            {"fields": [column], "reference": {"resource": table_name, "fields": [column]}}
            for column, table_name in FOREIGN_KEYS.items()
            if column in table.column_names
        ]
    return schema


def citation_text(entry: store.SnapshotEntry, url: str | None = None) -> str:
    """How to cite a snapshot: title, snapshot id, date, checksum and, when known, the URL."""
    where = f" {url}" if url else ""
    return f"{AUTHOR}. {TITLE}. Snapshot {entry.id}, {entry.added[:10]} (sha256 {entry.sha256[:16]}…).{where}"


def _citation_cff(entry: store.SnapshotEntry) -> str:
    # JSON strings are valid YAML double-quoted scalars: every value below is quoted safely.
    lines = {
        "cff-version": "1.2.0",
        "message": "If you use these figures, please cite this snapshot as below.",
        "type": "dataset",
        "title": TITLE,
        "version": entry.id,
        "date-released": entry.added[:10],
        "license": LICENSE["name"],
        "abstract": f"Snapshot {entry.id} of the Red Engine data: {entry.rows} figures, each with the verbatim "
        f"quote and the report it comes from. sha256 of the snapshot file: {entry.sha256}.",
    }
    text = "".join(f"{key}: {json.dumps(value, ensure_ascii=False)}\n" for key, value in lines.items())
    return text + f"authors:\n  - name: {json.dumps(AUTHOR)}\n"


def descriptor(entry: store.SnapshotEntry, tables: dict[str, pa.Table]) -> dict:
    """datapackage.json: the snapshot's identity, licence, reports, and a typed resource per table."""
    sources = tables["sources"].to_pylist()
    return {
        "name": f"redengine-{entry.id}".lower(),
        "id": f"redengine:{entry.id}:{entry.sha256}",
        "title": TITLE,
        "version": entry.id,
        "created": entry.added,
        "licenses": [LICENSE],
        "sources": [
            {"title": f"{s['title_zh']} · {s['title_en']}", "path": s["file"]}
            | ({"publisher": s["publisher"]} if s["publisher"] else {})
            for s in sources
        ],
        "snapshot": {"id": entry.id, "sha256": entry.sha256, "rows": entry.rows, "added": entry.added},
        "resources": [
            {
                "name": name,
                "path": f"{name}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": _schema(name, table),
                "alternates": [{"path": f"{name}.parquet", "format": "parquet"}],
            }
            for name, table in tables.items()
        ],
    }


def build(database: Database, snapshot_id: str) -> bytes:
    """The zip for one snapshot: the same bytes every time for the same snapshot and tables."""
    entry = next(e for e in database.snapshots() if e.id == snapshot_id)
    tables = snapshot_tables(database, snapshot_id)
    members = {"datapackage.json": json.dumps(descriptor(entry, tables), ensure_ascii=False, indent=2).encode()}
    members["CITATION.cff"] = _citation_cff(entry).encode("utf-8")
    for name, table in tables.items():
        members[f"{name}.csv"] = csv_bytes(table)
        members[f"{name}.parquet"] = parquet_bytes(table)
    for file in tables["sources"].column("file").to_pylist():
        members[file] = database.source_text(file).encode("utf-8")
    # Fixed timestamps and order: a pinned URL's zip is byte-identical on every download.
    stamp = tuple(int(part) for part in entry.added[:10].split("-")) + (0, 0, 0)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, payload in members.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=stamp), payload, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()

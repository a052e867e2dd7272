"""Tables as files: the formats the data API serves and the pages download, one registry entry each.

A new format is one `TableFormat` in FORMATS (as Datasette registers its output renderers): the API's routes,
its index and its error messages list FORMATS, so nothing else changes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.parquet as pq

# UTF-8 with a byte-order mark: Excel reads Chinese text right only with it.
CSV_ENCODING = "utf-8-sig"


@dataclass(frozen=True)
class TableFormat:
    media_type: str
    # (table, about) → bytes; `about` names the snapshot and the request, kept where the format has metadata.
    encode: Callable[[pa.Table, dict[str, str]], bytes]


def _csv(table: pa.Table, about: dict[str, str]) -> bytes:
    return table.to_pandas().to_csv(index=False).encode(CSV_ENCODING)


def _json(table: pa.Table, about: dict[str, str]) -> bytes:
    document = {**about, "columns": table.column_names, "rows": table.to_pylist()}
    return json.dumps(document, ensure_ascii=False, default=str).encode("utf-8")


def _parquet(table: pa.Table, about: dict[str, str]) -> bytes:
    sink = pa.BufferOutputStream()
    metadata = {**(table.schema.metadata or {}), **{f"redengine.{k}": v for k, v in about.items()}}
    pq.write_table(table.replace_schema_metadata(metadata), sink, compression="zstd")
    return sink.getvalue().to_pybytes()


FORMATS = {
    "csv": TableFormat("text/csv; charset=utf-8", _csv),
    "json": TableFormat("application/json", _json),
    "parquet": TableFormat("application/vnd.apache.parquet", _parquet),
}


def encode(table: pa.Table, fmt: str, about: dict[str, str] | None = None) -> bytes:
    """The table in format `fmt` (a key of FORMATS)."""
    return FORMATS[fmt].encode(table, about or {})

"""Tables as files: the formats the data API serves and the pages download, one registry entry each.

A new format is one `TableFormat` in FORMATS (as Datasette registers its output renderers): the API's routes,
its index and its error messages list FORMATS, so nothing else changes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

# UTF-8 with a byte-order mark: Excel reads Chinese text right only with it.
CSV_ENCODING = "utf-8-sig"
# A text cell a spreadsheet would run as a formula begins with one of these (OWASP, "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


@dataclass(frozen=True)
class TableFormat:
    media_type: str
    # (table, about) → bytes; `about` names the snapshot and the request, kept where the format has metadata.
    encode: Callable[[pa.Table, dict[str, str]], bytes]


def spreadsheet_text(value: object) -> object:
    """A text that a spreadsheet would run as a formula, with a leading apostrophe so it opens as text; anything
    else (numbers, and texts such as "-5" that a spreadsheet reads as numbers) as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The frame as CSV that opens safely in a spreadsheet: no text cell or heading runs as a formula."""
    safe = frame.rename(columns=spreadsheet_text)
    for name in safe.columns[[not pd.api.types.is_numeric_dtype(d) for d in safe.dtypes]]:
        safe[name] = safe[name].map(spreadsheet_text)
    return safe.to_csv(index=False).encode(CSV_ENCODING)


def _csv(table: pa.Table, about: dict[str, str]) -> bytes:
    return csv_bytes(table.to_pandas())


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

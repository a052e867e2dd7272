"""The table contract analysts follow, and the checks that enforce it.

Every check reports all its problems at once, each naming the column, the first
offending rows (counted from 1) with their values, and what would be valid.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from redengine.domain import BASE_UNITS, CATEGORIES, DISTRICT_LEVELS, QUALIFIERS

SAFE_ID = re.compile(r"^[a-z0-9][a-z0-9_]*$")
SAFE_SNAPSHOT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$")
ROWS_SHOWN = 5

DISTRICTS = pa.schema(
    [
        ("district_id", pa.string()),
        ("name_zh", pa.string()),
        ("name_en", pa.string()),
        ("level", pa.string()),
        ("city_zh", pa.string()),
        ("city_en", pa.string()),
        ("province_zh", pa.string()),
        ("province_en", pa.string()),
    ]
)
METRICS = pa.schema(
    [
        ("metric_id", pa.string()),
        ("category", pa.string()),
        ("name_zh", pa.string()),
        ("name_en", pa.string()),
        ("unit", pa.string()),
        ("description_en", pa.string()),
    ]
)
SOURCES = pa.schema(
    [
        ("source_id", pa.string()),
        ("title_zh", pa.string()),
        ("title_en", pa.string()),
        ("publisher", pa.string()),
        ("published", pa.date32()),
        ("file", pa.string()),
        ("period_start", pa.date32()),
        ("period_end", pa.date32()),
        ("period_label", pa.string()),
        ("period_note", pa.string()),
    ]
)
# The columns of a snapshot file as analysts write it.
FACTS = pa.schema(
    [
        ("district_id", pa.string()),
        ("metric_id", pa.string()),
        ("value", pa.float64()),
        ("qualifier", pa.string()),
        ("period_start", pa.date32()),
        ("period_end", pa.date32()),
        ("period_label", pa.string()),
        ("value_as_written", pa.string()),
        ("source_id", pa.string()),
        ("quote", pa.string()),
        ("note", pa.string()),
    ]
)
# As stored: the snapshot id is written into each file so one DuckDB scan over every
# listed file can skip the others by row-group statistics.
STORED_FACTS = FACTS.append(pa.field("snapshot_id", pa.string()))

OPTIONAL_FACT_COLUMNS = frozenset({"note"})
# Columns a facts file may carry that are not checked: a copy of a stored snapshot has
# `snapshot_id` (the id it is added under wins), pandas may write its index.
IGNORED_FACT_COLUMNS = frozenset({"snapshot_id"})
PANDAS_INDEX_COLUMN = re.compile(r"^__index_level_\d+__$")
NULLABLE = {
    "districts": frozenset(),
    "metrics": frozenset(),
    "sources": frozenset({"publisher", "published", "period_note"}),
    "facts": OPTIONAL_FACT_COLUMNS,
}
DIMENSIONS = {"districts": DISTRICTS, "metrics": METRICS, "sources": SOURCES}
ID_COLUMN = {"districts": "district_id", "metrics": "metric_id", "sources": "source_id"}
FACT_KEY = ["district_id", "metric_id", "period_start", "period_end"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a table, said so that a person can fix it."""

    column: str
    message: str
    fix: str
    rows: tuple[int, ...] = ()
    values: tuple[object, ...] = ()
    row_count: int = 0

    def __str__(self) -> str:
        where = f"column '{self.column}': {self.message}"
        if self.rows:
            shown = ", ".join(f"row {row} ({value!r})" for row, value in zip(self.rows, self.values, strict=True))
            more = f" and {self.row_count - len(self.rows)} more" if self.row_count > len(self.rows) else ""
            where += f" — {shown}{more}"
        return f"{where}. Fix: {self.fix}"


@dataclass
class KnownIds:
    """Ids a fact may refer to: those in the data directory plus any supplied with it."""

    districts: set[str] = field(default_factory=set)
    metrics: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)


def _rows_problem(column: str, mask: pd.Series, values: pd.Series | pa.ChunkedArray, message: str, fix: str):
    offending = mask[mask.fillna(False).astype(bool)].index
    if len(offending) == 0:
        return None
    first = offending[:ROWS_SHOWN]
    if isinstance(values, pa.ChunkedArray):  # nulls and NaN stay apart in Arrow
        shown = tuple(_plain(values[int(i)].as_py()) for i in first)
    else:
        shown = tuple(_plain(values.loc[i]) for i in first)
    return Problem(
        column=column,
        message=f"{len(offending)} row(s) {message}",
        fix=fix,
        rows=tuple(int(i) + 1 for i in first),
        values=shown,
        row_count=len(offending),
    )


def _plain(value: object) -> object:
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | int | float | str):
        return value
    return value.item() if hasattr(value, "item") else str(value)


def _mask(array: pa.ChunkedArray | pa.Array) -> pd.Series:
    """A boolean Arrow result as a pandas mask (null counts as False)."""
    return pd.Series(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def _type_ok(actual: pa.DataType, expected: pa.DataType) -> bool:
    if pa.types.is_dictionary(actual):  # pandas "category" columns
        actual = actual.value_type
    if pa.types.is_string(expected):
        return pa.types.is_string(actual) or pa.types.is_large_string(actual) or pa.types.is_null(actual)
    if pa.types.is_floating(expected):
        return pa.types.is_floating(actual) or pa.types.is_integer(actual)
    if pa.types.is_date(expected):
        return pa.types.is_date(actual) or pa.types.is_timestamp(actual) or pa.types.is_null(actual)
    return actual.equals(expected)


def _type_name(dtype: pa.DataType) -> str:
    if pa.types.is_floating(dtype):
        return "a floating-point number (double)"
    if pa.types.is_date(dtype):
        return "a date"
    return "text (string)"


def check_columns(table: pa.Table, expected: pa.Schema, optional: Iterable[str] = ()) -> list[Problem]:
    """Missing, unexpected and wrongly typed columns."""
    problems = []
    optional = set(optional)
    present = set(table.column_names)
    for name in expected.names:
        if name not in present and name not in optional:
            problems.append(
                Problem(name, "is missing", f"add a column '{name}' of {_type_name(expected.field(name).type)}")
            )
    for name in table.column_names:
        if name not in expected.names:
            problems.append(
                Problem(
                    name,
                    "is not part of the contract",
                    f"remove or rename it; the columns are {', '.join(expected.names)}",
                )
            )
        elif not _type_ok(table.schema.field(name).type, expected.field(name).type):
            problems.append(
                Problem(
                    name,
                    f"has type {table.schema.field(name).type}",
                    f"write it as {_type_name(expected.field(name).type)}",
                )
            )
    return problems


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """The table with the contract's columns, in order and types (absent optional ones null)."""
    columns = []
    for field_ in schema:
        if field_.name in table.column_names:
            column = table[field_.name]
            if pa.types.is_dictionary(column.type):
                column = column.cast(column.type.value_type)
            if pa.types.is_date(field_.type) and pa.types.is_timestamp(column.type):
                column = column.cast(pa.date32())
            # Integers too large for a double lose their last digits rather than fail.
            safe = not (pa.types.is_integer(column.type) and pa.types.is_floating(field_.type))
            columns.append(column.cast(field_.type, safe=safe))
        else:
            columns.append(pa.nulls(len(table), field_.type))
    return pa.Table.from_arrays(columns, schema=schema)


def _without_ignored(table: pa.Table, ignored: Iterable[str] = ()) -> pa.Table:
    """The table without the columns a check skips (and any index pandas wrote)."""
    ignored = set(ignored)
    return table.select([c for c in table.column_names if c not in ignored and not PANDAS_INDEX_COLUMN.match(c)])


def _null_problems(table: pa.Table, nullable: frozenset[str]) -> list[Problem]:
    """Null (and blank text) cells of a conformed table; NaN is a number, checked elsewhere."""
    problems = []
    for column in table.column_names:
        if column in nullable:
            continue
        values = table[column]
        empty = pc.is_null(values)
        if pa.types.is_string(values.type):
            empty = pc.or_kleene(empty, pc.equal(pc.utf8_trim_whitespace(values), ""))
        problem = _rows_problem(column, _mask(empty), values, "are empty", "give every row a value")
        if problem:
            problems.append(problem)
    return problems


def check_dimension(kind: str, table: pa.Table, existing: Mapping[str, set[str]] | None = None) -> list[Problem]:
    """Checks a districts, metrics or sources table: columns, ids, allowed values."""
    schema = DIMENSIONS[kind]
    table = _without_ignored(table)
    problems = check_columns(table, schema)
    if problems:
        return problems
    conformed = conform(table, schema)
    frame = conformed.to_pandas()
    problems += _null_problems(conformed, NULLABLE[kind])
    id_column = ID_COLUMN[kind]
    ids = frame[id_column].astype("string")
    bad_id = ~ids.fillna("").str.fullmatch(SAFE_ID.pattern)
    for problem in (
        _rows_problem(id_column, bad_id, ids, "are not safe ids", "use lowercase letters, digits and _"),
        _rows_problem(id_column, ids.duplicated(keep="first"), ids, "repeat an id", "give each row its own id"),
    ):
        if problem:
            problems.append(problem)
    allowed = {"districts": ("level", DISTRICT_LEVELS), "metrics": ("category", CATEGORIES)}
    if kind == "metrics":
        problems += _allowed(frame, "unit", BASE_UNITS)
    if kind in allowed:
        column, values = allowed[kind]
        problems += _allowed(frame, column, values)
    if kind == "sources":
        reversed_ = frame["period_start"] > frame["period_end"]
        problem = _rows_problem("period_start", reversed_, frame["period_start"], "start after period_end", "swap them")
        if problem:
            problems.append(problem)
    return problems


def _allowed(frame: pd.DataFrame, column: str, allowed: Iterable[str]) -> list[Problem]:
    allowed = tuple(allowed)
    outside = ~frame[column].isin(allowed)
    problem = _rows_problem(
        column, outside, frame[column], "are not an allowed value", f"use one of {', '.join(allowed)}"
    )
    return [problem] if problem else []


FACT_KEY_SCHEMA = pa.schema([FACTS.field(name) for name in FACT_KEY])


def duplicate_problem(facts: pa.Table) -> Problem | None:
    """Rows whose (district, metric, period) an earlier row already gave; facts has FACT_KEY_SCHEMA's columns.

    Grouped in Arrow on the typed columns (pandas would first turn the dates into Python objects),
    and only the rows shown are formatted: formatting every repeat cost minutes and gigabytes on a
    small file of a million identical rows.
    """
    keys = facts.select(FACT_KEY)
    numbered = keys.append_column("row", pa.array(np.arange(len(keys))))
    first = numbered.group_by(FACT_KEY, use_threads=False).aggregate([("row", "min")])["row_min"]
    repeated = np.ones(len(keys), dtype=bool)
    repeated[first.to_numpy()] = False
    shown = np.flatnonzero(repeated)[:ROWS_SHOWN]
    texts = [
        " / ".join("(empty)" if value is None else str(value) for value in row.values())
        for row in keys.take(pa.array(shown, pa.int64())).to_pylist()
    ]
    return _rows_problem(
        "district_id, metric_id, period_start, period_end",
        pd.Series(repeated),
        pd.Series(texts, index=shown, dtype=object),
        "repeat a (district, metric, period) already given in an earlier row",
        "keep one row per district, metric and period",
    )


def check_facts(table: pa.Table, known: KnownIds) -> list[Problem]:
    """Checks a snapshot of facts against the contract and the known ids."""
    table = _without_ignored(table, IGNORED_FACT_COLUMNS)
    problems = check_columns(table, FACTS, OPTIONAL_FACT_COLUMNS)
    if any(p.message != "is not part of the contract" for p in problems):
        return problems  # values cannot be checked in columns that are missing or mistyped
    conformed = conform(table.select([c for c in table.column_names if c in FACTS.names]), FACTS)
    frame = conformed.to_pandas()
    problems += _null_problems(conformed, NULLABLE["facts"])
    for column, ids, kind in (
        ("district_id", known.districts, "districts"),
        ("metric_id", known.metrics, "metrics"),
        ("source_id", known.sources, "sources"),
    ):
        unknown = frame[column].notna() & ~frame[column].isin(ids)
        problem = _rows_problem(
            column,
            unknown,
            frame[column],
            f"name {kind} that are not known",
            f"use a known id ({', '.join(sorted(ids)[:8])}{' …' if len(ids) > 8 else ''}) "
            f"or supply the new {kind} with --{kind} FILE",
        )
        if problem:
            problems.append(problem)
    values = conformed["value"]
    not_finite = _mask(pc.invert(pc.is_finite(values)))
    problem = _rows_problem(
        "value",
        not_finite,
        values,
        "are not finite (NaN or infinite)",
        "give a finite number, or drop the row: not reported is no row",
    )
    if problem:
        problems.append(problem)
    problems += [p for p in _allowed(frame.dropna(subset=["qualifier"]), "qualifier", QUALIFIERS)]
    reversed_ = frame["period_start"] > frame["period_end"]
    problem = _rows_problem(
        "period_start",
        reversed_,
        frame["period_start"],
        "start after their period_end",
        "make period_start ≤ period_end",
    )
    if problem:
        problems.append(problem)
    problem = duplicate_problem(conformed)
    if problem:
        problems.append(problem)
    return problems

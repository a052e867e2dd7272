"""The table contract analysts follow, and the checks that enforce it.

Every check reports all its problems at once, each naming the column, the first
offending rows (counted from 1) with their values, and what would be valid.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from redengine.core.domain import BASE_UNITS, CATEGORIES, DISTRICT_LEVELS, MEASURES, PERIOD_BASES, QUALIFIERS

SAFE_ID = re.compile(r"^[a-z0-9][a-z0-9_]*$")
SAFE_SNAPSHOT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$")
ROWS_SHOWN = 5
# In names and titles: HTML-like brackets, Markdown links and code spans.
NAME_MARKUP = re.compile(r"[<>`]|\[[^\]]*\]\(")
# Control and format characters (bidi overrides, zero-width spaces and joiners, the byte-order mark).
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf"})
NAME_SHOWN = 60  # characters of a refused name quoted in the message

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
CONCEPTS = pa.schema(
    [
        ("concept_id", pa.string()),
        ("category", pa.string()),
        ("name_zh", pa.string()),
        ("name_en", pa.string()),
        ("description_en", pa.string()),
        ("family_id", pa.string()),
        ("family_zh", pa.string()),
        ("family_en", pa.string()),
    ]
)
# Concepts written before families existed: each is then a family of its own, of its own name.
OPTIONAL_CONCEPT_COLUMNS = frozenset({"family_id", "family_zh", "family_en"})
METRICS = pa.schema(
    [
        ("metric_id", pa.string()),
        ("category", pa.string()),
        ("name_zh", pa.string()),
        ("name_en", pa.string()),
        ("unit", pa.string()),
        ("concept_id", pa.string()),
        ("measure", pa.string()),
        ("description_en", pa.string()),
    ]
)
# Metrics written to the contract before concepts existed: each is then a concept of its own,
# measured as a stock (what every figure was read as before).
METRIC_DEFAULTS = {"measure": "stock"}  # queries/setup/concepts.sql applies it to stored files too
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
        ("period_basis", pa.string()),
        ("scope_zh", pa.string()),
        ("scope_en", pa.string()),
        ("value_as_written", pa.string()),
        ("source_id", pa.string()),
        ("quote", pa.string()),
        ("note", pa.string()),
    ]
)
# As stored: the snapshot id is written into each file so one DuckDB scan over every
# listed file can skip the others by row-group statistics.
STORED_FACTS = FACTS.append(pa.field("snapshot_id", pa.string()))

# A snapshot written before period bases and scopes existed still loads: its figures are read
# as whole-place figures whose period the text states (what the old contract implied).
OPTIONAL_FACT_COLUMNS = frozenset({"note", "period_basis", "scope_zh", "scope_en"})
FACT_DEFAULTS = {"period_basis": "stated"}  # queries/setup/facts.sql applies it to stored files too
FACT_COLUMNS_ADDED_LATER = ("period_basis", "scope_zh", "scope_en")
OPTIONAL_METRIC_COLUMNS = frozenset({"concept_id", "measure"})
# Columns a facts file may carry that are not checked: a copy of a stored snapshot has
# `snapshot_id` (the id it is added under wins), pandas may write its index.
IGNORED_FACT_COLUMNS = frozenset({"snapshot_id"})
PANDAS_INDEX_COLUMN = re.compile(r"^__index_level_\d+__$")
NULLABLE = {
    "districts": frozenset(),
    "concepts": frozenset(),
    "metrics": frozenset(),
    "sources": frozenset({"publisher", "published", "period_note"}),
    # period_start is null exactly when the period is open (checked with period_basis)
    "facts": OPTIONAL_FACT_COLUMNS | {"period_start"},
}
DIMENSIONS = {"districts": DISTRICTS, "concepts": CONCEPTS, "metrics": METRICS, "sources": SOURCES}
OPTIONAL_DIMENSION_COLUMNS = {"metrics": OPTIONAL_METRIC_COLUMNS, "concepts": OPTIONAL_CONCEPT_COLUMNS}
ID_COLUMN = {"districts": "district_id", "concepts": "concept_id", "metrics": "metric_id", "sources": "source_id"}
# Text shown as a name: no markup, no invisible characters (see _markup_problems).
NAME_COLUMNS = {
    "districts": ("name_zh", "name_en", "city_zh", "city_en", "province_zh", "province_en"),
    "concepts": ("name_zh", "name_en"),
    "metrics": ("name_zh", "name_en"),
    "sources": ("title_zh", "title_en", "publisher"),
}
SCOPE_COLUMNS = ("scope_zh", "scope_en")  # a part of a place is named like a place
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
    concepts: set[str] = field(default_factory=set)


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


def with_defaults(kind: str, table: pa.Table) -> pa.Table:
    """A conformed table with the documented defaults in the columns an older contract lacked."""
    if kind == "facts":
        filled = {"period_basis": pc.fill_null(table["period_basis"], FACT_DEFAULTS["period_basis"])}
    elif kind == "metrics":
        filled = {
            "concept_id": pc.coalesce(table["concept_id"], table["metric_id"]),
            "measure": pc.fill_null(table["measure"], METRIC_DEFAULTS["measure"]),
        }
    elif kind == "concepts":
        filled = {
            "family_id": pc.coalesce(table["family_id"], table["concept_id"]),
            "family_zh": pc.coalesce(table["family_zh"], table["name_zh"]),
            "family_en": pc.coalesce(table["family_en"], table["name_en"]),
        }
    else:
        return table
    for name, column in filled.items():
        table = table.set_column(table.schema.get_field_index(name), name, column)
    return table


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


def check_dimension(kind: str, table: pa.Table, concepts: set[str] | None = None) -> list[Problem]:
    """Checks a districts, concepts, metrics or sources table: columns, ids, allowed values.

    `concepts`, when given, are the concept ids a metrics table may name.
    """
    schema = DIMENSIONS[kind]
    table = _without_ignored(table)
    problems = check_columns(table, schema, OPTIONAL_DIMENSION_COLUMNS.get(kind, ()))
    if problems:
        return problems
    conformed = conform(table, schema)
    explicit = conformed
    conformed = with_defaults(kind, conformed)
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
    problems += _markup_problems(frame, NAME_COLUMNS[kind])
    if kind == "concepts":  # family names as written: a default copies the concept's name, checked above
        problems += _markup_problems(explicit.to_pandas(), ("family_zh", "family_en"))
    allowed = {
        "districts": ("level", DISTRICT_LEVELS),
        "metrics": ("category", CATEGORIES),
        "concepts": ("category", CATEGORIES),
    }
    if kind == "metrics":
        problems += _allowed(frame, "unit", BASE_UNITS)
        problems += _allowed(frame, "measure", MEASURES)
        named = explicit["concept_id"].to_pandas()
        problems += _present(
            _rows_problem(
                "concept_id",
                named.notna() & ~named.fillna("").str.fullmatch(SAFE_ID.pattern),
                named,
                "are not safe ids",
                "use lowercase letters, digits and _",
            ),
            None
            if concepts is None
            else _rows_problem(
                "concept_id",
                named.notna() & ~named.isin(concepts),
                named,
                "name concepts that are not known",
                f"use a known concept ({_some(concepts)}) or supply the new concepts with --concepts FILE",
            ),
        )
    if kind in allowed:
        column, values = allowed[kind]
        problems += _allowed(frame, column, values)
    if kind == "sources":
        reversed_ = frame["period_start"] > frame["period_end"]
        problem = _rows_problem("period_start", reversed_, frame["period_start"], "start after period_end", "swap them")
        if problem:
            problems.append(problem)
    return problems


def concept_problems(concepts: pa.Table, metrics: pa.Table) -> list[Problem]:
    """Metrics line up under their concept: the concept's category, and one unit per concept.

    A concept is one axis on a chart, so its metrics differ in definition, never in unit.
    `metrics` has metric_id, category, unit and concept_id (defaults filled in).
    """
    concept_rows = concepts.to_pandas().set_index("concept_id")
    frame = metrics.to_pandas()
    problems = []
    known = frame["concept_id"].isin(concept_rows.index)
    category_of_concept = frame["concept_id"].map(concept_rows["category"])
    problems += _present(
        _rows_problem(
            "category",
            known & (frame["category"] != category_of_concept),
            frame["metric_id"] + ": " + frame["category"] + " ≠ " + category_of_concept.fillna(""),
            "are in another category than their concept",
            "put the metric in its concept's category, or choose a concept of the metric's category",
        )
    )
    units = frame.groupby("concept_id")["unit"].nunique()
    mixed = frame["concept_id"].isin(units[units > 1].index)
    problems += _present(
        _rows_problem(
            "unit",
            mixed,
            frame["concept_id"] + ": " + frame["metric_id"] + " in " + frame["unit"],
            "put different units under one concept",
            "give every metric of a concept the same unit, or split the concept",
        )
    )
    return problems


def _present(*problems: Problem | None) -> list[Problem]:
    return [p for p in problems if p]


def _some(ids: Iterable[str], shown: int = 8) -> str:
    ids = sorted(ids)
    return ", ".join(ids[:shown]) + (" …" if len(ids) > shown else "")


def _has_markup(name: str) -> bool:
    return bool(NAME_MARKUP.search(name)) or any(unicodedata.category(c) in INVISIBLE_CATEGORIES for c in name)


def _markup_problems(frame: pd.DataFrame, columns: Iterable[str]) -> list[Problem]:
    """Names and titles holding markup or invisible characters: they are shown on every page and in
    charts, and unlike quotes they need not match a report's text, so they are refused outright."""
    problems = []
    for column in columns:
        values = frame[column].astype("string")
        has_markup = values.fillna("").map(_has_markup).astype(bool)
        # Cut; the message shows it with repr, which writes invisible characters as \u escapes.
        shown = values.map(lambda v: v[:NAME_SHOWN] + ("…" if len(v) > NAME_SHOWN else ""), na_action="ignore")
        problem = _rows_problem(
            column,
            has_markup,
            shown,
            "contain markup or invisible characters",
            "write the name as plain text, without <, >, [text](link), backticks, control characters, "
            "bidi overrides or zero-width characters",
        )
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


def _period_basis_problems(frame: pd.DataFrame) -> list[Problem]:
    """period_basis is one of PERIOD_BASES; an open period has no start, any other has one; a scope
    is named in both languages or not at all."""
    basis = frame["period_basis"]
    problems = _allowed(frame.dropna(subset=["period_basis"]), "period_basis", PERIOD_BASES)
    is_open = basis == "open"
    start = frame["period_start"]
    scope_zh, scope_en = frame["scope_zh"], frame["scope_en"]
    return problems + _present(
        _rows_problem(
            "period_start",
            is_open & start.notna(),
            start,
            "have a start though period_basis is open",
            "leave period_start empty when the text gives no start (open), or set period_basis to stated or inferred",
        ),
        _rows_problem(
            "period_start",
            ~is_open & start.isna(),
            basis,
            "are empty though the period is not open",
            "give the start date, or set period_basis to open when the text gives no start (近年来, 累计, 先后)",
        ),
        _rows_problem(
            "scope_zh, scope_en",
            scope_zh.isna() != scope_en.isna(),
            scope_zh.fillna(scope_en),
            "name a scope in one language only",
            "give the part of the place (one street, compound, sub-area) in both scope_zh and "
            "scope_en, or leave both empty for a whole-place figure",
        ),
    )


def conformed_facts(table: pa.Table) -> pa.Table:
    """A facts table as the contract types it, ignored columns dropped (defaults not yet filled)."""
    return conform(table.select([c for c in table.column_names if c in FACTS.names]), FACTS)


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
    conformed = with_defaults("facts", conformed_facts(table))
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
            f"use a known id ({_some(ids)}) or supply the new {kind} with --{kind} FILE",
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
    problems += _period_basis_problems(frame)
    problems += _markup_problems(frame, SCOPE_COLUMNS)
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

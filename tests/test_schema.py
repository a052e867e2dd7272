"""The table contract: what check_facts and check_dimension accept, refuse, and how they say it."""

from __future__ import annotations

from datetime import date, datetime

import pyarrow as pa
import pytest
from conftest import DISTRICTS, METRICS, OLD_FACTS, SOURCES, facts_table

from redengine.data import db, schema

KNOWN = schema.KnownIds(
    districts={d["district_id"] for d in DISTRICTS},
    metrics={m["metric_id"] for m in METRICS},
    sources={s["source_id"] for s in SOURCES},
)


def _rows(**changes_by_row) -> list[dict]:
    """OLD_FACTS with changes: _rows(r2={"value": 1.0}) edits the second row (1-based)."""
    rows = [dict(r) for r in OLD_FACTS]
    for key, changes in changes_by_row.items():
        rows[int(key[1:]) - 1].update(changes)
    return rows


def _texts(problems) -> list[str]:
    return [str(p) for p in problems]


def test_valid_facts_have_no_problems():
    assert schema.check_facts(facts_table(OLD_FACTS), KNOWN) == []


def test_every_problem_is_reported_at_once_with_column_rows_and_fix():
    rows = _rows(
        r2={"district_id": "atlantis"},
        r3={"metric_id": "nope"},
        r4={"qualifier": "maybe"},
        r5={"period_start": date(2030, 1, 1)},
        r6={"quote": "   "},
        r7={"source_id": "src_z"},
    )
    problems = schema.check_facts(facts_table(rows), KNOWN)
    by_column = {p.column: p for p in problems}
    assert set(by_column) == {"district_id", "metric_id", "qualifier", "period_start", "quote", "source_id"}
    assert by_column["district_id"].rows == (2,)
    assert by_column["district_id"].values == ("atlantis",)
    assert by_column["metric_id"].rows == (3,)
    assert by_column["qualifier"].rows == (4,)
    assert by_column["period_start"].rows == (5,)
    assert by_column["quote"].rows == (6,)
    assert by_column["source_id"].rows == (7,)
    text = "\n".join(_texts(problems))
    assert "column 'district_id': 1 row(s) name districts that are not known — row 2 ('atlantis')" in text
    assert "or supply the new districts with --districts FILE" in text
    assert "use one of exact, at_least, approx, estimate, target" in text
    assert "make period_start ≤ period_end" in text


def test_nan_and_infinity_are_not_finite_and_null_is_empty():
    rows = _rows(
        r1={"value": float("nan")}, r3={"value": float("inf")}, r4={"value": float("-inf")}, r6={"value": None}
    )
    problems = {p.message: p for p in schema.check_facts(facts_table(rows), KNOWN)}
    not_finite = problems["3 row(s) are not finite (NaN or infinite)"]
    assert not_finite.rows == (1, 3, 4)
    assert "row 1 ('NaN'), row 3 (inf), row 4 (-inf)" in str(not_finite)
    assert problems["1 row(s) are empty"].rows == (6,)
    assert problems["1 row(s) are empty"].column == "value"


def test_duplicates_name_the_repeated_key_and_later_rows():
    rows = [*OLD_FACTS, OLD_FACTS[1], OLD_FACTS[1]]
    (problem,) = schema.check_facts(facts_table(rows), KNOWN)
    assert problem.rows == (10, 11)
    assert problem.values[0] == "alpha / members / 2020-01-01 / 2020-12-31"
    assert "keep one row per district, metric and period" in str(problem)


def test_empty_key_cells_are_reported_not_crashed_on():
    rows = _rows(r1={"district_id": None}, r2={"period_start": None, "metric_id": None})
    rows.append(dict(rows[0]))  # a duplicate whose key has a null in it
    problems = schema.check_facts(facts_table(rows), KNOWN)
    text = "\n".join(_texts(problems))
    assert "column 'district_id': 2 row(s) are empty — row 1 (None), row 10 (None)" in text
    assert "column 'period_start': 1 row(s) are empty though the period is not open — row 2 ('stated')" in text
    assert "(empty) / members / 2019-01-01 / 2019-12-31" in text


def test_only_the_first_rows_are_shown_with_a_count_of_the_rest():
    rows = [dict(r, qualifier="guess") for r in OLD_FACTS]
    (problem,) = schema.check_facts(facts_table(rows), KNOWN)
    assert problem.rows == (1, 2, 3, 4, 5)
    assert problem.row_count == 9
    assert str(problem).endswith(
        "row 5 ('guess') and 4 more. Fix: use one of exact, at_least, approx, estimate, target"
    )


def test_missing_and_mistyped_columns_stop_value_checks():
    table = facts_table(_rows(r1={"district_id": "atlantis"})).drop_columns(["quote"])
    table = table.set_column(table.schema.get_field_index("value"), "value", table["value"].cast(pa.string()))
    problems = schema.check_facts(table, KNOWN)
    assert _texts(problems) == [
        "column 'quote': is missing. Fix: add a column 'quote' of text (string)",
        "column 'value': has type string. Fix: write it as a floating-point number (double)",
    ]


def test_period_as_text_is_a_type_problem():
    table = facts_table(OLD_FACTS)
    index = table.schema.get_field_index("period_end")
    table = table.set_column(index, "period_end", table["period_end"].cast(pa.string()))
    (problem,) = schema.check_facts(table, KNOWN)
    assert (problem.column, problem.message) == ("period_end", "has type string")
    assert "write it as a date" in str(problem)


def test_unknown_columns_are_refused_but_note_is_optional():
    table = facts_table(OLD_FACTS).drop_columns(["note"]).append_column("Value", pa.array([1.0] * 9))
    (problem,) = schema.check_facts(table, KNOWN)
    assert problem.column == "Value"
    assert problem.message == "is not part of the contract"


def test_the_forms_pandas_and_a_copied_snapshot_write_are_accepted():
    table = facts_table(OLD_FACTS)
    # integers for value, timestamps for dates, categories for text, large strings,
    # a copied snapshot's snapshot_id, an index pandas wrote
    replace = {
        "value": table["value"].cast(pa.int64(), safe=False),
        "period_start": table["period_start"].cast(pa.timestamp("ms")),
        "district_id": table["district_id"].dictionary_encode(),
        "quote": table["quote"].cast(pa.large_string()),
    }
    for name, column in replace.items():
        table = table.set_column(table.schema.get_field_index(name), name, column)
    table = table.append_column("snapshot_id", pa.array(["x"] * 9))
    table = table.append_column("__index_level_0__", pa.array(range(9)))
    assert schema.check_facts(table, KNOWN) == []
    conformed = schema.conform(table.select(schema.FACTS.names), schema.FACTS)
    assert conformed.schema.equals(schema.FACTS)
    assert conformed["period_start"][0].as_py() == date(2019, 1, 1)
    assert conformed["district_id"].to_pylist() == [r["district_id"] for r in OLD_FACTS]


def test_conform_fills_absent_optional_columns_and_orders_columns():
    table = facts_table(OLD_FACTS).drop_columns(["note"])
    reordered = table.select(list(reversed(table.column_names)))
    conformed = schema.conform(reordered, schema.FACTS)
    assert conformed.column_names == schema.FACTS.names
    assert conformed["note"].null_count == 9


def test_huge_integers_are_accepted_as_doubles():
    table = facts_table(OLD_FACTS)
    big = pa.array([2**60 + 1] * 9, pa.int64())
    table = table.set_column(table.schema.get_field_index("value"), "value", big)
    assert schema.check_facts(table, KNOWN) == []
    assert schema.conform(table, schema.FACTS)["value"][0].as_py() == float(2**60)


def test_timestamps_with_a_time_or_zone_become_their_calendar_date():
    table = facts_table(OLD_FACTS)
    noon = pa.array([datetime(2019, 1, 1, 12, 30)] * 9, pa.timestamp("us"))
    table = table.set_column(table.schema.get_field_index("period_start"), "period_start", noon)
    assert schema.conform(table, schema.FACTS)["period_start"][0].as_py() == date(2019, 1, 1)


# --- dimension tables ------------------------------------------------------------------


def _dimension(kind, rows):
    return pa.Table.from_pylist(rows, schema=schema.DIMENSIONS[kind])


@pytest.mark.parametrize(("kind", "rows"), [("districts", DISTRICTS), ("metrics", METRICS), ("sources", SOURCES)])
def test_fixture_dimensions_are_valid(kind, rows):
    assert schema.check_dimension(kind, _dimension(kind, rows)) == []


@pytest.mark.parametrize(
    ("kind", "row", "change", "column", "message"),
    [
        ("districts", 1, {"district_id": "Alpha District"}, "district_id", "are not safe ids"),
        ("districts", 2, {"district_id": "alpha"}, "district_id", "repeat an id"),
        ("districts", 1, {"level": "county"}, "level", "are not an allowed value"),
        ("districts", 3, {"name_en": " "}, "name_en", "are empty"),
        ("metrics", 2, {"category": "party"}, "category", "are not an allowed value"),
        ("metrics", 3, {"unit": "yuan"}, "unit", "are not an allowed value"),
        ("metrics", 4, {"name_zh": None}, "name_zh", "are empty"),
        ("sources", 2, {"period_start": date(2021, 6, 1)}, "period_start", "start after period_end"),
        ("sources", 1, {"file": ""}, "file", "are empty"),
    ],
)
def test_dimension_problems(kind, row, change, column, message):
    rows = [dict(r) for r in {"districts": DISTRICTS, "metrics": METRICS, "sources": SOURCES}[kind]]
    rows[row - 1].update(change)
    problems = [p for p in schema.check_dimension(kind, _dimension(kind, rows)) if p.column == column]
    assert len(problems) == 1
    assert message in problems[0].message
    assert problems[0].rows == (row,)


def test_dimension_publisher_and_published_may_be_empty():
    rows = [dict(SOURCES[0], publisher=None, published=None, period_note=None)]
    assert schema.check_dimension("sources", _dimension("sources", rows)) == []


def test_dimension_missing_column():
    table = _dimension("districts", DISTRICTS).drop_columns(["province_en"])
    assert _texts(schema.check_dimension("districts", table)) == [
        "column 'province_en': is missing. Fix: add a column 'province_en' of text (string)"
    ]


@pytest.mark.parametrize(
    ("snapshot_id", "safe"),
    [
        ("2026-11-22-wuhan-q3", True),
        ("Q3_update", True),
        ("a" * 80, True),
        ("a" * 81, False),
        ("../evil", False),
        ("a/b", False),
        ("-leading", False),
        (".hidden", False),
        ("with space", False),
        ("", False),
        ("名", False),
    ],
)
def test_safe_snapshot_ids(snapshot_id, safe):
    assert bool(schema.SAFE_SNAPSHOT_ID.fullmatch(snapshot_id)) is safe


def test_the_setup_sql_fills_the_same_compatibility_defaults_as_the_contract():
    """Older snapshots get their defaults twice (validated tables in Python, stored files in SQL): one rule."""
    facts_sql = (db.SETUP_DIR / "facts.sql").read_text(encoding="utf-8")
    concepts_sql = (db.SETUP_DIR / "concepts.sql").read_text(encoding="utf-8")
    for column, default in schema.FACT_DEFAULTS.items():
        assert f"coalesce(f.{column}, '{default}') as {column}" in facts_sql
    for column, default in schema.METRIC_DEFAULTS.items():
        assert f"{column} = coalesce({column}, '{default}')" in concepts_sql
    assert set(schema.FACT_COLUMNS_ADDED_LATER) <= schema.OPTIONAL_FACT_COLUMNS

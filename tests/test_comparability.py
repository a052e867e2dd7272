"""The comparability verdict (queries/setup/comparability.sql): generated pairs, and every pair of the bundled data."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from conftest import BUNDLED, DATA_DIR
from hypothesis import given, settings
from hypothesis import strategies as st

from redengine.core.domain import MEASURES, PERIOD_BASES, QUALIFIERS
from redengine.data.db import Database

OVER_A_PERIOD = {"flow", "change_rate", "target"}


@pytest.fixture(scope="module")
def bundled() -> Database:
    return Database(DATA_DIR)


def figures():
    """One figure's comparability attributes, as a stored fact would carry them."""

    @st.composite
    def build(draw):
        basis = draw(st.sampled_from(PERIOD_BASES))
        end = date(2017, 1, 1) + timedelta(days=draw(st.integers(0, 5 * 365)))
        start = None if basis == "open" else end - timedelta(days=draw(st.sampled_from([0, 30, 89, 180, 364, 729])))
        return {
            "metric": draw(st.sampled_from(["m1", "m2"])),
            "measure": draw(st.sampled_from(MEASURES)),
            "scope": draw(st.sampled_from([None, "南华西街"])),
            "qualifier": draw(st.sampled_from(QUALIFIERS)),
            "basis": basis,
            "start": start,
            "end": end,
            "level": draw(st.sampled_from(["district", "city"])),
            "size": draw(st.sampled_from([None, 6.0, 14.0, 16.0])),
        }

    return build()


PLACE = {"level": "district", "size": None}  # a place's attributes when a test does not vary them


def verdict(database: Database, a: dict, b: dict, per_month: bool = False) -> tuple[set[str], bool]:
    params = {
        f"{key}_{side}": value for side, figure in (("a", a), ("b", b)) for key, value in (PLACE | figure).items()
    }
    (row,) = database.query("comparability_verdict", **params, per_month=per_month).to_dict("records")
    return set(row["reasons"]), bool(row["like_for_like"])


def expected_reasons(a: dict, b: dict) -> set[str]:
    """The comparability rule as README states it, written again independently of the SQL."""

    def plan(f):
        return f["measure"] == "target" or f["qualifier"] == "target"

    def months(f):
        return round(((f["end"] - f["start"]).days + 1) / 30.4375)

    def grows(f):
        return f["measure"] in ("stock", "flow", "target")

    if a["measure"] in OVER_A_PERIOD and b["measure"] in OVER_A_PERIOD:
        periods_match = "open" not in (a["basis"], b["basis"]) and months(a) == months(b)
    else:
        periods_match = abs((a["end"] - b["end"]).days) <= 365
    sizes = (a["size"], b["size"])
    sizes_differ = None not in sizes and max(sizes) / min(sizes) > 1.5
    conditions = {
        "different_definition": a["metric"] != b["metric"],
        "different_measure": a["measure"] != b["measure"],
        "part_of_place": a["scope"] is not None or b["scope"] is not None,
        "plan_vs_outcome": plan(a) != plan(b),
        "estimate": "estimate" in (a["qualifier"], b["qualifier"]),
        "open_period": "open" in (a["basis"], b["basis"]),
        "different_period_basis": a["basis"] != b["basis"],
        "different_period": not periods_match,
        "different_level": a["level"] != b["level"],
        "different_size": grows(a) and grows(b) and sizes_differ,
    }
    return {reason for reason, holds in conditions.items() if holds}


@settings(max_examples=300, deadline=None)
@given(a=figures(), b=figures())
def test_the_verdict_names_every_reason_and_only_those(bundled, a, b):
    reasons, like = verdict(bundled, a, b)
    assert reasons == expected_reasons(a, b)
    assert like == (not reasons)
    assert verdict(bundled, b, a)[0] == reasons  # symmetric


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"metric": "m2"}, "different_definition"),
        ({"scope": "琶洲西区"}, "part_of_place"),
        ({"qualifier": "estimate"}, "estimate"),
        ({"qualifier": "target"}, "plan_vs_outcome"),
        ({"basis": "inferred"}, "different_period_basis"),
        ({"basis": "open", "start": None}, "open_period"),
        ({"end": date(2019, 6, 30)}, "different_period"),
        ({"level": "city"}, "different_level"),
        ({"size": 6.0}, "different_size"),
    ],
)
def test_one_difference_makes_two_stocks_unlike(bundled, change, reason):
    stock = {
        "metric": "m1",
        "measure": "stock",
        "scope": None,
        "qualifier": "exact",
        "basis": "stated",
        "start": date(2018, 1, 1),
        "end": date(2018, 3, 31),
        "level": "district",
        "size": 16.0,
    }
    assert verdict(bundled, stock, stock) == (set(), True)
    assert verdict(bundled, stock, stock | {"size": 14.0}) == (set(), True)  # Jiang'an 16 and Wuchang 14: alike
    reasons, like = verdict(bundled, stock, stock | change)
    assert reason in reasons and not like


def test_flows_compare_over_periods_of_equal_length(bundled):
    q1 = {
        "metric": "m1",
        "measure": "flow",
        "scope": None,
        "qualifier": "exact",
        "basis": "stated",
        "start": date(2018, 1, 1),
        "end": date(2018, 3, 31),
    }
    a_later_q1 = q1 | {"start": date(2021, 1, 1), "end": date(2021, 3, 31)}
    jan_to_may = q1 | {"end": date(2018, 5, 31)}
    assert verdict(bundled, q1, a_later_q1) == (set(), True)
    assert verdict(bundled, q1, jan_to_may)[0] == {"different_period"}
    # per month, the stated adjustment, flows of different lengths compare within the like-for-like window
    assert verdict(bundled, q1, jan_to_may, per_month=True) == (set(), True)
    assert verdict(bundled, q1, a_later_q1 | {"start": date(2020, 1, 1), "end": date(2020, 5, 31)}, per_month=True)[
        0
    ] == {"different_period"}


def _all_figures(database: Database) -> list[dict]:
    concepts = database.query("concept_coverage", snapshot_id=BUNDLED, category=None)
    places = list(database.query("district_cards", snapshot_id=BUNDLED)["district_id"])
    rows = []
    for concept_id in concepts["concept_id"]:
        frame = database.query(
            "concept_figures",
            snapshot_id=BUNDLED,
            concept_id=concept_id,
            metric_id=None,
            district_ids=places,
            like_for_like_only=False,
            per_month=False,
            per=None,
        )
        rows += [r | {"concept_id": concept_id} for r in frame[frame["value"].notna()].to_dict("records")]
    return rows


def test_no_unlike_pair_of_the_bundled_data_is_labelled_like_for_like(bundled):
    figures_ = _all_figures(bundled)
    assert len(figures_) == 328
    by_concept: dict[str, list[dict]] = {}
    for row in figures_:
        by_concept.setdefault(row["concept_id"], []).append(row)
    for rows in by_concept.values():
        (reference,) = [r for r in rows if r["is_reference"]]
        for row in rows:
            if row["is_reference"] or not row["like_for_like"]:
                continue
            for column in ("metric_id", "measure", "period_basis"):
                assert row[column] == reference[column]
            assert _missing(row["scope_zh"]) and _missing(reference["scope_zh"]) and row["period_basis"] != "open"
            assert "estimate" not in (row["qualifier"], reference["qualifier"])
        like_set = [r for r in rows if r["in_like_set"]]
        for a in like_set:  # the set shown as like for like holds only pairs that are
            for b in like_set:
                if a is not b:
                    assert verdict(bundled, _attributes(a), _attributes(b))[1]


def _missing(value: object) -> bool:
    return value is None or pd.isna(value)


def _attributes(row: dict) -> dict:
    return {
        "metric": row["metric_id"],
        "measure": row["measure"],
        "scope": None if _missing(row["scope_zh"]) else row["scope_zh"],
        "qualifier": row["qualifier"],
        "basis": row["period_basis"],
        "start": None if _missing(row["period_start"]) else row["period_start"].date(),
        "end": row["period_end"].date(),
        "level": row["level"],
        "size": None if _missing(row["place_size"]) else row["place_size"],
    }

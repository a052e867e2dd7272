"""Every named query, against the bundled data and the fixture directory, and the errors of db."""

from __future__ import annotations

import json
import math
import re

import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import BUNDLED, DATA_DIR, NEW, OLD, metric_rows

from redengine.core.domain import HEADLINE_CATEGORIES
from redengine.data import db, store
from redengine.data.db import Database, UnknownQueryError

QUERY_FILES = sorted(db.QUERIES_DIR.glob("*.sql"))


def _params(name: str, snapshot: str, other: str, place: str, metric: str, source: str, category: str) -> dict:
    return {
        "comparability_verdict": {
            f"{key}_{side}": value
            for side in "ab"
            for key, value in (
                ("metric", metric),
                ("measure", "stock"),
                ("scope", None),
                ("qualifier", "exact"),
                ("basis", "stated"),
                ("start", "2020-01-01"),
                ("end", "2020-12-31"),
                ("level", "district"),
                ("size", None),
            )
        }
        | {"per_month": False},
        "comparable_concepts": {
            "snapshot_id": snapshot,
            "district_id": place,
            "other_ids": ["wuchang", "beta", "gamma"],
        },
        "concept_coverage": {"snapshot_id": snapshot, "category": None},
        "concept_figures": {
            "snapshot_id": snapshot,
            "concept_id": metric,
            "metric_id": None,
            "district_ids": [place],
            "like_for_like_only": False,
            "per_month": False,
            "per": None,
        },
        "concept_ranking": {"snapshot_id": snapshot, "concept_id": metric, "metric_id": None},
        "concept_units": {},
        "coverage_matrix": {"snapshot_id": snapshot},
        "dimension_ids": {"kind": "districts"},
        "dimension_table": {"kind": "metrics"},
        "district_cards": {"snapshot_id": snapshot},
        "district_facts": {"snapshot_id": snapshot, "district_id": place},
        "evidence_matrix": {"snapshot_id": snapshot, "category": category, "district_ids": [place]},
        "family_figures": {"snapshot_id": snapshot, "concept_id": metric, "district_ids": [place]},
        "place_headlines": {"snapshot_id": snapshot, "district_ids": [place], "categories": None},
        "headline_figures": {"snapshot_id": snapshot, "categories": list(HEADLINE_CATEGORIES), "top_n": 12},
        "metric_coverage": {"snapshot_id": snapshot, "category": None, "concept_id": None},
        "snapshot_facts": {"snapshot_id": snapshot, "district_ids": [place], "metric_ids": None, "source_ids": None},
        "snapshot_diff": {"old_snapshot_id": other, "new_snapshot_id": snapshot, "row_limit": None},
        "snapshot_diff_counts": {"old_snapshot_id": other, "new_snapshot_id": snapshot},
        "snapshot_summary": {"snapshot_ids": [snapshot]},
        "source_facts": {"snapshot_id": snapshot, "source_id": source},
        "source_list": {"snapshot_id": snapshot},
    }[name]


@pytest.fixture(scope="module")
def bundled() -> Database:
    return Database(DATA_DIR)


@pytest.fixture(scope="module")
def fixture_db(fixture_template) -> Database:
    return Database(fixture_template)  # read only


def test_every_query_file_has_a_test():
    names = [p.stem for p in QUERY_FILES]
    assert names == db.available_queries()
    for name in names:
        _params(name, "s", "o", "p", "m", "src", "c")  # KeyError for a query without parameters here


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.stem)
def test_query_files_start_with_grain_and_params(path):
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("-- grain: one row per"), lines[0]
    assert lines[1].startswith("-- params: "), lines[1]
    declared = set(re.findall(r"\$(\w+)", lines[1]))
    used = set(re.findall(r"\$(\w+)", "\n".join(lines[2:])))
    assert declared == used
    assert "{" not in "\n".join(lines[2:])  # nothing to .format() into


@pytest.mark.parametrize("name", [p.stem for p in QUERY_FILES])
def test_every_query_runs_on_the_bundled_data(bundled, name):
    frame = bundled.query(
        name, **_params(name, BUNDLED, BUNDLED, "jiangan", "registered_volunteers", "jiangan_2018q1", "volunteers")
    )
    if name.startswith("snapshot_diff"):
        assert frame.empty  # a snapshot compared with itself
        assert "change" in frame.columns
    elif name in ALONE_IN_FAMILY:
        assert frame.empty and "concept_id" in frame.columns
    else:
        assert len(frame) > 0


# Registered volunteers (bundled) and every fixture concept (written before families) are alone in their family:
# no related definitions. test_related_definitions_are_the_family_s_other_concepts tests the rows.
ALONE_IN_FAMILY = {"family_figures"}


SUMMARY_TABLES = sorted(p.stem for d in (db.SUMMARIES_DIR, db.PAIR_SUMMARIES_DIR) for p in d.glob("*.sql"))


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.stem)
def test_a_query_declares_exactly_the_summary_tables_it_reads(path):
    sql = path.read_text(encoding="utf-8")
    body = "\n".join(line for line in sql.splitlines() if not line.startswith("--"))
    read = [name for name in SUMMARY_TABLES if re.search(rf"\b{name}\b", body)]
    assert db.declared_summaries(sql) == read


def test_a_query_fills_only_the_summaries_it_declares():
    database = Database(DATA_DIR)
    database.query("district_cards", snapshot_id=BUNDLED)
    filled = {summary for summary, _ in database._filled[database._current()]}
    assert filled == {"district_reports"}
    database.query("snapshot_diff_counts", old_snapshot_id=BUNDLED, new_snapshot_id=BUNDLED)
    assert ("snapshot_changes", (BUNDLED, BUNDLED)) in database._filled[database._current()]


def test_an_undeclared_summary_name_is_a_clear_error():
    with pytest.raises(db.UnknownQueryError, match="known summaries: .*concept_reach"):
        db.summary_file("no_such_summary")


@pytest.mark.parametrize("name", [p.stem for p in QUERY_FILES])
def test_every_query_runs_on_the_fixture(fixture_db, name):
    frame = fixture_db.query(name, **_params(name, NEW, OLD, "alpha", "members", "src_a", "organizations"))
    assert frame.empty if name in ALONE_IN_FAMILY else len(frame) > 0


# --- results on the bundled data -------------------------------------------------------


def test_bundled_summary(bundled):
    (row,) = bundled.query("snapshot_summary", snapshot_ids=[BUNDLED]).to_dict("records")
    assert (row["figures"], row["places"]) == (328, 6)


def test_bundled_registered_volunteers(bundled):
    frame = metric_rows(bundled, BUNDLED, "registered_volunteers", ["jiangan", "wuchang", "haizhu"]).set_index(
        "district_id"
    )
    assert frame.loc["jiangan", "value"] == 104_953
    assert frame.loc["jiangan", "period_label"] == "as of 2018 Q1"
    assert frame.loc["wuchang", "value"] == 180_000
    assert math.isnan(frame.loc["haizhu", "value"])  # not reported, not 0


def test_bundled_headline_investment(bundled):
    frame = bundled.query("headline_figures", snapshot_id=BUNDLED, categories=["investment"], top_n=12)
    # One definition, two places (investment attracted: Jiang'an, Wuchang); projects signed ≥ 1亿 is the other
    # investment concept two places report (Wuchang, Zhenjiang) and loses the tie by name.
    assert set(frame["concept_id"]) == {"investment_attracted"}
    assert list(frame["district_id"]) == ["wuchang", "jiangan"]  # reporting places only, largest first
    assert set(frame["places_reporting"]) == {2}
    assert set(frame["definitions"]) == {1}


SAME_DEFINITION_REACH = {"organizations": 2, "volunteers": 2, "service_centers": 2, "investment": 2}


def test_bundled_headlines_count_places_of_one_definition(bundled):
    """Reach is places printing a figure of the same definition (the audit of the five reports), not of a kind."""
    frame = bundled.query("headline_figures", snapshot_id=BUNDLED, categories=list(HEADLINE_CATEGORIES), top_n=12)
    reach = frame.groupby("category")["places_reporting"].first().to_dict()
    assert reach == SAME_DEFINITION_REACH
    assert set(frame["definitions"]) == {1}
    organizations = frame[frame["category"] == "organizations"]
    # Haizhu's 21 党工委 and Bazhou's 6 sub-district 党工委 (with its caveat in the note)
    assert set(organizations["concept_id"]) == {"party_working_committees"}
    assert set(organizations["district_id"]) == {"haizhu", "bazhou"}


def test_every_concept_two_places_report_is_one_definition(bundled):
    metrics = bundled.query("metric_coverage", snapshot_id=BUNDLED, category=None, concept_id=None)
    concepts = bundled.query("concept_coverage", snapshot_id=BUNDLED, category=None)
    shared_concepts = concepts[concepts["places_reporting"] >= 2]["concept_id"]
    assert len(shared_concepts) >= 10
    assert (metrics[metrics["concept_id"].isin(shared_concepts)].groupby("concept_id").size() == 1).all()


def test_related_definitions_are_the_family_s_other_concepts(bundled):
    places = ["jiangan", "jianghan", "wuchang", "haizhu", "zhenjiang", "bazhou"]
    frame = bundled.query(
        "family_figures", snapshot_id=BUNDLED, concept_id="party_working_committees", district_ids=places
    )
    assert "party_working_committees" not in set(frame["concept_id"])
    assert {"party_organizations", "grid_party_branches", "functional_party_branches"} <= set(frame["concept_id"])
    grid = frame[frame["concept_id"] == "grid_party_branches"]
    assert set(grid["district_id"]) == {"jianghan"} and set(grid["value"]) == {397, 437}


def test_a_place_s_headline_is_its_own_latest_figure_of_a_family(bundled):
    frame = bundled.query("place_headlines", snapshot_id=BUNDLED, district_ids=["jiangan", "haizhu"], categories=None)
    headline = frame.set_index(["district_id", "category"])["concept_id"]
    # not "Training sessions held for cadres: 2", a figure picked because its kind is common
    assert headline["jiangan", "organizations"] == "community_party_secretaries_trained"
    assert headline["haizhu", "organizations"] == "party_organizations"  # the total, 2,740
    assert headline["jiangan", "volunteers"] == "registered_volunteers"


# --- results on the fixture ------------------------------------------------------------


def test_a_metric_gives_a_null_row_for_a_place_not_reporting(fixture_db):
    frame = metric_rows(fixture_db, OLD, "volunteers", ["alpha", "gamma"])
    rows = frame[["district_id", "value", "period_label", "source_id"]].to_dict("records")
    assert rows[0] == {"district_id": "alpha", "value": 500.0, "period_label": "2020", "source_id": "src_a"}
    assert rows[1]["district_id"] == "gamma"
    assert math.isnan(rows[1]["value"])
    assert len(rows) == 2


def test_a_metric_gives_one_row_per_period(fixture_db):
    frame = metric_rows(fixture_db, NEW, "members", ["alpha", "beta", "gamma"])
    assert frame["district_id"].tolist() == ["alpha", "alpha", "beta", "gamma"]
    assert frame["value"].tolist()[:3] == [900, 1000, 2100]
    assert frame["period_label"].tolist()[:3] == ["2019", "2020", "2020"]
    assert frame["source_title_en"].tolist()[2] == "Beta and Gamma report"


def test_concept_ranking_lists_reporting_places_by_their_latest_value(fixture_db):
    frame = fixture_db.query("concept_ranking", snapshot_id=NEW, concept_id="members", metric_id=None)
    # alpha reports 2019 and 2020: its 2020 figure counts; gamma does not report it at all
    assert list(frame.itertuples(index=False, name=None)) == [("beta", 2100.0), ("alpha", 1000.0)]


def test_coverage_matrix_includes_zero_cells(fixture_db):
    frame = fixture_db.query("coverage_matrix", snapshot_id=OLD)
    assert len(frame) == 3 * 5  # every place × every category a metric has (governance: none)
    cells = {(r["district_id"], r["category"]): r["figures"] for r in frame.to_dict("records")}
    assert cells[("alpha", "organizations")] == 5
    assert cells[("alpha", "volunteers")] == 1
    assert cells[("alpha", "investment")] == 0
    assert cells[("beta", "investment")] == 1
    assert cells[("gamma", "economy")] == 1
    assert cells[("gamma", "organizations")] == 0
    assert all(cells[(place, "service_centers")] == 0 for place in ("alpha", "beta", "gamma"))


def test_headline_picks_the_metric_most_places_report(fixture_db):
    frame = fixture_db.query("headline_figures", snapshot_id=OLD, categories=list(HEADLINE_CATEGORIES), top_n=12)
    chosen = frame.groupby("category")["metric_id"].unique().map(list).to_dict()
    # branches has more figures (3) but one place; members is reported by two places
    assert chosen == {
        "investment": ["investment"],
        "organizations": ["members"],
        "volunteers": ["volunteers"],
    }
    members = frame[frame["category"] == "organizations"].set_index("district_id")
    assert members.loc["alpha", "value"] == 1000  # the latest of 2019 and 2020
    assert members.loc["alpha", "period_label"] == "2020"
    assert members.loc["beta", "value"] == 2000
    assert "gamma" not in members.index  # not reporting: no row, never a zero
    assert set(members["places_reporting"]) == {2}


def test_headline_keeps_the_top_n_by_value_and_counts_every_reporting_place(fixture_db):
    frame = fixture_db.query("headline_figures", snapshot_id=OLD, categories=["organizations"], top_n=1)
    assert frame[["district_id", "value", "places_reporting"]].to_dict("records") == [
        {"district_id": "beta", "value": 2000.0, "places_reporting": 2}
    ]


def test_snapshot_diff_finds_added_removed_and_revised(fixture_db):
    frame = fixture_db.query("snapshot_diff", old_snapshot_id=OLD, new_snapshot_id=NEW, row_limit=None)
    changes = {
        (r["change"], r["district_id"], r["metric_id"]): (r["old_value"], r["new_value"])
        for r in frame.to_dict("records")
    }
    assert set(changes) == {
        ("added", "gamma", "volunteers"),
        ("removed", "alpha", "volunteers"),
        ("revised", "beta", "members"),
        ("revised", "beta", "investment"),
    }
    assert changes[("revised", "beta", "members")] == (2000, 2100)
    assert math.isnan(changes[("added", "gamma", "volunteers")][0])
    assert changes[("added", "gamma", "volunteers")][1] == 300
    assert changes[("removed", "alpha", "volunteers")][0] == 500
    investment = frame[frame["metric_id"] == "investment"].iloc[0]
    assert (investment["old_qualifier"], investment["new_qualifier"]) == ("exact", "approx")
    assert fixture_db.query("snapshot_diff", old_snapshot_id=OLD, new_snapshot_id=OLD, row_limit=None).empty


def test_snapshot_diff_counts_and_row_limit_agree_with_the_full_diff(fixture_db):
    counts = fixture_db.query("snapshot_diff_counts", old_snapshot_id=OLD, new_snapshot_id=NEW)
    assert dict(zip(counts["change"], counts["figures"], strict=True)) == {"added": 1, "removed": 1, "revised": 2}
    full = fixture_db.query("snapshot_diff", old_snapshot_id=OLD, new_snapshot_id=NEW, row_limit=None)
    first = fixture_db.query("snapshot_diff", old_snapshot_id=OLD, new_snapshot_id=NEW, row_limit=2)
    pd.testing.assert_frame_equal(first, full.head(2))  # the same order, cut


def test_metric_coverage_counts_places_and_figures(fixture_db):
    frame = fixture_db.query("metric_coverage", snapshot_id=OLD, category=None, concept_id=None)
    counts = {r["metric_id"]: (r["places_reporting"], r["figures"]) for r in frame.to_dict("records")}
    assert counts == {
        "members": (2, 3),
        "branches": (1, 3),
        "volunteers": (1, 1),
        "investment": (1, 1),
        "gdp_growth": (1, 1),
    }
    assert frame["metric_id"].tolist()[0] == "members"
    organizations = fixture_db.query("metric_coverage", snapshot_id=OLD, category="organizations", concept_id=None)
    assert organizations["metric_id"].tolist() == ["members", "branches"]


def test_district_cards_and_facts(fixture_db):
    cards = fixture_db.query("district_cards", snapshot_id=OLD).set_index("district_id")
    assert cards["figures"].to_dict() == {"alpha": 6, "beta": 2, "gamma": 1}
    assert cards.loc["alpha", "source_ids"] == "src_a"
    assert cards.loc["beta", "level"] == "city"
    facts = fixture_db.query("district_facts", snapshot_id=OLD, district_id="alpha")
    assert len(facts) == 6
    assert facts["fact_id"].is_unique
    members = facts[facts["metric_id"] == "members"]
    assert set(members["places_reporting"]) == {2}


def test_fact_ids_are_stable_across_snapshots(fixture_db):
    old = fixture_db.query("district_facts", snapshot_id=OLD, district_id="alpha")
    new = fixture_db.query("district_facts", snapshot_id=NEW, district_id="alpha")
    old_ids = dict(zip(old["metric_id"] + old["period_label"], old["fact_id"], strict=True))
    new_ids = dict(zip(new["metric_id"] + new["period_label"], new["fact_id"], strict=True))
    assert old_ids["members2020"] == new_ids["members2020"]


def test_sources_and_their_facts(fixture_db):
    sources = fixture_db.query("source_list", snapshot_id=OLD).set_index("source_id")
    assert sources["figures"].to_dict() == {"src_a": 6, "src_b": 3}
    assert sources.loc["src_b", "district_ids"].split(",") in (["beta", "gamma"], ["gamma", "beta"])
    facts = fixture_db.query("source_facts", snapshot_id=OLD, source_id="src_b")
    assert sorted(facts["metric_id"]) == ["gdp_growth", "investment", "members"]
    assert "后核实为2100名" in fixture_db.source_text(sources.loc["src_b", "file"])


def test_dimension_ids(fixture_db):
    for kind, ids in (
        ("districts", ["alpha", "beta", "gamma"]),
        ("sources", ["src_a", "src_b"]),
    ):
        assert sorted(fixture_db.query("dimension_ids", kind=kind)["id"]) == ids
    assert len(fixture_db.query("dimension_ids", kind="metrics")) == 6


def test_snapshot_summary(fixture_db):
    frame = fixture_db.query("snapshot_summary", snapshot_ids=[OLD, NEW]).set_index("snapshot_id")
    assert frame.loc[OLD].to_dict() == {"figures": 9, "places": 3, "metrics": 5}
    assert frame.loc[NEW].to_dict() == {"figures": 9, "places": 3, "metrics": 5}
    assert [e.id for e in fixture_db.snapshots()] == [OLD, NEW]


def test_values_are_bound_not_pasted(fixture_db):
    frame = metric_rows(fixture_db, OLD, "members' or '1'='1", ["alpha"])
    assert len(frame) == 1 and math.isnan(frame["value"][0])


# --- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["no_such_query", "../queries/coverage_matrix", "setup/facts"])
def test_unknown_query_names_are_refused(fixture_db, name):
    with pytest.raises(UnknownQueryError) as raised:
        fixture_db.query(name)
    message = str(raised.value)
    assert repr(name) in message
    assert "coverage_matrix" in message  # lists the known ones


def test_missing_data_dir(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(store.DataDirError) as raised:
        Database(missing).query("source_list", snapshot_id=OLD)
    assert "'nowhere' does not exist" in str(raised.value)
    assert str(tmp_path) not in str(raised.value)  # visitors never see the server's paths
    assert store.DATA_DIR_ENV in str(raised.value)


def test_missing_manifest(fixture_dir):
    store.manifest_path(fixture_dir).unlink()
    with pytest.raises(store.DataDirError) as raised:
        Database(fixture_dir).snapshots()
    assert "snapshots/manifest.json is missing" in str(raised.value)
    assert str(fixture_dir) not in str(raised.value)
    assert "make data" in str(raised.value)


def test_unreadable_manifest(fixture_dir):
    store.manifest_path(fixture_dir).write_text("{not json", encoding="utf-8")
    with pytest.raises(store.DataDirError, match="cannot be read.*restore it"):
        Database(fixture_dir).snapshots()


def test_manifest_listing_nothing(fixture_dir):
    store.manifest_path(fixture_dir).write_text(json.dumps({"snapshots": []}), encoding="utf-8")
    with pytest.raises(store.DataDirError, match="lists no snapshot"):
        Database(fixture_dir).query("source_list", snapshot_id=OLD)


@pytest.mark.parametrize(
    "relative",
    [f"snapshots/{OLD}.parquet", f"snapshots/{OLD}.by-place.parquet", "districts.parquet", "sources.parquet"],
)
def test_missing_listed_file(fixture_dir, relative):
    (fixture_dir / relative).unlink()
    with pytest.raises(store.DataDirError) as raised:
        Database(fixture_dir).query("source_list", snapshot_id=OLD)
    assert f"{relative} is missing" in str(raised.value)
    assert str(fixture_dir) not in str(raised.value)
    assert "make data" in str(raised.value)


PLACE_AND_REPORT_QUERIES = [
    ("district_facts", {"district_id": "alpha"}),
    ("district_facts", {"district_id": "beta"}),
    ("source_facts", {"source_id": "src_a"}),
    ("source_facts", {"source_id": "src_b"}),
]


@pytest.mark.parametrize(("name", "params"), PLACE_AND_REPORT_QUERIES)
def test_a_snapshot_listed_without_its_by_place_copy_reads_the_same_rows(fixture_dir, name, params):
    """Manifests written before the copy sorted by place existed list the metric-sorted file only."""
    with_copy = {snapshot: Database(fixture_dir).query(name, snapshot_id=snapshot, **params) for snapshot in (OLD, NEW)}
    raw = json.loads(store.manifest_path(fixture_dir).read_text(encoding="utf-8"))
    for entry in raw["snapshots"]:
        (fixture_dir / "snapshots" / entry.pop("by_place_file")).unlink()
        del entry["by_place_sha256"]
    store.manifest_path(fixture_dir).write_text(json.dumps(raw), encoding="utf-8")
    for snapshot, expected in with_copy.items():
        assert not expected.empty
        pd.testing.assert_frame_equal(Database(fixture_dir).query(name, snapshot_id=snapshot, **params), expected)


def test_each_snapshot_is_stored_sorted_by_metric_and_by_place_with_the_same_rows(fixture_template):
    for entry in store.read_manifest(fixture_template):
        by_metric = pq.read_table(fixture_template / "snapshots" / entry.file)
        by_place = pq.read_table(fixture_template / "snapshots" / entry.by_place_file)
        for table, order in ((by_metric, store.FACT_SORT), (by_place, store.PLACE_SORT)):
            assert table.num_rows == entry.rows
            assert table.equals(table.sort_by(order))
        assert not by_metric.equals(by_place)  # the fixture's two orders differ
        assert by_place.sort_by(store.FACT_SORT).equals(by_metric)
        assert store.sha256_file(fixture_template / "snapshots" / entry.by_place_file) == entry.by_place_sha256


def test_unlisted_files_are_never_read(fixture_dir):
    (fixture_dir / "snapshots" / "junk.parquet").write_bytes(b"not parquet at all")
    frame = Database(fixture_dir).query("snapshot_summary", snapshot_ids=[OLD, NEW])
    assert sorted(frame["snapshot_id"]) == [OLD, NEW]


def test_source_text_stays_inside_sources(fixture_template):
    database = Database(fixture_template)
    with pytest.raises(store.DataDirError, match="outside"):
        database.source_text("../manifest.json")
    with pytest.raises(store.DataDirError, match="missing"):
        database.source_text("sources/none.txt")


def test_a_query_called_with_other_parameters_than_its_header_declares_is_refused_before_it_runs(fixture_db):
    with pytest.raises(db.QueryParamsError) as missing:
        fixture_db.query("district_facts", snapshot_id=NEW)
    assert "missing: district_id" in str(missing.value) and "queries/district_facts.sql" in str(missing.value)
    with pytest.raises(db.QueryParamsError) as unknown:
        fixture_db.query("district_facts", snapshot_id=NEW, district_id="alpha", districtid="alpha")
    assert "not declared: districtid" in str(unknown.value)


def test_a_name_outside_queries_is_unknown():
    with pytest.raises(db.UnknownQueryError):
        db.named_query("../queries/setup/facts")

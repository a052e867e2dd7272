"""The curated dataset under data/: provenance, consistency, and the build that writes it."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import BUNDLED, DATA_DIR

from redengine.core.domain import BASE_UNITS, CATEGORIES
from redengine.data import curation

CURATION = DATA_DIR / "curation"
AT_LEAST_MARKS = ("余", "多", "以上", "超", "逾")
APPROX_MARKS = ("约", "近", "左右", "大概", "成")  # 八成: eight tenths, a rounded share


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def _facts() -> list[dict]:
    rows = []
    for path in sorted((CURATION / "facts").glob("*.csv")):
        for line, row in enumerate(_csv(path).to_dict("records"), start=2):
            rows.append({**row, "where": f"{path.name}:{line}"})
    return rows


FACTS = _facts()
METRICS = _csv(CURATION / "metrics.csv")
DISTRICTS = _csv(CURATION / "districts.csv")
SOURCES = _csv(CURATION / "sources.csv")
UNIT_OF = dict(zip(METRICS["metric_id"], METRICS["unit"], strict=True))


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _source_text(source_id: str) -> str:
    file = SOURCES.set_index("source_id").loc[source_id, "file"]
    return _squeeze((DATA_DIR / file).read_text(encoding="utf-8"))


def _failures(check) -> list[str]:
    return [f"{row['where']}: {message}" for row in FACTS if (message := check(row))]


def test_the_dataset_covers_every_place_and_report():
    assert len(FACTS) >= 300
    assert {row["district_id"] for row in FACTS} == set(DISTRICTS["district_id"])
    assert {row["source_id"] for row in FACTS} == set(SOURCES["source_id"])
    per_place = pd.Series([row["district_id"] for row in FACTS]).value_counts()
    assert per_place["wuchang"] > 100  # the long year-end review


@pytest.mark.parametrize("facts_file", sorted(p.name for p in (CURATION / "facts").glob("*.csv")))
def test_every_figure_passes_the_provenance_rules(facts_file):
    """The rules analysts' snapshots meet (redengine/data/provenance.py): quote verbatim in its own source,
    figure in its quote once, value its written figure in base units, qualifier as the words say, period possible."""
    loaded = curation.load(DATA_DIR)
    problems = curation.provenance_problems(DATA_DIR, loaded)
    assert [p for p in problems if f"facts/{facts_file}:" in p] == []
    assert len(loaded.facts) == len(FACTS)


def test_the_curation_check_runs_the_provenance_rules(tmp_path):
    copy = Path(shutil.copytree(DATA_DIR / "curation", tmp_path / "curation"))
    shutil.copytree(DATA_DIR / "sources", tmp_path / "sources")
    facts = copy / "facts" / "jiangan_2018q1.csv"
    frame = _csv(facts)
    frame.loc[0, "value"] = "160"  # 16个 read as 160
    frame.to_csv(facts, index=False, encoding="utf-8")
    problems = curation.provenance_problems(tmp_path, curation.load(tmp_path))
    assert problems == [
        "curation/facts/jiangan_2018q1.csv:2, column 'value' ('160'): value is not 16个 in base units, which is 16 "
        "(it is 10 times that) [rule: value-is-written]. Fix: set value to 16 (万 = 10,000, 亿 = 100,000,000, "
        "八成 = 80, % stays a percent)"
    ]


def test_every_fact_refers_to_known_ids():
    def check(row):
        for column, known in (
            ("district_id", set(DISTRICTS["district_id"])),
            ("metric_id", set(METRICS["metric_id"])),
            ("source_id", set(SOURCES["source_id"])),
        ):
            if row[column] not in known:
                return f"{column} {row[column]!r} is not defined"

    assert _failures(check) == []


def test_periods_are_ordered_iso_dates():
    def check(row):
        start, end = row["period_start"], row["period_end"]
        if (start == "") != (row["period_basis"] == "open"):
            return f"period {start}..{end} with basis {row['period_basis']}: only an open period has no start"
        if not (re.fullmatch(r"(\d{4}-\d{2}-\d{2})?", start) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", end)):
            return f"period {start}..{end} is not ISO"
        if start > end or not row["period_label"].strip():
            return f"period {start}..{end} {row['period_label']!r}"

    assert _failures(check) == []


def test_one_row_per_district_metric_and_period():
    keys = pd.Series([(r["district_id"], r["metric_id"], r["period_start"], r["period_end"]) for r in FACTS])
    repeated = [FACTS[i]["where"] for i in keys[keys.duplicated(keep=False)].index]
    assert repeated == []


def test_metrics_are_named_in_both_languages_with_category_and_unit():
    assert METRICS["metric_id"].is_unique
    assert (METRICS["name_zh"].str.strip() != "").all()
    assert (METRICS["name_en"].str.strip() != "").all()
    assert METRICS["name_zh"].str.contains(r"[\u4e00-\u9fff]").all()
    assert METRICS["metric_id"].str.fullmatch(r"[a-z0-9_]+").all()
    assert set(METRICS["category"]) <= set(CATEGORIES)
    assert set(METRICS["unit"]) <= set(BASE_UNITS)
    assert set(METRICS["metric_id"]) == {row["metric_id"] for row in FACTS}  # none unused


def test_growth_rates_are_percent_metrics():
    growth = METRICS[METRICS["metric_id"].str.endswith("_growth_yoy")]
    assert len(growth) > 0
    assert set(growth["unit"]) == {"percent"}


def test_shared_concepts_share_one_metric_id():
    places = {}
    for row in FACTS:
        places.setdefault(row["metric_id"], set()).add(row["district_id"])
    assert places["registered_volunteers"] == {"jiangan", "wuchang"}
    assert places["investment_attracted"] == {"jiangan", "wuchang"}
    assert places["high_level_talents_recruited"] == {"wuchang", "bazhou"}
    assert len(places["streets"]) >= 3


# Figures read from the reports by hand: place, metric, value, as written, qualifier, period.
KNOWN = [
    ("jiangan", "registered_volunteers", 104_953, "104953人", "exact", "as of 2018 Q1"),
    ("jiangan", "volunteer_teams", 854, "854个", "exact", "as of 2018 Q1"),
    ("jiangan", "investment_attracted", 18_880_000_000, "188.8亿元", "exact", "2018 Q1"),
    ("jiangan", "investment_attracted_growth_yoy", 70.7, "70.7%", "exact", "2018 Q1"),
    ("jiangan", "foreign_investment_utilized", 125_600_000, "12560万美元", "exact", "2018 Q1"),
    ("jiangan", "inspection_problems_rectified", 200, "200余个", "at_least", "cumulative to 2018 Q1"),
    ("jiangan", "red_property_college_student_trainees", 100, "百余名", "at_least", "cumulative to 2018 Q1"),
    ("jiangan", "red_fund_first_year_funding", 50_000_000, "5000万元", "target", "2018"),
    ("haizhu", "party_members", 65_600, "6.56万名", "exact", "as of 2020-12-31"),
    ("haizhu", "in_service_party_members_reporting_to_communities", 25_879, "25879人", "exact", None),
    ("haizhu", "covid_lockdown_duration", 20, "约20天", "approx", None),
    (
        "haizhu",
        "key_industrial_projects_main_business_revenue",
        23_070_000_000,
        "230.7亿元",
        "exact",
        "2021 Jan–Apr",
    ),
    ("wuchang", "gdp", 106_000_000_000, "1060亿元", "estimate", "2017"),
    ("wuchang", "registered_volunteers", 180_000, "18万人", "exact", None),
    ("wuchang", "government_information_items_disclosed", 20_000, "两万余条", "at_least", "2017"),
    ("wuchang", "quality_award_applicant_enterprises", 30, "近30家", "approx", "2017"),
    ("wuchang", "high_level_talents_recruited", 38, "38名", "exact", "2017"),
    ("jianghan", "office_building_young_white_collar_share", 80, "八成", "approx", None),
    ("bazhou", "high_level_talents_recruited", 63, "63人", "exact", None),
    ("bazhou", "volunteer_participation", 20_000, "超20000人次", "at_least", None),
    ("zhenjiang", "functional_party_branches", 80, "80个", "exact", None),
    ("zhenjiang", "company_net_profit_growth_yoy_multiple", 176, "176倍", "exact", "2021 H1"),
]


@pytest.mark.parametrize(("place", "metric", "value", "written", "qualifier", "period"), KNOWN)
def test_known_figures(place, metric, value, written, qualifier, period):
    rows = [r for r in FACTS if r["district_id"] == place and r["metric_id"] == metric]
    assert len(rows) == 1, rows
    row = rows[0]
    assert float(row["value"]) == value
    assert row["value_as_written"] == written
    assert row["qualifier"] == qualifier
    if period:
        assert row["period_label"] == period
    assert _squeeze(written) in _source_text(row["source_id"])


def test_committed_parquet_is_a_fresh_build(tmp_path):
    counts = curation.build(data_dir=DATA_DIR, out_dir=tmp_path)
    assert counts == {"districts": len(DISTRICTS), "metrics": len(METRICS), "facts": len(FACTS)}
    written = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert written == [
        "concepts.parquet",
        "districts.parquet",
        "metrics.parquet",
        f"snapshots/{BUNDLED}.by-place.parquet",
        f"snapshots/{BUNDLED}.parquet",
        "snapshots/manifest.json",
        "sources.parquet",
    ]
    for name in written:
        assert (tmp_path / name).read_bytes() == (DATA_DIR / name).read_bytes(), (
            f"{name} differs from a fresh build: run 'make data' and commit the result"
        )


def test_build_keeps_snapshots_analysts_added(tmp_path):
    curation.build(data_dir=DATA_DIR, out_dir=tmp_path)
    manifest = tmp_path / "snapshots" / "manifest.json"
    text = manifest.read_text(encoding="utf-8")
    extra = text.replace(
        '"snapshots": [',
        '"snapshots": [\n    {"id": "mine", "file": "mine.parquet", "sha256": "' + "0" * 64 + '",'
        ' "rows": 1, "added": "2026-12-01T00:00:00+00:00", "extras": {}, "replaces": null},',
        1,
    )
    manifest.write_text(extra, encoding="utf-8")
    curation.build(data_dir=DATA_DIR, out_dir=tmp_path)
    ids = re.findall(r'"id": "([^"]+)"', manifest.read_text(encoding="utf-8"))
    assert ids == [BUNDLED, "mine"]


# --- a broken curation is refused, naming the file and line ----------------------------


@pytest.fixture
def curation_copy(tmp_path) -> Path:
    for folder in ("curation", "sources"):
        shutil.copytree(DATA_DIR / folder, tmp_path / folder)
    return tmp_path


def _edit_row(data_dir: Path, file: str, metric: str, column: str, value: str) -> int:
    """Changes one cell of the row for `metric` in facts/<file>; returns its line number."""
    path = data_dir / "curation" / "facts" / file
    frame = _csv(path)
    index = frame.index[frame["metric_id"] == metric][0]
    frame.loc[index, column] = value
    frame.to_csv(path, index=False, encoding="utf-8")
    return int(index) + 2  # header is line 1


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("quote", "登记志愿者104953人", "the quote is not in the text of source jiangan_2018q1"),
        ("value", "104935", "value is not 104953人 in base units, which is 104,953 [rule: value-is-written]"),
        ("value_as_written", "104954人", "value_as_written is not in the quote [rule: written-in-quote]"),
        ("metric_id", "no_such_metric", "no_such_metric"),
        ("district_id", "atlantis", "atlantis"),
        ("qualifier", "at_least", "('at_least'): qualifier at_least, but no word around the figure says so"),
        ("qualifier", "approx", "('approx'): qualifier approx, but no word around the figure says so"),
        ("period_end", "2017-01-01", "period_start"),
    ],
)
def test_build_refuses_a_broken_fact_naming_file_and_line(curation_copy, tmp_path, column, value, message):
    line = _edit_row(curation_copy, "jiangan_2018q1.csv", "registered_volunteers", column, value)
    out = tmp_path / "out"
    with pytest.raises(curation.CurationError) as raised:
        curation.build(data_dir=curation_copy, out_dir=out)
    text = str(raised.value)
    assert f"curation/facts/jiangan_2018q1.csv:{line}" in text
    assert message in text
    assert not out.exists()  # nothing written


def test_build_refuses_a_wrong_qualifier_and_a_false_estimate(curation_copy):
    line_at_least = _edit_row(
        curation_copy, "jiangan_2018q1.csv", "inspection_problems_rectified", "qualifier", "exact"
    )
    line_estimate = _edit_row(curation_copy, "jiangan_2018q1.csv", "volunteer_teams", "qualifier", "estimate")
    with pytest.raises(curation.CurationError) as raised:
        curation.build(data_dir=curation_copy, out_dir=curation_copy / "out")
    text = str(raised.value)
    assert (
        f"jiangan_2018q1.csv:{line_at_least}, column 'qualifier' ('exact'): the words around the figure say "
        "200余个 → at_least, the row says exact [rule: qualifier-agrees]"
    ) in text
    assert (
        f"jiangan_2018q1.csv:{line_estimate}, column 'qualifier' ('estimate'): qualifier estimate, but no word" in text
    )


def test_build_refuses_a_repeated_fact(curation_copy):
    path = curation_copy / "curation" / "facts" / "haizhu_2021.csv"
    frame = _csv(path)
    index = int(frame.index[frame["metric_id"] == "party_members"][0])
    pd.concat([frame, frame.iloc[[index]]]).to_csv(path, index=False, encoding="utf-8")
    with pytest.raises(curation.CurationError) as raised:
        curation.build(data_dir=curation_copy, out_dir=curation_copy / "out")
    assert f"curation/facts/haizhu_2021.csv:{len(frame) + 2}" in str(raised.value)
    assert "repeat a (district, metric, period)" in str(raised.value)


def test_build_refuses_a_metric_with_a_bad_category(curation_copy):
    path = curation_copy / "curation" / "metrics.csv"
    frame = _csv(path)
    frame.loc[frame["metric_id"] == "party_members", "category"] = "party"
    frame.to_csv(path, index=False, encoding="utf-8")
    with pytest.raises(curation.CurationError, match=r"metrics\.csv: column 'category'.*'party'"):
        curation.build(data_dir=curation_copy, out_dir=curation_copy / "out")

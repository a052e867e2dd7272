"""The provenance rules at the gate: a corpus of bad figures, each refused by `snapshot add` with exit 2, a
message naming row, column and rule, and the data directory byte-identical; well-sourced figures pass."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from conftest import BUNDLED, DATA_DIR, REPO, tree_digest
from streamlit.testing.v1 import AppTest

from redengine.core.markup import markdown_text
from redengine.data import provenance, schema
from redengine.ops import cli

INVALID = 2
BUNDLED_FACTS = pq.read_table(DATA_DIR / "snapshots" / f"{BUNDLED}.parquet").drop_columns(["snapshot_id"])


def bundled_fact(district: str, metric: str) -> dict:
    rows = BUNDLED_FACTS.filter(
        pc.and_(pc.equal(BUNDLED_FACTS["district_id"], district), pc.equal(BUNDLED_FACTS["metric_id"], metric))
    )
    return rows.to_pylist()[0]


VOLUNTEERS = ("jiangan", "registered_volunteers")  # 104953人, 注册志愿者104953人
PROBLEMS_FIXED = ("jiangan", "inspection_problems_rectified")  # 200余个, at_least

# (what is wrong, the fact it starts from, the changes, column named, rule named)
BAD_FIGURES = [
    ("a quote in no report", VOLUNTEERS, {"quote": "注册志愿者104953人,这句话不在报告里"}, "quote", "quote-in-source"),
    (
        "a quote from another report",
        ("haizhu", "key_industrial_projects"),
        {"source_id": "jiangan_2018q1"},
        "quote",
        "quote-in-its-source",
    ),
    ("a value ten times its written figure", VOLUNTEERS, {"value": 1_049_530.0}, "value", "value-is-written"),
    ("18万 read as 18,000", ("wuchang", "registered_volunteers"), {"value": 18_000.0}, "value", "value-is-written"),
    (
        "a value as written missing from its quote",
        VOLUNTEERS,
        {"value_as_written": "104935人", "value": 104_935.0},
        "value_as_written",
        "written-in-quote",
    ),
    ("余 stored as exact", PROBLEMS_FIXED, {"qualifier": "exact"}, "qualifier", "qualifier-agrees"),
    (
        "a count dated years after its report",
        VOLUNTEERS,
        {"period_start": date(2021, 3, 31), "period_end": date(2021, 3, 31), "period_label": "as of 2021 Q1"},
        "period_end",
        "period-possible",
    ),
    (
        "a revised figure its report's stored text lacks",
        VOLUNTEERS,
        {"value": 105_000.0, "value_as_written": "105000人", "quote": "注册志愿者105000人"},
        "quote",
        "quote-in-source",
    ),
]


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write_one(path: Path, row: dict) -> Path:
    pq.write_table(pa.Table.from_pylist([row], schema=schema.FACTS), path)
    return path


@pytest.mark.parametrize(("wrong", "start", "changes", "column", "rule"), BAD_FIGURES, ids=[b[0] for b in BAD_FIGURES])
def test_a_bad_figure_is_refused_and_nothing_changes(
    real_data_copy, use_data_dir, tmp_path, capsys, wrong, start, changes, column, rule
):
    use_data_dir(real_data_copy)
    file = write_one(tmp_path / "bad.parquet", {**bundled_fact(*start), **changes})
    before = tree_digest(real_data_copy)
    for command in (["validate", str(file)], ["add", str(file), "--amend", "--id", "bad"]):
        code, out, err = run(capsys, "snapshot", *command)
        assert (code, out) == (INVALID, ""), wrong
        problem = next(line for line in err.splitlines() if f"[rule: {rule}]" in line)
        assert problem.startswith(f"  - row 1, column '{column}' ("), problem
        assert "]. Fix: " in problem
        assert tree_digest(real_data_copy) == before


def test_a_quote_differing_only_in_whitespace_passes(real_data_copy, use_data_dir, tmp_path, capsys):
    use_data_dir(real_data_copy)
    row = bundled_fact(*VOLUNTEERS)
    file = write_one(tmp_path / "spaced.parquet", {**row, "quote": "注册 志愿者\n104953 人"})
    code, out, err = run(capsys, "snapshot", "validate", str(file))
    assert (code, err) == (0, "")
    assert out.strip() == f"{file}: valid, 1 figures"


def test_a_repeated_figure_needs_its_occurrence_named():
    sources = {"s": provenance.Source("全区党员100名、团员100名。", None)}
    row = {
        "source_id": "s",
        "metric_id": "m",
        "value": 100.0,
        "value_as_written": "100名",
        "qualifier": "exact",
        "quote": "全区党员100名、团员100名",
        "note": None,
    }
    metrics = {"m": provenance.Metric("people", "stock")}
    refused = provenance.check([("row 1", row)], sources, metrics)
    assert [(r.column, r.rule) for r in refused] == [("value_as_written", "written-once")]
    assert provenance.check([("row 1", {**row, "note": "Occurrence 2: the league members."})], sources, metrics) == []


@pytest.mark.parametrize(
    ("before", "written", "after", "expected"),
    [
        ("全区共有", "200余个", "问题", {"at_least"}),
        ("党员", "100名", "以上", {"at_least"}),
        ("党员超过", "100名", "", {"at_least"}),
        ("大概有", "535家", "", {"approx"}),
        ("耗时", "20天", "左右", {"approx"}),
        ("白领", "八成", "是年轻人", {"approx"}),
        ("地区生产总值预计达", "1060亿元", "", {"estimate"}),
        ("计划投入", "5000万元", "", {"target"}),
        ("力争引进", "10个", "", {"target"}),
        ("将群众需要的", "105项", "", set()),  # 将 as "take", not "will"
        ("全区", "16个", "街道", set()),
    ],
)
def test_the_words_around_a_figure_suggest_its_qualifier(before, written, after, expected):
    assert set(provenance.suggested_qualifiers(before, written, after)) == expected


def _uploaded_verdict(lang: str, name: str, payload: bytes) -> str:
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=30)
    at.run()
    at.switch_page("pages/changes.py")
    at.query_params.update({"lang": lang})
    at.run()
    at.file_uploader[0].set_value((name, payload, "application/octet-stream"))
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    (error,) = [e.value for e in at.error]
    return error


def test_the_upload_box_gives_validates_verdict_in_either_language(tmp_path, capsys):
    rows = [
        {**bundled_fact(*VOLUNTEERS), "quote": "这句话不在报告里"},
        {**bundled_fact(*PROBLEMS_FIXED), "qualifier": "exact"},
    ]
    file = tmp_path / "two-bad.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=schema.FACTS), file)
    code, _, err = run(capsys, "snapshot", "validate", str(file))
    assert code == INVALID
    problems = [line.removeprefix("  - ") for line in err.splitlines()[1:]]
    assert len(problems) == 3  # quote not in its source, so the figure is not in the quote either; 余 as exact
    shown = {lang: _uploaded_verdict(lang, "two-bad.parquet", file.read_bytes()) for lang in ("zh", "en")}
    for lang, error in shown.items():
        assert all(markdown_text(problem) in error for problem in problems), (lang, error)
    assert "3 problem(s), nothing was written" in shown["en"]
    assert "3 个问题，未写入任何内容" in shown["zh"]
    assert "**Quote not in its source** · row 1, column 'quote'" in shown["en"]
    assert "**引文不在来源原文中** · row 1, column 'quote'" in shown["zh"]
    assert "**Qualifier disagrees with the text** · row 2, column 'qualifier'" in shown["en"]
    assert "**限定词与原文不符** · row 2, column 'qualifier'" in shown["zh"]

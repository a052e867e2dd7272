"""`redengine curate draft|check`: from a report's text to a facts file, and a new report end to end."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from conftest import DATA_DIR, tree_digest
from streamlit.testing.v1 import AppTest

from redengine.core.i18n import t
from redengine.data import draft
from redengine.ops import cli

INVALID = 2
CURATION = DATA_DIR / "curation"
SOURCES = pd.read_csv(CURATION / "sources.csv", dtype=str, keep_default_na=False)
# A made-up half-year bulletin (for this test only) about a place already in the data.
NEW_REPORT = "江岸区2019年上半年工作简报\n\n截至2019年6月底,全区注册志愿者超过15万人,志愿服务队伍900余个。\n"
NEW_SOURCE = {
    "source_id": "jiangan_2019h1",
    "title_zh": "江岸区2019年上半年工作简报",
    "title_en": "Jiang'an bulletin, first half of 2019",
    "publisher": "",
    "published": "",
    "file": "sources/jiangan_2019h1.txt",
    "period_start": "2019-01-01",
    "period_end": "2019-06-30",
    "period_label": "2019 H1",
    "period_note": "",
}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.run([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("source_id", list(SOURCES["source_id"]))
def test_the_draft_finds_the_curated_figures_of_each_report(source_id, use_data_dir, capsys):
    use_data_dir(DATA_DIR)
    curated = pd.read_csv(CURATION / "facts" / f"{source_id}.csv", dtype=str, keep_default_na=False)
    file = DATA_DIR / SOURCES.set_index("source_id").at[source_id, "file"]
    code, out, _ = run(capsys, "curate", "draft", file, "--source-id", source_id, "--district", "x")
    assert code == 0
    drafted = pd.read_csv(io.StringIO(out), dtype=str, keep_default_na=False)
    assert list(drafted.columns) == list(curated.columns)  # the curation columns, in their order
    found, total = draft.found_share(drafted, curated)
    assert found >= 0.95 * total, (found, total)


def test_a_new_report_goes_from_its_text_to_a_snapshot_on_its_profile(real_data_copy, use_data_dir, tmp_path, capsys):
    use_data_dir(real_data_copy)
    report = tmp_path / "jiangan_2019h1.txt"
    report.write_text(NEW_REPORT, encoding="utf-8")
    sources = tmp_path / "sources.csv"
    pd.DataFrame([NEW_SOURCE]).to_csv(sources, index=False)

    # 1. The draft lists each figure with its clause, value and the qualifier its words suggest.
    code, _, err = run(
        capsys, "curate", "draft", report, "--source-id", "jiangan_2019h1", "--district", "jiangan", "--out",
        tmp_path / "draft.csv",
    )  # fmt: skip
    assert code == 0 and "2 figures to complete and prune" in err
    drafted = pd.read_csv(tmp_path / "draft.csv", dtype=str, keep_default_na=False)
    assert list(drafted["value_as_written"]) == ["超过15万人", "900余个"]
    assert list(drafted["value"]) == ["150000", "900"]
    assert list(drafted["qualifier"]) == ["at_least", "at_least"]
    assert list(drafted["period_basis"]) == ["stated", "stated"]
    assert drafted.at[0, "quote"] == "全区注册志愿者超过15万人"
    assert drafted.at[0, "metric_id"] == "registered_volunteers"  # the metric whose name the clause shares most

    # 2. The analyst completes it: the metric of the teams, and each figure's date.
    completed = drafted.assign(
        metric_id=["registered_volunteers", "volunteer_teams"],
        period_start="2019-06-30",
        period_end="2019-06-30",
        period_label="as of 2019 H1",
        note="",
    )
    facts = tmp_path / "facts.csv"
    completed.to_csv(facts, index=False)

    # 3. Checked, refused without its text, then added with it.
    code, out, err = run(capsys, "curate", "check", facts, "--sources", sources, "--text", report)
    assert (code, err) == (0, ""), err
    assert out.strip() == f"{facts}: valid, 2 figures"
    before = tree_digest(real_data_copy)
    code, _, err = run(capsys, "snapshot", "add", facts, "--sources", sources, "--amend", "--id", "h1")
    assert code == INVALID
    assert "the report's text is not given" in err and "Fix: add --text PATH/jiangan_2019h1.txt" in err
    assert tree_digest(real_data_copy) == before
    code, out, err = run(
        capsys, "snapshot", "add", facts, "--sources", sources, "--text", report, "--amend", "--id", "h1"
    )
    assert code == 0, err
    assert out.startswith("added snapshot h1: 329 figures")
    assert (real_data_copy / "sources" / "jiangan_2019h1.txt").read_bytes() == report.read_bytes()
    code, out, _ = run(capsys, "snapshot", "list", "--verify")
    assert code == 0

    # 4. On the District profile, with their quotes; on Sources, the report's text with both figures marked.
    at = AppTest.from_file(str(Path(__file__).parent.parent / "app.py"), default_timeout=30)
    at.run()
    at.switch_page("pages/profile.py")
    at.query_params.update({"lang": "en", "district": "jiangan"})
    at.run()
    assert not at.exception
    assert at.selectbox(key="district").value == "jiangan"
    quotes = set(pd.concat([frame.value for frame in at.dataframe])[t("col_quote", "en")])
    assert {"全区注册志愿者超过15万人", "志愿服务队伍900余个"} <= quotes
    at.switch_page("pages/sources.py")
    at.query_params.clear()
    at.query_params.update({"lang": "en", "source": "jiangan_2019h1"})
    at.run()
    assert not at.exception
    text = next(h.proto.body for h in at.get("html") if 'class="report"' in h.proto.body)
    assert text.count('<mark class="fact">') == 2
    assert "超过15万人" in text and "900余个" in text


def test_a_facts_csv_that_cannot_be_read_is_refused_clearly(use_data_dir, tmp_path, capsys):
    use_data_dir(DATA_DIR)
    facts = tmp_path / "facts.csv"
    facts.write_text("source_id,value\njiangan_2018q1,many\n", encoding="utf-8")
    code, out, err = run(capsys, "curate", "check", facts)
    assert (code, out) == (INVALID, "")
    assert f"{facts}: cannot be read as a facts table" in err
    assert "Fix: UTF-8 CSV with the curation columns" in err

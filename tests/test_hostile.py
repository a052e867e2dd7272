"""The hostile corpus through every page with AppTest: as URL parameters and as snapshot text.

AppTest hands over the Markdown source each element received and each chart's Plotly spec;
every one is checked for markup that did not come from the dashboard's own code. Each string
goes through every URL parameter of every page (all parameters hostile at once, the corpus
rotated between runs) and through every text field of a snapshot and its companion tables.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hostile import (
    HOSTILE,
    LANGS,
    PLACES,
    VARIANTS,
    hostile,
    hostile_data_dir,
    html_problems,
    markdown_problems,
    plotly_problems,
)
from streamlit.testing.v1 import AppTest

from redengine.core import view_state
from redengine.core.markup import WORD_JOINER, markdown_code, markdown_text, plotly_text
from redengine.data import schema
from redengine.data.db import Database

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "app.py")
OVERVIEW, COMPARE, PROFILE, SOURCES, CHANGES = (
    "pages/overview.py",
    "pages/compare.py",
    "pages/profile.py",
    "pages/sources.py",
    "pages/changes.py",
)
PAGE_PARAMS = {
    OVERVIEW: ["lang", "snapshot", "section", "category"],
    COMPARE: ["lang", "snapshot", "category", "concept", "metric", "places", "view", "figures", "amount"],
    PROFILE: ["lang", "snapshot", "district"],
    SOURCES: ["lang", "snapshot", "source", "fact"],
    CHANGES: ["lang", "snapshot", "from", "to"],
}
# Proto fields Streamlit renders as Markdown (selectbox and multiselect options are plain text).
MARKDOWN_FIELDS = {"body", "label", "help"}


def session_on(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    if page != OVERVIEW:
        at.switch_page(page)
    return at


def visit(at: AppTest, params: dict[str, str]) -> None:
    """Opens the page's URL with these parameters, as a followed link would."""
    at.query_params.clear()
    at.query_params.update(params)
    at.run()
    assert not at.exception, [e.message for e in at.exception]


def markup_found(at: AppTest) -> list[str]:
    """Every Markdown source and chart on the page, checked; returns what would render as markup."""
    found = []
    for node in at._tree:
        proto = getattr(node, "proto", None)
        if proto is None:
            continue
        if node.type == "plotly_chart":
            found += [f"chart: {text!r}" for text in plotly_problems(proto.spec)]
            continue
        if node.type == "html":
            found += [f"html: {text!r}" for text in html_problems(proto.body)]
            continue
        for field, value in proto.ListFields():
            if field.name in MARKDOWN_FIELDS and isinstance(value, str):
                found += [f"{node.type}.{field.name}: {problem}" for problem in markdown_problems(value)]
    return found


def warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning]


# --- URL parameters ---------------------------------------------------------------------------


def echoed(name: str, value: str) -> str:
    """The notice's words for a rejected parameter: its value as view_state keeps it, shown as code."""
    resolution = view_state.Resolution()
    choose = view_state.choose_many if name == "places" else view_state.choose_one
    choose(resolution, {name: value}, name, [], [] if name == "places" else None)
    (notice,) = resolution.notices
    return f"{name}={markdown_code(notice.value)}"


@pytest.mark.parametrize("page", list(PAGE_PARAMS))
def test_every_string_through_every_url_parameter(page):
    """One session per page; run k gives parameter j the string k + j, so each parameter sees each string."""
    at = session_on(page)
    names = PAGE_PARAMS[page]
    for run in range(len(HOSTILE)):
        params = {name: hostile(run + j) for j, name in enumerate(names)}
        visit(at, params)
        assert markup_found(at) == [], params
        shown = warnings(at)
        for name, value in params.items():
            assert any(echoed(name, value) in w for w in shown), (name, value, shown)
        assert all(len(w) < 400 for w in shown), "a rejected value is cut, not echoed whole"
        assert not at.error


def test_a_rejected_value_is_shown_as_code_and_cut():
    at = session_on(PROFILE)
    visit(at, {"lang": "en", "district": "[Click to verify](https://example.org)" + "x" * 500})
    (notice,) = [w for w in warnings(at) if "district=" in w]
    # Literal inside a code span; the invisible joiner keeps the URL from becoming a bare link.
    assert f"district=`[Click to verify](https:{WORD_JOINER}//example.org)xxx" in notice
    assert "x" * 41 + "…`" in notice and "x" * 60 not in notice


# --- snapshot and companion-table text --------------------------------------------------------


def followed_fact(database: Database, source_id: str) -> str:
    return database.query("source_facts", snapshot_id="hostile", source_id=source_id)["fact_id"].iloc[0]


@pytest.mark.parametrize("variant", range(VARIANTS))
def test_every_snapshot_text_field_is_shown_as_text(variant, tmp_path, use_data_dir):
    """Overview and Compare draw every place (each field sees the whole corpus across the variants);
    Profile and Sources open a quarter of the places per variant, each place once in all, alternating
    the language."""
    data_dir = hostile_data_dir(tmp_path, variant)
    use_data_dir(data_dir)
    database = Database(data_dir)
    sampled = list(range(variant, PLACES, VARIANTS))
    views = {
        OVERVIEW: [{"lang": "en"}, {"lang": "zh", "section": "charts"}, {"lang": "en", "section": "coverage"}],
        COMPARE: [{"lang": "zh"}, {"lang": "en", "view": "table"}, {"lang": "en"}],
        PROFILE: [{"lang": LANGS[r % 2], "district": f"place_{r}"} for r in sampled],
        SOURCES: [
            {"lang": LANGS[r % 2], "source": f"src_{r}", "fact": followed_fact(database, f"src_{r}")} for r in sampled
        ],
        CHANGES: [{"lang": "en"}],
    }
    for page, page_views in views.items():
        at = session_on(page)
        for view in page_views:
            visit(at, view)
            assert markup_found(at) == [], (page, view)
            assert not at.error
        if page == OVERVIEW:  # every place is in the coverage matrix (the last view), by its name, as text
            heatmap = json.loads(at.get("plotly_chart")[-1].proto.spec)["data"][0]
            names_en = [hostile(PLACES * variant + r + 1) for r in range(PLACES)]
            assert sorted(heatmap["y"]) == sorted(plotly_text(name) for name in names_en)


# --- the upload box on What changed ---------------------------------------------------------------

UPLOAD_ROWS = 5  # schema.ROWS_SHOWN: the rows a problem quotes


def hostile_upload(first: int) -> bytes:
    """A snapshot file whose ids, qualifiers and one column's name are hostile: every problem quotes them."""
    rows = [
        {
            "district_id": hostile(first + r),
            "metric_id": hostile(first + r + 1),
            "value": 1.0,
            "qualifier": hostile(first + r + 2),
            "period_start": date(2020, 1, 1),
            "period_end": date(2020, 12, 31),
            "period_label": hostile(first + r + 3),
            "value_as_written": hostile(first + r + 4),
            "source_id": hostile(first + r + 5),
            "quote": hostile(first + r + 6),
            "note": None,
        }
        for r in range(UPLOAD_ROWS)
    ]
    table = pa.Table.from_pylist(rows, schema.FACTS)
    table = table.append_column(hostile(first)[:200], pa.array(["x"] * UPLOAD_ROWS))  # a column not in the contract
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()


def test_the_upload_box_shows_every_problem_as_text():
    at = session_on(CHANGES)
    visit(at, {"lang": "en"})
    for first in range(0, len(HOSTILE), UPLOAD_ROWS):
        at.file_uploader[0].set_value((f"upload-{first}.parquet", hostile_upload(first), "application/octet-stream"))
        at.run()
        assert not at.exception
        (error,) = [e.value for e in at.error]
        assert error.count("Fix\\:") >= 4  # unknown places, metrics, sources; bad qualifiers
        assert markup_found(at) == [], first
    # A file that is not Parquet at all: the message names it.
    at.file_uploader[0].set_value(("![](https:example.org) <b>x.parquet", b"not parquet", "application/octet-stream"))
    at.run()
    (error,) = [e.value for e in at.error]
    assert markdown_text("![](https:example.org) <b>x.parquet") in error
    assert markup_found(at) == []

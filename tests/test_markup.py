"""The escaping helpers over the hostile corpus, and names with markup refused by validate and add."""

from __future__ import annotations

import html
import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import CONCEPTS, DISTRICTS, METRICS, OLD_FACTS, SOURCES, fact, tree_digest, write_facts
from hostile import HOSTILE, HOSTILE_IDS, markdown_problems

from redengine.core.markup import CODE_LIMIT, WORD_JOINER, markdown_code, markdown_text, plotly_text
from redengine.data import schema
from redengine.ops import cli

INVALID = 2
CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def unescaped(markdown: str) -> str:
    """What a reader sees of markdown_text's output: backslash escapes and word joiners gone."""
    return re.sub(r"\\(.)", r"\1", markdown, flags=re.DOTALL).replace(WORD_JOINER, "")


@pytest.mark.parametrize("text", HOSTILE, ids=HOSTILE_IDS)
def test_markdown_text_is_inert_and_reads_as_typed(text):
    escaped = markdown_text(text)
    assert markdown_problems(escaped) == []
    assert markdown_problems(f"**{escaped}** · {escaped}") == []  # between the page's own Markdown too
    if not CONTROLS.search(text) and "\n" not in text:
        assert unescaped(escaped) == text.strip()


@pytest.mark.parametrize("text", HOSTILE, ids=HOSTILE_IDS)
def test_markdown_code_is_inert_and_cut(text):
    shown = markdown_code(text)
    assert markdown_problems(f"The link's district={shown} is not valid") == []
    fence = re.match(r"`+", shown).group()
    assert shown.endswith(fence) and fence not in shown[len(fence) : -len(fence)]  # one code span
    assert len(shown) <= CODE_LIMIT + 2 * len(fence) + 30  # room for visible control characters and padding
    if len(text) > CODE_LIMIT:
        assert "…" in shown


@pytest.mark.parametrize("text", HOSTILE, ids=HOSTILE_IDS)
def test_plotly_text_has_no_tags_or_entities(text):
    shown = plotly_text(text)
    assert "<" not in shown and ">" not in shown
    assert re.findall(r"&#?\w+;", shown) == re.findall(r"&(?:amp|lt|gt);", shown)
    if not CONTROLS.search(text):
        assert html.unescape(shown) == text


@pytest.mark.parametrize("control", ["\u202e", "\u2066", "\u200f", "\x00", "\x1b"])
def test_characters_that_reorder_or_hide_text_are_shown_visibly(control):
    code_point = f"[U+{ord(control):04X}]"
    assert unescaped(markdown_text(f"a{control}b")) == f"a{code_point}b"
    assert code_point in markdown_code(f"a{control}b")
    assert plotly_text(f"a{control}b") == f"a{code_point}b"


def test_line_breaks_stay_line_breaks_and_start_no_block():
    assert markdown_text("one\n\n    two\r\n# three") == "one  \ntwo  \n\\# three"


# --- names with markup are refused -------------------------------------------------------------

NAMES_WITH_MARKUP = [
    "[Click to verify](https://example.org)",
    "![](https://example.org/pixel.png)",
    "<span style='font-size:300px'>big</span>",
    "Jiang'an <b>District</b>",
    "`code`",
    "evil\u202e reversed",
    "zero\u200bwidth",
    "byte\ufefforder",
    "tab\there",
    "line\nbreak",
]
PLAIN_NAMES = ["Jiang'an District", "江岸区", "St. Mary's (North) & South", "100% [draft] *star* :colon: $5"]


def _table(kind: str, column: str, value: str) -> pa.Table:
    rows = {"districts": DISTRICTS, "concepts": CONCEPTS, "metrics": METRICS, "sources": SOURCES}[kind]
    changed = [dict(rows[0], **{column: value}), *rows[1:]]
    return pa.Table.from_pylist(changed, schema=schema.DIMENSIONS[kind])


NAME_FIELDS = [(kind, column) for kind, columns in schema.NAME_COLUMNS.items() for column in columns]


@pytest.mark.parametrize(("kind", "column"), NAME_FIELDS, ids=[f"{k}.{c}" for k, c in NAME_FIELDS])
@pytest.mark.parametrize("name", NAMES_WITH_MARKUP)
def test_a_name_with_markup_is_refused_with_column_row_and_value(kind, column, name):
    (problem,) = schema.check_dimension(kind, _table(kind, column, name))
    message = str(problem)
    assert message.startswith(f"column '{column}': 1 row(s) contain markup or invisible characters — row 1 (")
    assert repr(name) in message  # repr: invisible characters as \u escapes, on one line
    assert CONTROLS.sub("", message) == message and "\n" not in message
    assert ". Fix: write the name as plain text" in message


@pytest.mark.parametrize("name", PLAIN_NAMES)
def test_plain_names_pass(name):
    for kind, column in NAME_FIELDS:
        assert schema.check_dimension(kind, _table(kind, column, name)) == []


def test_a_very_long_name_is_quoted_cut():
    (problem,) = schema.check_dimension("districts", _table("districts", "name_en", "<b>" + "x" * 10_000))
    assert len(str(problem)) < 400 and "…" in str(problem)


def test_validate_refuses_and_add_writes_nothing(fixture_dir, use_data_dir, tmp_path, capsys):
    use_data_dir(fixture_dir)
    delta = dict(DISTRICTS[0], district_id="delta", name_en="[Click to verify](https://example.org)")
    pq.write_table(pa.Table.from_pylist([delta], schema=schema.DIMENSIONS["districts"]), tmp_path / "d.parquet")
    # Quotes, notes and values as written stay verbatim (they must match the report): never refused.
    rows = [*OLD_FACTS, fact("delta", "members", 1, "<b>1</b>名", source="src_a", quote="![](https://e.org/p.png)")]
    facts = write_facts(tmp_path / "f.parquet", rows)
    before = tree_digest(fixture_dir)
    supplied = ["--districts", str(tmp_path / "d.parquet")]
    for argv in (["validate", str(facts), *supplied], ["add", str(facts), "--id", "with-delta", *supplied]):
        code = cli.run(["snapshot", *argv])
        err = capsys.readouterr().err
        assert code == INVALID
        assert "column 'name_en': 1 row(s) contain markup" in err
        assert "row 1 ('[Click to verify](https://example.org)')" in err
        assert "Fix: write the name as plain text" in err
        assert "quote" not in err and "value_as_written" not in err
    assert tree_digest(fixture_dir) == before

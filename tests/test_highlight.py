"""highlight: a report's text as HTML with its figures' quotes marked, every character escaped."""

from __future__ import annotations

import html
import re

from hypothesis import given
from hypothesis import strategies as st

from redengine.core.highlight import highlighted_html, quote_span

REPORT = "江岸区共有党组织1200余个。\n注册志愿者 13.5万人。"


def visible_text(marked: str) -> str:
    """What a reader sees: tags removed, entities decoded, line breaks back as newlines."""
    return html.unescape(re.sub(r"<(?!br>)[^>]+>", "", marked).replace("<br>", "\n"))


def test_a_quote_is_found_across_differences_in_whitespace():
    assert quote_span(REPORT, "注册志愿者13.5万人") == (REPORT.index("注册"), len(REPORT) - 1)
    assert quote_span(REPORT, "not in the text") is None
    assert quote_span(REPORT, "  ") is None


def test_each_quote_is_marked_with_an_anchor_and_the_target_stands_out():
    marked = highlighted_html(REPORT, [("f1", "党组织1200余个"), ("f2", "注册志愿者 13.5万人")], target="f2")
    assert '<a id="fact-f1"></a><mark class="fact">党组织1200余个</mark>' in marked
    assert '<a id="fact-f2"></a><mark class="fact target">注册志愿者 13.5万人</mark>' in marked
    assert visible_text(marked) == REPORT


def test_markup_in_the_report_or_a_quote_is_shown_as_text_never_run():
    report = '前言<script>alert(1)</script>共有<img src=x onerror="alert(2)">党员500人'
    marked = highlighted_html(report, [("f1", '<img src=x onerror="alert(2)">党员500人')])
    assert "<script>" not in marked and "<img" not in marked
    assert "&lt;script&gt;" in marked and "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in marked
    assert visible_text(marked) == report


def test_a_quote_that_is_not_in_the_text_marks_nothing():
    assert highlighted_html(REPORT, [("f1", "没有这句话")]) == html.escape(REPORT).replace("\n", "<br>")


def test_overlapping_quotes_both_stay_marked():
    marked = highlighted_html("甲乙丙丁", [("a", "甲乙丙"), ("b", "乙丙丁")], target="b")
    assert visible_text(marked) == "甲乙丙丁"
    assert 'id="fact-a"' in marked and 'id="fact-b"' in marked
    assert '<mark class="fact target">乙丙</mark>' in marked  # the shared part belongs to the target too


@given(st.text(max_size=200), st.text(max_size=30))
def test_any_text_and_quote_read_back_unchanged_and_hold_no_tag_of_their_own(text, quote):
    marked = highlighted_html(text, [("f1", quote)])
    assert visible_text(marked) == text
    tags = set(re.findall(r"<(/?\w+)", marked))
    assert tags <= {"a", "/a", "mark", "/mark", "br"}

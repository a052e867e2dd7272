"""Phone layouts' HTML (present/cards.py, evidence.figure_list): every value kept and named, text escaped."""

from __future__ import annotations

import html
import re

import pandas as pd

from redengine.present import cards, evidence


def test_a_table_becomes_one_card_per_row_with_every_value_named():
    table = pd.DataFrame(
        {
            "Change": ["revised", "added"],
            "Place": ["Jiang'an District", "<b>Haizhu</b>"],
            "Period": ["as of 2018 Q1", None],
            "New": ["104,953 people", "12"],
        }
    )
    body = cards.cards_html(table)
    items = re.findall(r"<li>(.*?)</li>", body)
    assert len(items) == 2
    assert items[0] == (
        "<strong>revised</strong><dl><dt>Place</dt><dd>Jiang&#x27;an District</dd>"
        "<dt>Period</dt><dd>as of 2018 Q1</dd><dt>New</dt><dd>104,953 people</dd></dl>"
    )
    assert "<b>" not in body and html.escape("<b>Haizhu</b>") in items[1]
    assert "<dt>Period</dt>" not in items[1]  # an empty value is left out, not shown as "None"


def test_the_figure_list_links_each_value_to_its_quote_and_says_not_reported():
    rows = pd.DataFrame(
        [
            {
                "name_en": "Jiang'an District",
                "fact_id": "f472762d79",
                "source_id": "jiangan_2018q1",
                "value": 104953.0,
                "unit": "people",
                "qualifier": "exact",
                "period_label": "as of 2018 Q1",
                "period_basis": "inferred",
                "scope_en": None,
                "metric_name_en": "Registered volunteers",
                "quote": "注册志愿者104953人 <script>",
                "is_reference": False,
                "reasons": "different_period",
            },
            {"name_en": "Haizhu District", "fact_id": None, "quote": None},
        ]
    )
    body = evidence.figure_list(rows, "name_en", "en", lambda s, f: f"./sources?source={s}&fact={f}", True)
    first, second = re.findall(r"<li>(.*?)</li>", body)
    assert '<a href="./sources?source=jiangan_2018q1&amp;fact=f472762d79" target="_self">104,953 people</a>' in first
    assert "as of 2018 Q1" in first and "Registered volunteers" in first
    assert '<span class="marks">not like for like: different period</span>' in first
    assert "<blockquote>注册志愿者104953人 &lt;script&gt;</blockquote>" in first
    assert second == '<strong>Haizhu District</strong> <span class="nr">not reported</span>'

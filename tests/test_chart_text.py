"""A chart's text alternative (present/chart_text.py): every place with its value, qualifier, period and verdict,
from the rows the chart draws; and the SQL page's Run button."""

from __future__ import annotations

import pandas as pd
import pytest
from test_pages import open_page

from redengine.core.i18n import t
from redengine.data import shared
from redengine.present import chart_text, share
from redengine.ui import widgets

SQL = "pages/sql.py"


def row(district, name_zh, name_en, value, qualifier="exact", period="2018 Q1", metric="volunteers", **extra):
    return {
        "district_id": district,
        "name_zh": name_zh,
        "name_en": name_en,
        "metric_id": metric if value is not None else None,
        "metric_name_zh": {"volunteers": "注册志愿者人数", "teams": "志愿服务队数"}.get(metric),
        "metric_name_en": {"volunteers": "Registered volunteers", "teams": "Volunteer teams"}.get(metric),
        "value": value,
        "value_adjusted": value / 12 if value is not None else None,  # per month, in these tests
        "qualifier": qualifier if value is not None else None,
        "period_label": period if value is not None else None,
        "figures_left_out": 0,
        **extra,
    }


VERDICT = {"is_reference": None, "reasons": None}
UNLIKE = "different_period"
ROWS = pd.DataFrame(
    [
        row("jiangan", "江岸区", "Jiang'an District", 104953, is_reference=True, reasons=""),
        row(
            "wuchang",
            "武昌区",
            "Wuchang District",
            200,
            "at_least",
            "2017",
            is_reference=False,
            reasons="different_period",
        ),
        row("haizhu", "海珠区", "Haizhu District", None, **VERDICT),
        row("bazhou", "巴州区", "Bazhou District", None, **{**VERDICT, "figures_left_out": 2}),
    ]
)
EXPECTED = {
    "zh": [
        "柱状图：注册志愿者人数，4 个地方。",
        "江岸区：104,953人，2018年第一季度，参照",
        "武昌区：≥ 200人，以上（下限），2017年，不可直接比较：时期不同",
        "海珠区：未报告",
        "巴州区：不可比，另列",
        "各数字时期不同：2018年第一季度、2017年。",
    ],
    "en": [
        "Bar chart: Registered volunteers; places: 4. ",
        "Jiang'an District: 104,953 people, 2018 Q1, reference",
        "Wuchang District: ≥ 200 people, at least, 2017, not like for like: different period",
        "Haizhu District: not reported",
        "Bazhou District: not like for like (listed apart)",
        "The periods differ: 2018 Q1, 2017.",
    ],
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_text_names_each_place_value_qualifier_period_and_verdict(lang):
    text = chart_text.comparison_text(ROWS, ROWS.loc[0, f"metric_name_{lang}"], "people", lang)
    positions = [text.index(part) for part in EXPECTED[lang]]
    assert positions == sorted(positions)  # in the chart's order
    assert t("chart_text_definitions_differ", lang) not in text  # each figure carries its own verdict


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_table_holds_the_same_figures(lang):
    table = chart_text.comparison_table(ROWS, "people", lang)
    assert table[t("col_place", lang)].tolist() == ROWS[f"name_{lang}"].tolist()
    values = table[t("col_value", lang)].tolist()
    assert values[1] in EXPECTED[lang][2] and values[2:] == [t("not_reported", lang), t("off_axis_marker", lang)]
    unlike = t("verdict_unlike", lang, reasons=t("reason_different_period", lang))
    assert table[t("col_comparable", lang)].tolist() == [t("verdict_reference", lang), unlike, "", ""]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_compare_s_html_bars_carry_the_same_figures_and_escape_the_data(lang):
    hostile = ROWS.assign(name_zh=ROWS["name_zh"].replace("江岸区", "<b>江岸区</b>"))
    hostile["name_en"] = hostile["name_en"].replace("Jiang'an District", "<b>Jiang'an</b>")
    hostile["period_label"] = hostile["period_label"].replace("2017", '2017"><script>')
    markup = chart_text.comparison_html(hostile, "Registered volunteers", "people", lang)
    assert "<b>" not in markup and "&lt;b&gt;" in markup and "<script>" not in markup
    items = markup.split("<li ")[1:]
    assert len(items) == 4  # a row per place the chart draws, in its order
    assert items[0].startswith('data-place="jiangan" data-period="2018 Q1" data-definition="volunteers"')
    assert 'data-value="104953.0"' in items[0]
    assert "104,953" in items[0] and "width:100.0%" in items[0]  # the largest bar is full width
    assert "≥ 200" in items[1] and "width:0.2%" in items[1] and 'data-period="2017&quot;&gt;&lt;script&gt;"' in items[1]
    assert t("not_reported", lang) in items[2] and "bar" not in items[2]  # no bar, never a zero
    assert "data-value" not in items[2] and items[2].startswith('data-place="haizhu">')
    assert t("off_axis_marker", lang) in items[3]
    assert 'role="img" aria-label="' in markup and "104,953" in markup.split('aria-label="')[1]
    assert "hatched" not in markup  # no estimate or target among these


def test_html_bars_hatch_estimates_and_rank_as_many_lying_bars_do():
    """An estimate's bar is hatched, as the chart image's is; more bars than stand upright are ranked, highest
    first, by the value drawn (per month here), as the chart image and the text alternative list them."""
    places = [row(f"p{i}", f"地{i}", f"Place {i}", 10 * (i % 4) + i, period="2020") for i in range(9)]
    places[2] = row("p2", "地2", "Place 2", 5, "estimate", "2020")
    rows = pd.DataFrame(places).assign(is_reference=False, reasons="", in_like_set=True)
    markup = chart_text.comparison_html(rows, "x", "count", "en", per_month=True, most=4)
    drawn = [item.split('"')[1] for item in markup.split("<li ")[1:]]
    expected = rows.sort_values("value_adjusted", ascending=False, kind="stable")["district_id"].head(4).tolist()
    assert drawn == expected == ["p7", "p3", "p6", "p5"]
    text = chart_text.comparison_text(rows, "x", "count", "en", per_month=True, most=4)
    assert [text.index(f"Place {p[1]}:") for p in drawn] == sorted(text.index(f"Place {p[1]}:") for p in drawn)
    every = chart_text.comparison_html(rows, "x", "count", "en")
    (estimate,) = [item for item in every.split("<li ")[1:] if item.startswith('data-place="p2"')]
    assert 'class="bar hatched"' in estimate and every.count("hatched") == 1


def test_per_month_values_and_the_highest_kept_as_the_chart_keeps_them():
    text = chart_text.comparison_text(ROWS, "Registered volunteers", "people", "en", per_month=True, most=1)
    assert text.startswith("Bar chart: Registered volunteers; places: 1. Jiang'an District: 8,746.08 people/month")
    assert "Wuchang" not in text and "periods differ" not in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_figures_of_different_definitions_without_a_verdict_say_so(lang):
    headline = pd.DataFrame(
        [
            row("zhenjiang", "镇江市", "Zhenjiang", 208, "approx", "2021 Jan–Jul", metric="teams"),
            row("wuchang", "武昌区", "Wuchang District", 41, period="2017"),
        ]
    )
    text = chart_text.comparison_text(headline, "x", "count", lang)
    assert text.endswith(t("chart_text_definitions_differ", lang))
    assert headline.loc[0, f"metric_name_{lang}"] in text and t("q_approx", lang) in text


def test_the_page_script_survives_streamlits_sanitiser():
    """DOMPurify drops a script whose text looks like markup: the page script must hold no '<'."""
    for lang in ("zh", "en"):
        script = widgets._page_script(lang)
        assert "<" not in script and 'lang = "' in script


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_sql_page_runs_a_query_with_its_run_button(lang):
    at = open_page(SQL, lang=lang)
    run = next(b for b in at.button if b.label == t("sql_run", lang))
    at.text_area(key="q").set_value("select count(*) as figures from facts")
    run.click().run()
    assert not at.exception
    assert t("sql_rows", lang, n=1) in [c.value for c in at.caption]


@pytest.mark.parametrize(
    ("page", "params", "expected"),
    [
        (
            "compare",
            {"lang": "en", "concept": "registered_volunteers", "places": "jiangan,wuchang"},
            "Jiang'an District: 104,953 people, as of 2018 Q1, reference; Wuchang District: 180,000 people",
        ),
        ("overview", {"lang": "zh", "category": "volunteers"}, "江岸区：104,953人，截至2018年第一季度"),
        ("profile", {"lang": "en", "district": "jiangan"}, ""),
    ],
)
def test_a_shared_view_carries_its_chart_text_for_the_image_alt(page, params, expected):
    database = shared.database()
    described = share.describe(page, params, database.query, database.snapshots())
    assert expected in described.chart_text and bool(described.chart_text) == bool(expected)

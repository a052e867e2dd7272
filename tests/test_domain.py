import math
import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from redengine.core.domain import (
    WrittenValueError,
    distinct_periods,
    format_qualified,
    format_value,
    parse_written_value,
    place_color,
    unit_label,
    values_match,
    written_values_in,
)

# written, base value, a base unit it may be stored in, implied qualifier
WRITTEN = [
    ("188.8亿元", 18_880_000_000, "CNY", None),
    ("200余个", 200, "count", "at_least"),
    ("超20000人次", 20_000, "person_times", "at_least"),
    ("超过85%", 85, "percent", "at_least"),
    ("百余名", 100, "people", "at_least"),
    ("6.56万名", 65_600, "people", None),
    ("4.17万名", 41_700, "count", None),
    ("12560万美元", 125_600_000, "USD", None),
    ("70.7%", 70.7, "percent", None),
    ("两万余条", 20_000, "count", "at_least"),
    ("八成", 80, "percent", "approx"),
    ("九成以上", 90, "percent", "at_least"),
    ("95%以上", 95, "percent", "at_least"),
    ("近30家", 30, "count", "approx"),
    ("约20天", 20, "days", "approx"),
    ("20天左右", 20, "days", "approx"),
    ("104953人", 104_953, "people", None),
    ("1,060亿元", 106_000_000_000, "CNY", None),
    ("5000万元", 50_000_000, "CNY", None),
    ("242.9万元", 2_429_000, "CNY", None),
    ("7个工作日", 7, "days", None),
    ("176倍", 176, "times", None),
    ("30多年", 30, "years", "at_least"),
    ("逾千人", 1_000, "people", "at_least"),
    ("两场", 2, "count", None),
    ("十二个", 12, "count", None),
    ("三百五十人", 350, "people", None),
    ("3千人", 3_000, "people", None),
    ("5千米", 5, "km", None),  # a unit, not 5 thousand 米
    ("20多万人", 200_000, "people", "at_least"),
    ("10余亿元", 1_000_000_000, "CNY", "at_least"),
    ("1.2 万 平方米", 12_000, "m2", None),  # whitespace inside is ignored
    ("100多户", 100, "households", "at_least"),
    # more of the five reports' own figures (#23), and forms a new report may print
    ("三大平台", 3, "count", None),
    ("124882家次", 124_882, "count", None),
    ("1.4万套", 14_000, "count", None),
    ("超过500万人次", 5_000_000, "person_times", "at_least"),
    ("约5300户", 5_300, "households", "approx"),
    ("0.66天", 0.66, "days", None),
    ("37926万元", 379_260_000, "CNY", None),
    ("两幢", 2, "count", None),
    ("一百零五项", 105, "count", None),
    ("三万五千人", 35_000, "people", None),
    ("1.2万亿元", 1_200_000_000_000, "CNY", None),
    ("3百人", 300, "people", None),
    ("１２％", 12, "percent", None),  # full-width digits and sign
    ("1000㎡", 1_000, "m2", None),
]


@pytest.mark.parametrize(("written", "value", "unit", "qualifier"), WRITTEN)
def test_parse_written_value(written, value, unit, qualifier):
    parsed = parse_written_value(written)
    assert math.isclose(parsed.base_value, value, rel_tol=1e-12)
    assert unit in parsed.compatible_units
    assert parsed.implied_qualifier == qualifier
    assert values_match(value, written)
    assert not values_match(value * 1.001, written)


@pytest.mark.parametrize(
    ("written", "wrong_unit"),
    [("188.8亿元", "USD"), ("12560万美元", "CNY"), ("20000人次", "people"), ("70.7%", "count")],
)
def test_units_of_one_kind_are_not_another(written, wrong_unit):
    assert wrong_unit not in parse_written_value(written).compatible_units


def test_figures_in_running_text_are_found_as_written():
    text = "2017年,全区党员超过42万人,建成1000平方米的中心,三大平台,千年古城,百余名志愿者,占八成。"
    assert [w for _, _, w in written_values_in(text)] == ["超过42万人", "1000平方米", "三大平台", "百余名", "八成"]


def test_plain_counter_words_are_counts():
    assert parse_written_value("16个").compatible_units == ("count",)
    assert parse_written_value("3支").compatible_units == ("count",)


@pytest.mark.parametrize("text", ["", "亿元", "about 20", "abc", "%"])
def test_unreadable_values_raise(text):
    with pytest.raises(WrittenValueError, match="cannot read"):
        parse_written_value(text)


FORMATTED = [
    # value, unit, zh, en
    (18_880_000_000, "CNY", "188.8亿元", "CNY 18.88 bn"),
    (106_000_000_000, "CNY", "1,060亿元", "CNY 106 bn"),
    (50_000_000, "CNY", "5,000万元", "CNY 50 m"),
    (2_429_000, "CNY", "242.9万元", "CNY 2.429 m"),
    (1_504_000_000, "CNY", "15.04亿元", "CNY 1.504 bn"),
    (379_260_000, "CNY", "3.7926亿元", "CNY 379.26 m"),
    (125_600_000, "USD", "1.256亿美元", "USD 125.6 m"),
    (5_000, "CNY", "5,000元", "CNY 5 k"),
    (800, "CNY", "800元", "CNY 800"),
    (104_953, "people", "104,953人", "104,953 people"),
    (20_000, "person_times", "20,000人次", "20,000 person-times"),
    (854, "count", "854", "854"),
    (1_252, "count", "1,252", "1,252"),
    (70.7, "percent", "70.7%", "70.7%"),
    (63.52, "percent", "63.52%", "63.52%"),
    (0.66, "days", "0.66天", "0.66 days"),
    (176, "times", "176倍", "176×"),
    (3_000, "m2", "3,000平方米", "3,000 m²"),
    (42, "households", "42户", "42 households"),
]


@pytest.mark.parametrize(("value", "unit", "zh", "en"), FORMATTED)
def test_format_value(value, unit, zh, en):
    assert format_value(value, unit, "zh") == zh
    assert format_value(value, unit, "en") == en


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, np.float32("nan"), pd.NA])
def test_missing_values_read_not_reported(missing):
    assert format_value(missing, "people", "en") == "not reported"
    assert format_value(missing, "CNY", "zh") == "未报告"
    assert format_qualified(missing, "count", "at_least", "en") == "not reported"
    assert format_qualified(missing, "count", "estimate", "zh") == "未报告"


def test_zero_is_a_value_not_missing():
    assert format_value(0, "count", "en") == "0"
    assert format_qualified(0.0, "people", "exact", "zh") == "0人"


@pytest.mark.parametrize(
    ("value", "unit", "qualifier", "lang", "expected"),
    [
        (200, "count", "at_least", "en", "≥ 200"),
        (200, "count", "at_least", "zh", "≥ 200"),
        (20, "days", "approx", "en", "≈ 20 days"),
        (20, "days", "approx", "zh", "≈ 20天"),
        (106_000_000_000, "CNY", "estimate", "zh", "1,060亿元（预计）"),
        (106_000_000_000, "CNY", "estimate", "en", "CNY 106 bn est."),
        (50_000_000, "CNY", "target", "en", "CNY 50 m target"),
        (50_000_000, "CNY", "target", "zh", "5,000万元（目标）"),
        (104_953, "people", "exact", "en", "104,953 people"),
        (104_953, "people", None, "en", "104,953 people"),
    ],
)
def test_format_qualified(value, unit, qualifier, lang, expected):
    assert format_qualified(value, unit, qualifier, lang) == expected


def test_unit_labels():
    assert unit_label("CNY", "zh") == "元"
    assert unit_label("USD", "en") == "USD"
    assert unit_label("person_times", "en") == "person-times"
    assert unit_label("count", "en") == ""


@pytest.mark.parametrize(
    ("labels", "distinct", "differ"),
    [
        (["2018 Q1", "2018 Q1"], ["2018 Q1"], False),
        (["2018 Q1", None, "", "2018 Q1"], ["2018 Q1"], False),
        (["2017", "2018 Q1", "2017"], ["2017", "2018 Q1"], True),
        ([None, None], [], False),
        ([], [], False),
        (["as of 2020-12-31", "2021 Jan–Apr"], ["as of 2020-12-31", "2021 Jan–Apr"], True),
    ],
)
def test_periods(labels, distinct, differ):
    assert distinct_periods(labels) == distinct
    assert distinct_periods(iter(labels)) == distinct  # any iterable, read once
    assert (len(distinct) > 1) is differ


def test_a_place_keeps_its_colour_whatever_else_is_shown():
    assert place_color("jiangan") == "#c0392b"
    assert len({place_color(p) for p in ("jiangan", "jianghan", "wuchang", "haizhu", "zhenjiang", "bazhou")}) == 6
    added = place_color("p0042_anxin")
    assert added.startswith("#") and added not in {place_color("jiangan"), place_color("bazhou")}
    # The same in every server process: a checksum, not Python's per-process string hash.
    script = "from redengine.core.domain import place_color; print(place_color('p0042_anxin'))"
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        shown = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
        assert shown.stdout.strip() == added

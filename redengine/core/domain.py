"""Categories, measures, units, qualifiers and value logic: parsing what reports write, formatting values
with the labels of i18n, comparing periods, place colours. Pure functions: no Streamlit, no database."""

from __future__ import annotations

import math
import re
import unicodedata
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from redengine.core.i18n import LABELS, MONEY_SCALES, t

CATEGORIES = (
    "organizations",
    "volunteers",
    "service_centers",
    "investment",
    "economy",
    "governance",
)
# The four the Overview and the mission put first.
HEADLINE_CATEGORIES = CATEGORIES[:4]

QUALIFIERS = ("exact", "at_least", "approx", "estimate", "target")

# What kind of quantity a metric is; decides which periods compare (see comparability.sql).
MEASURES = (
    "stock",  # a count or amount on a date
    "flow",  # accumulated over a period
    "change_rate",  # growth over a period, percent
    "share",  # part of a whole, percent
    "target",  # a plan or budget, not an outcome
    "duration",  # a time span (days to approve)
    "size",  # an area, length or capacity of one thing
    "ratio",  # a multiple or per-head figure, neither share nor growth
)
# How a figure's period is known: the text states it, it is inferred from context (the
# source's period_note says how), or the text gives no start (近年来, 累计, 先后).
PERIOD_BASES = ("stated", "inferred", "open")

BASE_UNITS = (
    "count",
    "people",
    "person_times",
    "households",
    "CNY",
    "USD",
    "percent",
    "m2",
    "km",
    "days",
    "years",
    "times",
)

DISTRICT_LEVELS = ("district", "city")

# Chinese magnitude words that multiply the number before them.
MULTIPLIERS = {"万亿": 1e12, "亿": 1e8, "万": 1e4, "千": 1e3, "百": 1e2}

# Words beside a number that make it a lower bound or an approximation.
AT_LEAST_MARKERS = ("超过", "以上", "余", "多", "超", "逾")
APPROX_MARKERS = ("左右", "约", "近")
ESTIMATE_MARKERS = ("预计", "估计", "预估")

# Unit word as written → base units it may be stored in. A counter word not listed
# here (个, 家, 项, 支 …) is a plain count.
_UNIT_WORDS: dict[str, tuple[str, ...]] = {
    "美元": ("USD",),
    "元": ("CNY",),
    "%": ("percent",),
    "％": ("percent",),
    "平方米": ("m2",),
    "㎡": ("m2",),
    "m2": ("m2",),  # ㎡ once normalised
    "公里": ("km",),
    "千米": ("km",),
    "个工作日": ("days",),
    "天": ("days",),
    "倍": ("times",),
    "成": ("percent",),
    "年": ("years",),
    "人次": ("person_times",),
    "户": ("households", "count"),
    "人": ("people",),
    "名": ("people", "count"),
    "位": ("people",),
}

_CHINESE_DIGITS = {
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CHINESE_UNITS = {"十": 10, "百": 100, "千": 1000}
_CHINESE_SECTIONS = {"万": 10_000, "亿": 100_000_000}  # 三万五千: sections of up to four digits

_PREFIX = r"(?P<prefix>超过|超|约|近|逾)?"
_NUMBER = (
    r"(?P<number>\d+(?:,\d{3})*(?:\.\d+)?"
    r"|[零一二两三四五六七八九十百千]+(?:[万亿][零一二两三四五六七八九十百千]+)*)"
)
_MAGNITUDE = (
    r"(?P<more_before>余|多)?"  # 20多万人, 10余亿元
    r"(?P<multiplier>万亿|亿|万|千(?!米)|百)?"  # 千米 is a unit (km), not thousands of 米
    r"(?P<more>余|多)?"
)
_SUFFIX = r"(?P<suffix>以上|左右)?"
_WRITTEN_VALUE = re.compile(f"^{_PREFIX}{_NUMBER}{_MAGNITUDE}(?P<unit>.*?){_SUFFIX}$")


class WrittenValueError(ValueError):
    """A value as written that this module cannot read."""


@dataclass(frozen=True)
class WrittenValue:
    """A figure as printed in a report, read into its parts."""

    number: float
    multiplier: float
    unit_word: str
    implied_qualifier: str | None

    @property
    def base_value(self) -> float:
        return self.number * self.multiplier

    @property
    def compatible_units(self) -> tuple[str, ...]:
        for word, units in _UNIT_WORDS.items():
            if self.unit_word.endswith(word):
                return units
        return ("count",)


def _chinese_number(text: str) -> int:
    """一百零五 → 105, 两 → 2, 三万五千 → 35000."""
    total, section, digit = 0, 0, 0
    for char in text:
        if char in _CHINESE_DIGITS:
            digit = _CHINESE_DIGITS[char]
        elif char in _CHINESE_SECTIONS:
            total += (section + digit) * _CHINESE_SECTIONS[char]
            section, digit = 0, 0
        else:
            section += (digit or 1) * _CHINESE_UNITS[char]
            digit = 0
    return total + section + digit


def normalized(text: str) -> str:
    """Full-width digits and signs as ASCII (１２％ → 12%), whitespace removed."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def parse_written_value(text: str) -> WrittenValue:
    """Read '188.8亿元', '200余个', '超20000人次', '百余名' into number, multiplier, unit."""
    match = _WRITTEN_VALUE.match(normalized(text))
    if not match:
        raise WrittenValueError(f"cannot read {text!r} as a number with a unit")
    raw = match["number"]
    number = float(raw.replace(",", "")) if raw[0].isdigit() else float(_chinese_number(raw))
    marks = "".join(filter(None, (match["prefix"], match["more_before"], match["more"], match["suffix"])))
    implied = None
    if any(m in marks for m in AT_LEAST_MARKERS):
        implied = "at_least"
    elif any(m in marks for m in APPROX_MARKERS):
        implied = "approx"
    multiplier = MULTIPLIERS.get(match["multiplier"] or "", 1.0)
    if match["unit"] == "成":  # tenths: 八成 is 80 percent, and a rounded one
        multiplier *= 10
        implied = implied or "approx"
    return WrittenValue(
        number=number,
        multiplier=multiplier,
        unit_word=match["unit"],
        implied_qualifier=implied,
    )


# Counter and unit words a figure ends with in running text (longest first where one starts another).
COUNTER_WORDS = (
    "个工作日", "平方米", "万平方米", "人(次)", "人次", "家次", "场次", "个批次", "美元", "亿元", "万元", "元",
    "公里", "千米", "亩", "个", "家", "项", "名", "人", "户", "次", "场", "件", "所", "条", "支", "套", "栋",
    "幢", "处", "份", "期", "批", "起", "类", "轮", "幅", "种", "位", "座", "台", "间", "天", "年", "倍", "成",
    "%", "届", "批次", "大类", "大项", "大专项",
)  # fmt: skip
_COUNTER = "|".join(re.escape(w) for w in sorted(COUNTER_WORDS, key=len, reverse=True))
# A figure in running text: a number (not a lone 一, which is mostly a word), its magnitude, a counter word
# (or 大 and a noun: 三大平台, 17大类).
_FIGURE_IN_TEXT = re.compile(
    f"{_PREFIX}(?!一(?![零一二两三四五六七八九十百千万亿]))"
    + _NUMBER.replace("(?P<number>", "(?P<number>(?<![\\d.])")
    + _MAGNITUDE
    + f"(?P<unit>{_COUNTER}|大[\u4e00-\u9fff]{{1,2}}){_SUFFIX}"
)
# A year (2017年) or a date part is not a figure.
_NOT_A_FIGURE = re.compile(r"^(1[89]|20)\d\d年$")


def written_values_in(text: str) -> list[tuple[int, int, str]]:
    """Every figure a text prints, as (start, end, written) in the text as given: '200余个', '超过42万人'."""
    found = []
    for match in _FIGURE_IN_TEXT.finditer(text):
        written = match.group(0)
        year = (
            _NOT_A_FIGURE.match(written)
            or match["unit"] == "年"
            and text[match.end() : match.end() + 1] in "月底初末度"
        )
        # 千年, 百万大学生: a magnitude word alone is an idiom, unless 余/多 makes it a figure (百余名).
        idiom = not re.search(r"[\d零一二两三四五六七八九]", match["number"]) and not match["more_before"]
        if year or idiom:
            continue
        found.append((match.start(), match.end(), written))
    return found


def values_match(stored: float, written: str) -> bool:
    """Whether a stored base-unit value is the conversion of its value as written."""
    return math.isclose(stored, parse_written_value(written).base_value, rel_tol=1e-9)


# --- display ------------------------------------------------------------------------

MONEY_UNITS = ("CNY", "USD")


def unit_label(unit: str, lang: str) -> str:
    """The unit as an axis or column label reads it (an unknown unit as its id)."""
    key = f"unit_{unit}"
    return t(key, lang) if key in LABELS else unit


def unit_name(unit: str, lang: str) -> str:
    """The unit as a column heading names it (counts too, which values leave bare)."""
    key = f"unit_name_{unit}"
    return t(key, lang) if key in LABELS else unit_label(unit, lang)


def _trim(number: float, digits: int) -> str:
    text = f"{number:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_money(value: float, currency: str, lang: str) -> str:
    """亿元/万元 in Chinese, a readable scale (bn, m, k) in English (i18n.MONEY_SCALES)."""
    currency_word = unit_label(currency, lang)
    for divisor, scale, digits in MONEY_SCALES[lang]:
        if abs(value) >= divisor:
            return t("money", lang, number=_trim(value / divisor, digits), scale=scale, currency=currency_word)
    return t("money", lang, number=_trim(value, 2), scale="", currency=currency_word)


def _is_missing(value: object) -> bool:
    """None, NaN (float or numpy) and pandas' NA: a figure that was not reported."""
    if value is None:
        return True
    try:
        return math.isnan(value)
    except (TypeError, ValueError):
        return str(value) in ("<NA>", "NaT")


def format_value(value: float | None, unit: str, lang: str) -> str:
    """A base-unit value for people: thousands separators, money scaled, unit named."""
    if _is_missing(value):
        return t("not_reported", lang)
    if unit in MONEY_UNITS:
        return format_money(value, unit, lang)
    number = _trim(value, 2)
    if unit == "percent":
        return f"{number}%"
    if unit == "times":
        return t("value_times", lang, number=number)
    label = unit_label(unit, lang)
    return t("value_with_unit", lang, number=number, unit=label) if label else number


def format_qualified(value: float | None, unit: str, qualifier: str | None, lang: str) -> str:
    """'≥ 200', '≈ 20 days', '1,060亿元（预计）': the value with its qualifier visible."""
    text = format_value(value, unit, lang)
    if qualifier not in QUALIFIERS or _is_missing(value):
        return text
    return t(f"mark_{qualifier}", lang, value=text)


# --- periods ------------------------------------------------------------------------


def distinct_periods(labels: Iterable[str | None]) -> list[str]:
    """The different periods among reported figures, in first-seen order."""
    seen: dict[str, None] = {}
    for label in labels:
        if label:
            seen.setdefault(label, None)
    return list(seen)


def axis_scale(unit: str, largest: float, lang: str) -> tuple[float, str]:
    """Divisor and axis title for plotting values of one unit on a readable scale."""
    if unit not in MONEY_UNITS:
        return 1.0, unit_label(unit, lang)
    for divisor, scale, _ in MONEY_SCALES[lang]:
        if largest >= divisor:
            return divisor, t("axis_money", lang, scale=scale.strip(), currency=unit_label(unit, lang))
    return 1.0, unit_label(unit, lang)


# One colour per place, the same on every page and whichever places are shown beside it.
# The six curated places get fixed, distinguishable colours; a place an analyst adds gets
# one of the others, chosen by a checksum of its id.
CURATED_COLORS = {
    "jiangan": "#c0392b",  # a red for the first, in keeping with the subject
    "jianghan": "#2e86c1",
    "wuchang": "#d68910",
    "haizhu": "#229954",
    "zhenjiang": "#7d3c98",
    "bazhou": "#17a589",
}
OTHER_COLORS = ("#5d6d7e", "#cb4335", "#2874a6", "#b7950b", "#1e8449", "#884ea0", "#148f77", "#af601a")


def place_color(district_id: str) -> str:
    """The colour a place has on every chart."""
    if district_id in CURATED_COLORS:
        return CURATED_COLORS[district_id]
    return OTHER_COLORS[zlib.crc32(district_id.encode("utf-8")) % len(OTHER_COLORS)]

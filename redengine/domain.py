"""Units, qualifiers, periods and value logic. Pure functions: no Streamlit, no database."""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

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
MULTIPLIERS = {"亿": 1e8, "万": 1e4, "千": 1e3}

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

_WRITTEN_VALUE = re.compile(
    r"^(?P<prefix>超过|超|约|近|逾)?"
    r"(?P<number>\d+(?:,\d{3})*(?:\.\d+)?|[零一二两三四五六七八九十百千]+)"
    r"(?P<more_before>余|多)?"  # 20多万人, 10余亿元
    r"(?P<multiplier>亿|万|千(?!米))?"  # 千米 is a unit (km), not thousands of 米
    r"(?P<more>余|多)?"
    r"(?P<unit>.*?)"
    r"(?P<suffix>以上|左右)?$"
)


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
    total, digit = 0, 0
    for char in text:
        if char in _CHINESE_DIGITS:
            digit = _CHINESE_DIGITS[char]
        else:
            total += (digit or 1) * _CHINESE_UNITS[char]
            digit = 0
    return total + digit


def parse_written_value(text: str) -> WrittenValue:
    """Read '188.8亿元', '200余个', '超20000人次', '百余名' into number, multiplier, unit."""
    match = _WRITTEN_VALUE.match(re.sub(r"\s+", "", text))
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


def values_match(stored: float, written: str) -> bool:
    """Whether a stored base-unit value is the conversion of its value as written."""
    return math.isclose(stored, parse_written_value(written).base_value, rel_tol=1e-9)


# --- display ------------------------------------------------------------------------

_UNIT_LABELS = {
    "count": ("", ""),
    "people": ("人", "people"),
    "person_times": ("人次", "person-times"),
    "households": ("户", "households"),
    "percent": ("%", "%"),
    "m2": ("平方米", "m²"),
    "km": ("公里", "km"),
    "days": ("天", "days"),
    "years": ("年", "years"),
    "times": ("倍", "×"),
}


def unit_label(unit: str, lang: str) -> str:
    """The unit as an axis or column label reads it."""
    if unit in ("CNY", "USD"):
        return {"zh": {"CNY": "元", "USD": "美元"}, "en": {"CNY": "CNY", "USD": "USD"}}[lang][unit]
    zh, en = _UNIT_LABELS.get(unit, (unit, unit))
    return zh if lang == "zh" else en


def unit_name(unit: str, lang: str) -> str:
    """The unit as a column heading names it (counts too, which values leave bare)."""
    if unit == "count":
        return "个" if lang == "zh" else "count"
    return unit_label(unit, lang)


def _trim(number: float, digits: int) -> str:
    text = f"{number:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_money(value: float, currency: str, lang: str) -> str:
    """亿元/万元 in Chinese, a readable scale (bn, m, k) in English.

    Enough decimals that a figure printed to the 万 (12560万美元, 15.04亿元) is shown as
    printed, never rounded to a different number (1.256亿美元, not 1.26亿美元).
    """
    if lang == "zh":
        word = "元" if currency == "CNY" else "美元"
        if abs(value) >= 1e8:
            return f"{_trim(value / 1e8, 4)}亿{word}"
        if abs(value) >= 1e4:
            return f"{_trim(value / 1e4, 2)}万{word}"
        return f"{_trim(value, 2)}{word}"
    for scale, suffix in ((1e9, " bn"), (1e6, " m"), (1e3, " k")):
        if abs(value) >= scale:
            return f"{currency} {_trim(value / scale, 3)}{suffix}"
    return f"{currency} {_trim(value, 2)}"


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
        return "未报告" if lang == "zh" else "not reported"
    if unit in ("CNY", "USD"):
        return format_money(value, unit, lang)
    number = _trim(value, 2)
    label = unit_label(unit, lang)
    if unit == "percent":
        return f"{number}%"
    if unit == "times":
        return f"{number}倍" if lang == "zh" else f"{number}×"
    if not label:
        return number
    return f"{number}{label}" if lang == "zh" else f"{number} {label}"


_QUALIFIER_MARKS = {
    "exact": ("", ""),
    "at_least": ("≥ ", ""),
    "approx": ("≈ ", ""),
    "estimate": ("", " est."),
    "target": ("", " target"),
}
_QUALIFIER_MARKS_ZH = {
    "exact": ("", ""),
    "at_least": ("≥ ", ""),
    "approx": ("≈ ", ""),
    "estimate": ("", "（预计）"),
    "target": ("", "（目标）"),
}


def format_qualified(value: float | None, unit: str, qualifier: str | None, lang: str) -> str:
    """'≥ 200', '≈ 20 days', '1,060亿元（预计）': the value with its qualifier visible."""
    text = format_value(value, unit, lang)
    if qualifier is None or _is_missing(value):
        return text
    marks = _QUALIFIER_MARKS_ZH if lang == "zh" else _QUALIFIER_MARKS
    before, after = marks.get(qualifier, ("", ""))
    return f"{before}{text}{after}"


# --- periods ------------------------------------------------------------------------


def distinct_periods(labels: Iterable[str | None]) -> list[str]:
    """The different periods among reported figures, in first-seen order."""
    seen: dict[str, None] = {}
    for label in labels:
        if label:
            seen.setdefault(label, None)
    return list(seen)


def periods_differ(labels: Iterable[str | None]) -> bool:
    return len(distinct_periods(labels)) > 1


def axis_scale(unit: str, largest: float, lang: str) -> tuple[float, str]:
    """Divisor and axis title for plotting values of one unit on a readable scale."""
    if unit not in ("CNY", "USD"):
        return 1.0, unit_label(unit, lang)
    word = {"CNY": "元", "USD": "美元"}[unit]
    if lang == "zh":
        if largest >= 1e8:
            return 1e8, f"亿{word}"
        if largest >= 1e4:
            return 1e4, f"万{word}"
        return 1.0, word
    for divisor, name in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if largest >= divisor:
            return divisor, f"{unit} {name}"
    return 1.0, unit


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


_MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), start=1)}
_QUARTERS = {"1": "一", "2": "二", "3": "三", "4": "四"}
_PERIOD_RULES: tuple[tuple[str, Callable[[re.Match], str]], ...] = (
    (r"(\d{4})", lambda m: f"{m[1]}年"),
    (r"(\d{4})–(\d{4})", lambda m: f"{m[1]}–{m[2]}年"),
    (r"(\d{4}) Q([1-4])", lambda m: f"{m[1]}年第{_QUARTERS[m[2]]}季度"),
    (r"(\d{4}) H([12])", lambda m: f"{m[1]}年{'上' if m[2] == '1' else '下'}半年"),
    (r"(\d{4}) ([A-Z][a-z]{2})", lambda m: f"{m[1]}年{_MONTHS[m[2]]}月"),
    (r"(\d{4}) ([A-Z][a-z]{2})–([A-Z][a-z]{2})", lambda m: f"{m[1]}年{_MONTHS[m[2]]}–{_MONTHS[m[3]]}月"),
    (r"(\d{4})-(\d{2})-(\d{2})", lambda m: f"{m[1]}年{int(m[2])}月{int(m[3])}日"),
    (r"end-(\d{4})", lambda m: f"{m[1]}年底"),
    (r"(\d{4}) census", lambda m: f"{m[1]}年人口普查"),
    (r"as of (.+)", lambda m: f"截至{period_text(m[1], 'zh')}"),
    (r"cumulative to (.+)", lambda m: f"累计至{period_text(m[1], 'zh')}"),
    (r"(.+) \(cumulative\)", lambda m: f"{period_text(m[1], 'zh')}（累计）"),
    (r"(\d{4}) year-end to (.+)", lambda m: f"{m[1]}年底至{period_text(m[2], 'zh')}"),
)


def period_text(label: str | None, lang: str) -> str:
    """A period label as the reader's language writes it ('2018 Q1' → '2018年第一季度')."""
    if not isinstance(label, str):
        return ""
    if lang != "zh":
        return label
    for pattern, render in _PERIOD_RULES:
        match = re.fullmatch(pattern, label)
        if match:
            return render(match)
    return label

"""Provenance rules: does each figure say what its report says? One set of rules for the curation
files, `snapshot validate|add`, `curate check` and the upload box on What changed.

Pure checks over fact rows (dicts with the facts columns) and the reports' texts: no files, no database.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from redengine.core.domain import (
    ESTIMATE_MARKERS,
    WrittenValueError,
    normalized,
    parse_written_value,
)

# The words around a figure that decide its qualifier, as the README's curation rules list them.
AT_LEAST_BEFORE = ("超过", "超", "逾")
AT_LEAST_AFTER = ("余", "多", "以上")
APPROX_BEFORE = re.compile(r"(约|近|大约|大概)(有|为|达)?$")
APPROX_AFTER = ("左右",)
# 将 as "will" (将于, 将达 …), not 将 as "take" (将群众需要的105项 …).
TARGET_WORDS = (
    "计划",
    "拟",
    "力争",
    "安排",
    "预算",
    "目标",
    "将于",
    "将在",
    "将要",
    "将会",
    "将达",
    "将投入",
    "将新增",
)
# The words that name each qualifier in a row's note, when the note says why the words around the figure mislead.
QUALIFIER_NAMES = {
    "exact": ("exact", "not a lower bound", "not approximate", "not an estimate", "not a target"),
    "at_least": ("at least", "lower bound"),
    "approx": ("approx", "about", "round"),
    "estimate": ("estimate", "preliminary", "expected"),
    "target": ("target", "plan", "budget"),
}
# A note naming which occurrence of the figure in the quote is meant: "occurrence 2".
OCCURRENCE = re.compile(r"occurrence (\d+)", re.IGNORECASE)
SENTENCE_END = re.compile(r"[。；;！？!?]")
MAX_REFUSALS = 1000  # enough for any report; a file beyond it is refused on these alone


@dataclass(frozen=True)
class Source:
    """What the rules need of a report: its text (None when it has none) and the last date it can describe."""

    text: str | None
    latest_date: str | None  # ISO; its publication date, else the end of the period it covers


def sources_with_texts(
    data_dir: Path, rows: Iterable[Mapping[str, object]], texts: Mapping[str, Path] | None = None
) -> dict[str, Source]:
    """Each source row's text, read from `texts` (its `file` → a file the analyst supplies) or the data
    directory (None when missing or not UTF-8), and the last date it can describe."""
    found = {}
    for row in rows:
        file = _text(row.get("file"))
        path = (texts or {}).get(file) or data_dir / file
        try:
            text = path.read_text(encoding="utf-8") if file and path.is_file() else None
        except (OSError, UnicodeDecodeError):
            text = None
        latest = _iso(row.get("published")) or _iso(row.get("period_end"))
        found[_text(row.get("source_id"))] = Source(text, latest or None)
    return found


@dataclass(frozen=True)
class Metric:
    unit: str
    measure: str


def metrics_of(rows: Iterable[Mapping[str, object]]) -> dict[str, Metric]:
    """Metric rows (metric_id, unit, measure) as the rules need them; a metric without a measure is a stock."""
    return {_text(r["metric_id"]): Metric(_text(r["unit"]), _text(r.get("measure")) or "stock") for r in rows}


@dataclass(frozen=True)
class Refusal:
    """One figure that breaks one rule."""

    where: str  # "row 3", or "facts/wuchang_2017.csv:12"
    column: str
    value: object
    rule: str
    message: str
    fix: str

    def __str__(self) -> str:
        shown = str(self.value)
        shown = shown if len(shown) <= 120 else shown[:119] + "…"
        return f"{self.where}, column '{self.column}' ({shown!r}): {self.message} [rule: {self.rule}]. Fix: {self.fix}"


def _text(value: object) -> str:
    """A cell as text; None, NaN and pandas' NaT/NA as ""."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or str(value) in ("NaT", "<NA>", "nan"):
        return ""
    return str(value)


def _iso(value: object) -> str:
    return _text(value)[:10]


def occurrences(written: str, quote: str) -> list[int]:
    """Start of every occurrence of a figure in a quote; 100名 is not in 2100名 (a digit before it)."""
    if not written:
        return []
    boundary = r"(?<![\d.])(?<!\d,)" if written[0].isdigit() else ""
    return [m.start() for m in re.finditer(f"{boundary}(?={re.escape(written)})", quote)]


def suggested_qualifiers(before: str, written: str, after: str) -> dict[str, str]:
    """Qualifiers the words around a figure suggest, each with the word that suggests it.

    before: the sentence up to the figure; written: the figure as printed; after: what follows it.
    """
    found: dict[str, str] = {}
    try:
        implied = parse_written_value(written).implied_qualifier
    except WrittenValueError:
        implied = None
    if implied:
        found[implied] = written
    if word := next((w for w in AT_LEAST_BEFORE if before.endswith(w)), None) or next(
        (w for w in AT_LEAST_AFTER if after.startswith(w)), None
    ):
        found.setdefault("at_least", word)
    if (match := APPROX_BEFORE.search(before)) or after.startswith(APPROX_AFTER):
        found.setdefault("approx", match[1] if match else APPROX_AFTER[0])
    sentence = SENTENCE_END.split(before)[-1]
    if word := next((w for w in ESTIMATE_MARKERS if w in sentence), None):
        found["estimate"] = word
    if word := next((w for w in TARGET_WORDS if w in sentence), None):
        found["target"] = word
    return found


def _note_explains(note: str, qualifier: str, words: Iterable[str]) -> bool:
    lowered = note.lower()
    return any(name in lowered for name in QUALIFIER_NAMES.get(qualifier, ())) or any(w in note for w in words)


class _RowCheck:
    """The rules applied to one row; each failed rule appends a Refusal."""

    def __init__(
        self,
        where: str,
        row: Mapping[str, object],
        sources: Mapping[str, Source],
        metrics: Mapping[str, Metric],
        texts: Mapping[str, str],
    ):
        self.where, self.row, self.sources, self.metrics = where, row, sources, metrics
        self.texts = texts  # each source's text, normalized once for every row
        self.refusals: list[Refusal] = []

    def refuse(self, column: str, rule: str, message: str, fix: str) -> None:
        self.refusals.append(Refusal(self.where, column, self.row.get(column), rule, message, fix))

    def run(self) -> list[Refusal]:
        quote = normalized(_text(self.row.get("quote")))
        written = normalized(_text(self.row.get("value_as_written")))
        self.quote_in_source(quote)
        position = self.written_in_quote(quote, written)
        parsed = self.value_is_written(written)
        if position is not None:
            self.qualifier_agrees(quote[:position], written, quote[position + len(written) :])
        if parsed is not None:
            self.period_possible()
        return self.refusals

    def quote_in_source(self, quote: str) -> None:
        source_id = _text(self.row.get("source_id"))
        source = self.sources.get(source_id)
        if source is None or source.text is None:
            self.refuse(
                "source_id",
                "source-text",
                f"source {source_id!r} has no text to check the quote against",
                "add the report's text with the source (snapshot add … --sources F --text FILE)",
            )
            return
        if quote in self.texts[source_id]:
            return
        holders = sorted(other for other, text in self.texts.items() if other != source_id and quote and quote in text)
        if holders:
            self.refuse(
                "quote",
                "quote-in-its-source",
                f"the quote is in source {', '.join(holders)}, not in {source_id}",
                f"give source_id {holders[0]}, or quote {source_id}'s own sentence",
            )
        else:
            self.refuse(
                "quote",
                "quote-in-source",
                f"the quote is not in the text of source {source_id} (whitespace aside, it must be verbatim)",
                "copy the shortest sentence that states the figure from the report's text, character for character",
            )

    def written_in_quote(self, quote: str, written: str) -> int | None:
        """Where the figure is in the quote (the occurrence the note names), or None when it is not."""
        found = occurrences(written, quote)
        if not written or not found:
            self.refuse(
                "value_as_written",
                "written-in-quote",
                "value_as_written is not in the quote",
                "copy the figure from the quote as printed, with its unit or counter word (e.g. 200余个)",
            )
            return None
        if len(found) == 1:
            return found[0]
        named = OCCURRENCE.search(_text(self.row.get("note")))
        if named and 1 <= int(named[1]) <= len(found):
            return found[int(named[1]) - 1]
        self.refuse(
            "value_as_written",
            "written-once",
            f"value_as_written is {len(found)} times in the quote, and the note does not say which is meant",
            "shorten the quote to the passage of this figure, or write 'occurrence N' in the note",
        )
        return None

    def value_is_written(self, written: str) -> object | None:
        try:
            parsed = parse_written_value(written)
        except WrittenValueError:
            self.refuse(
                "value_as_written",
                "written-readable",
                "cannot be read as a number with its unit",
                "write the number as printed with its unit or counter word: 188.8亿元, 200余个, 八成, 70.7%",
            )
            return None
        value = self.row.get("value")
        try:
            stored = float(value)
        except (TypeError, ValueError):
            stored = math.nan
        expected = parsed.base_value
        if not math.isclose(stored, expected, rel_tol=1e-9):
            ratio = stored / expected if expected and math.isfinite(stored) else 0
            scale = round(math.log10(ratio)) if ratio > 0 else 0
            hint = f" (it is {10.0**scale:g} times that)" if scale and math.isclose(ratio, 10.0**scale) else ""
            self.refuse(
                "value",
                "value-is-written",
                f"value is not {written} in base units, which is {expected:,.10g}{hint}",
                f"set value to {expected:.10g} (万 = 10,000, 亿 = 100,000,000, 八成 = 80, % stays a percent)",
            )
        metric = self.metrics.get(_text(self.row.get("metric_id")))
        if metric and metric.unit not in parsed.compatible_units:
            self.refuse(
                "value_as_written",
                "unit-fits-metric",
                f"{written} is in {'/'.join(parsed.compatible_units)}, metric "
                f"{self.row.get('metric_id')} in {metric.unit}",
                "choose a metric of this unit, or the figure that is in the metric's unit",
            )
        return parsed

    def qualifier_agrees(self, before: str, written: str, after: str) -> None:
        qualifier = _text(self.row.get("qualifier"))
        note = _text(self.row.get("note"))
        suggested = suggested_qualifiers(before, written, after)
        if qualifier in suggested or not suggested and qualifier == "exact":
            return
        if _note_explains(note, qualifier, suggested.values()):
            return
        if suggested:
            words = ", ".join(f"{word} → {q}" for q, word in suggested.items())
            message = f"the words around the figure say {words}, the row says {qualifier}"
            fix = f"set qualifier to {' or '.join(suggested)}, or say in the note why it is {qualifier}"
        else:
            message = (
                f"qualifier {qualifier}, but no word around the figure says so "
                "(余/多/以上/超, 约/近/左右, 预计, 计划/拟/将于)"
            )
            fix = "set qualifier to exact, or say in the note why it is " + qualifier
        self.refuse("qualifier", "qualifier-agrees", message, fix)

    def period_possible(self) -> None:
        source = self.sources.get(_text(self.row.get("source_id")))
        metric = self.metrics.get(_text(self.row.get("metric_id")))
        end = _iso(self.row.get("period_end"))
        if not source or not source.latest_date or not end or end <= source.latest_date:
            return
        if self.row.get("qualifier") == "target" or (metric and metric.measure == "target"):
            return
        self.refuse(
            "period_end",
            "period-possible",
            f"the figure is dated after its report ({source.latest_date}), and it is not a target",
            "date the figure within the report's period, or mark a planned figure as a target",
        )


def check(
    rows: Iterable[tuple[str, Mapping[str, object]]],
    sources: Mapping[str, Source],
    metrics: Mapping[str, Metric],
    limit: int = MAX_REFUSALS,
) -> list[Refusal]:
    """Every rule broken by the rows, each (where, row); at most `limit` refusals."""
    refusals: list[Refusal] = []
    texts = {key: normalized(source.text) for key, source in sources.items() if source.text is not None}
    for where, row in rows:
        refusals += _RowCheck(where, row, sources, metrics, texts).run()
        if len(refusals) >= limit:
            return refusals[:limit]
    return refusals

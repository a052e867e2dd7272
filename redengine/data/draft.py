"""`redengine curate draft`: every figure a report prints, as rows in the curation columns for an analyst to
complete and prune; and the CSV facts files `curate check` and `snapshot add` read.

The draft suggests; the analyst decides. Each row carries the figure as written, the shortest clause around it,
its value in base units, a qualifier and a period basis from the words nearby, and the metrics whose names
share most with the clause (the best in metric_id, the next ones in the note).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa

from redengine.core.domain import WrittenValueError, normalized, parse_written_value, written_values_in
from redengine.data import curation, provenance, schema

# Where a clause ends: a curated quote is the shortest passage that states the figure.
CLAUSE_END = re.compile(r"[，,。；;：:！？!?\n□■●◆【】]")
SENTENCE_END = re.compile(r"[。；;！？!?\n]")
STATED_YEAR = re.compile(r"(19|20)\d\d年")
OPEN_WORDS = ("累计", "先后", "近年来", "以来", "已")
CANDIDATES = 3
# The facts columns in the order of the curation files (data/curation/facts/*.csv).
CURATION_COLUMNS = [
    *("source_id", "district_id", "metric_id", "value", "value_as_written", "qualifier"),
    *("period_start", "period_end", "period_label", "period_basis", "scope_zh", "scope_en", "quote", "note"),
]


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)}


def matching_metrics(clause: str, unit_words: tuple[str, ...], metrics: Iterable[Mapping[str, object]]) -> list[str]:
    """Metric ids whose Chinese names share most two-character runs with the clause, among those in a unit the
    figure may be in; best first."""
    words = _bigrams(clause)
    scored = [
        (len(words & _bigrams(str(m["name_zh"]))), str(m["metric_id"])) for m in metrics if m["unit"] in unit_words
    ]
    return [metric for score, metric in sorted(scored, key=lambda s: (-s[0], s[1])) if score][:CANDIDATES]


def _clause(text: str, start: int, end: int) -> tuple[int, int]:
    before = [m.end() for m in CLAUSE_END.finditer(text, 0, start)]
    after = CLAUSE_END.search(text, end)
    return (before[-1] if before else 0), (after.start() if after else len(text))


def _period_basis(sentence_before: str) -> str:
    if any(word in sentence_before for word in OPEN_WORDS):
        return "open"
    return "stated" if STATED_YEAR.search(sentence_before) else "inferred"


def draft(
    text: str,
    source_id: str,
    district_id: str,
    metrics: Iterable[Mapping[str, object]],
    period_end: str | None = None,
) -> pd.DataFrame:
    """Every figure in `text` as a row in the facts columns, in the order the text prints them."""
    metrics = list(metrics)
    rows = []
    for start, end, written in written_values_in(text):
        try:
            parsed = parse_written_value(written)
        except WrittenValueError:
            continue
        clause_start, clause_end = _clause(text, start, end)
        sentence_start = max([m.end() for m in SENTENCE_END.finditer(text, 0, start)] or [0])
        before = re.sub(r"\s+", "", text[sentence_start:start])
        suggested = provenance.suggested_qualifiers(before, written, text[end : end + 4])
        basis = _period_basis(before)
        candidates = matching_metrics(text[clause_start:clause_end], parsed.compatible_units, metrics)
        rows.append(
            {
                "source_id": source_id,
                "district_id": district_id,
                "metric_id": candidates[0] if candidates else "",
                "value": f"{parsed.base_value:.10g}",
                "value_as_written": written,
                "qualifier": next(iter(suggested), "exact"),
                "period_start": "",
                "period_end": period_end or "",
                "period_label": "",
                "period_basis": basis,
                "scope_zh": "",
                "scope_en": "",
                "quote": re.sub(r"\s+", " ", text[clause_start:clause_end]).strip(),
                "note": f"candidates: {', '.join(candidates[1:])}" if len(candidates) > 1 else "",
            }
        )
    return pd.DataFrame(rows, columns=CURATION_COLUMNS)


def _overlap(first: str, second: str) -> int:
    """The length of the longest passage two quotes share."""
    return difflib.SequenceMatcher(None, first, second, autojunk=False).find_longest_match().size


def found_share(drafted: pd.DataFrame, curated: pd.DataFrame) -> tuple[int, int]:
    """(curated figures the draft found, curated figures): found means a drafted row with the same
    value_as_written whose quote overlaps the curated quote beyond the figure itself (whitespace aside)."""
    by_written: dict[str, list[str]] = {}
    for written, quote in zip(drafted["value_as_written"], drafted["quote"], strict=True):
        by_written.setdefault(normalized(written), []).append(normalized(quote))
    found = 0
    for written, quote in zip(curated["value_as_written"], curated["quote"], strict=True):
        quote = normalized(quote)
        if any(_overlap(q, quote) > len(normalized(written)) for q in by_written.get(normalized(written), [])):
            found += 1
    return found, len(curated)


class CsvError(ValueError):
    """A CSV that cannot be read as its table."""


def read_csv_table(path: Path, kind: str) -> pa.Table:
    """A facts or dimension CSV (curation columns, UTF-8) as the contract types it; empty cells are nulls."""
    table_schema = schema.FACTS if kind == "facts" else schema.DIMENSIONS[kind]
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        # Only the columns the file has, typed as the contract types them: the checks name missing and extra ones.
        table = curation.to_table(frame, pa.schema([f for f in table_schema if f.name in frame.columns]))
        for name in frame.columns:
            if name not in table_schema.names:
                table = table.append_column(str(name), pa.array(frame[name], pa.string()))
        return table
    except (OSError, UnicodeDecodeError, ValueError, TypeError, pa.ArrowException, pd.errors.ParserError) as error:
        reason = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
        raise CsvError(
            f"{path}: cannot be read as a {kind} table ({reason}). Fix: UTF-8 CSV with the curation columns "
            "(data/curation/README.md); numbers as digits (104953), dates as YYYY-MM-DD"
        ) from None

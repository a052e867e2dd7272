"""Marks curated figures' quotes in a report's text, as safe HTML."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable


def quote_span(text: str, quote: str) -> tuple[int, int] | None:
    """Where a quote stands in the text, ignoring differences in whitespace."""
    characters = [re.escape(c) for c in re.sub(r"\s+", "", quote)]
    if not characters:
        return None
    match = re.search(r"\s*".join(characters), text)
    return (match.start(), match.end()) if match else None


def highlighted_html(text: str, quotes: Iterable[tuple[str, str]], target: str | None = None) -> str:
    """The text, HTML-escaped, with each (fact_id, quote) marked; the target fact stands out.

    Every character from the data is escaped, so a quote or report cannot inject markup.
    """
    owners: list[set[str]] = [set() for _ in text]
    starts: dict[int, str] = {}
    for fact_id, quote in quotes:
        span = quote_span(text, quote)
        if span is None:
            continue
        starts.setdefault(span[0], fact_id)
        if fact_id == target:
            starts[span[0]] = fact_id
        for index in range(*span):
            owners[index].add(fact_id)
    pieces: list[str] = []
    index = 0
    while index < len(text):
        end = index + 1
        while end < len(text) and owners[end] == owners[index] and end not in starts:
            end += 1
        chunk = html.escape(text[index:end]).replace("\n", "<br>")
        anchor = f'<a id="fact-{starts[index]}"></a>' if index in starts else ""
        if owners[index]:
            css = "fact target" if target in owners[index] else "fact"
            pieces.append(f'{anchor}<mark class="{css}">{chunk}</mark>')
        else:
            pieces.append(anchor + chunk)
        index = end
    return "".join(pieces)

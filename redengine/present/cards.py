"""A table as one card per row, for a phone: each card its first column as a heading, then every other
column as a name and its value, so nothing is read by scrolling sideways. Pure: a table in, HTML out;
every text escaped here."""

from __future__ import annotations

import html

import pandas as pd


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else html.escape(str(value))


def cards_html(table: pd.DataFrame) -> str:
    """`table`'s rows as a list of cards: the first column's value as the card's title, the others as a
    definition list; empty values are left out."""
    names = [html.escape(str(name)) for name in table.columns]
    cards = []
    for values in table.itertuples(index=False):
        texts = [_text(value) for value in values]
        pairs = "".join(
            f"<dt>{name}</dt><dd>{text}</dd>" for name, text in zip(names[1:], texts[1:], strict=True) if text
        )
        cards.append(f"<li><strong>{texts[0]}</strong><dl>{pairs}</dl></li>")
    return f'<ul class="redengine-cards">{"".join(cards)}</ul>'

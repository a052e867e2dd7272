"""The evidence matrix as HTML: one row per family of related definitions, one column per place, each cell the
place's figures, each named by its definition.

Pure: rows in, an HTML string out. Every text that came from the data is escaped here.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import pandas as pd

from redengine.core.domain import format_qualified
from redengine.core.i18n import localized, t
from redengine.present.tables import figure_marks, verdict_text

FIGURES_SHOWN = 3  # per cell; the rest fold away, so one wordy report does not stretch the table
STYLE = (
    "<style>.evidence{overflow:auto;max-width:100%;max-height:640px}"
    ".evidence table{border-collapse:collapse;font-size:14px;min-width:100%}"
    ".evidence th,.evidence td{border:1px solid #e5ddd3;padding:.4rem .5rem;vertical-align:top;text-align:left}"
    ".evidence thead th{background:#f4efe9;position:sticky;top:0}.evidence th.concept{"
    "background:#fdfcfa;position:sticky;left:0;min-width:9rem;max-width:14rem;font-weight:600}"
    ".evidence .reach{display:block;font-weight:400;color:#5c5650;font-size:12px}.evidence .figure{"
    "margin-bottom:.35rem}.evidence .figure a{color:#8e2a20;font-weight:600;text-decoration:none}"
    ".evidence .marks{display:block;color:#5d6d7e;font-size:12px}.evidence .nr{color:#6b655e;font-size:12px}"
    ".evidence summary{cursor:pointer;color:#5d6d7e;font-size:12px;min-height:24px}.evidence thead th{z-index:2}"
    "</style>"
)


def _figure(row: dict, concept_name: str, lang: str, fact_link: Callable[[str, str], str]) -> str:
    value = html.escape(format_qualified(row["value"], row["unit"], row["qualifier"], lang))
    marks = figure_marks(row, lang)
    metric = localized(row, "metric_name", lang)
    if metric != concept_name:
        marks.append(metric)
    link = html.escape(fact_link(row["source_id"], row["fact_id"]))
    shown_marks = " · ".join(html.escape(m) for m in marks if m)
    return (
        f'<div class="figure"><a href="{link}" target="_self">{value}</a><span class="marks">{shown_marks}</span></div>'
    )


def _cell(figures: list[str], lang: str) -> str:
    shown, folded = figures[:FIGURES_SHOWN], figures[FIGURES_SHOWN:]
    if not folded:
        return "".join(shown)
    more = html.escape(t("more_figures", lang, n=len(folded)))
    return f"{''.join(shown)}<details><summary>{more}</summary>{''.join(folded)}</details>"


def evidence_html(
    rows: pd.DataFrame,
    places: list[tuple[str, str]],
    total_places: int,
    lang: str,
    fact_link: Callable[[str, str], str],
) -> str:
    """`rows` from evidence_matrix.sql (grouped by family); `places` the (district_id, name) columns in order, of
    `total_places` in the snapshot."""
    header = "".join(f"<th>{html.escape(name)}</th>" for _, name in places)
    body = []
    for _, figures in rows.groupby("family_id", sort=False):
        first = figures.iloc[0]
        name = localized(first, "family", lang)
        by_place: dict[str, list[str]] = {}
        for row in figures.to_dict("records"):
            by_place.setdefault(row["district_id"], []).append(_figure(row, name, lang, fact_link))
        # reach counts places of one definition; the family's other places report related figures
        reach = t(
            "evidence_family_reach",
            lang,
            n=int(first["same_definition_places"]),
            places=int(first["places_reporting_family"]),
            total=total_places,
        )
        # data-place names the cell where a phone shows the row as a card (share.css), without the header row.
        cells = "".join(
            f'<td data-place="{html.escape(place)}"><div>'
            + (
                _cell(by_place[pid], lang)
                if pid in by_place
                else f'<span class="nr">{html.escape(t("not_reported", lang))}</span>'
            )
            + "</div></td>"
            for pid, place in places
        )
        body.append(
            f'<tr><th class="concept" scope="row">{html.escape(name)}<span class="reach">{html.escape(reach)}'
            f"</span></th>{cells}</tr>"
        )
    region = html.escape(t("evidence_region", lang))
    return (
        # Focusable, named region: a keyboard scrolls it too (WCAG 2.1.1).
        f'{STYLE}<div class="evidence" tabindex="0" role="region" aria-label="{region}">'
        f'<table><thead><tr><th class="concept">{html.escape(t("family", lang))}'
        f"</th>{header}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def figure_list(
    rows: pd.DataFrame, label_column: str, lang: str, fact_link: Callable[[str, str], str], with_metric: bool
) -> str:
    """Figures as a list that a phone, a keyboard or a screen reader reads whole (a chart's hover cannot be):
    each row's label (`label_column`: the place, or the metric), its value as a link to its quote highlighted in
    the report, its marks (with the metric's name if `with_metric`), and the quote itself."""
    items = []
    for row in rows.to_dict("records"):
        label = html.escape(str(row[label_column]))
        if not isinstance(row["fact_id"], str):  # a place that does not report the concept
            items.append(
                f'<li><strong>{label}</strong> <span class="nr">{html.escape(t("not_reported", lang))}</span></li>'
            )
            continue
        figure = _figure(row, "" if with_metric else localized(row, "metric_name", lang), lang, fact_link)
        # The verdict in words, where the rows carry one: the chart only fades a figure that is not like for like.
        verdict = html.escape(verdict_text(row.get("is_reference"), row.get("reasons"), lang))
        verdict = f'<span class="marks">{verdict}</span>' if verdict else ""
        quote = html.escape(row["quote"]) if isinstance(row["quote"], str) else ""
        items.append(f"<li><strong>{label}</strong>{figure}{verdict}<blockquote>{quote}</blockquote></li>")
    return f'<ul class="redengine-figure-list">{"".join(items)}</ul>'

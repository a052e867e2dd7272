"""A bar chart's text alternative: what it compares, each place with its value, qualifier, period and verdict,
and the periods when they differ. Built from the rows the chart itself draws (charts.comparison_bars), so
what a screen reader hears, what the share panel's image says as alt text and what the chart shows agree.

Pure: rows in, text or a table out.
"""

from __future__ import annotations

import html

import pandas as pd

from redengine.core.domain import CATEGORIES, distinct_periods, format_qualified
from redengine.core.i18n import category_name, column, list_join, localized, period_text, qualifier_name, t
from redengine.present.charts import DEFINITION_COLORS, HATCHED_QUALIFIERS, drawn_rows
from redengine.present.tables import verdict_text

EXACT = "exact"


def _missing_text(row: dict, lang: str) -> str:
    return t("off_axis_marker" if row.get("figures_left_out") else "not_reported", lang)


def _value_text(row: dict, unit: str, lang: str, per_month: bool, per: str | None = None) -> str:
    """The value as the bar's hover writes it: qualifier mark, unit, '/month' for per-month values, the unit of
    a per-unit view."""
    if pd.isna(row["value"]):
        return _missing_text(row, lang)
    value = row["value_adjusted"] if per_month or per else row["value"]
    suffix = (t("per_month_unit", lang) if per_month else "") + (t(f"per_unit_{per}", lang) if per else "")
    return format_qualified(value, unit, row["qualifier"], lang) + suffix


def _figure_parts(
    row: dict, unit: str, lang: str, per_month: bool, per: str | None, with_definition: bool
) -> list[str]:
    """The value with its qualifier mark and word, the period, the definition if several share the chart,
    and the verdict where the rows carry one."""
    parts = [_value_text(row, unit, lang, per_month, per)]
    if isinstance(row["qualifier"], str) and row["qualifier"] != EXACT:
        parts.append(qualifier_name(row["qualifier"], lang))
    parts.append(period_text(row["period_label"], lang))
    if with_definition:
        parts.append(localized(row, "metric_name", lang))
    verdict = verdict_text(row.get("is_reference"), row.get("reasons"), lang)
    if verdict:
        parts.append(verdict)
    return [part for part in parts if part]


def comparison_text(
    rows: pd.DataFrame,
    what: str,
    unit: str,
    lang: str,
    per_month: bool = False,
    most: int | None = None,
    per: str | None = None,
) -> str:
    """'Bar chart: Registered volunteers; places: 2. Jiang'an District: 104,953 people, as of 2018 Q1,
    reference; Wuchang District: 180,000 people, as of end-2017, like for like. The periods differ: …'
    `per_month`, `most` and `per` as comparison_bars takes them."""
    rows = drawn_rows(rows, most, bool(per_month or per))
    records = rows.to_dict("records")
    with_definition = rows["metric_id"].nunique() > 1
    figures = []
    for row in records:
        name = row[column("name", lang)]
        parts = (
            [_missing_text(row, lang)]
            if pd.isna(row["value"])
            else _figure_parts(row, unit, lang, per_month, per, with_definition)
        )
        figures.append(t("chart_text_figure", lang, place=name, figure=t("chart_text_parts_sep", lang).join(parts)))
    places = len(dict.fromkeys(rows["district_id"]))
    text = t("chart_text_intro", lang, what=what, n=places) + t("chart_text_figures_sep", lang).join(figures)
    periods = distinct_periods(rows.loc[rows["value"].notna(), "period_label"])
    text += t("chart_text_end", lang)
    if len(periods) > 1:
        shown = list_join([period_text(p, lang) for p in periods], lang)
        text += t("chart_text_periods_differ", lang, periods=shown)
    if with_definition and "is_reference" not in rows:  # no verdict per figure: the definitions give it
        text += t("chart_text_definitions_differ", lang)
    return text


def comparison_table(
    rows: pd.DataFrame,
    unit: str,
    lang: str,
    per_month: bool = False,
    most: int | None = None,
    per: str | None = None,
) -> pd.DataFrame:
    """The same figures as a table, one action from the chart: place, value, qualifier, period, definition,
    verdict."""
    records = drawn_rows(rows, most, bool(per_month or per)).to_dict("records")
    return pd.DataFrame(
        {
            t("col_place", lang): [row[column("name", lang)] for row in records],
            t("col_value", lang): [_value_text(row, unit, lang, per_month, per) for row in records],
            t("col_qualifier", lang): [
                qualifier_name(row["qualifier"], lang) if isinstance(row["qualifier"], str) else "" for row in records
            ],
            t("col_period", lang): [period_text(row["period_label"], lang) for row in records],
            t("definition", lang): [
                localized(row, "metric_name", lang) if isinstance(row.get("metric_id"), str) else "" for row in records
            ],
            t("col_comparable", lang): [
                verdict_text(row.get("is_reference"), row.get("reasons"), lang) for row in records
            ],
        }
    )


def _coverage_grid(matrix: pd.DataFrame, lang: str) -> pd.DataFrame:
    """coverage_matrix's rows as coverage_heatmap draws them: a row per place, a column per category, 0 for none."""
    grid = matrix.pivot_table(
        index=column("name", lang), columns="category", values="figures", aggfunc="sum", sort=False
    )
    return grid[[c for c in CATEGORIES if c in grid.columns]].fillna(0).astype(int)


def coverage_text(matrix: pd.DataFrame, lang: str) -> str:
    """'Heatmap: how many figures each place reports per category; places: 6. Bazhou District: Party
    organizations 1, Volunteers 1, …; …' ('not reported' where a place has none)."""
    grid = _coverage_grid(matrix, lang)
    places = []
    for place, counts in grid.iterrows():
        cells = [
            t("coverage_text_cell", lang, category=category_name(c, lang), figures=n or t("not_reported", lang))
            for c, n in counts.items()
        ]
        places.append(t("chart_text_figure", lang, place=place, figure=t("chart_text_parts_sep", lang).join(cells)))
    intro = t("coverage_text_intro", lang, n=len(grid))
    return intro + t("chart_text_figures_sep", lang).join(places) + t("chart_text_end", lang)


def coverage_table(matrix: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The heatmap's cells as a table: a row per place, a column per category."""
    grid = _coverage_grid(matrix, lang)
    grid.columns = [category_name(c, lang) for c in grid.columns]
    return grid.rename_axis(t("col_place", lang)).reset_index()


def comparison_html(
    rows: pd.DataFrame,
    what: str,
    unit: str,
    lang: str,
    per_month: bool = False,
    most: int | None = None,
    per: str | None = None,
) -> str:
    """The chart comparison_bars draws, as HTML bars: Compare's chart, without Plotly, whose chunk (1 MB compressed)
    was most of the page's first view. One row per drawn figure: place, value with its mark,
    period and verdict as text, and a bar of the value's length; the chart's text alternative is its label.
    `what` names the figures; every text from the data is escaped."""
    rows = drawn_rows(rows, most, bool(per_month or per))
    records = rows.to_dict("records")
    with_definition = rows["metric_id"].nunique() > 1
    values = [abs(r["value_adjusted"] if per_month or per else r["value"]) for r in records if pd.notna(r["value"])]
    largest = max(values, default=0) or 1
    metric_ids = list(dict.fromkeys(rows.loc[rows["value"].notna(), "metric_id"]))
    items = []
    for row in records:
        name = html.escape(str(row[column("name", lang)]))
        # The bar's place, period and definition for a reader's tools (and the tests), as Plotly's spec had them.
        keys = f'data-place="{html.escape(str(row["district_id"]), quote=True)}"'
        if pd.isna(row["value"]):
            missing = _missing_text(row, lang)
            items.append(f'<li {keys}><span class="place">{name}</span> <span class="none">{missing}</span></li>')
            continue
        value, *details = _figure_parts(row, unit, lang, per_month, per, with_definition)
        amount = row["value_adjusted"] if per_month or per else row["value"]
        keys += "".join(
            f' data-{attribute}="{html.escape(str(row[field]), quote=True)}"'
            for attribute, field in (("period", "period_label"), ("definition", "metric_id"))
        )
        color = DEFINITION_COLORS[metric_ids.index(row["metric_id"]) % len(DEFINITION_COLORS)]
        hatched = " hatched" if row["qualifier"] in HATCHED_QUALIFIERS else ""  # as the chart image hatches them
        width = round(100 * abs(amount) / largest, 1)
        items.append(
            f'<li {keys} data-value="{float(amount)!r}"><span class="place">{name}</span>'
            f' <span class="value">{html.escape(value)}</span>'
            f'<span class="bar{hatched}" style="width:{width}%;background-color:{color}" aria-hidden="true"></span>'
            f'<span class="details">{html.escape(t("chart_text_parts_sep", lang).join(details))}</span></li>'
        )
    label = html.escape(comparison_text(rows, what, unit, lang, per_month, most, per), quote=True)
    return f'<figure class="redengine-bars" role="img" aria-label="{label}"><ul>{"".join(items)}</ul></figure>'

"""Plotly figures for the pages, built with graph_objects (several times faster than express)."""

from __future__ import annotations

import textwrap

import pandas as pd
import plotly.graph_objects as go

from redengine.core.domain import CATEGORIES, axis_scale, format_qualified, place_color
from redengine.core.i18n import category_name, column, localized, narrow_label, period_text, t
from redengine.core.markup import plotly_text
from redengine.present import tables
from redengine.present.tables import verdict_text

FONT = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, sans-serif"
QUOTE_WIDTH = 28  # characters per hover line; Chinese has no spaces to wrap on


def _wrapped(text: str | None) -> str:
    if not isinstance(text, str):
        return ""
    # Wrapped before escaping, so no line ends inside an entity such as &lt;.
    return "<br>".join(plotly_text(line) for line in textwrap.wrap(text, QUOTE_WIDTH))


def _small(text: str) -> str:
    return f"<span style='font-size:11px;color:#7f8c8d'>{plotly_text(text)}</span>"


def _axis_label(row: pd.Series, lang: str, with_period: bool, small_period: bool) -> str:
    name = plotly_text(place_label(row, lang))
    if not with_period or pd.isna(row["period_label"]):
        return name
    period = period_text(row["period_label"], lang)
    return f"{name}<br>{_small(period) if small_period else plotly_text(period)}"


def place_label(row: pd.Series, lang: str) -> str:
    """Short enough for an axis: 'Jiang'an' rather than 'Jiang'an District'."""
    return localized(row, "name", lang).removesuffix(" District")


UPRIGHT_BARS_MAX = 6  # more bars than this are drawn lying down, one per line, so no label overlaps
BAR_LINE_PX = 40  # a lying bar's line: the place's name and, under it, the period
LEGEND_LINE_PX = 22


HATCHED_QUALIFIERS = ("estimate", "target")  # their bars are hatched: not a figure reached
DEFINITION_COLORS = ("#b03a2e", "#2e86c1", "#d68910", "#229954", "#7d3c98", "#17a589", "#5d6d7e", "#af601a")


def drawn_rows(
    rows: pd.DataFrame, most: int | None = None, adjusted: bool = False, lying: bool | None = None
) -> pd.DataFrame:
    """The rows comparison_bars draws, in its order: those on its axis (tables.on_axis), in the rows' order; when
    lying (more than UPRIGHT_BARS_MAX bars, unless `lying` says) or more than `most`, ranked by the drawn amount
    (value_adjusted if `adjusted`), highest first, the `most` highest. The text alternative and the HTML bars list
    them so too."""
    rows = tables.on_axis(rows)
    lying = len(rows) > UPRIGHT_BARS_MAX if lying is None else lying
    if not lying and (most is None or len(rows) <= most):
        return rows
    amount = rows["value_adjusted"] if adjusted else rows["value"]
    ranked = rows.assign(_amount=amount).sort_values("_amount", ascending=False, na_position="last", kind="stable")
    return ranked.drop(columns="_amount").head(most)


def comparison_bars(
    rows: pd.DataFrame,
    unit: str,
    lang: str,
    height: int = 440,
    by_definition: bool = False,
    per_month: bool = False,
    most: int | None = None,
    lying: bool | None = None,
    per: str | None = None,
) -> go.Figure:
    """One bar per place, definition and period; a place with no figure gets a 'not reported' marker, not a bar.

    Up to UPRIGHT_BARS_MAX bars stand side by side, each labelled with its value and period.
    More lie one per line in the rows' order from the top, the period under the place's name and
    the value beside the bar, and the chart grows to fit them. `by_definition` colours bars by
    metric (a concept's definitions) with a legend, and fades figures outside the like-for-like
    set; `per_month` plots each flow's value per month of its period, `per` each figure per unit of that
    adjustment's denominator. Lying bars are ranked, highest on top, and at most `most` of them drawn.
    `lying=True` lays even a few bars down (a half-width panel, which is 350 pixels wide on a phone: upright
    labels would collide).

    Rows that carry the verdict (concept_figures') are drawn only when like for like: one axis never holds
    figures the verdict calls unlike. A place whose figures are all unlike gets a marker saying so; the page
    lists those figures beside the chart (tables.comparison_summary).
    """
    adjusted = bool(per_month or per)
    lying = len(tables.on_axis(rows)) > UPRIGHT_BARS_MAX if lying is None else lying
    rows = drawn_rows(rows, most, adjusted, lying)
    if adjusted:
        rows = rows.assign(value=rows["value_adjusted"])
    reported = rows[rows["value"].notna()]
    largest = float(reported["value"].abs().max()) if len(reported) else 0.0
    divisor, axis_title = axis_scale(unit, largest, lang)
    if per_month:
        axis_title += t("per_month_unit", lang)
    if per:
        axis_title += t(f"per_unit_{per}", lang)
    # Bars are placed by place id, definition and period; names label them (two places may share a name).
    # Category values are text Plotly may draw (say, if a tick label were missing): escaped too.
    keys = rows["district_id"] + "|" + rows["period_label"].fillna("").map(plotly_text)
    if by_definition:
        keys = keys + "|" + rows["metric_id"].fillna("")
    keys = keys.tolist()
    several_periods = rows.groupby("district_id")["period_label"].nunique().max() > 1
    labels = [
        _axis_label(r, lang, with_period=lying or several_periods, small_period=lying) for _, r in rows.iterrows()
    ]
    # Two traces, not one per place: building a trace costs about a millisecond, which
    # adds up across a page's charts on every rerun.
    missing = rows["value"].isna().to_numpy()
    reported_keys = [k for k, m in zip(keys, missing, strict=True) if not m]
    missing_keys = [k for k, m in zip(keys, missing, strict=True) if m]
    suffix = t("per_month_unit", lang) if per_month else ""
    # A bar's label stays short (a phone's width); the unit of a per-unit view is on the axis and in the hover.
    shown = [
        format_qualified(v, unit, q, lang) + suffix
        for v, q in zip(reported["value"], reported["qualifier"], strict=True)
    ]
    per_unit = t(f"per_unit_{per}", lang) if per else ""
    periods = [plotly_text(period_text(p, lang)) for p in reported["period_label"]]
    hovers = [
        f"<b>{plotly_text(place_label(r, lang))}</b><br>{plotly_text(value + per_unit)} · {period}"
        f"{_definition_lines(r, lang)}"
        f"<br>{t('col_as_written', lang)}: {plotly_text(r['value_as_written'])}<br>{_wrapped(r['quote'])}"
        for (_, r), value, period in zip(reported.iterrows(), shown, periods, strict=True)
    ]
    metric_ids = list(dict.fromkeys(reported["metric_id"])) if by_definition else []
    if by_definition:
        colors = [DEFINITION_COLORS[metric_ids.index(m) % len(DEFINITION_COLORS)] for m in reported["metric_id"]]
        opacity = [1.0] * len(reported)  # only the like-for-like set is drawn
    else:
        colors = [place_color(p) for p in reported["district_id"]]
        opacity = [1.0] * len(reported)
    left_out = rows.loc[missing, "figures_left_out"].tolist() if "figures_left_out" in rows else [0] * missing.sum()
    missing_hovers = [
        f"{plotly_text(place_label(r, lang))}: {t('not_reported', lang)}" for _, r in rows[missing].iterrows()
    ]

    def placed(places: list[str], values: list[float]) -> dict:
        return {"y": places, "x": values, "orientation": "h"} if lying else {"x": places, "y": values}

    figure = go.Figure(
        [
            go.Bar(
                **placed(reported_keys, (reported["value"] / divisor).tolist()),
                marker={
                    "color": colors,
                    "opacity": opacity,
                    "pattern": {
                        "shape": ["/" if q in HATCHED_QUALIFIERS else "" for q in reported["qualifier"]],
                    },
                },
                text=[
                    plotly_text(v) if lying else f"{plotly_text(v)}<br>{p}" for v, p in zip(shown, periods, strict=True)
                ],
                hovertext=hovers,
                hovertemplate="%{hovertext}<extra></extra>",
                textposition="outside",
                textfont={"size": 12},
                constraintext="none",
                cliponaxis=False,
                showlegend=False,
                name="reported",
            ),
            go.Bar(
                **placed(missing_keys, [0] * len(missing_keys)),
                marker_color="rgba(0,0,0,0)",
                text=[t("off_axis_marker" if n else "not_reported", lang) for n in left_out],
                hovertext=missing_hovers,
                hovertemplate="%{hovertext}<extra></extra>",
                textposition="outside",
                textfont={"color": "#7f8c8d", "size": 12},
                constraintext="none",
                cliponaxis=False,
                showlegend=False,
                name="not reported",
            ),
        ]
    )
    # The legend names each definition by its colour (bars of one trace cannot carry legend entries).
    metric_names = dict(zip(reported.get("metric_id", []), reported.get(column("metric_name", lang), []), strict=True))
    for index, metric_id in enumerate(metric_ids):
        figure.add_trace(
            go.Bar(
                **placed([None], [None]),
                marker_color=DEFINITION_COLORS[index % len(DEFINITION_COLORS)],
                name=plotly_text(str(metric_names[metric_id])),
                showlegend=True,
                hoverinfo="skip",
            )
        )
    places_axis = {
        "automargin": True,
        "type": "category",
        "categoryorder": "array",
        "categoryarray": keys,
        "tickvals": keys,
        "ticktext": labels,
    }
    values_axis = {"rangemode": "tozero", "automargin": True, "tickformat": t("axis_tick_format", lang)}
    if len(reported):
        # Room beyond the longest bar for its label: above it when upright, beside it when lying.
        values_axis["range"] = [0, largest / divisor * (1.6 if lying else 1.25)]
    if lying:
        places_axis["autorange"] = "reversed"  # the first row on top
        layout = {"yaxis": places_axis, "xaxis": {**values_axis, "title": axis_title, "side": "top"}}
        height = max(height, 60 + BAR_LINE_PX * len(rows))
    else:
        layout = {"xaxis": {**places_axis, "tickangle": 0}, "yaxis": {**values_axis, "title": axis_title}}
    # The legend takes its room from the plot: on a phone each definition is a line of its own.
    height += LEGEND_LINE_PX * len(metric_ids)
    figure.update_layout(
        **layout,
        font={"family": FONT, "size": 13},
        margin={"t": 20, "b": 10, "l": 10, "r": 40 if lying else 10},
        height=height,
        bargap=0.35,
        barmode="overlay",
        hoverlabel={"font_family": FONT, "align": "left"},
        # Under the chart, never before it: on a phone the bars come first (#24).
        legend={"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0, "x": 0},
    )
    return figure


def _definition_lines(row: pd.Series, lang: str) -> str:
    """The definition, scope and verdict of a concept's figure, for its hover text."""
    if "reasons" not in row:
        return ""
    lines = [plotly_text(str(localized(row, "metric_name", lang)))]
    scope = localized(row, "scope", lang)
    if isinstance(scope, str):
        lines.append(plotly_text(t("scope_mark", lang, scope=scope)))
    lines.append(plotly_text(verdict_text(row["is_reference"], row["reasons"], lang)))
    return "".join(f"<br>{line}" for line in lines)


def coverage_heatmap(matrix: pd.DataFrame, lang: str) -> go.Figure:
    """Places × categories, each cell the number of figures; empty cells read 'not reported'."""
    table = matrix.pivot_table(
        index=column("name", lang), columns="category", values="figures", aggfunc="sum", sort=False
    )
    table = table[[c for c in CATEGORIES if c in table.columns]]
    categories = list(table.columns)
    counts = table.to_numpy()
    text = [[str(int(c)) if c else "—" for c in row] for row in counts]
    figure = go.Figure(
        go.Heatmap(
            z=counts,
            x=categories,
            y=[plotly_text(place) for place in table.index],
            text=text,
            texttemplate="%{text}",
            customdata=[[category_name(c, lang) for c in categories] for _ in table.index],
            colorscale=[[0, "#f4f6f7"], [0.001, "#fadbd8"], [1, "#922b21"]],
            showscale=False,
            hovertemplate="%{y} · %{customdata}: %{text}<extra></extra>",
            xgap=3,
            ygap=3,
        )
    )
    figure.update_layout(
        font={"family": FONT, "size": 13},
        height=60 + 44 * len(table.index),
        margin={"t": 10, "b": 10, "l": 10, "r": 10},
        yaxis={"autorange": "reversed"},
        xaxis={
            "side": "top",
            "tickvals": categories,
            # One character wide, so six columns fit a phone's 350 pixels.
            "ticktext": [narrow_label(category_name(c, lang), lang)[0] for c in categories],
            "tickangle": narrow_label("", lang)[1],
        },
    )
    return figure


def figures_table(rows: pd.DataFrame, lang: str, first: str = "category") -> go.Figure:
    """Figures of different definitions or units as a table, never bars on one axis: a place's headline figure per
    category (`first`="category"), or each place's own figure of one category (`first`="place")."""
    firsts = (
        [category_name(c, lang) for c in rows["category"]]
        if first == "category"
        else [place_label(r, lang) for _, r in rows.iterrows()]
    )
    cells = [
        [plotly_text(f) for f in firsts],
        [plotly_text(m) for m in rows[column("metric_name", lang)]],
        [
            plotly_text(format_qualified(v, u, q, lang))
            for v, u, q in zip(rows["value"], rows["unit"], rows["qualifier"], strict=True)
        ],
        [plotly_text(period_text(p, lang)) for p in rows["period_label"]],
    ]
    header = [
        t(key, lang)
        for key in ("category" if first == "category" else "col_place", "definition", "col_value", "col_period")
    ]
    return go.Figure(
        go.Table(
            columnwidth=[2, 5, 2, 3],
            header={"values": [f"<b>{h}</b>" for h in header], "fill_color": "#f2d7d5", "align": "left"},
            cells={"values": cells, "align": "left", "height": 30, "fill_color": "white"},
        ),
        layout={"font": {"family": FONT, "size": 15}},
    )

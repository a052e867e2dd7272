"""Plotly figures for the pages, built with graph_objects (several times faster than express)."""

from __future__ import annotations

import textwrap

import pandas as pd
import plotly.graph_objects as go

from redengine.domain import CATEGORIES, axis_scale, format_qualified, period_text, place_color
from redengine.i18n import category_name, t
from redengine.markup import plotly_text

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
    return row["name_zh"] if lang == "zh" else row["name_en"].removesuffix(" District")


UPRIGHT_BARS_MAX = 6  # more bars than this are drawn lying down, one per line, so no label overlaps
BAR_LINE_PX = 40  # a lying bar's line: the place's name and, under it, the period


def comparison_bars(rows: pd.DataFrame, unit: str, lang: str, height: int = 440) -> go.Figure:
    """One bar per place and period; a place with no figure gets a 'not reported' marker, not a bar.

    Up to UPRIGHT_BARS_MAX bars stand side by side, each labelled with its value and period.
    More lie one per line in the rows' order from the top, the period under the place's name and
    the value beside the bar, and the chart grows to fit them.
    """
    lying = len(rows) > UPRIGHT_BARS_MAX
    reported = rows[rows["value"].notna()]
    largest = float(reported["value"].abs().max()) if len(reported) else 0.0
    divisor, axis_title = axis_scale(unit, largest, lang)
    # Bars are placed by place id and period; names label them (two places may share a name).
    # Category values are text Plotly may draw (say, if a tick label were missing): escaped too.
    keys = (rows["district_id"] + "|" + rows["period_label"].fillna("").map(plotly_text)).tolist()
    several_periods = rows.groupby("district_id")["period_label"].nunique().max() > 1
    labels = [
        _axis_label(r, lang, with_period=lying or several_periods, small_period=lying) for _, r in rows.iterrows()
    ]
    # Two traces, not one per place: building a trace costs about a millisecond, which
    # adds up across a page's charts on every rerun.
    missing = rows["value"].isna().to_numpy()
    reported_keys = [k for k, m in zip(keys, missing, strict=True) if not m]
    missing_keys = [k for k, m in zip(keys, missing, strict=True) if m]
    shown = [format_qualified(v, unit, q, lang) for v, q in zip(reported["value"], reported["qualifier"], strict=True)]
    periods = [plotly_text(period_text(p, lang)) for p in reported["period_label"]]
    hovers = [
        f"<b>{plotly_text(place_label(r, lang))}</b><br>{plotly_text(value)} · {period}"
        f"<br>{t('col_as_written', lang)}: {plotly_text(r['value_as_written'])}<br>{_wrapped(r['quote'])}"
        for (_, r), value, period in zip(reported.iterrows(), shown, periods, strict=True)
    ]
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
                    "color": [place_color(p) for p in reported["district_id"]],
                    "pattern": {
                        "shape": ["/" if q in ("estimate", "target") else "" for q in reported["qualifier"]],
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
                text=[t("not_reported", lang)] * len(missing_keys),
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
    places_axis = {
        "automargin": True,
        "type": "category",
        "categoryorder": "array",
        "categoryarray": keys,
        "tickvals": keys,
        "ticktext": labels,
    }
    values_axis = {"rangemode": "tozero", "automargin": True, "tickformat": "," if lang == "zh" else "~s"}
    if len(reported):
        # Room beyond the longest bar for its label: above it when upright, beside it when lying.
        values_axis["range"] = [0, largest / divisor * (1.6 if lying else 1.25)]
    if lying:
        places_axis["autorange"] = "reversed"  # the first row on top
        layout = {"yaxis": places_axis, "xaxis": {**values_axis, "title": axis_title, "side": "top"}}
        height = max(height, 60 + BAR_LINE_PX * len(rows))
    else:
        layout = {"xaxis": {**places_axis, "tickangle": 0}, "yaxis": {**values_axis, "title": axis_title}}
    figure.update_layout(
        **layout,
        font={"family": FONT, "size": 13},
        margin={"t": 40, "b": 10, "l": 10, "r": 40 if lying else 10},
        height=height,
        bargap=0.35,
        barmode="overlay",
        hoverlabel={"font_family": FONT, "align": "left"},
    )
    return figure


def coverage_heatmap(matrix: pd.DataFrame, lang: str) -> go.Figure:
    """Places × categories, each cell the number of figures; empty cells read 'not reported'."""
    name = "name_zh" if lang == "zh" else "name_en"
    table = matrix.pivot_table(index=name, columns="category", values="figures", aggfunc="sum", sort=False)
    table = table[[c for c in CATEGORIES if c in table.columns]]
    categories = list(table.columns)
    counts = table.to_numpy()
    text = [[str(int(c)) if c else "—" for c in row] for row in counts]
    figure = go.Figure(
        go.Heatmap(
            z=counts,
            x=[category_name(c, lang) for c in categories],
            y=[plotly_text(place) for place in table.index],
            text=text,
            texttemplate="%{text}",
            colorscale=[[0, "#f4f6f7"], [0.001, "#fadbd8"], [1, "#922b21"]],
            showscale=False,
            hovertemplate="%{y} · %{x}: %{text}<extra></extra>",
            xgap=3,
            ygap=3,
        )
    )
    figure.update_layout(
        font={"family": FONT, "size": 13},
        height=60 + 44 * len(table.index),
        margin={"t": 10, "b": 10, "l": 10, "r": 10},
        yaxis={"autorange": "reversed"},
        xaxis={"side": "top"},
    )
    return figure

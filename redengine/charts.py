"""Plotly figures for the pages, built with graph_objects (several times faster than express)."""

from __future__ import annotations

import html
import textwrap

import pandas as pd
import plotly.graph_objects as go

from redengine.domain import CATEGORIES, axis_scale, format_qualified, period_text, place_color
from redengine.i18n import category_name, t

FONT = "Noto Sans CJK SC, Noto Sans SC, Microsoft YaHei, sans-serif"
QUOTE_WIDTH = 28  # characters per hover line; Chinese has no spaces to wrap on


def _wrapped(text: str | None) -> str:
    if not isinstance(text, str):
        return ""
    return "<br>".join(textwrap.wrap(html.escape(text), QUOTE_WIDTH))


def place_label(row: pd.Series, lang: str) -> str:
    """Short enough for an axis: 'Jiang'an' rather than 'Jiang'an District'."""
    return row["name_zh"] if lang == "zh" else row["name_en"].removesuffix(" District")


def comparison_bars(rows: pd.DataFrame, unit: str, lang: str, height: int = 440) -> go.Figure:
    """One bar per place and period; a place with no figure gets a 'not reported' marker, not a bar."""
    reported = rows[rows["value"].notna()]
    largest = float(reported["value"].abs().max()) if len(reported) else 0.0
    divisor, axis_title = axis_scale(unit, largest, lang)
    several_periods = rows.groupby("district_id")["period_label"].nunique().max() > 1
    labels = [
        f"{place_label(r, lang)}<br>{period_text(r['period_label'], lang)}"
        if several_periods and pd.notna(r["period_label"])
        else place_label(r, lang)
        for _, r in rows.iterrows()
    ]
    # Two traces, not one per place: building a trace costs about a millisecond, which
    # adds up across a page's charts on every rerun.
    missing = rows["value"].isna().to_numpy()
    shown = [format_qualified(v, unit, q, lang) for v, q in zip(reported["value"], reported["qualifier"], strict=True)]
    periods = [html.escape(period_text(p, lang)) for p in reported["period_label"]]
    hovers = [
        f"<b>{html.escape(label)}</b><br>{html.escape(value)} · {period}"
        f"<br>{t('col_as_written', lang)}: {html.escape(str(written))}<br>{_wrapped(quote)}"
        for label, value, period, written, quote in zip(
            [x for x, m in zip(labels, missing, strict=True) if not m],
            shown,
            periods,
            reported["value_as_written"],
            reported["quote"],
            strict=True,
        )
    ]
    figure = go.Figure(
        [
            go.Bar(
                x=[x for x, m in zip(labels, missing, strict=True) if not m],
                y=(reported["value"] / divisor).tolist(),
                marker={
                    "color": [place_color(p) for p in reported["district_id"]],
                    "pattern": {
                        "shape": ["/" if q in ("estimate", "target") else "" for q in reported["qualifier"]],
                    },
                },
                text=[f"{html.escape(v)}<br>{p}" for v, p in zip(shown, periods, strict=True)],
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
                x=[x for x, m in zip(labels, missing, strict=True) if m],
                y=[0] * int(missing.sum()),
                marker_color="rgba(0,0,0,0)",
                text=[t("not_reported", lang)] * int(missing.sum()),
                hovertemplate=f"%{{x}}: {t('not_reported', lang)}<extra></extra>",
                textposition="outside",
                textfont={"color": "#7f8c8d", "size": 12},
                constraintext="none",
                cliponaxis=False,
                showlegend=False,
                name="not reported",
            ),
        ]
    )
    figure.update_layout(
        font={"family": FONT, "size": 13},
        yaxis_title=axis_title,
        yaxis={"rangemode": "tozero", "automargin": True, "tickformat": "," if lang == "zh" else "~s"},
        xaxis={
            "automargin": True,
            "type": "category",
            "tickangle": 0,
            "categoryorder": "array",
            "categoryarray": labels,
        },
        margin={"t": 40, "b": 10, "l": 10, "r": 10},
        height=height,
        bargap=0.35,
        barmode="overlay",
        hoverlabel={"font_family": FONT, "align": "left"},
    )
    if len(reported):
        figure.update_yaxes(range=[0, largest / divisor * 1.25])
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
            y=list(table.index),
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

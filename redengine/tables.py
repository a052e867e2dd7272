"""Tables as people read them: localised headers, qualified values, quotes and source links."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from redengine.domain import format_qualified, period_text, unit_name
from redengine.i18n import qualifier_name, t

# Spreadsheet programs read UTF-8 with a byte-order mark as UTF-8 (Excel guesses otherwise).
CSV_ENCODING = "utf-8-sig"


def _qualifier(value: object, lang: str) -> str:
    return qualifier_name(value, lang) if isinstance(value, str) else ""


def comparison_table(
    rows: pd.DataFrame, unit: str, lang: str, source_links: Callable[[pd.DataFrame], list[str | None]]
) -> pd.DataFrame:
    """One row per place and period; a place that does not report the metric says so."""
    name = "name_zh" if lang == "zh" else "name_en"
    title = "source_title_zh" if lang == "zh" else "source_title_en"
    return pd.DataFrame(
        {
            t("col_place", lang): rows[name],
            t("col_value", lang): [
                format_qualified(v, unit, q, lang) for v, q in zip(rows["value"], rows["qualifier"], strict=True)
            ],
            t("col_period", lang): [period_text(p, lang) for p in rows["period_label"]],
            t("col_link", lang): source_links(rows),
            t("col_quote", lang): rows["quote"],
            t("col_value_base", lang): rows["value"],
            t("col_unit", lang): unit_name(unit, lang),
            t("col_as_written", lang): rows["value_as_written"],
            t("col_qualifier", lang): [_qualifier(q, lang) for q in rows["qualifier"]],
            t("col_source", lang): rows[title],
        }
    )


def district_table(
    facts: pd.DataFrame,
    lang: str,
    source_links: Callable[[pd.DataFrame], list[str | None]],
    compare_links: Callable[[pd.DataFrame], list[str | None]],
) -> pd.DataFrame:
    """Every figure of one place: metric, qualified value, period, quote, links."""
    metric = "metric_name_zh" if lang == "zh" else "metric_name_en"
    return pd.DataFrame(
        {
            t("col_metric", lang): facts[metric],
            t("col_value", lang): [
                format_qualified(v, u, q, lang)
                for v, u, q in zip(facts["value"], facts["unit"], facts["qualifier"], strict=True)
            ],
            t("col_period", lang): [period_text(p, lang) for p in facts["period_label"]],
            t("col_link", lang): source_links(facts),
            t("compare_link", lang): compare_links(facts),
            t("col_quote", lang): facts["quote"],
            t("col_as_written", lang): facts["value_as_written"],
            t("col_note", lang): facts["note"],
        }
    )


def changes_table(changes: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Figures added, removed or revised between two snapshots, old and new side by side."""
    name = "name_zh" if lang == "zh" else "name_en"
    metric = "metric_name_zh" if lang == "zh" else "metric_name_en"

    def values(side: str) -> list[str]:
        return [
            format_qualified(v, u, q, lang) if pd.notna(v) else "—"
            for v, u, q in zip(changes[f"{side}_value"], changes["unit"], changes[f"{side}_qualifier"], strict=True)
        ]

    return pd.DataFrame(
        {
            t("col_change", lang): [t(f"change_{c}", lang) for c in changes["change"]],
            t("col_place", lang): changes[name],
            t("col_metric", lang): changes[metric],
            t("col_period", lang): [period_text(p, lang) for p in changes["period_label"]],
            t("col_old", lang): values("old"),
            t("col_new", lang): values("new"),
            t("col_quote", lang): changes["new_quote"].fillna(changes["old_quote"]),
            t("col_source", lang): changes["new_source_id"].fillna(changes["old_source_id"]),
        }
    )


def csv_bytes(table: pd.DataFrame, lang: str) -> bytes:
    """The table as a file: without its column of links into this app, which mean nothing there."""
    return table.drop(columns=[t("col_link", lang)]).to_csv(index=False).encode(CSV_ENCODING)

"""Tables as people read them: localised headers, qualified values, quotes and source links."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from redengine.domain import format_qualified, period_text, unit_name
from redengine.i18n import qualifier_name, t

# Spreadsheet programs read UTF-8 with a byte-order mark as UTF-8 (Excel guesses otherwise).
CSV_ENCODING = "utf-8-sig"


def _qualifier(value: object, lang: str) -> str:
    return qualifier_name(value, lang) if isinstance(value, str) else ""


def verdict_text(is_reference: object, reasons: object, lang: str) -> str:
    """'reference', 'like for like', or 'not like for like: different period, part of the place'
    from concept_figures' comma-separated reasons."""
    if not isinstance(reasons, str):  # a place that does not report the concept
        return ""
    if is_reference is True:
        return t("verdict_reference", lang)
    if not reasons:
        return t("verdict_like", lang)
    return t("verdict_unlike", lang, reasons=list_join([t(f"reason_{r}", lang) for r in reasons.split(",")], lang))


@dataclass(frozen=True)
class ComparisonSummary:
    """What the page says above a concept's comparison."""

    periods: list[str]  # period labels of the figures shown
    not_reported: list[str]  # places with no figure of the concept
    left_out: list[str]  # places whose figures the chosen filter left out
    reference: str | None  # the reference figure, as a reader names it
    like: int  # figures like for like with the reference (besides it)
    unlike: int


def comparison_summary(rows: pd.DataFrame, lang: str) -> ComparisonSummary:
    """Counts and names from concept_figures' rows."""
    name = f"name_{lang}"
    reported = rows[rows["value"].notna()]
    missing = rows[rows["value"].isna()]
    references = reported[reported["is_reference"].fillna(False).astype(bool)].to_dict("records")
    reference = None
    if references:
        first = references[0]
        reference = f"{first[name]} · {first[f'metric_name_{lang}']} · {period_text(first['period_label'], lang)}"
    others = reported[~reported["is_reference"].fillna(False).astype(bool)]
    like = int(others["in_like_set"].fillna(False).astype(bool).sum())
    return ComparisonSummary(
        periods=list(reported["period_label"]),
        not_reported=list(missing.loc[missing["figures_left_out"] == 0, name]),
        left_out=list(missing.loc[missing["figures_left_out"] > 0, name]),
        reference=reference,
        like=like,
        unlike=len(others) - like,
    )


def by_category(rows: pd.DataFrame, categories: tuple[str, ...]) -> list[tuple[str, pd.DataFrame]]:
    """(category, its rows) in the given order, for the categories that have rows."""
    groups = dict(list(rows.groupby("category", sort=False)))
    return [(c, groups[c]) for c in categories if c in groups]


def definitions_in(rows: pd.DataFrame, lang: str) -> list[str]:
    """The distinct metric names among a concept's rows, in order."""
    return list(dict.fromkeys(rows[f"metric_name_{lang}"]))


def places_missing_from(rows: pd.DataFrame, names: dict[str, str]) -> list[str]:
    """Names of the places (id → name) that have no row."""
    present = set(rows["district_id"])
    return [name for place, name in names.items() if place not in present]


def list_join(items: list[str], lang: str) -> str:
    """Items as a list in running text: '、' between Chinese items, ', ' between English ones."""
    return ("、" if lang == "zh" else ", ").join(items)


def figure_marks(row: dict | pd.Series, lang: str) -> list[str]:
    """What a reader must know beside a figure: its period, the part of the place it covers, and
    whether its period is inferred or has no stated start."""
    marks = [period_text(row["period_label"], lang)]
    scope = row[f"scope_{lang}"]
    if isinstance(scope, str):
        marks.append(t("scope_mark", lang, scope=scope))
    if row["period_basis"] in ("open", "inferred"):
        marks.append(t(f"{row['period_basis']}_period_mark", lang))
    return marks


def scope_text(scope_zh: object, scope_en: object, lang: str) -> str:
    scope = scope_zh if lang == "zh" else scope_en
    return scope if isinstance(scope, str) else t("whole_place", lang)


def concept_table(
    rows: pd.DataFrame, unit: str, lang: str, source_links: Callable[[pd.DataFrame], list[str | None]]
) -> pd.DataFrame:
    """One row per place and figure of a concept: its definition, scope, period basis and verdict."""
    name = "name_zh" if lang == "zh" else "name_en"
    metric = "metric_name_zh" if lang == "zh" else "metric_name_en"
    title = "source_title_zh" if lang == "zh" else "source_title_en"
    return pd.DataFrame(
        {
            t("col_place", lang): rows[name],
            t("definition", lang): rows[metric],
            t("col_value", lang): [
                format_qualified(v, unit, q, lang) for v, q in zip(rows["value"], rows["qualifier"], strict=True)
            ],
            t("col_period", lang): [period_text(p, lang) for p in rows["period_label"]],
            t("col_scope", lang): [
                scope_text(zh, en, lang) if pd.notna(v) else ""
                for zh, en, v in zip(rows["scope_zh"], rows["scope_en"], rows["value"], strict=True)
            ],
            t("col_period_basis", lang): [
                t(f"basis_{b}", lang) if isinstance(b, str) else "" for b in rows["period_basis"]
            ],
            t("col_comparable", lang): [
                verdict_text(r, reasons, lang) for r, reasons in zip(rows["is_reference"], rows["reasons"], strict=True)
            ],
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
            t("col_scope", lang): [
                scope_text(zh, en, lang) for zh, en in zip(facts["scope_zh"], facts["scope_en"], strict=True)
            ],
            t("col_period_basis", lang): [t(f"basis_{b}", lang) for b in facts["period_basis"]],
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

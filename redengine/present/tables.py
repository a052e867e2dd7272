"""Tables as people read them: localised headers, qualified values, quotes and source links."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd

from redengine.core.domain import CATEGORIES, format_qualified, unit_name
from redengine.core.i18n import column, list_join, localized, period_text, qualifier_name, t
from redengine.present import exports

# Spreadsheet programs read UTF-8 with a byte-order mark as UTF-8 (Excel guesses otherwise).


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
    name = column("name", lang)
    reported = rows[rows["value"].notna()]
    missing = rows[rows["value"].isna()]
    references = reported[reported["is_reference"].fillna(False).astype(bool)].to_dict("records")
    reference = None
    if references:
        first = references[0]
        period = period_text(first["period_label"], lang)
        reference = f"{first[name]} · {localized(first, 'metric_name', lang)} · {period}"
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


def by_category(rows: pd.DataFrame, categories: tuple[str, ...] = CATEGORIES) -> list[tuple[str, pd.DataFrame]]:
    """(category, its rows) in the given order, for the categories that have rows."""
    groups = dict(list(rows.groupby("category", sort=False)))
    return [(c, groups[c]) for c in categories if c in groups]


def in_category(rows: pd.DataFrame, category: str) -> pd.DataFrame:
    return rows[rows["category"] == category]


def of_places(rows: pd.DataFrame, district_ids: Iterable[str]) -> pd.DataFrame:
    return rows[rows["district_id"].isin(list(district_ids))]


def first_per_category(facts: pd.DataFrame) -> pd.DataFrame:
    """Each category's first row, in the order of CATEGORIES: a place's headline figures, since
    district_facts puts first the figure most places report."""
    return pd.concat([rows.head(1) for _, rows in by_category(facts)]) if len(facts) else facts


def place_names(places: pd.DataFrame, lang: str) -> dict[str, str]:
    """Place id → name in the reader's language, in the order of `places`."""
    # .tolist() converts a column at once; iterating an Arrow-backed column costs per item.
    return dict(zip(places["district_id"].tolist(), places[column("name", lang)].tolist(), strict=True))


def most_figures(places: pd.DataFrame, n: int) -> pd.DataFrame:
    """The n places with the most figures (district_cards' rows), most first."""
    return places.nlargest(n, "figures") if len(places) > n else places


def place_location(place: dict | pd.Series, lang: str) -> str:
    """'武汉市 · 湖北省' or 'Wuhan, Hubei'."""
    return t("place_location", lang, city=localized(place, "city", lang), province=localized(place, "province", lang))


def report_periods(joined: str | None, lang: str) -> str:
    """The ' / '-joined report periods of a place, in the reader's language."""
    if not isinstance(joined, str):
        return "—"
    return " / ".join(period_text(p, lang) for p in joined.split(" / "))


def definitions_in(rows: pd.DataFrame, lang: str) -> list[str]:
    """The distinct metric names among a concept's rows, in order."""
    return list(dict.fromkeys(rows[column("metric_name", lang)]))


def places_missing_from(rows: pd.DataFrame, names: dict[str, str]) -> list[str]:
    """Names of the places (id → name) that have no row."""
    present = set(rows["district_id"])
    return [name for place, name in names.items() if place not in present]


def figure_marks(row: dict | pd.Series, lang: str) -> list[str]:
    """What a reader must know beside a figure: its period, the part of the place it covers, and
    whether its period is inferred or has no stated start."""
    marks = [period_text(row["period_label"], lang)]
    scope = localized(row, "scope", lang)
    if isinstance(scope, str):
        marks.append(t("scope_mark", lang, scope=scope))
    if row["period_basis"] in ("open", "inferred"):
        marks.append(t(f"{row['period_basis']}_period_mark", lang))
    return marks


def scope_text(scope: object, lang: str) -> str:
    """The part of the place a figure covers (its scope in the reader's language), or 'whole place'."""
    return scope if isinstance(scope, str) else t("whole_place", lang)


def concept_table(
    rows: pd.DataFrame, unit: str, lang: str, source_links: Callable[[pd.DataFrame], list[str | None]]
) -> pd.DataFrame:
    """One row per place and figure of a concept: its definition, scope, period basis and verdict."""
    return pd.DataFrame(
        {
            t("col_place", lang): rows[column("name", lang)],
            t("definition", lang): rows[column("metric_name", lang)],
            t("col_value", lang): [
                format_qualified(v, unit, q, lang) for v, q in zip(rows["value"], rows["qualifier"], strict=True)
            ],
            t("col_period", lang): [period_text(p, lang) for p in rows["period_label"]],
            t("col_scope", lang): [
                scope_text(scope, lang) if pd.notna(value) else ""
                for scope, value in zip(rows[column("scope", lang)], rows["value"], strict=True)
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
            t("col_source", lang): rows[column("source_title", lang)],
        }
    )


def district_table(
    facts: pd.DataFrame,
    lang: str,
    source_links: Callable[[pd.DataFrame], list[str | None]],
    compare_links: Callable[[pd.DataFrame], list[str | None]],
) -> pd.DataFrame:
    """Every figure of one place: metric, qualified value, period, quote, links."""
    return pd.DataFrame(
        {
            t("col_metric", lang): facts[column("metric_name", lang)],
            t("col_value", lang): [
                format_qualified(v, u, q, lang)
                for v, u, q in zip(facts["value"], facts["unit"], facts["qualifier"], strict=True)
            ],
            t("col_period", lang): [period_text(p, lang) for p in facts["period_label"]],
            t("col_scope", lang): [scope_text(scope, lang) for scope in facts[column("scope", lang)]],
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

    def values(side: str) -> list[str]:
        return [
            format_qualified(v, u, q, lang) if pd.notna(v) else "—"
            for v, u, q in zip(changes[f"{side}_value"], changes["unit"], changes[f"{side}_qualifier"], strict=True)
        ]

    return pd.DataFrame(
        {
            t("col_change", lang): [t(f"change_{c}", lang) for c in changes["change"]],
            t("col_place", lang): changes[column("name", lang)],
            t("col_metric", lang): changes[column("metric_name", lang)],
            t("col_period", lang): [period_text(p, lang) for p in changes["period_label"]],
            t("col_old", lang): values("old"),
            t("col_new", lang): values("new"),
            t("col_quote", lang): changes["new_quote"].fillna(changes["old_quote"]),
            t("col_source", lang): changes["new_source_id"].fillna(changes["old_source_id"]),
        }
    )


def csv_bytes(table: pd.DataFrame, lang: str) -> bytes:
    """The table as a file: without its column of links into this app, which mean nothing there."""
    return table.drop(columns=[t("col_link", lang)]).to_csv(index=False).encode(exports.CSV_ENCODING)

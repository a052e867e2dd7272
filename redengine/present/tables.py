"""Tables as people read them: localised headers, qualified values, quotes and source links."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from redengine.core.domain import CATEGORIES, format_qualified, unit_name
from redengine.core.i18n import column, list_join, localized, period_text, qualifier_name, t
from redengine.core.markup import markdown_text
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
    """What the page says above a concept's comparison: all of it derived from the verdict (concept_figures)."""

    periods: list[str]  # period labels of the figures shown
    not_reported: list[str]  # places with no figure of the concept
    left_out: list[str]  # places whose figures the chosen filter left out
    reference: str | None  # the reference figure, as a reader names it
    like: int  # figures like for like with the reference (besides it)
    unlike: int
    off_axis: list[str]  # each figure the verdict keeps off the chart: place, value, period and why
    caveats: list[str]  # the notes of the figures on the chart (a caveat the pair needs travels with it)
    adjustments: list[str]  # each adjusted figure's arithmetic: value ÷ denominator, both quoted and dated
    adjustments_short: list[str]  # the same arithmetic without the quotes, for an image's footer
    no_denominators: bool  # a per-unit view in which no figure has its place's denominator


def on_axis(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows one chart axis may hold: the verdict's like-for-like set, places not reporting, and a marker
    (no value, figures_left_out > 0) for a place whose every figure is unlike. Rows without a verdict as given."""
    if "in_like_set" not in rows:
        return rows
    like = rows["in_like_set"].fillna(False).astype(bool)
    missing = rows["value"].isna()
    kept = rows[like | missing]
    unlike = rows[~like & ~missing]
    markers = unlike[~unlike["district_id"].isin(set(kept["district_id"]))].drop_duplicates("district_id")
    markers = markers.assign(value=float("nan"), value_adjusted=float("nan"), period_label=None, figures_left_out=1)
    return pd.concat([kept, markers]).sort_index(kind="stable")


def _figure_text(row: dict, unit: str, lang: str, name: str) -> str:
    value = format_qualified(row["value"], unit, row["qualifier"], lang)
    return f"{row[name]} {value} ({period_text(row['period_label'], lang)})"


def comparison_summary(rows: pd.DataFrame, lang: str, unit: str = "count", per: str | None = None) -> ComparisonSummary:
    """Counts, names, figures off the axis, caveats and the arithmetic of a per-unit view, from concept_figures'
    rows."""
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
    in_set = reported["in_like_set"].fillna(False).astype(bool)
    off_axis = [
        f"{_figure_text(r, unit, lang, name)}: {verdict_text(False, r['reasons'] or 'outside_set', lang)}"
        for r in reported[~in_set].to_dict("records")
    ]
    caveats = [f"{r[name]}: {r['note']}" for r in reported[in_set].to_dict("records") if isinstance(r["note"], str)]
    adjusted = reported[in_set].to_dict("records") if per else []
    adjustments = [adjustment_text(r, unit, per, lang, name) for r in adjusted]
    adjustments_short = [adjustment_text(r, unit, per, lang, name, quoted=False) for r in adjusted]
    return ComparisonSummary(
        periods=list(reported["period_label"]),
        not_reported=list(missing.loc[missing["figures_left_out"] == 0, name]),
        left_out=list(missing.loc[missing["figures_left_out"] > 0, name]),
        reference=reference,
        like=like,
        unlike=len(others) - like,
        off_axis=off_axis,
        caveats=caveats,
        adjustments=adjustments,
        adjustments_short=adjustments_short,
        no_denominators=bool(per) and bool(len(reported)) and reported["denominator"].isna().all(),
    )


def adjustment_text(row: dict, unit: str, per: str, lang: str, name: str = "name_en", quoted: bool = True) -> str:
    """'Jiang'an: 104,953 people ÷ 16 (Sub-districts, as of 2018 Q1) = 6,560 people per sub-district · 「注册志愿者
    104953人」 · 「全区16个街道」': the formula, both values with their periods and quotes."""
    per_units = row["per_units"] if row["per_units"] and row["per_units"] != 1 else None
    return t(
        "adjustment_formula" if quoted else "adjustment_formula_short",
        lang,
        place=row[name],
        value=format_qualified(row["value"], unit, row["qualifier"], lang),
        period=period_text(row["period_label"], lang),
        denominator=t(f"denominator_{per}", lang, n=row["denominator"], written=row["denominator_as_written"]),
        denominator_period=period_text(row["denominator_period_label"], lang),
        times=f" × {per_units:,.0f}" if per_units else "",
        result=format_qualified(row["value_adjusted"], unit, row["qualifier"], lang) + t(f"per_unit_{per}", lang),
        quote=row["quote"],
        denominator_quote=row["denominator_quote"],
    )


def by_category(rows: pd.DataFrame, categories: tuple[str, ...] = CATEGORIES) -> list[tuple[str, pd.DataFrame]]:
    """(category, its rows) in the given order, for the categories that have rows."""
    groups = dict(list(rows.groupby("category", sort=False)))
    return [(c, groups[c]) for c in categories if c in groups]


def in_category(rows: pd.DataFrame, category: str) -> pd.DataFrame:
    return rows[rows["category"] == category]


def of_places(rows: pd.DataFrame, district_ids: Iterable[str]) -> pd.DataFrame:
    return rows[rows["district_id"].isin(list(district_ids))]


def by_category_order(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows (one per category) in the order of CATEGORIES."""
    return pd.concat([group for _, group in by_category(rows)]) if len(rows) else rows


def concept_labels(concepts: pd.DataFrame, lang: str) -> dict[str, str]:
    """Concept id (concept_coverage's rows) → 'family › name (n places)': how many places
    report that same definition; built at once for a selectbox of hundreds of concepts."""
    families = concepts[column("family", lang)].tolist() if column("family", lang) in concepts else None
    names = concepts[column("name", lang)].tolist()
    return {
        concept_id: f"{family_prefix(family, name)}{name} ({t('n_places', lang, n=places)})"
        for concept_id, name, family, places in zip(
            concepts["concept_id"].tolist(),
            names,
            families or names,
            concepts["places_reporting"].tolist(),
            strict=True,
        )
    }


def family_prefix(family: object, name: str) -> str:
    """'Party organizations › ' before a concept of a family of several definitions; nothing for a family of one."""
    return f"{family} › " if isinstance(family, str) and family != name else ""


def own_figure_lines(own: pd.DataFrame, lang: str) -> list[str]:
    """place_headlines' rows as lines: 'Jianghan District: 437 · Grid Party branches · as of 2018 May'."""
    return [
        f"{r[column('name', lang)]}: {format_qualified(r['value'], r['unit'], r['qualifier'], lang)} · "
        f"{localized(r, 'metric_name', lang)} · {' · '.join(figure_marks(r, lang))}"
        for r in own.to_dict("records")
    ]


def comparable_lines(rows: pd.DataFrame, place_name: str, lang: str, compare_link: Callable[..., str]) -> list[str]:
    """comparable_concepts' rows as Markdown list items, each a link to Compare for the pair (with the adjustment,
    if any): 'Registered volunteers — Jiang'an 104953人 (as of 2018 Q1) · Wuchang 18万人 (as of end-2017)'."""
    lines = []
    for r in rows.to_dict("records"):
        name = localized(r, "concept_name", lang)
        title = name if r["same_concept"] else f"{localized(r, 'family', lang)} › {name}"
        adjustment = f" · {t('per_' + r['adjustment'], lang)}" if isinstance(r["adjustment"], str) else ""
        reasons = [x for x in (r["reasons"] or "").split(",") if x]
        why = list_join([t("reason_" + x, lang) for x in reasons], lang) if r["verdict"] == "related" else ""
        params = {"category": r["category"], "concept": r["concept_id"], "places": [r["district_id"], r["other_id"]]}
        if isinstance(r["adjustment"], str):
            params["amount" if r["adjustment"] == "month" else "per"] = r["adjustment"]
        link = compare_link(**params)
        figures = (
            f"{place_name} {r['written_a']} ({period_text(r['period_a'], lang)}) · "
            f"{r[column('other_name', lang)]} {r['written_b']} ({period_text(r['period_b'], lang)})"
        )
        why = f" · {markdown_text(why)}" if why else ""
        lines.append(f"[{markdown_text(title)}]({link}){adjustment} — {markdown_text(figures)}{why}")
    return lines


def place_names(places: pd.DataFrame, lang: str) -> dict[str, str]:
    """Place id → name in the reader's language, in the order of `places`."""
    # .tolist() converts a column at once; iterating an Arrow-backed column costs per item.
    return dict(zip(places["district_id"].tolist(), places[column("name", lang)].tolist(), strict=True))


def most_figures(places: pd.DataFrame, n: int) -> pd.DataFrame:
    """The n places with the most figures (district_cards' rows), most first, the first listed among equals."""
    if len(places) <= n:
        return places
    # a stable sort of the negated counts: DataFrame.nlargest was 6 % of the server's time under load (py-spy)
    return places.iloc[np.argsort(-places["figures"].to_numpy(), kind="stable")[:n]]


def place_location(place: dict | pd.Series, lang: str) -> str:
    """'武汉市 · 湖北省' or 'Wuhan, Hubei'."""
    return t("place_location", lang, city=localized(place, "city", lang), province=localized(place, "province", lang))


def report_periods(joined: str | None, lang: str) -> str:
    """The ' / '-joined report periods of a place, in the reader's language."""
    if not isinstance(joined, str):
        return "—"
    return " / ".join(period_text(p, lang) for p in joined.split(" / "))


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
    rows: pd.DataFrame,
    unit: str,
    lang: str,
    source_links: Callable[[pd.DataFrame], list[str | None]],
    per: str | None = None,
) -> pd.DataFrame:
    """One row per place and figure of a concept: its definition, scope, period basis and verdict; in a per-unit
    view (`per`), the adjusted value and the denominator's figure, period and quote beside it."""
    table = pd.DataFrame(
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
    if not per:
        return table
    adjusted = {
        t("col_value_adjusted", lang, per=t(f"per_{per}", lang)): [
            format_qualified(v, unit, q, lang) if pd.notna(v) else ""
            for v, q in zip(rows["value_adjusted"], rows["qualifier"], strict=True)
        ],
        t("col_denominator", lang): rows["denominator_as_written"],
        t("col_denominator_period", lang): [period_text(p, lang) for p in rows["denominator_period_label"]],
        t("col_denominator_quote", lang): rows["denominator_quote"],
    }
    for offset, (name, values) in enumerate(adjusted.items(), start=3):
        table.insert(offset, name, values)
    return table


def _figure_columns(rows: pd.DataFrame, lang: str) -> dict[str, list[str]]:
    """Value (qualified, in each row's unit), period and scope: the columns every table of figures shows."""
    return {
        t("col_value", lang): [
            format_qualified(v, u, q, lang)
            for v, u, q in zip(rows["value"], rows["unit"], rows["qualifier"], strict=True)
        ],
        t("col_period", lang): [period_text(p, lang) for p in rows["period_label"]],
        t("col_scope", lang): [scope_text(scope, lang) for scope in rows[column("scope", lang)]],
    }


def related_table(
    rows: pd.DataFrame, lang: str, compare_links: Callable[[pd.DataFrame], list[str | None]]
) -> pd.DataFrame:
    """family_figures' rows: one per related definition and place, with the figure and a link to its own Compare."""
    return pd.DataFrame(
        {
            t("definition", lang): rows[column("concept_name", lang)],
            t("col_place", lang): rows[column("name", lang)],
            **_figure_columns(rows, lang),
            t("compare_link", lang): compare_links(rows),
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
            **_figure_columns(facts, lang),
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
    return exports.csv_bytes(table.drop(columns=[t("col_link", lang)]))


def source_details(source: pd.Series, lang: str) -> str:
    """A report's publisher, publication date, period and number of figures, as Markdown lines ('not stated'
    where the report does not say)."""
    published = source["published"]
    details = {
        t("publisher", lang): source["publisher"] if isinstance(source["publisher"], str) else t("not_stated", lang),
        t("published", lang): str(published.date()) if not pd.isna(published) else t("not_stated", lang),
        t("report_period", lang): period_text(source["period_label"], lang),
        t("figures", lang): f"{int(source['figures'])}",
    }
    return "  \n".join(f"**{name}**: {markdown_text(value)}" for name, value in details.items())

"""What a page shows, resolved from its choices: one function per page, used by the page itself and by the
server's chart images and link previews (redengine/present/share.py), so a shared link means the same view everywhere.

A page passes choices backed by the session and the URL (url_state.SessionChoices); the server passes the query
string alone (UrlChoices). `query` runs a named query: shared.query (cached.query in a page), memoised.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import pandas as pd

from redengine.core import view_state
from redengine.core.domain import CATEGORIES, HEADLINE_CATEGORIES
from redengine.core.i18n import column, list_join, t
from redengine.present import tables

Query = Callable[..., pd.DataFrame]
BARS_SHOWN = 30  # Compare's chart: at most this many places, the highest by default
PANEL_BARS = 12  # the Overview's headline panels
EVERY_DEFINITION = "all"
# The Overview's headline panels are half the page wide (a phone's width): bars lie, one per line.
PANEL_CHART_OPTIONS = {"height": 320, "lying": True}
# Per-unit views of Compare (queries/setup/adjustments.sql names their denominators); "none": as printed.
NO_ADJUSTMENT = "none"
ADJUSTMENTS = (NO_ADJUSTMENT, "subdistrict", "community", "member")


class Choices(Protocol):
    def pick(
        self,
        name: str,
        options: Sequence[str],
        fallback: str | list[str] | None,
        many: bool = False,
        depends_on: object = None,
    ) -> str | list[str] | None:
        """The value chosen for `name` among `options`, else `fallback`."""

    def linked(self, name: str) -> str | None:
        """The value a link from outside gives for `name`, unchecked (defaults that follow from it)."""


class UrlChoices:
    """Choices from a query string alone: a shared link, as the server sees it. Invalid values fall back."""

    def __init__(self, params: Mapping[str, str | list[str]]) -> None:
        self.params = params
        self.resolution = view_state.Resolution()

    def pick(self, name, options, fallback, many=False, depends_on=None):
        choose = view_state.choose_many if many else view_state.choose_one
        return choose(self.resolution, self.params, name, options, fallback)

    def linked(self, name: str) -> str | None:
        value = self.params.get(name)
        return value[-1] if isinstance(value, list) and value else value if isinstance(value, str) else None


@dataclass(frozen=True)
class CompareView:
    """Compare's view: one concept (or one of its definitions) across the chosen places."""

    snapshot_id: str
    categories: list[str]
    category: str
    concepts: pd.DataFrame  # the category's concepts (concept_coverage), most reported first
    concept_id: str
    concept: pd.Series  # its row of concepts
    definitions: pd.DataFrame  # the concept's metrics
    metric_id: str | None
    reporters: list[str]  # places reporting it, highest first
    places: pd.DataFrame  # every place (district_cards)
    chosen: list[str]
    shown_as: str  # chart or table
    figures: str  # all or like
    has_flows: bool
    per_month: bool
    per: str | None  # an adjustment of ADJUSTMENTS other than none: figures per unit of its denominator

    def concept_labels(self, lang: str) -> dict[str, str]:
        """Each of the category's concepts as the concept picker names it: its family (when it has relatives),
        its name and how many places report that same definition."""
        return tables.concept_labels(self.concepts, lang)

    def definition_labels(self, lang: str) -> dict[str, str]:
        """The definition picker's options: every definition, then each of the concept's metrics with how many
        places report it."""
        names = self.definitions[column("name", lang)].tolist()
        reach = self.definitions["places_reporting"].tolist()
        return {
            EVERY_DEFINITION: t("all_definitions", lang),
            **{
                metric_id: f"{name} ({t('n_places', lang, n=places)})"
                for metric_id, name, places in zip(self.definitions["metric_id"].tolist(), names, reach, strict=True)
            },
        }

    @property
    def figure_params(self) -> dict[str, object]:
        """concept_figures' parameters other than the snapshot and places."""
        return {
            "concept_id": self.concept_id,
            "metric_id": self.metric_id,
            "like_for_like_only": self.figures == "like",
            "per_month": self.per_month,
            "per": self.per,
        }

    @property
    def chart_options(self) -> dict[str, object]:
        """charts.comparison_bars' options for this view."""
        return {"by_definition": True, "per_month": self.per_month, "per": self.per, "most": BARS_SHOWN}

    @property
    def family_query(self) -> dict[str, object]:
        """family_figures' parameters: the concept's relatives (other definitions) for the chosen places."""
        return {"snapshot_id": self.snapshot_id, "concept_id": self.concept_id, "district_ids": self.chosen}

    @property
    def figure_query(self) -> dict[str, object]:
        """concept_figures' parameters for the figures shown (the chart is cached by them)."""
        return {"snapshot_id": self.snapshot_id, "district_ids": self.chosen, **self.figure_params}

    def rows(self, query: Query) -> pd.DataFrame:
        """The figures shown: concept_figures for the chosen places."""
        return query("concept_figures", **self.figure_query)


def compare_view(choices: Choices, query: Query, snapshot_id: str) -> CompareView:
    """Compare's choices in order, each with its default: the category and concept a link names (a concept,
    or an older link's metric, gives its category), else the headline category whose best concept most places
    report; every definition; the places with the highest figures, at most BARS_SHOWN, in name order."""
    metrics = query("metric_coverage", snapshot_id=snapshot_id, category=None, concept_id=None)
    all_concepts = query("concept_coverage", snapshot_id=snapshot_id, category=None)
    # A link's concept, else (an older link) the family of that id, its most-reported definition, else its metric.
    linked = (
        _record(all_concepts, "concept_id", choices.linked("concept"))
        or _record(all_concepts, "family_id", choices.linked("concept"))
        or _record(metrics, "metric_id", choices.linked("metric"))
    )
    concept_categories = all_concepts["category"].tolist()  # most-reported concept first
    categories = [c for c in CATEGORIES if c in set(concept_categories)]
    # A bare link opens on a comparison the reports support: the first headline the verdict calls like for like.
    comparable = first_comparable_headline(query, snapshot_id)
    best_category = (
        comparable.category
        if comparable
        else next((c for c in concept_categories if c in HEADLINE_CATEGORIES), categories[0])
    )
    # A link naming a concept but no category opens the concept's category, whatever the session chose before.
    follows_link = linked is not None and choices.linked("category") is None
    category = choices.pick(
        "category",
        [linked["category"]] if follows_link else categories,
        linked["category"] if linked else best_category,
    )

    # Not indexed by concept_id: set_index copied the frame on every rerun (py-spy: 5 % of one).
    concepts = query("concept_coverage", snapshot_id=snapshot_id, category=category)
    concept_ids = concepts["concept_id"].tolist()
    linked_concept = linked["concept_id"] if linked else None
    best_concept = comparable.leaders["concept_id"].iloc[0] if comparable else None
    default_concept = next(c for c in (linked_concept, best_concept, concept_ids[0]) if c in concept_ids)
    concept_id = choices.pick("concept", concept_ids, default_concept)

    definitions = query("metric_coverage", snapshot_id=snapshot_id, category=None, concept_id=concept_id)
    metric_choice = choices.pick(
        "metric", [EVERY_DEFINITION, *definitions["metric_id"]], EVERY_DEFINITION, depends_on=concept_id
    )
    metric_id = None if metric_choice == EVERY_DEFINITION else metric_choice

    ranking = query("concept_ranking", snapshot_id=snapshot_id, concept_id=concept_id, metric_id=metric_id)
    # .tolist() converts a column at once; list() iterates an Arrow column item by item (2,800 places at scale).
    reporters = ranking["district_id"].tolist()
    places = query("district_cards", snapshot_id=snapshot_id)
    place_ids = places["district_id"].tolist()
    top = set(reporters[:BARS_SHOWN])
    chosen = choices.pick(
        "places",
        place_ids,
        [p for p in place_ids if p in top] or place_ids[:BARS_SHOWN],
        many=True,
        depends_on=(concept_id, metric_id),
    )
    has_flows = "flow" in set(definitions["measure"])
    return CompareView(
        snapshot_id=snapshot_id,
        categories=categories,
        category=category,
        concepts=concepts,
        concept_id=concept_id,
        # by position: a boolean mask over Arrow strings was 8 % of a Compare rerun (py-spy)
        concept=concepts.iloc[concept_ids.index(concept_id)],
        definitions=definitions,
        metric_id=metric_id,
        reporters=reporters,
        places=places,
        chosen=chosen,
        shown_as=choices.pick("view", ["chart", "table"], "chart"),
        figures=choices.pick("figures", ["all", "like"], "all"),
        has_flows=has_flows,
        per_month=choices.pick("amount", ["total", "month"], "total") == "month" and has_flows,
        per=_adjustment(choices.pick("per", list(ADJUSTMENTS), NO_ADJUSTMENT)),
    )


def _adjustment(choice: str) -> str | None:
    return None if choice == NO_ADJUSTMENT else choice


def _record(frame: pd.DataFrame, id_column: str, value: str | None) -> dict | None:
    matches = frame[frame[id_column] == value].to_dict("records") if value else []
    return matches[0] if matches else None


# The Overview's sections below the place cards, one shown at a time: only the chosen one runs and draws, so
# a first view waits for no chart (Plotly's chunk alone is a bare page's whole first view, measured).
OVERVIEW_SECTIONS = ("evidence", "charts", "coverage")


def overview_section(choices: Choices) -> str:
    """The Overview's section shown: the evidence matrix unless the link names another."""
    return choices.pick("section", list(OVERVIEW_SECTIONS), OVERVIEW_SECTIONS[0])


def overview_category(choices: Choices) -> str:
    """The Overview's category: its evidence matrix, and the headline panel its link shares."""
    return choices.pick("category", list(HEADLINE_CATEGORIES), HEADLINE_CATEGORIES[0])


def headline_params(snapshot_id: str) -> dict[str, object]:
    """headline_figures' parameters for the Overview's panels: each headline category's best-covered concept,
    its PANEL_BARS highest places."""
    return {"snapshot_id": snapshot_id, "categories": list(HEADLINE_CATEGORIES), "top_n": PANEL_BARS}


@dataclass(frozen=True)
class HeadlinePanel:
    """An Overview headline panel: the category's concept most places report in one definition, its figures judged
    by the verdict (concept_figures), and what each place itself reports in the category (place_headlines)."""

    category: str
    leaders: pd.DataFrame  # headline_figures' rows of the category (empty when no place reports it)
    figures: pd.DataFrame  # concept_figures of the concept for the places reporting it
    own: pd.DataFrame  # each place's own headline figure of the category

    @property
    def like_places(self) -> int:
        """Places in the verdict's like-for-like set: a chart ranks them only when there are two or more."""
        in_set = self.figures[self.figures["in_like_set"].fillna(False).astype(bool)]
        return in_set["district_id"].nunique()

    @property
    def comparable(self) -> bool:
        return self.like_places >= 2

    @property
    def reasons(self) -> list[str]:
        """Why the figures are not like for like, each reason once, as the verdict names them."""
        reasons = self.figures["reasons"].dropna()
        return list(dict.fromkeys(r for joined in reasons for r in joined.split(",") if r))

    def verdict_note(self, lang: str) -> str:
        """The verdict in a sentence, for a caption and for the image that travels without the page: how many
        places compare like for like, or that none do and why; the figures left off the axis."""
        if not self.comparable:
            return (
                t("headline_no_comparison", lang, reasons=self.reasons_text(lang)).removesuffix(":").removesuffix("：")
            )
        summary = tables.comparison_summary(self.figures, lang, self.leaders["unit"].iloc[0])
        off_axis = [t("off_axis_warning", lang, figures=list_join(summary.off_axis, lang))] if summary.off_axis else []
        return " ".join([t("headline_like_places", lang, n=self.like_places), *off_axis])

    def reasons_text(self, lang: str) -> str:
        return list_join([t(f"reason_{r}", lang) for r in self.reasons] or [t("only_one_place_short", lang)], lang)


def headline_panel(query: Query, snapshot_id: str, category: str, places: list[str]) -> HeadlinePanel:
    """The headline panel of `category`, among `places` (the places an Overview shows)."""
    leaders = tables.in_category(query("headline_figures", **headline_params(snapshot_id)), category)
    own = query("place_headlines", snapshot_id=snapshot_id, district_ids=places, categories=[category])
    concept_id = leaders["concept_id"].iloc[0] if len(leaders) else None
    figures = query(
        "concept_figures",
        snapshot_id=snapshot_id,
        concept_id=concept_id,
        metric_id=None,
        district_ids=leaders["district_id"].tolist(),
        like_for_like_only=False,
        per_month=False,
        per=None,
    )
    return HeadlinePanel(category, leaders, figures[figures["value"].notna()], own)


# first_comparable_headline's answer per headline_figures frame (the query's result, kept by the caller's memo
# for one version of the data): building the panels cost 6 ms of every Compare rerun. The entry goes with the frame.
_first_comparable: dict[int, HeadlinePanel | None] = {}


def first_comparable_headline(query: Query, snapshot_id: str) -> HeadlinePanel | None:
    """The first headline category (in HEADLINE_CATEGORIES' order) whose best-covered concept two or more places
    report like for like, as its panel; None when the reports support no such comparison."""
    leaders = query("headline_figures", **headline_params(snapshot_id))
    key = id(leaders)
    if key not in _first_comparable:
        panels = (headline_panel(query, snapshot_id, category, []) for category in HEADLINE_CATEGORIES)
        _first_comparable[key] = next((p for p in panels if len(p.leaders) and p.comparable), None)
        weakref.finalize(leaders, _first_comparable.pop, key, None)
    return _first_comparable[key]


def profile_district(choices: Choices, places: pd.DataFrame) -> str:
    """The District profile's place: the one with most figures unless chosen."""
    return choices.pick(
        "district", places["district_id"].tolist(), tables.most_figures(places, 1)["district_id"].iloc[0]
    )


ALL_OTHERS = "all"
COMPARABLE_VERDICTS = ("like", "adjusted", "related")


@dataclass(frozen=True)
class ComparableView:
    """What can be compared: for one place and another (or every other), the concepts they compare like for like,
    those comparable after an adjustment, and those only related (comparable_concepts)."""

    snapshot_id: str
    places: pd.DataFrame  # every place (district_cards)
    place: str
    other: str  # a place id, or ALL_OTHERS
    rows: pd.DataFrame

    def of_verdict(self, verdict: str) -> pd.DataFrame:
        return self.rows[self.rows["verdict"] == verdict]


def comparable_view(choices: Choices, query: Query, snapshot_id: str) -> ComparableView:
    """The place (the one with most figures unless chosen) against another place or, by default, all others."""
    places = query("district_cards", snapshot_id=snapshot_id)
    place_ids = places["district_id"].tolist()
    place = choices.pick("place", place_ids, tables.most_figures(places, 1)["district_id"].iloc[0])
    others = [p for p in place_ids if p != place]
    other = choices.pick("other", [ALL_OTHERS, *others], ALL_OTHERS, depends_on=place)
    rows = query(
        "comparable_concepts",
        snapshot_id=snapshot_id,
        district_id=place,
        other_ids=others if other == ALL_OTHERS else [other],
    )
    return ComparableView(snapshot_id, places, place, other, rows)

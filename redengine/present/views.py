"""What a page shows, resolved from its choices: one function per page, used by the page itself and by the
server's chart images and link previews (redengine/present/share.py), so a shared link means the same view everywhere.

A page passes choices backed by the session and the URL (url_state.SessionChoices); the server passes the query
string alone (UrlChoices). `query` runs a named query: cached.query in a page, Database.query on the server.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import pandas as pd

from redengine.core import view_state
from redengine.core.domain import CATEGORIES, HEADLINE_CATEGORIES
from redengine.core.i18n import column, t
from redengine.present import tables

Query = Callable[..., pd.DataFrame]
BARS_SHOWN = 30  # Compare's chart: at most this many places, the highest by default
PANEL_BARS = 12  # the Overview's headline panels
EVERY_DEFINITION = "all"
# The Overview's headline panels are half the page wide (a phone's width): bars lie, one per line.
PANEL_CHART_OPTIONS = {"height": 320, "lying": True}


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
    definitions: pd.DataFrame  # the concept's metrics
    metric_id: str | None
    reporters: list[str]  # places reporting it, highest first
    places: pd.DataFrame  # every place (district_cards)
    chosen: list[str]
    shown_as: str  # chart or table
    figures: str  # all or like
    has_flows: bool
    per_month: bool

    @property
    def concept(self) -> pd.Series:
        return self.concepts[self.concepts["concept_id"] == self.concept_id].iloc[0]

    def concept_labels(self, lang: str) -> dict[str, str]:
        """Each of the category's concepts as the concept picker names it: its name and how many places report it."""
        names = self.concepts[column("name", lang)].tolist()
        reach = self.concepts["places_reporting"].tolist()
        return {
            concept_id: f"{name} ({t('n_places', lang, n=n)})"
            for concept_id, name, n in zip(self.concepts["concept_id"].tolist(), names, reach, strict=True)
        }

    @property
    def figure_params(self) -> dict[str, object]:
        """concept_figures' parameters other than the snapshot and places."""
        return {
            "concept_id": self.concept_id,
            "metric_id": self.metric_id,
            "like_for_like_only": self.figures == "like",
            "per_month": self.per_month,
        }

    @property
    def chart_options(self) -> dict[str, object]:
        """charts.comparison_bars' options for this view."""
        return {"by_definition": True, "per_month": self.per_month, "most": BARS_SHOWN}

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
    linked = _record(all_concepts, "concept_id", choices.linked("concept")) or _record(
        metrics, "metric_id", choices.linked("metric")
    )
    concept_categories = all_concepts["category"].tolist()  # most-reported concept first
    categories = [c for c in CATEGORIES if c in set(concept_categories)]
    best_category = next((c for c in concept_categories if c in HEADLINE_CATEGORIES), categories[0])
    category = choices.pick("category", categories, linked["category"] if linked else best_category)

    # Not indexed by concept_id: set_index copied the frame on every rerun (py-spy: 5 % of one).
    concepts = query("concept_coverage", snapshot_id=snapshot_id, category=category)
    concept_ids = concepts["concept_id"].tolist()
    linked_concept = linked["concept_id"] if linked else None
    default_concept = linked_concept if linked_concept in concept_ids else concept_ids[0]
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
        definitions=definitions,
        metric_id=metric_id,
        reporters=reporters,
        places=places,
        chosen=chosen,
        shown_as=choices.pick("view", ["chart", "table"], "chart"),
        figures=choices.pick("figures", ["all", "like"], "all"),
        has_flows=has_flows,
        per_month=choices.pick("amount", ["total", "month"], "total") == "month" and has_flows,
    )


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


def profile_district(choices: Choices, places: pd.DataFrame) -> str:
    """The District profile's place: the one with most figures unless chosen."""
    return choices.pick(
        "district", places["district_id"].tolist(), tables.most_figures(places, 1)["district_id"].iloc[0]
    )

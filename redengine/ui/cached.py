"""The dashboard's data through Streamlit's caches: named queries, charts, and the HTML built from them.

Every cache key holds the manifest's version, so a new or replaced snapshot is a new key. Charts
are keyed by the query that feeds them (its name and parameters), never by a DataFrame: hashing a
frame of quotes on every rerun cost more than drawing from it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from redengine.core.highlight import highlighted_html
from redengine.core.view_state import View
from redengine.data import shared, sql_sandbox
from redengine.data.shared import Params, frozen
from redengine.present import charts, links, tables
from redengine.present.evidence import evidence_html

T = TypeVar("T")
_MEMOS: list[functools._lru_cache_wrapper] = []


def memo(maxsize: int) -> Callable[[Callable], Callable]:
    """functools.lru_cache for what is built from one version of the data, dropped with the Database.

    Results are shared, not copied, and must never be modified. Not Streamlit's caches: st.cache_data
    unpickled a copy of every result on every rerun (a third of Compare's), and both hashed every argument
    through Streamlit's hasher on every hit (py-spy: a tenth of a Compare rerun). Every argument here is
    hashable (tuples, frozen dataclasses), with the manifest's version first.
    """

    def decorate(function: Callable) -> Callable:
        memoised = functools.lru_cache(maxsize=maxsize)(function)
        _MEMOS.append(memoised)
        return memoised

    return decorate


def _forget_results() -> None:
    for memoised in _MEMOS:  # a new Database (another data directory): none of the old results
        memoised.cache_clear()


shared.on_replace(_forget_results)


REPLAYED_PARTS = 128  # per part: each keeps the elements it drew (Plotly's JSON included)


def replayed(draw: Callable[..., T]) -> Callable[..., T]:
    """A page part drawn through st.cache_data: a rerun with the same arguments and the same version of the
    data replays the elements the part drew (Plotly's JSON included) instead of building them again.

    Parts live in ui/*_parts.py, not in the page scripts, which run on every rerun: Streamlit reads a
    cached function's source each time its decorator runs. A part must not draw widgets (they cannot be
    replayed); its arguments must be hashable by Streamlit (a View, strings, dicts of plain values).
    """

    def drawn(version: str, *args: object, **kwargs: object) -> T:
        return draw(*args, **kwargs)

    # Streamlit keys a cache by the function's module, qualified name and source: one cache per part.
    drawn.__module__, drawn.__qualname__ = draw.__module__, draw.__qualname__
    cached_drawn = st.cache_data(max_entries=REPLAYED_PARTS, show_spinner=False)(drawn)

    @functools.wraps(draw)
    def part(*args: object, **kwargs: object) -> T:
        return cached_drawn(shared.database().version(), *args, **kwargs)

    return part


def snapshot_ids() -> list[str]:
    """Every snapshot's id, latest first (the snapshot selectors' order)."""
    return [entry.id for entry in reversed(shared.database().snapshots())]


query = shared.query  # named queries, memoised per version of the data (shared with the server's previews)
_query = shared.versioned_query


# Figures are built once per distinct input and shared: building one costs several milliseconds of Plotly's
# validation, on every rerun otherwise. A figure must not be changed afterwards; builders take every setting
# as an argument.
@memo(maxsize=64)
def _coverage_chart(version: str, snapshot_id: str, district_ids: tuple[str, ...], lang: str) -> go.Figure:
    matrix = _query(version, "coverage_matrix", frozen({"snapshot_id": snapshot_id}))
    return charts.coverage_heatmap(tables.of_places(matrix, district_ids), lang)


def coverage_chart(snapshot_id: str, district_ids: list[str], lang: str) -> go.Figure:
    """The coverage heatmap (coverage_matrix) of the places, cached."""
    return _coverage_chart(shared.database().version(), snapshot_id, tuple(district_ids), lang)


@memo(maxsize=256)
def _evidence(version: str, view: View, category: str, places: tuple[tuple[str, str], ...], total: int) -> str:
    rows = shared.database().query(
        "evidence_matrix", snapshot_id=view.snapshot_id, category=category, district_ids=[p for p, _ in places]
    )
    return evidence_html(rows, list(places), total, view.lang, links.fact_link(view))


def evidence_table(view: View, category: str, places: dict[str, str], total: int) -> str:
    """The evidence matrix of a category for the places (id → name), as HTML; cached, since building
    it formats every figure of the category."""
    return _evidence(shared.database().version(), view, category, tuple(places.items()), total)


@memo(maxsize=64)
def _place_names(version: str, snapshot_id: str, lang: str) -> dict[str, str]:
    return tables.place_names(_query(version, "district_cards", frozen({"snapshot_id": snapshot_id})), lang)


def place_names(snapshot_id: str, lang: str) -> dict[str, str]:
    """Every place of the snapshot (district_cards), id → name in `lang`, built once: at 2,800 places,
    converting the columns was a twentieth of every Compare rerun. Shared: never modify it."""
    return _place_names(shared.database().version(), snapshot_id, lang)


@dataclass(frozen=True)
class SourceChoices:
    """A snapshot's reports as Sources offers them: ids in order, each one's label, and its row."""

    ids: list[str]
    labels: dict[str, str]
    by_id: pd.DataFrame

    def row(self, source_id: str) -> pd.Series:
        return self.by_id.loc[source_id]


@memo(maxsize=64)
def _source_choices(version: str, snapshot_id: str) -> SourceChoices:
    sources = _query(version, "source_list", frozen({"snapshot_id": snapshot_id}))
    ids = sources["source_id"].tolist()
    labels = {
        source_id: f"{title} ({source_id})" for source_id, title in zip(ids, sources["title_zh"].tolist(), strict=True)
    }
    return SourceChoices(ids, labels, sources.set_index("source_id"))


def source_choices(snapshot_id: str) -> SourceChoices:
    """source_list's reports as Sources offers them, built once per snapshot: at 2,800 reports, listing,
    labelling and indexing them was half of every rerun of the page."""
    return _source_choices(shared.database().version(), snapshot_id)


@memo(maxsize=256)
def _highlighted(version: str, snapshot_id: str, source_id: str, file: str, target: str | None) -> str:
    facts = shared.database().query("source_facts", snapshot_id=snapshot_id, source_id=source_id)
    text = shared.database().source_text(file)
    return highlighted_html(text, zip(facts["fact_id"], facts["quote"], strict=True), target)


def highlighted_source(snapshot_id: str, source_id: str, file: str, target: str | None) -> str:
    """A report's text as HTML with its figures marked; cached, since marking scans the text per quote."""
    return _highlighted(shared.database().version(), snapshot_id, source_id, file, target)


@st.cache_data(max_entries=256, show_spinner=False)
def _sql_result(version: str, snapshot_id: str, sql: str) -> sql_sandbox.Result:
    return sql_sandbox.run(shared.database().data_dir, snapshot_id, sql)


def sql_result(snapshot_id: str, sql: str) -> sql_sandbox.Result:
    """A researcher's query run in the sandbox, cached: a rerun of the page does not run it again.
    A refused query raises sql_sandbox.SqlRefused (not cached, so it can be retried)."""
    return _sql_result(shared.database().version(), snapshot_id, sql)


@memo(maxsize=256)
def _concept_csv(version: str, view: View, figures: Params, unit: str) -> bytes:
    rows = _query(version, "concept_figures", figures)
    table = tables.concept_table(rows, unit, view.lang, links.source_links(view), dict(figures).get("per"))
    return tables.csv_bytes(table, view.lang)


def concept_csv(view: View, figures: dict[str, object], unit: str) -> bytes:
    """The CSV of concept_figures' rows for `figures` (its parameters), with quotes, verdicts and sources; cached."""
    return _concept_csv(shared.database().version(), view, frozen(figures), unit)


def all_places_csv(view: View, unit: str, **params: object) -> Callable[[], bytes]:
    """The CSV of one concept for many places (concept_figures' parameters), built only when its
    button is clicked.

    Streamlit runs it in a thread of its own, outside the script run, so it calls no Streamlit
    function: the database is taken now, in the run.
    """
    database_now = shared.database()

    def build() -> bytes:
        rows = database_now.query("concept_figures", snapshot_id=view.snapshot_id, **params)
        table = tables.concept_table(rows, unit, view.lang, links.source_links(view), params.get("per"))
        return tables.csv_bytes(table, view.lang)

    return build

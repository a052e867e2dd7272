"""Streamlit glue shared by the pages: cached data, URL-synced choices, common controls.

The URL is the view: every choice is read from the query string when the URL comes
from outside (a shared link, a reload, a page link) and written back after each run,
always in full, so a copied link reopens exactly this view in another browser.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from redengine import charts, sql_sandbox, tables, view_state
from redengine.db import Database
from redengine.domain import distinct_periods, period_text
from redengine.evidence import evidence_html
from redengine.highlight import highlighted_html
from redengine.i18n import LANGUAGES, language_from_locale, t
from redengine.markup import markdown_code, markdown_text

URL_WRITTEN = "_url_written"


@st.cache_resource(show_spinner=False)
def database() -> Database:
    return Database()


@st.cache_data(max_entries=2048, show_spinner=False)
def _cached_query(version: str, name: str, params: tuple[tuple[str, object], ...]) -> pd.DataFrame:
    # `version` changes with the manifest: a new or replaced snapshot is a new cache key.
    return database().query(name, **dict(params))


def query(name: str, **params: object) -> pd.DataFrame:
    """Runs a named query through the cache; list parameters are frozen for hashing."""
    frozen = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))
    return _cached_query(database().version(), name, frozen)


@dataclass(frozen=True)
class View:
    """What every page needs: the language and the snapshot shown."""

    lang: str
    snapshot_id: str


def current_view() -> View:
    """The language and snapshot app.py resolved for this run."""
    if "lang" not in st.session_state:
        # Streamlit runs a pages/ file on its own (old-style multipage mode) when the first
        # request after start-up names it, before app.py has called st.navigation. Turn that
        # mode off and rerun, so app.py builds the view and runs this page.
        PagesManager.uses_pages_directory = False
        st.rerun()
    return View(lang=st.session_state["lang"], snapshot_id=st.session_state["snapshot"])


def _url_is_fresh() -> bool:
    """True when the query string did not come from our own last write."""
    return st.session_state.get(URL_WRITTEN) != st.query_params.to_dict()


def choose(
    name: str,
    options: Sequence[str],
    fallback: str | list[str] | None,
    many: bool = False,
    depends_on: object = None,
) -> None:
    """Puts the value for widget `name` into session state: from the URL, the session, or the fallback.

    The page then draws its widget with key=name and no default. When `depends_on` (say, the
    metric a list of places is chosen for) changes, the choice starts again from the fallback.
    """
    params = st.query_params.to_dict()
    resolution = view_state.Resolution()
    current = st.session_state.get(name, st.session_state.get(f"_last_{name}"))
    dependency_changed = st.session_state.get(f"_depends_{name}", depends_on) != depends_on
    st.session_state[f"_depends_{name}"] = depends_on
    if _url_is_fresh() and name in params:
        pick = view_state.choose_many if many else view_state.choose_one
        value = pick(resolution, params, name, options, fallback)
    elif dependency_changed:
        value = fallback
    elif many and isinstance(current, list) and current and all(v in options for v in current):
        value = current
    elif not many and current in options:
        value = current
    else:
        value = fallback
    st.session_state[name] = value
    # Said where the rejected value would have been used, in the language now chosen.
    lang = st.session_state.get("lang", "en")
    for notice in resolution.notices:
        fallback = markdown_text(notice.fallback) if notice.fallback else t("nothing_selected", lang)
        text = t("bad_param", lang, name=notice.name, value=markdown_code(notice.value), fallback=fallback)
        st.warning(text, icon=":material/warning:")


def linked_value(name: str) -> str | None:
    """The value a link from outside gives for `name` (unchecked), or None: for defaults that
    follow from another choice, such as the concept of a metric an older link names."""
    if not _url_is_fresh():
        return None
    value = st.query_params.get(name)
    return value if isinstance(value, str) else None


class SessionChoices:
    """views.Choices for a page run: each choice through choose() (the URL when it comes from outside, else the
    session, else the default), so the page's widgets, drawn with key=name, show it."""

    def pick(self, name, options, fallback, many=False, depends_on=None):
        choose(name, options, fallback, many=many, depends_on=depends_on)
        return st.session_state[name]

    def linked(self, name: str) -> str | None:
        return linked_value(name)


def place_names(places: pd.DataFrame, lang: str) -> dict[str, str]:
    """Place id → name in the reader's language, in the order of `places`."""
    return dict(zip(places["district_id"], places[f"name_{lang}"], strict=True))


def choose_text(name: str, fallback: str, max_chars: int) -> None:
    """Free text for widget `name` (a SQL query): from the URL when it comes from outside, else as choose()."""
    params = st.query_params.to_dict()
    if _url_is_fresh() and name in params:
        value = params[name][:max_chars]
    else:
        value = st.session_state.get(name, st.session_state.get(f"_last_{name}", fallback))
    st.session_state[name] = value


def remember(*names: str) -> None:
    """Keeps choices across page switches (Streamlit drops a widget's state when it is not drawn)."""
    for name in names:
        if name in st.session_state:
            st.session_state[f"_last_{name}"] = st.session_state[name]


def write_url(page_params: Sequence[str] = ()) -> None:
    """Writes the whole view into the query string: language, snapshot and this page's choices."""
    params = view_params(page_params)
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
    st.session_state[URL_WRITTEN] = params
    remember("lang", "snapshot", *page_params)


def view_params(page_params: Sequence[str] = ()) -> dict[str, str]:
    """The view's query string as this run chose it: language, snapshot and this page's choices."""
    names = ("lang", "snapshot", *page_params)
    return view_state.to_query_params({name: st.session_state.get(name) for name in names})


def common_controls() -> View:
    """Language and snapshot, in the sidebar; called by app.py before the page runs."""
    snapshots = [entry.id for entry in reversed(database().snapshots())]  # latest first
    browser_lang = language_from_locale(st.context.locale)
    choose("lang", LANGUAGES, browser_lang)
    choose("snapshot", snapshots, snapshots[0])
    lang = st.session_state["lang"]
    with st.sidebar:
        st.markdown(f"**{t('app_title', lang)}**")
        st.segmented_control(
            t("language", lang),
            LANGUAGES,
            key="lang",
            required=True,
            format_func={"zh": "中文", "en": "English"}.get,
        )
        lang = st.session_state["lang"]
        st.selectbox(
            t("snapshot", lang),
            snapshots,
            key="snapshot",
            help=t("snapshot_help", lang),
            format_func=lambda s: f"{s} ({t('latest', lang)})" if s == snapshots[0] else s,
        )
    return View(lang=lang, snapshot_id=st.session_state["snapshot"])


def page_header(title_key: str, intro_key: str, lang: str, **values: object) -> None:
    st.title(t(title_key, lang))
    st.caption(t(intro_key, lang, **values))


def link(page: str, view: View, **params: object) -> str:
    """A relative link to another page that keeps the language and snapshot."""
    values = {"lang": view.lang, "snapshot": view.snapshot_id, **params}
    return f"./{page}?{urlencode(view_state.to_query_params(values))}"


def page_params(view: View, **params: object) -> dict[str, str]:
    """Query parameters for st.page_link to another page of the same view."""
    return view_state.to_query_params({"lang": view.lang, "snapshot": view.snapshot_id, **params})


def link_columns(lang: str) -> dict[str, object]:
    """Link cells that read as a short label rather than a long URL."""
    return {
        t("col_link", lang): st.column_config.LinkColumn(display_text=t("source_link", lang)),
        t("compare_link", lang): st.column_config.LinkColumn(display_text=t("compare_link", lang)),
        t("col_quote", lang): st.column_config.TextColumn(width="medium"),
    }


def fact_link(view: View) -> Callable[[str, str], str]:
    """(source, fact) → the link to that fact's quote highlighted in its report."""
    return lambda source, fact: link("sources", view, source=source, fact=fact)


def source_links(view: View) -> Callable[[pd.DataFrame], list[str | None]]:
    """Rows → links to each row's quote highlighted in its report (none for a place not reporting)."""

    def build(rows: pd.DataFrame) -> list[str | None]:
        return [
            link("sources", view, source=source, fact=fact) if isinstance(fact, str) else None
            for source, fact in zip(rows["source_id"], rows["fact_id"], strict=True)
        ]

    return build


def all_places_csv(view: View, unit: str, **params: object) -> Callable[[], bytes]:
    """The CSV of one concept for many places (concept_figures' parameters), built only when its
    button is clicked.

    Streamlit runs it in a thread of its own, outside the script run, so it calls no Streamlit
    function: the database is taken now, in the run.
    """
    database_now = database()

    def build() -> bytes:
        rows = database_now.query("concept_figures", snapshot_id=view.snapshot_id, **params)
        return tables.csv_bytes(tables.concept_table(rows, unit, view.lang, source_links(view)), view.lang)

    return build


def compare_links(view: View) -> Callable[[pd.DataFrame], list[str | None]]:
    """Rows → links to Compare for each row's concept, where another place reports it too."""

    def build(rows: pd.DataFrame) -> list[str | None]:
        return [
            link("compare", view, category=category, concept=concept) if places >= 2 else None
            for category, concept, places in zip(
                rows["category"], rows["concept_id"], rows["places_reporting"], strict=True
            )
        ]

    return build


def period_warning(period_labels: pd.Series, lang: str) -> None:
    """Says so when the figures side by side come from different periods."""
    periods = distinct_periods(period_labels)
    if len(periods) > 1:
        shown = "、".join if lang == "zh" else ", ".join
        st.warning(
            t("period_warning", lang, periods=shown(markdown_text(period_text(p, lang)) for p in periods)),
            icon=":material/schedule:",
        )


def report_periods(joined: str | None, lang: str) -> str:
    """The ' / '-joined report periods of a place, in the reader's language."""
    if not isinstance(joined, str):
        return "—"
    return " / ".join(period_text(p, lang) for p in joined.split(" / "))


@st.cache_data(max_entries=256, show_spinner=False)
def _sql_result(version: str, snapshot_id: str, sql: str) -> sql_sandbox.Result:
    return sql_sandbox.run(database().data_dir, snapshot_id, sql)


def sql_result(snapshot_id: str, sql: str) -> sql_sandbox.Result:
    """A researcher's query run in the sandbox, cached: a rerun of the page does not run it again.
    A refused query raises sql_sandbox.SqlRefused (not cached, so it can be retried)."""
    return _sql_result(database().version(), snapshot_id, sql)


@st.cache_data(max_entries=256, show_spinner=False)
def _evidence(version: str, view: View, category: str, places: tuple[tuple[str, str], ...], total: int) -> str:
    rows = database().query(
        "evidence_matrix", snapshot_id=view.snapshot_id, category=category, district_ids=[p for p, _ in places]
    )
    return evidence_html(rows, list(places), total, view.lang, fact_link(view))


def evidence_table(view: View, category: str, places: dict[str, str], total: int) -> str:
    """The evidence matrix of a category for the places (id → name), as HTML; cached, since building
    it formats every figure of the category."""
    return _evidence(database().version(), view, category, tuple(places.items()), total)


@st.cache_data(max_entries=256, show_spinner=False)
def _highlighted(version: str, snapshot_id: str, source_id: str, file: str, target: str | None) -> str:
    facts = database().query("source_facts", snapshot_id=snapshot_id, source_id=source_id)
    text = database().source_text(file)
    return highlighted_html(text, zip(facts["fact_id"], facts["quote"], strict=True), target)


def highlighted_source(snapshot_id: str, source_id: str, file: str, target: str | None) -> str:
    """A report's text as HTML with its figures marked; cached, since marking scans the text per quote."""
    return _highlighted(database().version(), snapshot_id, source_id, file, target)


# Figures are built once per distinct input and shared (cache_resource: no copy on a hit):
# building one costs several milliseconds of Plotly's validation, on every rerun otherwise.
# A cached figure must not be changed afterwards; builders take every setting as an argument.
@st.cache_resource(max_entries=512, show_spinner=False)
def comparison_chart(rows: pd.DataFrame, unit: str, lang: str, **options: object) -> go.Figure:
    """charts.comparison_bars, cached; `options` are its keyword arguments."""
    return charts.comparison_bars(rows, unit, lang, **options)


@st.cache_resource(max_entries=64, show_spinner=False)
def coverage_chart(matrix: pd.DataFrame, lang: str) -> go.Figure:
    return charts.coverage_heatmap(matrix, lang)

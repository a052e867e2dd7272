"""Widgets and display pieces every page shares: the view, the sidebar, headers, warnings, cards."""

from __future__ import annotations

import functools
import html
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.navigation.page import StreamlitPage
from streamlit.runtime.pages_manager import PagesManager

from redengine.core import browsers
from redengine.core.domain import place_color
from redengine.core.i18n import (
    HTML_LANG,
    LANGUAGE_NAMES,
    LANGUAGES,
    language_from_locale,
    localized,
    other_language,
    period_text,
    t,
)
from redengine.core.markup import markdown_text
from redengine.core.view_state import View
from redengine.present import links, pages, tables
from redengine.ui import cached, url_state

PAGE_SCRIPT = Path(__file__).with_name("a11y.js")


def current_view() -> View:
    """The language and snapshot app.py resolved for this run."""
    if "lang" not in st.session_state:
        # Streamlit runs a pages/ file on its own (old-style multipage mode) when the first
        # request after start-up names it, before app.py has called st.navigation. Turn that
        # mode off and rerun, so app.py builds the view and runs this page.
        PagesManager.uses_pages_directory = False
        st.rerun()
    return View(lang=st.session_state["lang"], snapshot_id=st.session_state["snapshot"])


def common_controls() -> View:
    """Language and snapshot, in the sidebar; called by app.py before the page runs."""
    url_state.begin_run()
    snapshots = cached.snapshot_ids()
    url_state.restore_choice("lang", LANGUAGES, language_from_locale(st.context.locale))
    url_state.restore_choice("snapshot", snapshots, snapshots[0])
    lang = st.session_state["lang"]
    with st.sidebar:
        st.markdown(f"**{t('app_title', lang)}**")
        st.segmented_control(t("language", lang), LANGUAGES, key="lang", required=True, format_func=LANGUAGE_NAMES.get)
        lang = st.session_state["lang"]
        st.selectbox(
            t("snapshot", lang),
            snapshots,
            key="snapshot",
            help=t("snapshot_help", lang),
            format_func=lambda s: f"{s} ({t('latest', lang)})" if s == snapshots[0] else s,
        )
        # The page's language and the charts' accessible names (a11y.js); in the sidebar, where an element
        # without a visible box takes no room from the page.
        st.html(f"<script>{_page_script(lang)}</script>", unsafe_allow_javascript=True)
    return View(lang=lang, snapshot_id=st.session_state["snapshot"])


@functools.cache
def _page_script(lang: str) -> str:
    return PAGE_SCRIPT.read_text(encoding="utf-8").replace("__LANG__", HTML_LANG[lang])


def chart_with_text(figure: go.Figure, description: str, key: str, table: pd.DataFrame | None, lang: str) -> None:
    """A chart with its text alternative (present/chart_text.py): the description, which a11y.js gives the chart
    as its accessible name, and the chart's figures as a table one action away (`table`, if given). The
    description is an attribute, not text: a search of the page's text finds the chart's own labels only."""
    st.html(f'<span class="redengine-chart-text" hidden data-description="{html.escape(description)}"></span>')
    st.plotly_chart(figure, key=key, config={"displayModeBar": False})
    if table is not None:
        with st.expander(t("chart_as_table", lang)):
            st.dataframe(table, hide_index=True)


def other_language_name(name: str, lang: str) -> str:
    """A name in the other language, marked as such for screen readers (HTML: st.markdown with unsafe_allow_html);
    `name` is already safe as Markdown."""
    return f'<span lang="{HTML_LANG[other_language(lang)]}">{name}</span>'


def navigation_pages(lang: str) -> list[StreamlitPage]:
    """st.Page for each of pages.PAGES, titled in `lang`: made once per session and language, since making one
    resolves its script's path on disk (py-spy: 8 % of the server's time under load). Not shared between
    sessions: st.navigation marks the page it returns as runnable on the page object itself."""
    key = f"_navigation_{lang}"
    if key not in st.session_state:
        st.session_state[key] = [
            st.Page(
                page.script,
                title=t(page.title_key, lang),
                icon=page.icon,
                url_path=page.url_path,
                default=page == pages.DEFAULT,
            )
            for page in pages.PAGES
        ]
    return st.session_state[key]


PHONE_KEY = "_on_phone"


def on_phone() -> bool:
    """Whether the reader's browser is a phone's, from the request's headers: read once per session, since a
    session keeps its browser and reading the headers was 7 % of a Compare rerun (py-spy)."""
    if PHONE_KEY not in st.session_state:
        st.session_state[PHONE_KEY] = browsers.is_phone(st.context.headers)
    return st.session_state[PHONE_KEY]


def wide_and_narrow(key: str, phone: bool) -> tuple[DeltaGenerator | None, DeltaGenerator]:
    """Containers for a table on a wide screen and the same content as a list on a narrow one: share.css shows
    one by the screen's width, so a narrow desktop window gets the list too. A `phone` (on_phone) gets only the
    list's container, shown at any width: a hidden table still cost it Streamlit's grid chunk (0.5 MB) and its
    drawing."""
    if phone:
        return None, st.container()
    return st.container(key=f"wide-{key}"), st.container(key=f"narrow-{key}")


CONTROLS_KEY = "view_controls_open"


def view_controls(intro_key: str, lang: str, **values: object):
    """The page's intro and the controls that produce its view, under one "Change this view" expander: open
    on a desktop, folded on a phone, so that a shared link's answer is on the first screen. The page draws its
    widgets in it only while it is open (`.open`): folded widgets still cost a phone's browser their rendering,
    a second of a throttled phone's first view of Compare (measured); the choices live on in the session."""
    controls = st.expander(
        t("change_view", lang),
        expanded=not on_phone(),
        icon=":material/tune:",
        key=CONTROLS_KEY,
        on_change="rerun",
    )
    controls.caption(t(intro_key, lang, **values))
    return controls


def page_header(title_key: str, intro_key: str, lang: str, **values: object) -> None:
    st.title(t(title_key, lang))
    st.caption(t(intro_key, lang, **values))


def link_columns(lang: str) -> dict[str, object]:
    """Link cells that read as a short label rather than a long URL."""
    return {
        t("col_link", lang): st.column_config.LinkColumn(display_text=t("source_link", lang)),
        t("compare_link", lang): st.column_config.LinkColumn(display_text=t("compare_link", lang)),
        t("col_quote", lang): st.column_config.TextColumn(width="medium"),
    }


def place_names_both(place: Mapping[str, object], lang: str) -> tuple[str, str]:
    """A place's name in the reader's language and in the other one, safe as Markdown."""
    return markdown_text(localized(place, "name", lang)), markdown_text(localized(place, "name", other_language(lang)))


def place_chips(cards: pd.DataFrame, view: View) -> str:
    """The places as a strip of chips, each a link to its profile: colour, names (the other language marked as
    such), report period and how many figures. HTML for st.html; every text from the data is escaped."""
    lang = view.lang
    other = HTML_LANG[other_language(lang)]
    chips = []
    for card in cards.to_dict("records"):
        href = html.escape(links.link("profile", view, district=card["district_id"]))
        name = html.escape(localized(card, "name", lang))
        other_name = html.escape(localized(card, "name", other_language(lang)))
        periods = html.escape(tables.report_periods(card["report_periods"], lang))
        figures = html.escape(f"{t('figures', lang)} {int(card['figures']):,}")
        chips.append(
            f'<li><a href="{href}" target="_self"><span class="swatch" aria-hidden="true" '
            f'style="background:{place_color(card["district_id"])}"></span><span class="names"><strong>{name}</strong> '
            f'<span lang="{other}">{other_name}</span></span><span class="meta">{periods} · {figures}</span></a></li>'
        )
    return f'<ul class="redengine-places" aria-label="{html.escape(t("places_strip", lang))}">{"".join(chips)}</ul>'


def highlighted_fact(fact: pd.Series, lang: str) -> None:
    """The figure a link points at (Sources' `fact=`): its metric, value as written, period and quote."""
    with st.container(border=True):
        st.markdown(
            f"**{t('highlighted_fact', lang)}**: "
            f"{markdown_text(localized(fact, 'metric_name', lang))} — "
            f"{markdown_text(fact['value_as_written'])} ({markdown_text(period_text(fact['period_label'], lang))})"
        )
        st.markdown(f"> {markdown_text(fact['quote'])}")


def report_text(marked: str, target: str | None, lang: str) -> None:
    """A report's text with its figures marked (safe HTML from highlight.py), in a box a keyboard can scroll
    (WCAG 2.1.1), scrolled to the `target` fact if any."""
    region = html.escape(t("report_text_region", lang))
    st.html(f'<div class="report" tabindex="0" role="region" aria-label="{region}">{marked}</div>')
    if target:
        # target is a known fact id (10 hex characters), checked by url_state: safe inside the script.
        st.html(
            f"<script>document.getElementById('fact-{target}')?.scrollIntoView({{block:'center'}})</script>",
            unsafe_allow_javascript=True,
        )

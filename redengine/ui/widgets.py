"""Widgets and display pieces every page shares: the view, the sidebar, headers, warnings, cards."""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from redengine.core.domain import place_color
from redengine.core.i18n import (
    LANGUAGE_NAMES,
    LANGUAGES,
    language_from_locale,
    localized,
    other_language,
    t,
)
from redengine.core.markup import markdown_text
from redengine.core.view_state import View
from redengine.data import shared
from redengine.present import links, tables
from redengine.ui import url_state


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
    snapshots = [entry.id for entry in reversed(shared.database().snapshots())]  # latest first
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
    return View(lang=lang, snapshot_id=st.session_state["snapshot"])


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


def place_card(card: Mapping[str, object], view: View) -> None:
    """One place on the Overview: its colour, names, city, level, figures, report periods and profile link."""
    lang = view.lang
    name, other = place_names_both(card, lang)
    st.markdown(
        f"<span style='color:{place_color(card['district_id'])}'>■</span> **{name}** · {other}<br>"
        f"<span style='color:#7f8c8d;font-size:0.85rem'>{markdown_text(tables.place_location(card, lang))} · "
        f"{t('level_' + card['level'], lang)}</span>",
        unsafe_allow_html=True,
    )
    st.metric(t("figures", lang), f"{int(card['figures']):,}")
    periods = tables.report_periods(card["report_periods"], lang)
    st.caption(f"{t('report_period', lang)}: {markdown_text(periods)}")
    st.page_link(
        "pages/profile.py",
        label=t("open_profile", lang),
        icon=":material/location_on:",
        query_params=links.page_params(view, district=card["district_id"]),
    )

"""The District profile's content for one place (names, periods, headline figures, every figure by
category), as replayed parts (cached.replayed).
"""

from __future__ import annotations

import streamlit as st

from redengine.core.domain import format_qualified
from redengine.core.i18n import category_name, column, localized, t
from redengine.core.markup import markdown_text
from redengine.core.view_state import View
from redengine.present import evidence, links, tables
from redengine.ui import cached, widgets

HEADLINES_PER_ROW = 3


@cached.replayed
def place_and_headlines(view: View, district_id: str) -> bool:
    """One place: its names, where it is, its report periods and sources, and its headline figure per
    category; False when the place has no figure (it says so)."""
    lang = view.lang
    places = cached.query("district_cards", snapshot_id=view.snapshot_id)
    place = places.set_index("district_id").loc[district_id]

    name, other_name = widgets.place_names_both(place, lang)
    # h2 under the page's h1; the name in the other language marked as such for a screen reader.
    st.markdown(f"## {name} · {widgets.other_language_name(other_name, lang)}", unsafe_allow_html=True)
    periods = tables.report_periods(place["report_periods"], lang)
    level = t("level_" + place["level"], lang)
    where = tables.place_location(place, lang)
    st.caption(f"{markdown_text(where)} · {level} · {t('report_period', lang)}: {markdown_text(periods)}")
    reports = localized(place, "report_titles", lang)
    if isinstance(reports, str):
        st.caption(f"{t('source', lang)}: {markdown_text(reports)}")

    facts = cached.query("district_facts", snapshot_id=view.snapshot_id, district_id=district_id)
    if facts.empty:
        st.info(t("no_figures", lang))
        return False
    st.subheader(t("headline_figures", lang), anchor=False)
    # The place's own figure of each category (place_headlines), never one of another kind because it is common.
    headlines = cached.query(
        "place_headlines", snapshot_id=view.snapshot_id, district_ids=[district_id], categories=None
    )
    for index, fact in enumerate(tables.by_category_order(headlines).to_dict("records")):
        if index % HEADLINES_PER_ROW == 0:
            row = st.columns(HEADLINES_PER_ROW)
        column = row[index % HEADLINES_PER_ROW]
        column.metric(
            f"{category_name(fact['category'], lang)} · {markdown_text(localized(fact, 'metric_name', lang))}",
            format_qualified(fact["value"], fact["unit"], fact["qualifier"], lang),
            help=markdown_text(fact["quote"]),
        )
        column.caption(markdown_text(" · ".join(tables.figure_marks(fact, lang))))
    return True


@cached.replayed
def all_figures(view: View, district_id: str, phone: bool) -> None:
    """Every figure of the place by category, with its quote and links: a table and a list, or on a `phone` the
    list only (widgets.wide_and_narrow)."""
    lang = view.lang
    facts = cached.query("district_facts", snapshot_id=view.snapshot_id, district_id=district_id)
    st.subheader(t("all_figures", lang), anchor=False)
    compare = links.compare_links(view)
    for category, in_category in tables.by_category(facts):
        with st.expander(f"{category_name(category, lang)} ({len(in_category)})", expanded=True):
            # A wide screen gets the table; a narrow one the list, each figure with its quote and link.
            wide, narrow = widgets.wide_and_narrow(f"figures-{category}", phone)
            if wide is not None:
                wide.dataframe(
                    tables.district_table(in_category, lang, links.source_links(view), compare),
                    hide_index=True,
                    column_config=widgets.link_columns(lang),
                    placeholder="—",
                )
            narrow.html(
                evidence.figure_list(in_category, column("metric_name", lang), lang, links.fact_link(view), False)
            )

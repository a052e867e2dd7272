"""The Overview's parts that change only with the view, as replayed parts (cached.replayed): a rerun (a
click on a category, a page switch back) replays the elements they drew instead of building them again.
"""

from __future__ import annotations

import streamlit as st

from redengine.core.i18n import category_name, list_join, localized, t
from redengine.core.markup import markdown_text
from redengine.core.view_state import View
from redengine.present import chart_text, charts, tables, views
from redengine.present.views import PANEL_BARS
from redengine.ui import cached, widgets

CARDS_SHOWN = 6
HEATMAP_ROWS = 30
EVIDENCE_COLUMNS = 30


@cached.replayed
def place_strip(view: View) -> None:
    """The page's title and the places with most figures as a strip of chips (two short lines each, so the
    first figure is on a phone's first screen)."""
    cards = cached.query("district_cards", snapshot_id=view.snapshot_id)
    widgets.page_header("page_overview", "overview_intro", view.lang, n=len(cards))
    st.html(widgets.place_chips(tables.most_figures(cards, CARDS_SHOWN), view))
    if len(cards) > CARDS_SHOWN:
        st.caption(f"{len(cards):,} {t('places', view.lang)}; {t('page_profile', view.lang)} →")


@cached.replayed
def evidence_matrix(view: View, category: str) -> None:
    """The evidence matrix of a category for the places with most figures."""
    cards = cached.query("district_cards", snapshot_id=view.snapshot_id)
    if len(cards) > EVIDENCE_COLUMNS:
        st.caption(t("more_places_hidden", view.lang, n=EVIDENCE_COLUMNS))
    evidence_places = tables.place_names(tables.most_figures(cards, EVIDENCE_COLUMNS), view.lang)
    st.html(cached.evidence_table(view, category, evidence_places, len(cards)))


@cached.replayed
def headline_panel(view: View, category: str) -> None:
    """A headline category's concept most places report in one definition: a chart of the places the verdict calls
    like for like, or, when the reports support no comparison, that said and what each place reports."""
    lang = view.lang
    cards = cached.query("district_cards", snapshot_id=view.snapshot_id)
    shown = tables.most_figures(cards, PANEL_BARS)["district_id"].tolist()
    panel = views.headline_panel(cached.query, view.snapshot_id, category, shown)
    first = panel.leaders.iloc[0]
    reporting = int(first["places_reporting"])
    st.markdown(f"**{category_name(category, lang)}** · {markdown_text(localized(first, 'concept_name', lang))}")
    st.caption(f"{t('reported_by', lang)}: {reporting:,} / {len(cards):,}")
    if not panel.comparable:
        # No bars: ranking figures of different kinds, periods or places would mislead.
        st.info(t("headline_no_comparison", lang, reasons=panel.reasons_text(lang)), icon=":material/rule:")
        st.markdown("".join(f"- {markdown_text(line)}\n" for line in tables.own_figure_lines(panel.own, lang)))
        return
    st.caption(markdown_text(panel.verdict_note(lang)))
    if reporting <= PANEL_BARS:  # every reporting place is here, so the others can be named
        missing = [
            markdown_text(name) for name in tables.places_missing_from(panel.leaders, tables.place_names(cards, lang))
        ]
        if missing:
            st.caption(t("not_reported_by", lang) + list_join(missing, lang))
    else:
        st.caption(t("more_places_hidden", lang, n=PANEL_BARS))
    figure = charts.comparison_bars(panel.figures, first["unit"], lang, **views.PANEL_CHART_OPTIONS)
    concept = localized(first, "concept_name", lang)
    what = concept if concept == category_name(category, lang) else f"{category_name(category, lang)} · {concept}"
    widgets.chart_with_text(
        figure,
        chart_text.comparison_text(panel.figures, what, first["unit"], lang),
        f"headline_{category}",
        chart_text.comparison_table(panel.figures, first["unit"], lang),
        lang,
    )


@cached.replayed
def coverage(view: View) -> None:
    """How many figures each of the busiest places reports per category."""
    lang = view.lang
    cards = cached.query("district_cards", snapshot_id=view.snapshot_id)
    st.header(t("coverage_title", lang), anchor=False)
    st.caption(t("coverage_gap_note", lang))
    # A readable matrix has tens of rows, not thousands: the places with most figures.
    if len(cards) > HEATMAP_ROWS:
        st.caption(t("more_places_hidden", lang, n=HEATMAP_ROWS))
    busiest = list(tables.most_figures(cards, HEATMAP_ROWS)["district_id"])
    matrix = tables.of_places(cached.query("coverage_matrix", snapshot_id=view.snapshot_id), busiest)
    widgets.chart_with_text(
        cached.coverage_chart(view.snapshot_id, busiest, lang),
        chart_text.coverage_text(matrix, lang),
        "coverage",
        chart_text.coverage_table(matrix, lang),
        lang,
    )

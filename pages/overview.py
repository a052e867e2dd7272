"""Overview: the places at a glance, then one section at a time: the evidence matrix, one chart per headline
category, or the coverage gaps."""

import streamlit as st

from redengine.core.domain import HEADLINE_CATEGORIES
from redengine.core.i18n import category_name, t
from redengine.present import links, tables, views
from redengine.ui import cached, get_data, overview_parts, share_panel, url_state, widgets

view = widgets.current_view()
lang = view.lang
overview_parts.place_strip(view)

choices = url_state.SessionChoices()
section = views.overview_section(choices)
category = views.overview_category(choices)
st.segmented_control(
    t("overview_section", lang),
    list(views.OVERVIEW_SECTIONS),
    key="section",
    required=True,
    format_func=lambda s: t(f"section_{s}", lang),
    label_visibility="collapsed",
)

if section == "evidence":
    st.header(t("evidence_title", lang), anchor=False)
    st.caption(t("evidence_intro", lang))
    st.segmented_control(
        t("category", lang),
        list(HEADLINE_CATEGORIES),
        key="category",
        required=True,
        format_func=lambda c: category_name(c, lang),
        label_visibility="collapsed",
    )
    overview_parts.evidence_matrix(view, category)
elif section == "charts":
    st.header(t("headline_title", lang), anchor=False)
    headline = cached.query("headline_figures", **views.headline_params(view.snapshot_id))
    panels = st.columns(2)
    for index, (panel_category, rows) in enumerate(tables.by_category(headline, HEADLINE_CATEGORIES)):
        with panels[index % 2].container(border=True):
            overview_parts.headline_panel(view, panel_category)
            # Widgets cannot be replayed from the cache: the share panel is drawn after the replayed chart.
            share_panel.show(
                view,
                "overview",
                {**url_state.current_params(), "category": panel_category},
                key=f"headline_{panel_category}",
            )
            st.page_link(
                "pages/compare.py",
                label=t("open_compare", lang),
                icon=":material/bar_chart:",
                query_params=links.page_params(view, category=panel_category, concept=rows["concept_id"].iloc[0]),
            )
else:
    overview_parts.coverage(view)

get_data.show(view)

"""Overview: the places at a glance, the evidence matrix, one chart per headline category, and the coverage gaps."""

import streamlit as st

from redengine import cached, get_data, overview_parts, url_state, widgets
from redengine.domain import HEADLINE_CATEGORIES
from redengine.i18n import category_name, t

view = widgets.current_view()
lang = view.lang
version = cached.database().version()
overview_parts.place_cards(version, view)

st.subheader(t("evidence_title", lang))
st.caption(t("evidence_intro", lang))
url_state.restore_choice("category", list(HEADLINE_CATEGORIES), HEADLINE_CATEGORIES[0])
category = st.segmented_control(
    t("category", lang),
    list(HEADLINE_CATEGORIES),
    key="category",
    required=True,
    format_func=lambda c: category_name(c, lang),
    label_visibility="collapsed",
)
overview_parts.evidence_matrix(version, view, category)
overview_parts.headline_panels(version, view)

get_data.show(view)
url_state.write_url()

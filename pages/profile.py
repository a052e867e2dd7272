"""District profile: one place's headline figures, then every figure by category with its quote."""

import streamlit as st

from redengine.core.i18n import t
from redengine.present import views
from redengine.ui import cached, get_data, profile_parts, share_panel, url_state, widgets

view = widgets.current_view()
lang = view.lang
widgets.page_header("page_profile", "profile_intro", lang)

places = cached.query("district_cards", snapshot_id=view.snapshot_id)
names = cached.place_names(view.snapshot_id, lang)  # built once per snapshot: 2,800 places at scale
district_id = views.profile_district(url_state.SessionChoices(), places)
st.selectbox(t("district", lang), list(names), key="district", format_func=names.get)
if profile_parts.place_and_headlines(view, district_id):
    # Widgets cannot be replayed from the cache: the share panel is drawn between the replayed parts.
    share_panel.show(view, "profile", url_state.current_params(), key="profile")
    profile_parts.all_figures(view, district_id, widgets.on_phone())

get_data.show(view, district=district_id)

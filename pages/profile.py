"""District profile: one place's headline figures, then every figure by category with its quote."""

import streamlit as st

from redengine import cached, get_data, profile_parts, tables, url_state, widgets
from redengine.i18n import t

view = widgets.current_view()
lang = view.lang
widgets.page_header("page_profile", "profile_intro", lang)

places = cached.query("district_cards", snapshot_id=view.snapshot_id)
names = tables.place_names(places, lang)
busiest = tables.most_figures(places, 1)["district_id"].iloc[0]
url_state.restore_choice("district", list(names), busiest)
district_id = st.selectbox(t("district", lang), list(names), key="district", format_func=names.get)
profile_parts.place_profile(view, district_id)

get_data.show(view, district=district_id)
url_state.write_url()

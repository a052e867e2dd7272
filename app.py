"""Red Engine dashboard: the entry script. Common controls, then the chosen page."""

import streamlit as st

from redengine.core.i18n import t
from redengine.core.markup import markdown_text
from redengine.data import store
from redengine.ui import share_panel, url_state, widgets

st.set_page_config(page_title="红色引擎 Red Engine", page_icon="🏮", layout="wide")
share_panel.inject_stylesheet()

try:
    view = widgets.common_controls()
except store.DataDirError as error:
    st.title("红色引擎 · Red Engine")
    st.error(f"**数据无法读取 · The data cannot be read**\n\n{markdown_text(error)}")
    st.stop()

try:
    st.navigation(widgets.navigation_pages(view.lang), position="top").run()
    url_state.write_url()  # after the page: what it restored from the link, written back
except store.DataDirError as error:
    st.error(f"**{t('data_error', view.lang)}**\n\n{markdown_text(error)}")

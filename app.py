"""Red Engine dashboard: the entry script. Common controls, then the chosen page."""

import streamlit as st

from redengine.core.i18n import t
from redengine.core.markup import markdown_text
from redengine.data import store
from redengine.ui import share_panel, widgets

st.set_page_config(page_title="红色引擎 Red Engine", page_icon="🏮", layout="wide")
share_panel.inject_stylesheet()

try:
    view = widgets.common_controls()
except store.DataDirError as error:
    st.title("红色引擎 · Red Engine")
    st.error(f"**数据无法读取 · The data cannot be read**\n\n{markdown_text(error)}")
    st.stop()

pages = [
    st.Page(
        "pages/overview.py",
        title=t("page_overview", view.lang),
        icon=":material/home:",
        url_path="overview",
        default=True,
    ),
    st.Page("pages/compare.py", title=t("page_compare", view.lang), icon=":material/bar_chart:", url_path="compare"),
    st.Page("pages/profile.py", title=t("page_profile", view.lang), icon=":material/location_on:", url_path="profile"),
    st.Page("pages/sources.py", title=t("page_sources", view.lang), icon=":material/description:", url_path="sources"),
    st.Page(
        "pages/changes.py", title=t("page_changes", view.lang), icon=":material/compare_arrows:", url_path="changes"
    ),
    st.Page("pages/sql.py", title=t("page_sql", view.lang), icon=":material/terminal:", url_path="sql"),
]
try:
    st.navigation(pages, position="top").run()
except store.DataDirError as error:
    st.error(f"**{t('data_error', view.lang)}**\n\n{markdown_text(error)}")

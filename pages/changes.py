"""What changed: figures added, removed and revised between two snapshots; a file check for analysts."""

import streamlit as st

from redengine.core.i18n import t
from redengine.ui import cached, changes_parts, get_data, upload_box, url_state, widgets

view = widgets.current_view()
lang = view.lang
widgets.page_header("page_changes", "changes_intro", lang)

ids = cached.snapshot_ids()
url_state.restore_choice("from", ids, ids[1] if len(ids) > 1 else ids[0])
url_state.restore_choice("to", ids, ids[0])
left, right = st.columns(2)
old = left.selectbox(t("from_snapshot", lang), ids, key="from")
new = right.selectbox(t("to_snapshot", lang), ids, key="to")

changes_parts.differences(view, old, new, widgets.on_phone())

with st.expander(t("upload_title", lang)):
    upload_box.show(lang)

get_data.show(view, snapshots=[old, new])

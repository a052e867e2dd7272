"""What changed: figures added, removed and revised between two snapshots; a file check for analysts."""

import streamlit as st

from redengine.core.i18n import t
from redengine.core.markup import markdown_text
from redengine.data import shared, snapshots
from redengine.ui import changes_parts, get_data, upload_box, url_state, widgets

view = widgets.current_view()
lang = view.lang
widgets.page_header("page_changes", "changes_intro", lang)

ids = [entry.id for entry in reversed(shared.database().snapshots())]  # latest first
url_state.restore_choice("from", ids, ids[1] if len(ids) > 1 else ids[0])
url_state.restore_choice("to", ids, ids[0])
left, right = st.columns(2)
old = left.selectbox(t("from_snapshot", lang), ids, key="from")
new = right.selectbox(t("to_snapshot", lang), ids, key="to")

changes_parts.differences(view, old, new)

with st.expander(t("upload_title", lang)):
    st.caption(t("upload_limits", lang, mb=snapshots.UPLOAD_MAX_MB, rows=snapshots.UPLOAD_MAX_ROWS))
    verdict = upload_box.last_verdict()
    if verdict is not None and not verdict.problems:
        st.success(f"{markdown_text(verdict.name)}: " + t("upload_ok", lang, n=verdict.rows))
        st.dataframe(verdict.preview, hide_index=True)
    elif verdict is not None:
        st.error(f"{markdown_text(verdict.name)}: " + upload_box.problem_lines(verdict, lang))
    upload = st.file_uploader(
        "Parquet", type=["parquet"], key=upload_box.widget_key(), max_upload_size=snapshots.UPLOAD_MAX_MB
    )
    if upload is not None:
        upload_box.check(upload)

get_data.show(view, snapshots=[old, new])

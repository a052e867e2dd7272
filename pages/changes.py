"""What changed: figures added, removed and revised between two snapshots; a file check for analysts."""

import tempfile
from pathlib import Path

import streamlit as st

from redengine import get_data, snapshots, tables, ui
from redengine.i18n import t

ROWS_SHOWN = 1000
view = ui.current_view()
lang = view.lang
ui.page_header("page_changes", "changes_intro", lang)

ids = [entry.id for entry in reversed(ui.database().snapshots())]  # latest first
ui.choose("from", ids, ids[1] if len(ids) > 1 else ids[0])
ui.choose("to", ids, ids[0])
left, right = st.columns(2)
old = left.selectbox(t("from_snapshot", lang), ids, key="from")
new = right.selectbox(t("to_snapshot", lang), ids, key="to")

counts = ui.query("snapshot_diff_counts", old_snapshot_id=old, new_snapshot_id=new).set_index("change")["figures"]
for column, kind in zip(st.columns(3), ("added", "removed", "revised"), strict=True):
    column.metric(t(f"change_{kind}", lang), int(counts.get(kind, 0)))
if counts.sum() == 0:
    st.info(t("no_changes", lang))
else:
    if counts.sum() > ROWS_SHOWN:
        st.caption(t("more_rows_hidden", lang, n=ROWS_SHOWN, total=int(counts.sum())))
    changes = ui.query("snapshot_diff", old_snapshot_id=old, new_snapshot_id=new, row_limit=ROWS_SHOWN)
    st.dataframe(tables.changes_table(changes, lang), hide_index=True, column_config=ui.link_columns(lang))

with st.expander(t("upload_title", lang)):
    upload = st.file_uploader("Parquet", type=["parquet"])
    if upload is not None:
        # Checked from a temporary copy outside the data directory: nothing there is written.
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / Path(upload.name).name
            path.write_bytes(upload.getvalue())
            result = snapshots.validate(ui.database(), path)
        if result.ok:
            st.success(t("upload_ok", lang, n=result.rows))
            st.dataframe(result.facts.to_pandas().head(50), hide_index=True)
        else:
            st.error("\n".join(f"- {p}" for p in result.problems))

get_data.show(view, snapshots=[old, new])
ui.write_url(["from", "to"])

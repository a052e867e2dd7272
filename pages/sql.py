"""SQL: one read-only SELECT over the current snapshot, run in the sandbox; the query is in the URL."""

import streamlit as st

from redengine.core.i18n import t
from redengine.data import sql_sandbox
from redengine.present import exports
from redengine.ui import cached, get_data, url_state, widgets

EXAMPLE = (
    "select d.name_en, m.category, count(*) as figures\n"
    "from facts f join districts d using (district_id) join metrics m using (metric_id)\n"
    "group by all order by figures desc"
)
view = widgets.current_view()
lang = view.lang
limits = sql_sandbox.Limits()
widgets.page_header(
    "page_sql", "sql_intro", lang, seconds=limits.wall_seconds, rows=limits.row_cap, memory=limits.memory_limit
)

url_state.restore_text("q", EXAMPLE, sql_sandbox.MAX_SQL_CHARS)
# A form: the query runs on the Run button (a phone has no Ctrl+Enter), or Ctrl+Enter, not on every keystroke.
with st.form("sql", border=False):
    query = st.text_area(t("sql_query", lang), key="q", height=160, max_chars=sql_sandbox.MAX_SQL_CHARS)
    st.form_submit_button(t("sql_run", lang), type="primary", icon=":material/play_arrow:")
try:
    result = cached.sql_result(view.snapshot_id, query)
except sql_sandbox.SqlRefused as error:
    st.error(str(error), icon=":material/block:")
else:
    if result.truncated:
        st.warning(t("sql_truncated", lang, n=limits.row_cap))
    st.caption(t("sql_rows", lang, n=result.table.num_rows))
    st.dataframe(result.table, hide_index=True)
    st.download_button(
        t("download_sql_csv", lang),
        exports.encode(result.table, "csv"),
        file_name=f"sql-{view.snapshot_id}.csv",
        mime="text/csv",
        icon=":material/download:",
    )
    get_data.show(view, "sql", q=query)

"""Sources: each report's metadata and full text, every curated figure highlighted."""

import streamlit as st

from redengine.core.i18n import t
from redengine.core.markup import markdown_text
from redengine.present import tables
from redengine.ui import cached, get_data, url_state, widgets

view = widgets.current_view()
lang = view.lang
widgets.page_header("page_sources", "sources_intro", lang)

choices = cached.source_choices(view.snapshot_id)
url_state.restore_choice("source", choices.ids, choices.ids[0])
source_id = st.selectbox(t("source", lang), choices.ids, key="source", format_func=choices.labels.__getitem__)
source = choices.row(source_id)
facts = cached.query("source_facts", snapshot_id=view.snapshot_id, source_id=source_id)
url_state.restore_choice("fact", facts["fact_id"].tolist(), None)
target = st.session_state["fact"]

st.header(markdown_text(source["title_zh"]), anchor=False)
st.caption(markdown_text(source["title_en"]))
st.markdown(tables.source_details(source, lang))
if isinstance(source["period_note"], str):
    st.caption(f"{t('period_note', lang)}: {markdown_text(source['period_note'])}")
if target:
    widgets.highlighted_fact(facts.set_index("fact_id").loc[target], lang)

st.header(t("full_text", lang), anchor=False)
widgets.report_text(cached.highlighted_source(view.snapshot_id, source_id, source["file"], target), target, lang)

get_data.show(view, source=source_id)

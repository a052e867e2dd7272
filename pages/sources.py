"""Sources: each report's metadata and full text, every curated figure highlighted."""

import html

import streamlit as st

from redengine.core.i18n import localized, period_text, t
from redengine.core.markup import markdown_text
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

details = {
    t("publisher", lang): source["publisher"] if isinstance(source["publisher"], str) else t("not_stated", lang),
    t("published", lang): str(source["published"].date()) if source.notna()["published"] else t("not_stated", lang),
    t("report_period", lang): period_text(source["period_label"], lang),
    t("figures", lang): f"{int(source['figures'])}",
}
st.header(markdown_text(source["title_zh"]), anchor=False)
st.caption(markdown_text(source["title_en"]))
st.markdown("  \n".join(f"**{k}**: {markdown_text(v)}" for k, v in details.items()))
if isinstance(source["period_note"], str):
    st.caption(f"{t('period_note', lang)}: {markdown_text(source['period_note'])}")

if target:
    fact = facts.set_index("fact_id").loc[target]
    with st.container(border=True):
        st.markdown(
            f"**{t('highlighted_fact', lang)}**: "
            f"{markdown_text(localized(fact, 'metric_name', lang))} — "
            f"{markdown_text(fact['value_as_written'])} ({markdown_text(period_text(fact['period_label'], lang))})"
        )
        st.markdown(f"> {markdown_text(fact['quote'])}")

st.header(t("full_text", lang), anchor=False)
marked = cached.highlighted_source(view.snapshot_id, source_id, source["file"], target)
st.html(
    "<style>.report{max-height:620px;overflow-y:auto;line-height:1.9;padding:1rem;border:1px solid #e5ddd3;"
    "border-radius:.5rem;background:#fff;font-size:15px}.report mark.fact{background:#fdebd0;padding:0 1px}"
    ".report mark.target{background:#f5b041;outline:2px solid #b03a2e}</style>"
    # Focusable, named region: a keyboard scrolls it too (WCAG 2.1.1).
    f'<div class="report" tabindex="0" role="region" aria-label="{html.escape(t("report_text_region", lang))}">'
    f"{marked}</div>"
)
if target:
    # target is a known fact id (10 hex characters), checked above: safe inside the script.
    st.html(
        f"<script>document.getElementById('fact-{target}')?.scrollIntoView({{block:'center'}})</script>",
        unsafe_allow_javascript=True,
    )

get_data.show(view, source=source_id)

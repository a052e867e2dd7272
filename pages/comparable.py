"""What can be compared: for one place and another (or all others), the concepts they compare like for like, after
an adjustment, and those only related; each a link to Compare."""

from functools import partial

import streamlit as st

from redengine.core.i18n import t
from redengine.present import links, tables, views
from redengine.ui import cached, get_data, url_state, widgets

view = widgets.current_view()
lang = view.lang
widgets.page_header("page_comparable", "comparable_intro", lang)

comparable = views.comparable_view(url_state.SessionChoices(), cached.query, view.snapshot_id)
names = cached.place_names(view.snapshot_id, lang)
others = {views.ALL_OTHERS: t("comparable_all", lang), **{p: n for p, n in names.items() if p != comparable.place}}
left, right = st.columns(2)
left.selectbox(t("comparable_place", lang), list(names), key="place", format_func=names.get)
right.selectbox(t("comparable_other", lang), list(others), key="other", format_func=others.get)

compare_link = partial(links.link, "compare", view)
for verdict in views.COMPARABLE_VERDICTS:
    st.subheader(t(f"comparable_{verdict}", lang))
    lines = tables.comparable_lines(comparable.of_verdict(verdict), names[comparable.place], lang, compare_link)
    st.markdown("".join(f"- {line}\n" for line in lines) or t(f"comparable_none_{verdict}", lang))

get_data.show(view, district=[comparable.place])

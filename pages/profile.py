"""District profile: one place's headline figures, then every figure by category with its quote."""

import streamlit as st

from redengine import cached, get_data, links, tables, url_state, widgets
from redengine.domain import format_qualified
from redengine.i18n import category_name, localized, t
from redengine.markup import markdown_text

HEADLINES_PER_ROW = 3
view = widgets.current_view()
lang = view.lang
widgets.page_header("page_profile", "profile_intro", lang)

places = cached.query("district_cards", snapshot_id=view.snapshot_id)
names = tables.place_names(places, lang)
busiest = tables.most_figures(places, 1)["district_id"].iloc[0]
url_state.restore_choice("district", list(names), busiest)
district_id = st.selectbox(t("district", lang), list(names), key="district", format_func=names.get)
place = places.set_index("district_id").loc[district_id]

name, other_name = widgets.place_names_both(place, lang)
st.markdown(f"### {name} · {other_name}")
periods = tables.report_periods(place["report_periods"], lang)
level = t("level_" + place["level"], lang)
where = tables.place_location(place, lang)
st.caption(f"{markdown_text(where)} · {level} · {t('report_period', lang)}: {markdown_text(periods)}")
reports = localized(place, "report_titles", lang)
if isinstance(reports, str):
    st.caption(f"{t('source', lang)}: {markdown_text(reports)}")

facts = cached.query("district_facts", snapshot_id=view.snapshot_id, district_id=district_id)
if facts.empty:
    st.info(t("no_figures", lang))
else:
    st.subheader(t("headline_figures", lang))
    # The best-known figure of each category: the one most places report, so it compares.
    for index, fact in enumerate(tables.first_per_category(facts).to_dict("records")):
        if index % HEADLINES_PER_ROW == 0:
            row = st.columns(HEADLINES_PER_ROW)
        column = row[index % HEADLINES_PER_ROW]
        column.metric(
            f"{category_name(fact['category'], lang)} · {markdown_text(localized(fact, 'metric_name', lang))}",
            format_qualified(fact["value"], fact["unit"], fact["qualifier"], lang),
            help=markdown_text(fact["quote"]),
        )
        column.caption(markdown_text(" · ".join(tables.figure_marks(fact, lang))))

    st.subheader(t("all_figures", lang))
    compare = links.compare_links(view)
    for category, in_category in tables.by_category(facts):
        with st.expander(f"{category_name(category, lang)} ({len(in_category)})", expanded=True):
            st.dataframe(
                tables.district_table(in_category, lang, links.source_links(view), compare),
                hide_index=True,
                column_config=widgets.link_columns(lang),
                placeholder="—",
            )

get_data.show(view, district=district_id)
url_state.write_url()

"""District profile: one place's headline figures, then every figure by category with its quote."""

import streamlit as st

from redengine import get_data, share_panel, tables, ui, views
from redengine.domain import CATEGORIES, format_qualified
from redengine.i18n import category_name, t
from redengine.markup import markdown_text

HEADLINES_PER_ROW = 3
view = ui.current_view()
lang = view.lang
ui.page_header("page_profile", "profile_intro", lang)

places = ui.query("district_cards", snapshot_id=view.snapshot_id)
names = dict(zip(places["district_id"], places["name_zh" if lang == "zh" else "name_en"], strict=True))
district_id = views.profile_district(ui.SessionChoices(), places)
st.selectbox(t("district", lang), list(places["district_id"]), key="district", format_func=names.get)
place = places.set_index("district_id").loc[district_id]

where = (
    f"{place['city_zh']} · {place['province_zh']}" if lang == "zh" else f"{place['city_en']}, {place['province_en']}"
)
other_name = place["name_en"] if lang == "zh" else place["name_zh"]
st.markdown(f"### {markdown_text(names[district_id])} · {markdown_text(other_name)}")
periods = ui.report_periods(place["report_periods"], lang)
level = t("level_" + place["level"], lang)
st.caption(f"{markdown_text(where)} · {level} · {t('report_period', lang)}: {markdown_text(periods)}")
reports = place["report_titles_zh"] if lang == "zh" else place["report_titles_en"]
if isinstance(reports, str):
    st.caption(f"{t('source', lang)}: {markdown_text(reports)}")

facts = ui.query("district_facts", snapshot_id=view.snapshot_id, district_id=district_id)
if facts.empty:
    st.info(t("no_figures", lang))
else:
    st.subheader(t("headline_figures", lang))
    headline = views.profile_headline(facts)
    for index, fact in enumerate(headline.to_dict("records")):
        if index % HEADLINES_PER_ROW == 0:
            row = st.columns(HEADLINES_PER_ROW)
        column = row[index % HEADLINES_PER_ROW]
        column.metric(
            f"{category_name(fact['category'], lang)} · "
            f"{markdown_text(fact['metric_name_zh' if lang == 'zh' else 'metric_name_en'])}",
            format_qualified(fact["value"], fact["unit"], fact["qualifier"], lang),
            help=markdown_text(fact["quote"]),
        )
        column.caption(markdown_text(" · ".join(tables.figure_marks(fact, lang))))
    share_panel.show(view, "profile", ui.view_params(["district"]), key="profile")

    st.subheader(t("all_figures", lang))
    compare = ui.compare_links(view)
    for category in [c for c in CATEGORIES if c in set(facts["category"])]:
        in_category = facts[facts["category"] == category]
        with st.expander(f"{category_name(category, lang)} ({len(in_category)})", expanded=True):
            st.dataframe(
                tables.district_table(in_category, lang, ui.source_links(view), compare),
                hide_index=True,
                column_config=ui.link_columns(lang),
                placeholder="—",
            )

get_data.show(view, district=district_id)
ui.write_url(["district"])

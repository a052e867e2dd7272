"""Compare: one metric across the chosen places, with qualifiers, periods and quotes."""

import streamlit as st

from redengine import charts, get_data, tables, ui
from redengine.domain import CATEGORIES
from redengine.i18n import category_name, t

BARS_SHOWN = 30
view = ui.current_view()
lang = view.lang
ui.page_header("page_compare", "compare_intro", lang)

coverage = ui.query("metric_coverage", snapshot_id=view.snapshot_id, category=None)
places = ui.query("district_cards", snapshot_id=view.snapshot_id)
categories = [c for c in CATEGORIES if c in set(coverage["category"])]
ui.choose("category", categories, coverage["category"].iloc[0])
left, middle = st.columns([1, 2])
category = left.selectbox(t("category", lang), categories, key="category", format_func=lambda c: category_name(c, lang))

in_category = coverage[coverage["category"] == category].set_index("metric_id")
ui.choose("metric", list(in_category.index), in_category.index[0])
metric_id = middle.selectbox(
    t("metric", lang),
    list(in_category.index),
    key="metric",
    format_func=lambda m: (
        f"{in_category.at[m, 'name_zh' if lang == 'zh' else 'name_en']} "
        f"({t('n_places', lang, n=in_category.at[m, 'places_reporting'])})"
    ),
)
metric = in_category.loc[metric_id]

ranking = ui.query("metric_ranking", snapshot_id=view.snapshot_id, metric_id=metric_id)
reporters = list(ranking["district_id"])
names = dict(zip(places["district_id"], places["name_zh" if lang == "zh" else "name_en"], strict=True))
# By default the places with the highest figures, at most as many as the chart draws, in name order.
by_name = list(places["district_id"])
top = set(reporters[:BARS_SHOWN])
ui.choose(
    "places",
    by_name,
    [p for p in by_name if p in top] or by_name[:BARS_SHOWN],
    many=True,
    depends_on=metric_id,
)
chosen = st.multiselect(t("places", lang), by_name, key="places", format_func=names.get)
ui.choose("view", ["chart", "table"], "chart")
shown_as = st.segmented_control(
    t("view", lang), ["chart", "table"], key="view", required=True, format_func=lambda v: t(v, lang)
)

rows = ui.query(
    "metric_by_district", snapshot_id=view.snapshot_id, metric_id=metric_id, district_ids=chosen
).sort_values("district_id", key=lambda ids: ids.map(chosen.index), kind="stable")
reported = rows[rows["value"].notna()]
ui.period_warning(reported["period_label"], lang)
missing = rows.loc[rows["value"].isna(), "district_id"].map(names).tolist()
if missing:
    st.info(
        t("not_reported_by", lang) + "、".join(missing)
        if lang == "zh"
        else t("not_reported_by", lang) + ", ".join(missing)
    )
if len(reporters) < 2:
    st.caption(t("only_one_place", lang))
elif len(reporters) > BARS_SHOWN:
    st.caption(t("top_places_chosen", lang, n=BARS_SHOWN, total=len(reporters)))
about = f"{metric['description_en']}  \n" if lang == "en" else ""
st.caption(about + t("qualifier_note", lang))

table = tables.comparison_table(rows, metric["unit"], lang, ui.source_links(view))
if shown_as == "chart":
    plotted = rows
    if len(rows) > charts.UPRIGHT_BARS_MAX:  # a ranking, highest on top, when the bars lie one per line
        plotted = rows.sort_values("value", ascending=False, na_position="last", kind="stable").head(BARS_SHOWN)
    if len(rows) > BARS_SHOWN:
        st.caption(t("more_places_hidden", lang, n=BARS_SHOWN))
    st.plotly_chart(
        ui.comparison_chart(plotted, metric["unit"], lang),
        key="comparison",
        config={"displayModeBar": False},
    )
else:
    st.dataframe(table, hide_index=True, column_config=ui.link_columns(lang), placeholder="—")
st.download_button(
    t("download_csv", lang),
    tables.csv_bytes(table, lang),
    file_name=f"{metric_id}.csv",
    mime="text/csv",
    icon=":material/download:",
)
if len(reporters) > BARS_SHOWN:  # too many to choose by hand: all of them as a file
    st.download_button(
        t("download_all_csv", lang, n=len(reporters)),
        ui.all_places_csv(view, metric_id, reporters, metric["unit"]),
        file_name=f"{metric_id}-all-places.csv",
        mime="text/csv",
        icon=":material/download:",
    )

get_data.show(view, metric=metric_id, district=chosen)
ui.write_url(["category", "metric", "places", "view"])

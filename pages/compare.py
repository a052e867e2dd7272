"""Compare: one concept across the chosen places, every definition with its verdict, qualifiers and quotes."""

import streamlit as st

from redengine import cached, get_data, links, tables, url_state, widgets
from redengine.domain import CATEGORIES, HEADLINE_CATEGORIES
from redengine.i18n import category_name, column, list_join, localized, t
from redengine.markup import markdown_text

BARS_SHOWN = 30
EVERY_DEFINITION = "all"
view = widgets.current_view()
lang = view.lang
widgets.page_header("page_compare", "compare_intro", lang)

# A link may name a concept, or (an older link) a metric, without its category: the category and
# concept then follow from it. Otherwise the headline category whose best concept most places report.
metrics = cached.query("metric_coverage", snapshot_id=view.snapshot_id, category=None, concept_id=None)
all_concepts = cached.query("concept_coverage", snapshot_id=view.snapshot_id, category=None)
linked = url_state.linked_record("concept", all_concepts, "concept_id") or url_state.linked_record(
    "metric", metrics, "metric_id"
)
categories = [c for c in CATEGORIES if c in set(all_concepts["category"])]
best_category = next((c for c in all_concepts["category"] if c in HEADLINE_CATEGORIES), categories[0])
url_state.restore_choice("category", categories, linked["category"] if linked else best_category)
left, middle, right = st.columns([1, 2, 2])
category = left.selectbox(t("category", lang), categories, key="category", format_func=lambda c: category_name(c, lang))

concepts = cached.query("concept_coverage", snapshot_id=view.snapshot_id, category=category).set_index("concept_id")
concept_ids = list(concepts.index)
linked_concept = linked["concept_id"] if linked else None
url_state.restore_choice("concept", concept_ids, linked_concept if linked_concept in concept_ids else concept_ids[0])
concept_id = middle.selectbox(
    t("concept", lang),
    concept_ids,
    key="concept",
    format_func=lambda c: (
        f"{localized(concepts.loc[c], 'name', lang)} ({t('n_places', lang, n=concepts.at[c, 'places_reporting'])})"
    ),
)
concept = concepts.loc[concept_id]

definitions = cached.query("metric_coverage", snapshot_id=view.snapshot_id, category=None, concept_id=concept_id)
definition_names = dict(zip(definitions["metric_id"], definitions[column("name", lang)], strict=True))
definition_reach = dict(zip(definitions["metric_id"], definitions["places_reporting"], strict=True))
url_state.restore_choice("metric", [EVERY_DEFINITION, *definition_names], EVERY_DEFINITION, depends_on=concept_id)
metric_choice = right.selectbox(
    t("definition", lang),
    [EVERY_DEFINITION, *definition_names],
    key="metric",
    format_func=lambda m: (
        t("all_definitions", lang)
        if m == EVERY_DEFINITION
        else f"{definition_names[m]} ({t('n_places', lang, n=definition_reach[m])})"
    ),
)
metric_id = None if metric_choice == EVERY_DEFINITION else metric_choice

ranking = cached.query("concept_ranking", snapshot_id=view.snapshot_id, concept_id=concept_id, metric_id=metric_id)
reporters = list(ranking["district_id"])
places = cached.query("district_cards", snapshot_id=view.snapshot_id)
names = tables.place_names(places, lang)
# By default the places with the highest figures, at most as many as the chart draws, in name order.
top = set(reporters[:BARS_SHOWN])
url_state.restore_choice(
    "places",
    list(names),
    [p for p in names if p in top] or list(names)[:BARS_SHOWN],
    many=True,
    depends_on=(concept_id, metric_id),
)
chosen = st.multiselect(t("places", lang), list(names), key="places", format_func=names.get)

has_flows = "flow" in set(definitions["measure"])
columns = st.columns(3 if has_flows else 2)
url_state.restore_choice("view", ["chart", "table"], "chart")
shown_as = columns[0].segmented_control(
    t("view", lang), ["chart", "table"], key="view", required=True, format_func=lambda v: t(v, lang)
)
url_state.restore_choice("figures", ["all", "like"], "all")
figures_shown = columns[1].segmented_control(
    t("figures_shown", lang),
    ["all", "like"],
    key="figures",
    required=True,
    format_func=lambda v: t(f"shown_{v}", lang),
    help=t("like_only_help", lang),
)
url_state.restore_choice("amount", ["total", "month"], "total")
per_month = has_flows and (
    columns[2].segmented_control(
        t("amount", lang),
        ["total", "month"],
        key="amount",
        required=True,
        format_func=lambda v: t(f"amount_{v}", lang),
        help=t("per_month_help", lang),
    )
    == "month"
)

figure_params = {
    "concept_id": concept_id,
    "metric_id": metric_id,
    "like_for_like_only": figures_shown == "like",
    "per_month": per_month,
}
shown_figures = {"snapshot_id": view.snapshot_id, "district_ids": chosen, **figure_params}
rows = cached.query("concept_figures", **shown_figures)
comparison = tables.comparison_summary(rows, lang)
widgets.period_warning(comparison.periods, lang)
if comparison.not_reported:
    st.info(t("not_reported_by", lang) + list_join([markdown_text(n) for n in comparison.not_reported], lang))
if comparison.left_out:
    left_out = list_join([markdown_text(n) for n in comparison.left_out], lang)
    st.caption(t("left_out_not_like", lang, places=left_out))
if comparison.reference:
    st.caption(
        t(
            "verdict_summary",
            lang,
            reference=markdown_text(comparison.reference),
            like=comparison.like,
            unlike=comparison.unlike,
        )
    )
if len(reporters) < 2:
    st.caption(t("only_one_place", lang))
elif len(reporters) > BARS_SHOWN:
    st.caption(t("top_places_chosen", lang, n=BARS_SHOWN, total=len(reporters)))
if per_month:
    st.caption(t("per_month_caveat", lang))
about = concept.get(column("description", lang))  # concepts are described in English only, so far
st.caption((f"{markdown_text(about)}  \n" if isinstance(about, str) else "") + t("qualifier_note", lang))

table = tables.concept_table(rows, concept["unit"], lang, links.source_links(view))
if shown_as == "chart":
    if len(rows) > BARS_SHOWN:
        st.caption(t("more_places_hidden", lang, n=BARS_SHOWN))
    st.plotly_chart(
        cached.comparison_chart(
            "concept_figures",
            shown_figures,
            concept["unit"],
            lang,
            by_definition=True,
            per_month=per_month,
            most=BARS_SHOWN,
        ),
        key="comparison",
        config={"displayModeBar": False},
    )
else:
    st.dataframe(table, hide_index=True, column_config=widgets.link_columns(lang), placeholder="—")
st.download_button(
    t("download_csv", lang),
    tables.csv_bytes(table, lang),
    file_name=f"{concept_id}.csv",
    mime="text/csv",
    icon=":material/download:",
)
if len(reporters) > BARS_SHOWN:  # too many to choose by hand: all of them as a file
    st.download_button(
        t("download_all_csv", lang, n=len(reporters)),
        cached.all_places_csv(view, concept["unit"], district_ids=reporters, **figure_params),
        file_name=f"{concept_id}-all-places.csv",
        mime="text/csv",
        icon=":material/download:",
    )

get_data.show(view, concept=concept_id, metric=metric_id, district=chosen)
url_state.write_url()

"""Compare: one concept across the chosen places, every definition with its verdict, qualifiers and quotes."""

import streamlit as st

from redengine import cached, compare_parts, get_data, tables, url_state, widgets
from redengine.domain import CATEGORIES, HEADLINE_CATEGORIES
from redengine.i18n import category_name, column, t

BARS_SHOWN = compare_parts.BARS_SHOWN
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
reported_categories = set(all_concepts["category"])
categories = [c for c in CATEGORIES if c in reported_categories]
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
    format_func=tables.concept_labels(concepts, lang).get,
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
reporters = ranking["district_id"].tolist()
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
about = concept.get(column("description", lang))  # concepts are described in English only, so far
compare_parts.comparison(
    view, shown_figures, concept["unit"], about if isinstance(about, str) else None, shown_as, len(reporters)
)
st.download_button(
    t("download_csv", lang),
    cached.concept_csv(view, shown_figures, concept["unit"]),
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

"""Compare: one concept across the chosen places, every definition with its verdict, qualifiers and quotes."""

import streamlit as st

from redengine.core.i18n import category_name, column, t
from redengine.present import views
from redengine.present.views import BARS_SHOWN
from redengine.ui import cached, compare_parts, get_data, share_panel, url_state, widgets

view = widgets.current_view()
lang = view.lang
st.title(t("page_compare", lang))
controls = widgets.view_controls("compare_intro", lang)

# Every choice and its default, from the link or the session (views.compare_view, shared with link previews).
compare = views.compare_view(url_state.SessionChoices(), cached.query, view.snapshot_id)
concept = compare.concept
if controls.open:  # folded (a phone): its widgets are drawn once it is opened
    left, middle, right = controls.columns([1, 2, 2])
    left.selectbox(
        t("category", lang), compare.categories, key="category", format_func=lambda c: category_name(c, lang)
    )
    concept_labels = compare.concept_labels(lang)
    middle.selectbox(t("concept", lang), list(concept_labels), key="concept", format_func=concept_labels.__getitem__)
    definition_labels = compare.definition_labels(lang)
    right.selectbox(t("definition", lang), list(definition_labels), key="metric", format_func=definition_labels.get)
    names = cached.place_names(view.snapshot_id, lang)
    controls.multiselect(t("places", lang), list(names), key="places", format_func=names.get)

    columns = controls.columns(3 if compare.has_flows else 2)
    columns[0].segmented_control(
        t("view", lang), ["chart", "table"], key="view", required=True, format_func=lambda v: t(v, lang)
    )
    columns[1].segmented_control(
        t("figures_shown", lang),
        ["all", "like"],
        key="figures",
        required=True,
        format_func=lambda v: t(f"shown_{v}", lang),
        help=t("like_only_help", lang),
    )
    if compare.has_flows:
        columns[2].segmented_control(
            t("amount", lang),
            ["total", "month"],
            key="amount",
            required=True,
            format_func=lambda v: t(f"amount_{v}", lang),
            help=t("per_month_help", lang),
        )
    controls.segmented_control(  # a row of its own: four options do not fit a column
        t("per", lang),
        list(views.ADJUSTMENTS),
        key="per",
        required=True,
        format_func=lambda p: t(f"per_{p}", lang),
        help=t("per_help", lang),
    )

concept_id, reporters = compare.concept_id, compare.reporters
about = concept.get(column("description", lang))  # concepts are described in English only, so far
compare_parts.comparison(
    view,
    compare.figure_query,
    concept["unit"],
    compare.chart_options,
    about if isinstance(about, str) else None,
    compare.shown_as,
    len(reporters),
)
compare_parts.related(view, compare.family_query)
if compare.shown_as == "chart":  # widgets cannot be replayed from the cache: drawn after the chart
    share_panel.show(view, "compare", url_state.current_params(), key="comparison")
st.download_button(
    t("download_csv", lang),
    cached.concept_csv(view, compare.figure_query, concept["unit"]),
    file_name=f"{concept_id}.csv",
    mime="text/csv",
    icon=":material/download:",
)
if len(reporters) > BARS_SHOWN:  # too many to choose by hand: all of them as a file
    st.download_button(
        t("download_all_csv", lang, n=len(reporters)),
        cached.all_places_csv(view, concept["unit"], district_ids=reporters, **compare.figure_params),
        file_name=f"{concept_id}-all-places.csv",
        mime="text/csv",
        icon=":material/download:",
    )

get_data.show(view, concept=concept_id, metric=compare.metric_id, district=compare.chosen)

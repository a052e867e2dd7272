"""Compare's result (the verdict's captions, then the chart or the table), as a replayed part
(cached.replayed): a rerun that changes no choice replays the elements it drew, Plotly's JSON included.
"""

from __future__ import annotations

import streamlit as st

from redengine.core.i18n import column, list_join, t
from redengine.core.markup import markdown_text
from redengine.core.view_state import View
from redengine.present import chart_text, evidence, links, tables
from redengine.present.views import BARS_SHOWN
from redengine.ui import cached, widgets


@cached.replayed
def comparison(
    view: View,
    shown_figures: dict[str, object],
    unit: str,
    chart_options: dict[str, object],
    about: str | None,
    shown_as: str,
    reporters: int,
) -> None:
    """concept_figures' rows for `shown_figures`: the figures the verdict keeps off the axis, who does not
    report, the verdict's summary, the per-unit arithmetic, caveats, then the chart (HTML bars of the figures
    comparison_bars would draw with `chart_options`) or the table; `reporters` is how many places report the
    concept."""
    lang = view.lang
    rows = cached.query("concept_figures", **shown_figures)
    per = shown_figures.get("per")
    comparison = tables.comparison_summary(rows, lang, unit, per)
    # Every warning and caption below is the verdict's (concept_figures): none is judged here again.
    if comparison.no_denominators:  # one line for the view, not one "no denominator" per figure
        st.info(t("no_denominators", lang, per=t(f"per_{per}", lang)), icon=":material/info:")
    elif comparison.off_axis:
        off_axis = "".join(f"\n- {markdown_text(line)}" for line in comparison.off_axis)
        st.warning(t("off_axis_warning", lang, figures=off_axis), icon=":material/rule:")
    if comparison.not_reported:
        # A caption, not a box: the chart marks these places "not reported" too, and the answer fits a phone's screen.
        st.caption(t("not_reported_by", lang) + list_join([markdown_text(n) for n in comparison.not_reported], lang))
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
    if shown_as == "chart":
        if len(rows) > BARS_SHOWN:
            st.caption(t("more_places_hidden", lang, n=BARS_SHOWN))
        what = list_join(list(dict.fromkeys(rows[column("metric_name", lang)].dropna())), lang)
        text_options = (shown_figures["per_month"], chart_options.get("most"), per)
        # HTML bars, not Plotly, on every screen: Plotly's chunk was most of the page's first view (0.8 s of 3.5 s
        # on a desktop, 2.7 s of a throttled phone's CPU), for a few bars whose every value, period and verdict the
        # HTML prints; the chart as an image (Plotly, on the server) is in the share panel.
        st.html(chart_text.comparison_html(rows, what, unit, lang, *text_options))
    else:
        table = tables.concept_table(rows, unit, lang, links.source_links(view), per)
        st.dataframe(table, hide_index=True, column_config=widgets.link_columns(lang), placeholder="—")
    with st.expander(t("figures_with_quotes", lang), icon=":material/format_quote:"):
        st.html(evidence.figure_list(rows, column("name", lang), lang, links.fact_link(view), with_metric=True))
    # The other notes under the answer, so a phone shows the figures and the verdict on its first screen.
    if comparison.left_out:
        left_out = list_join([markdown_text(n) for n in comparison.left_out], lang)
        st.caption(t("left_out_not_like", lang, places=left_out))
    if reporters < 2:
        st.caption(t("only_one_place", lang))
    elif reporters > BARS_SHOWN:
        st.caption(t("top_places_chosen", lang, n=BARS_SHOWN, total=reporters))
    if shown_figures["per_month"]:
        st.caption(t("per_month_caveat", lang))
    if comparison.adjustments:
        st.markdown(f"**{t('adjustment_title', lang)}**")
        st.markdown("".join(f"- {markdown_text(line)}\n" for line in comparison.adjustments))
    if comparison.caveats:
        st.caption(t("caveats", lang, notes=list_join([markdown_text(n) for n in comparison.caveats], lang)))
    st.caption((f"{markdown_text(about)}  \n" if about else "") + t("qualifier_note", lang))


@cached.replayed
def related(view: View, family: dict[str, object]) -> None:
    """The concept's relatives (family_figures for `family`): the family's other definitions, each a row with a
    link to Compare, never bars beside the chart's."""
    rows = cached.query("family_figures", **family)
    if rows.empty:
        return
    st.markdown(f"**{t('related_title', view.lang)}**")
    table = tables.related_table(rows, view.lang, links.compare_links(view))
    st.dataframe(table, hide_index=True, column_config=widgets.link_columns(view.lang), placeholder="—")

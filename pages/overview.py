"""Overview: the places at a glance, one chart per headline category, and the coverage gaps."""

import streamlit as st

from redengine import get_data, share_panel, tables, ui, views
from redengine.domain import HEADLINE_CATEGORIES, place_color
from redengine.i18n import category_name, localized, t
from redengine.markup import markdown_text
from redengine.views import PANEL_BARS

CARDS_SHOWN = 6
HEATMAP_ROWS = 30
EVIDENCE_COLUMNS = 30
view = ui.current_view()
lang = view.lang
cards = ui.query("district_cards", snapshot_id=view.snapshot_id)
ui.page_header("page_overview", "overview_intro", lang, n=len(cards))
shown = cards.nlargest(CARDS_SHOWN, "figures") if len(cards) > CARDS_SHOWN else cards
CARDS_PER_ROW = 3
for index, card in enumerate(shown.to_dict("records")):
    if index % CARDS_PER_ROW == 0:
        row = st.columns(CARDS_PER_ROW)
    with row[index % CARDS_PER_ROW].container(border=True):
        name, other = (card["name_zh"], card["name_en"]) if lang == "zh" else (card["name_en"], card["name_zh"])
        name, other = markdown_text(name), markdown_text(other)
        city = (
            card["city_zh"] + " · " + card["province_zh"]
            if lang == "zh"
            else f"{card['city_en']}, {card['province_en']}"
        )
        st.markdown(
            f"<span style='color:{place_color(card['district_id'])}'>■</span> **{name}** · {other}<br>"
            f"<span style='color:#7f8c8d;font-size:0.85rem'>{markdown_text(city)} · "
            f"{t('level_' + card['level'], lang)}</span>",
            unsafe_allow_html=True,
        )
        st.metric(t("figures", lang), f"{int(card['figures']):,}")
        st.caption(f"{t('report_period', lang)}: {markdown_text(ui.report_periods(card['report_periods'], lang))}")
        st.page_link(
            "pages/profile.py",
            label=t("open_profile", lang),
            icon=":material/location_on:",
            query_params=ui.page_params(view, district=card["district_id"]),
        )
if len(cards) > CARDS_SHOWN:
    st.caption(f"{len(cards):,} {t('places', lang)}; {t('page_profile', lang)} →")

st.subheader(t("evidence_title", lang))
st.caption(t("evidence_intro", lang))
category = views.overview_category(ui.SessionChoices())
st.segmented_control(
    t("category", lang),
    list(HEADLINE_CATEGORIES),
    key="category",
    required=True,
    format_func=lambda c: category_name(c, lang),
    label_visibility="collapsed",
)
columns = cards.nlargest(EVIDENCE_COLUMNS, "figures") if len(cards) > EVIDENCE_COLUMNS else cards
if len(cards) > EVIDENCE_COLUMNS:
    st.caption(t("more_places_hidden", lang, n=EVIDENCE_COLUMNS))
st.html(ui.evidence_table(view, category, ui.place_names(columns, lang), len(cards)))

st.subheader(t("headline_title", lang))
headline = views.headline_rows(ui.query, view.snapshot_id, HEADLINE_CATEGORIES)
names = ui.place_names(cards, lang)
panels = st.columns(2)
for index, (category, rows) in enumerate(tables.by_category(headline, HEADLINE_CATEGORIES)):
    first = rows.iloc[0]
    reporting = int(first["places_reporting"])
    with panels[index % 2].container(border=True):
        st.markdown(f"**{category_name(category, lang)}** · {markdown_text(localized(first, 'concept_name', lang))}")
        st.caption(f"{t('reported_by', lang)}: {reporting:,} / {len(cards):,}")
        if reporting < 2:
            st.caption(t("only_one_place", lang))
        if first["definitions"] > 1:
            definitions = tables.list_join([markdown_text(d) for d in tables.definitions_in(rows, lang)], lang)
            st.caption(t("definitions_differ", lang, definitions=definitions))
        ui.period_warning(rows["period_label"], lang)
        if reporting <= PANEL_BARS:  # every reporting place is here, so the others can be named
            missing = [markdown_text(name) for name in tables.places_missing_from(rows, names)]
            if missing:
                st.caption(t("not_reported_by", lang) + tables.list_join(missing, lang))
        else:
            st.caption(t("more_places_hidden", lang, n=PANEL_BARS))
        # Small panels plot the reporting places only; the caption names the others.
        figure = ui.comparison_chart(rows, first["unit"], lang, **views.PANEL_CHART_OPTIONS)
        st.plotly_chart(figure, key=f"headline_{category}", config={"displayModeBar": False})
        share_panel.show(view, "overview", {**ui.view_params(), "category": category}, key=f"headline_{category}")
        st.page_link(
            "pages/compare.py",
            label=t("open_compare", lang),
            icon=":material/bar_chart:",
            query_params=ui.page_params(view, category=category, concept=first["concept_id"]),
        )

st.subheader(t("coverage_title", lang))
st.caption(t("coverage_gap_note", lang))
coverage = ui.query("coverage_matrix", snapshot_id=view.snapshot_id)
# A readable matrix has tens of rows, not thousands: the places with most figures.
busiest = cards.nlargest(HEATMAP_ROWS, "figures")["district_id"]
coverage = coverage[coverage["district_id"].isin(busiest)]
if len(cards) > HEATMAP_ROWS:
    st.caption(t("more_places_hidden", lang, n=HEATMAP_ROWS))
st.plotly_chart(ui.coverage_chart(coverage, lang), key="coverage", config={"displayModeBar": False})

get_data.show(view)
ui.write_url(["category"])

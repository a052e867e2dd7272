"""A view passed on: described from its query string (title, places, periods, sources, citation) and its chart
laid out as an image with that description baked in (PNG 1200 × 630 for chats and slides, SVG for print).

The view is resolved by redengine/present/views.py, the functions the pages themselves use, so a link, its
preview, its image and the page show the same thing. redengine/web/images.py draws the image.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

import pandas as pd
import plotly.graph_objects as go

from redengine.core import view_state
from redengine.core.domain import distinct_periods, format_qualified
from redengine.core.i18n import LANGUAGES, category_name, column, list_join, localized, period_text, t
from redengine.core.markup import plotly_text
from redengine.data import store
from redengine.present import chart_text, charts, pages, tables, views

# An image URL with download=1 is served as an attachment (the share panel's Download buttons); not a view parameter.
DOWNLOAD_PARAM = "download"
DEFAULT_LANG = "zh"
IMAGE_FORMATS = {"png": "image/png", "svg": "image/svg+xml"}
IMAGE_WIDTH, IMAGE_HEIGHT = 1200, 630
IMAGE_BARS = 12  # a 630-pixel image holds this many lying bars legibly
PLACES_NAMED = 6  # in titles and footers; the rest are counted
FOOTER_PX = 100  # four lines of footer under the chart
TITLE_PX = 56
# Parameters whose value is the default when absent: left out of the short URL printed on an image.
SHORT_URL_DEFAULTS = {"view": "chart", "figures": "all", "amount": "total", "metric": views.EVERY_DEFINITION}


@dataclass(frozen=True)
class SharedView:
    """A page's view as a link passes it on."""

    page: str
    lang: str
    snapshot: store.SnapshotEntry
    params: dict[str, str]  # the canonical query string, every choice written out
    title: str  # what the view shows: the concept or metric, the category, the place
    places: list[str]
    periods: list[str]
    sources: list[str]  # report titles
    note: str  # what the chart leaves out, or ""
    chart: Callable[[], go.Figure] | None  # the page's chart, built on demand
    # The chart's text alternative (present/chart_text.py): the image's alt text; "" where there is no chart.
    chart_text: str = ""

    @property
    def headline(self) -> str:
        """'注册志愿者人数：武昌区、江岸区 · 红色引擎': for <title>, og:title and the image."""
        places = f"{t('share_title_sep', self.lang)}{self.places_text}" if self.places else ""
        return f"{self.title}{places} · {t('share_app', self.lang)}"

    @property
    def places_text(self) -> str:
        shown = list_join(self.places[:PLACES_NAMED], self.lang)
        more = len(self.places) - PLACES_NAMED
        return shown + (f" {t('share_more_places', self.lang, n=more)}" if more > 0 else "")

    @property
    def periods_text(self) -> str:
        return list_join(self.periods, self.lang)

    @property
    def sources_text(self) -> str:
        """'Source: …; …' / '来源：…；…'"""
        return t("share_source", self.lang) + self.sources_joined

    @property
    def sources_joined(self) -> str:
        return t("share_sources_sep", self.lang).join(self.sources)

    @property
    def description(self) -> str:
        if not self.places:
            return t("share_page_description", self.lang, snapshot=self.snapshot.id)
        periods = self.periods_text or t("share_no_figures", self.lang)
        return t("share_description", self.lang, places=self.places_text, periods=periods, snapshot=self.snapshot.id)

    def url(self, base: str) -> str:
        """The canonical URL of the view: every choice written out, so it reopens exactly this view."""
        return f"{base}{pages.path_of(self.page)}?{urlencode(self.params, safe=',')}"

    def short_url(self, base: str) -> str:
        """The URL without what its absence means anyway (defaults; a category implied by its concept)."""
        params = {k: v for k, v in self.params.items() if SHORT_URL_DEFAULTS.get(k) != v}
        if "concept" in params:
            params.pop("category", None)
        return f"{base}{pages.path_of(self.page)}?{urlencode(params, safe=',')}"

    def image_url(self, base: str, fmt: str = "png", download: bool = False) -> str:
        """The chart's image; with `download`, served as an attachment (DOWNLOAD_PARAM) to save, not to show."""
        page = self.page if self.page in pages.IMAGE_PAGES else pages.DEFAULT.url_path
        params = self.params if self.page in pages.IMAGE_PAGES else {"lang": self.lang, "snapshot": self.snapshot.id}
        params = {**params, DOWNLOAD_PARAM: "1"} if download else params
        return f"{base}/share/{page}.{fmt}?{urlencode(params, safe=',')}"

    def citation(self, base: str) -> str:
        return t(
            "share_citation",
            self.lang,
            title=self.title,
            places=self.places_text or "—",
            snapshot=self.snapshot.id,
            date=self.snapshot.added[:10],
            url=self.url(base),
            sources=self.sources_joined,
        )


def describe(
    page: str,
    params: Mapping[str, str | list[str]],
    query: views.Query,
    snapshots: list,
    default_lang: str = DEFAULT_LANG,
) -> SharedView:
    """The view `params` (a query string, as a dict) opens on `page`; invalid values fall back as on the page
    (without lang=, the page follows the browser's language: the caller passes it as `default_lang`).

    `query` runs a named query (cached.query in a page run, Database.query on the server); `snapshots` are the
    manifest's entries, oldest first.
    """
    choices = views.UrlChoices(params)
    lang = choices.pick("lang", list(LANGUAGES), default_lang)
    by_id = {entry.id: entry for entry in snapshots}
    snapshot_id = choices.pick("snapshot", list(reversed(by_id)), snapshots[-1].id)
    described = {"compare": _compare, "overview": _overview, "profile": _profile}.get(page, _other_page)
    title, places, periods, sources, note, chart, text = described(page, choices, query, snapshot_id, lang)
    values = view_state.to_query_params(choices.resolution.values)
    return SharedView(page, lang, by_id[snapshot_id], values, title, places, periods, sources, note, chart, text)


def _names(rows: pd.DataFrame, lang: str) -> list[str]:
    return list(dict.fromkeys(rows[column("name", lang)]))


def _compare(page, choices, query, snapshot_id, lang):
    view = views.compare_view(choices, query, snapshot_id)
    rows = view.rows(query)
    reported = rows[rows["value"].notna()]
    names = dict(zip(view.places["district_id"], view.places[column("name", lang)], strict=True))
    title = (
        localized(view.concept, "name", lang)
        if view.metric_id is None
        else str(view.definitions.set_index("metric_id").at[view.metric_id, column("name", lang)])
    )
    periods = [period_text(p, lang) for p in distinct_periods(reported["period_label"])]
    sources = list(dict.fromkeys(reported[column("source_title", lang)].dropna()))
    note = t("share_top_shown", lang, n=IMAGE_BARS, total=len(rows)) if len(rows) > IMAGE_BARS else ""
    unit = view.concept["unit"]

    def chart() -> go.Figure:
        return charts.comparison_bars(rows, unit, lang, **{**view.chart_options, "most": IMAGE_BARS})

    text = chart_text.comparison_text(rows, title, unit, lang, view.per_month, IMAGE_BARS)
    return title, [names[p] for p in view.chosen], periods, sources, note, chart, text


def _overview(page, choices, query, snapshot_id, lang):
    category = views.overview_category(choices)
    rows = tables.in_category(query("headline_figures", **views.headline_params(snapshot_id)), category)
    cards = query("district_cards", snapshot_id=snapshot_id)
    if rows.empty:
        return category_name(category, lang), [], [], [], "", None, ""
    first = rows.iloc[0]
    title = f"{category_name(category, lang)} · {localized(first, 'concept_name', lang)}"
    periods = [period_text(p, lang) for p in distinct_periods(rows["period_label"])]
    # The headline rows do not name their report: the reports of the places shown.
    reporting = cards[cards["district_id"].isin(set(rows["district_id"]))]
    sources = list(dict.fromkeys(reporting[column("report_titles", lang)].dropna()))
    note = t("share_top_shown", lang, n=len(rows), total=int(first["places_reporting"]))
    note = note if int(first["places_reporting"]) > len(rows) else ""

    def chart() -> go.Figure:
        return charts.comparison_bars(rows, first["unit"], lang, **views.PANEL_CHART_OPTIONS)

    text = chart_text.comparison_text(rows, title, first["unit"], lang)
    return title, _names(rows, lang), periods, sources, note, chart, text


def _profile(page, choices, query, snapshot_id, lang):
    places = query("district_cards", snapshot_id=snapshot_id)
    district_id = views.profile_district(choices, places)
    place = places.set_index("district_id").loc[district_id]
    facts = query("district_facts", snapshot_id=snapshot_id, district_id=district_id)
    headline = tables.first_per_category(facts)
    periods = [period_text(p, lang) for p in distinct_periods(headline["period_label"])]
    reports = localized(place, "report_titles", lang)
    sources = reports.split(" / ") if isinstance(reports, str) else []
    title = t("page_profile", lang)
    return title, [localized(place, "name", lang)], periods, sources, "", lambda: _headline_table(headline, lang), ""


def _other_page(page, choices, query, snapshot_id, lang):
    return t(f"page_{page}", lang), [], [], [], "", None, ""


def _headline_table(headline: pd.DataFrame, lang: str) -> go.Figure:
    """A place's headline figure per category, as a table: they are in different units, so not one chart."""
    cells = [
        [plotly_text(category_name(c, lang)) for c in headline["category"]],
        [plotly_text(m) for m in headline[column("metric_name", lang)]],
        [
            plotly_text(format_qualified(v, u, q, lang))
            for v, u, q in zip(headline["value"], headline["unit"], headline["qualifier"], strict=True)
        ],
        [plotly_text(period_text(p, lang)) for p in headline["period_label"]],
    ]
    header = [t(key, lang) for key in ("category", "definition", "col_value", "col_period")]
    return go.Figure(
        go.Table(
            columnwidth=[2, 5, 2, 3],
            header={"values": [f"<b>{h}</b>" for h in header], "fill_color": "#f2d7d5", "align": "left"},
            cells={"values": cells, "align": "left", "height": 30, "fill_color": "white"},
        ),
        layout={"font": {"family": charts.FONT, "size": 15}},
    )


# -- the link preview -----------------------------------------------------------------------------


def preview_tags(shared: SharedView, base: str) -> str:
    """<title> and the Open Graph and Twitter tags chat apps read for a link's preview. Escaped: the
    texts come from the data and the URL."""
    image = shared.image_url(base)
    tags = {
        "og:type": "website",
        "og:site_name": t("share_app", shared.lang),
        "og:locale": t("og_locale", shared.lang),
        "og:title": shared.headline,
        "og:description": shared.description,
        "og:url": shared.url(base),
        "og:image": image,
        "og:image:type": "image/png",
        "og:image:width": str(IMAGE_WIDTH),
        "og:image:height": str(IMAGE_HEIGHT),
        "og:image:alt": shared.headline,
    }
    names = {
        "description": shared.description,
        "twitter:card": "summary_large_image",
        "twitter:title": shared.headline,
        "twitter:description": shared.description,
        "twitter:image": image,
    }
    lines = [f"<title>{html.escape(shared.headline)}</title>"]
    lines += [f'<meta property="{k}" content="{html.escape(v)}" />' for k, v in tags.items()]
    lines += [f'<meta name="{k}" content="{html.escape(v)}" />' for k, v in names.items()]
    lines.append(f'<link rel="canonical" href="{html.escape(shared.url(base))}" />')
    return "\n    ".join(lines)


# -- the image ------------------------------------------------------------------------------------


def image_figure(shared: SharedView, base: str) -> go.Figure:
    """The chart at 1200 × 630 with the view's title above and, below, places and periods, the sources,
    the snapshot and the short URL of the view. Every outside string goes through plotly_text."""
    if shared.chart is None:
        raise ValueError(f"The page {shared.page} has no chart of its own.")
    figure = go.Figure(shared.chart())
    lang = shared.lang
    top = 40 + TITLE_PX
    plot_height = IMAGE_HEIGHT - top - FOOTER_PX
    footer_lines = [
        *_lines(" · ".join(x for x in (shared.places_text, shared.periods_text, shared.note) if x), 1),
        *_lines(shared.sources_text, 2),
        # The URL whole, never cut: it is what reopens the view.
        f"{t('share_snapshot', lang, snapshot=shared.snapshot.id)} · {shared.short_url(base)}",
    ]
    footer = "<br>".join(plotly_text(line) for line in footer_lines)
    # A legend of definitions goes to the right of the chart, where it cannot cover the title; none when the
    # title already names the one definition drawn.
    legend = [trace.name for trace in figure.data if getattr(trace, "showlegend", False)]
    with_legend = bool(legend) and legend != [plotly_text(shared.title)]
    legend_room = 380 if with_legend else 0
    figure.update_layout(
        width=IMAGE_WIDTH,
        height=IMAGE_HEIGHT,
        margin={"t": top, "b": FOOTER_PX, "l": 20, "r": 40 + legend_room},
        legend={"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1, "yanchor": "top", "font": {"size": 12}},
        title={
            "text": f"<b>{plotly_text(shared.headline)}</b>",
            "x": 0.015,
            "xanchor": "left",
            "y": 1 - 18 / IMAGE_HEIGHT,
            "yanchor": "top",
            "yref": "container",
            "font": {"size": 22, "color": "#922b21"},
        },
        showlegend=with_legend,
        paper_bgcolor="white",
        plot_bgcolor="white",
    )
    figure.add_annotation(
        text=footer,
        xref="paper",
        yref="paper",
        x=0,
        y=-(FOOTER_PX - 12) / plot_height,
        xanchor="left",
        yanchor="bottom",
        align="left",
        showarrow=False,
        font={"size": 13, "color": "#4d5656", "family": charts.FONT},
    )
    return figure


WORD_BREAK_REACH = 25
FOOTER_WIDTH = 165  # a footer line's room at 13 px in 1,200 pixels, in Latin characters (a CJK one counts two)


def _lines(text: str, most: int) -> list[str]:
    """`text` broken into footer lines, at most `most` of them, the last cut with '…' if it does not fit."""
    lines, start, width = [], 0, 0
    for index, char in enumerate(text):
        width += 2 if ord(char) >= 0x2E80 else 1
        if width > FOOTER_WIDTH:
            if len(lines) == most - 1:
                return [*lines, text[start : index - 1] + "…"]
            # Latin text breaks after a space near the end, not inside a word.
            space = text.rfind(" ", index - WORD_BREAK_REACH, index)
            end = space + 1 if space > start else index
            lines.append(text[start:end])
            start, width = end, sum(2 if ord(c) >= 0x2E80 else 1 for c in text[end : index + 1])
    return [*lines, text[start:]]


def image_name(shared: SharedView, fmt: str) -> str:
    """A file name for a downloaded image: page, the view's main choice, snapshot."""
    main = shared.params.get("concept") or shared.params.get("district") or shared.params.get("category") or "view"
    return f"redengine-{shared.page}-{main}-{shared.snapshot.id}.{fmt}"

"""A view passed on: described from its query string (title, places, periods, sources, citation) and its chart
laid out as an image with that description baked in (PNG 1200 × 630 for chats and slides, SVG for print).

The view is resolved by redengine/present/views.py, the functions the pages themselves use, so a link, its
preview, its image and the page show the same thing. redengine/web/images.py draws the image.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

import pandas as pd
import plotly.graph_objects as go

from redengine.core import view_state
from redengine.core.domain import format_qualified
from redengine.core.i18n import LANGUAGES, category_name, column, list_join, localized, period_text, t
from redengine.core.markup import plotly_text
from redengine.data import shared, store
from redengine.present import chart_text, charts, links, pages, tables, views

# An image URL with download=1 is served as an attachment (the share panel's Download buttons); not a view parameter.
DOWNLOAD_PARAM = "download"
DEFAULT_LANG = "zh"
IMAGE_FORMATS = {"png": "image/png", "svg": "image/svg+xml"}
IMAGE_WIDTH, IMAGE_HEIGHT = 1200, 630
IMAGE_BARS = 12  # a 630-pixel image holds this many lying bars legibly
PLACES_NAMED = 6  # in titles and footers; the rest are counted
FIGURES_DESCRIBED = 6  # in og:description, which chat apps cut after about 200 characters
FOOTER_PX = 140  # six lines of footer under the chart: places and periods, the verdict (two), sources (two), URL
TITLE_PX = 56
# Parameters whose value is the default when absent: left out of the short URL printed on an image.
SHORT_URL_DEFAULTS = {"view": "chart", "figures": "all", "amount": "total", "metric": views.EVERY_DEFINITION}


@dataclass(frozen=True)
class Figure:
    """One figure of a view, as the page, the link preview, the chart image and the server-painted first view
    show it: texts in the reader's language, escaped by whoever writes them into markup."""

    place: str
    definition: str  # what the figure counts: the metric's name
    value: str  # with its qualifier mark ('≥ 200', '≈ 20 days'); 'not reported' when the place has none
    period: str
    scope: str  # the part of the place it covers ('whole place'); '' when not reported
    verdict: str  # against the view's reference figure ('like for like', …); '' where the view judges none
    amount: float | None  # in the unit's base, for a bar's length; None when not reported
    unit: str

    @property
    def reported(self) -> bool:
        return self.amount is not None


def figures_of(rows: pd.DataFrame, lang: str, unit: str | None = None) -> tuple[Figure, ...]:
    """A query's figure rows (concept_figures, headline_figures, district_facts) as Figures; `unit` for rows
    without a unit column (concept_figures: the concept's)."""
    figures = []
    for row in rows.to_dict("records"):
        reported = not pd.isna(row["value"])
        row_unit = row.get("unit", unit)
        figures.append(
            Figure(
                place=localized(row, "name", lang) if column("name", lang) in row else "",
                definition=localized(row, "metric_name", lang),
                value=format_qualified(row["value"], row_unit, row["qualifier"], lang)
                if reported
                else t("not_reported", lang),
                period=period_text(row["period_label"], lang) if reported else "",
                scope=tables.scope_text(localized(row, "scope", lang), lang) if reported else "",
                verdict=tables.verdict_text(row.get("is_reference"), row.get("reasons"), lang),
                amount=float(row["value"]) if reported else None,
                unit=row_unit,
            )
        )
    return tuple(figures)


@dataclass(frozen=True, kw_only=True)
class ViewContent:
    """What a page's view shows, as every rendition of it needs it."""

    title: str  # what the view shows: the concept or metric, the category, the place
    places: list[str]
    figures: tuple[Figure, ...] = ()
    sources: list[str] = field(default_factory=list)  # report titles
    note: str = ""  # what the chart leaves out, or ""
    chart: Callable[[], go.Figure] | None = None  # the page's chart, built on demand
    # The chart's text alternative (present/chart_text.py): the image's alt text; "" where there is no chart.
    chart_text: str = ""
    api: dict[str, object] = field(default_factory=dict)  # the data API's filters for the same figures


@dataclass(frozen=True, kw_only=True)
class SharedView(ViewContent):
    """A page's view as a link passes it on: its content, language, snapshot and canonical query string."""

    page: str
    lang: str
    snapshot: store.SnapshotEntry
    params: dict[str, str]  # the canonical query string, every choice written out

    @property
    def periods(self) -> list[str]:
        """The different periods of the figures reported, in first-seen order."""
        return list(dict.fromkeys(f.period for f in self.figures if f.reported and f.period))

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
    def figures_text(self) -> str:
        """'江岸区 12.6万人（2021年）；武昌区 ≥ 200人（2020年）…': the first figures reported, named by place (and
        definition, where there are several), or by definition where the figures are all one place's."""
        reported = [f for f in self.figures if f.reported]
        one_place = len({f.place for f in reported}) == 1
        several_definitions = len({f.definition for f in reported}) > 1

        def name(figure: Figure) -> str:
            if one_place:
                return figure.definition
            return f"{figure.place} · {figure.definition}" if several_definitions else figure.place

        # each with its verdict against the view's reference, where the view judges one
        shown = [
            t("share_figure_judged", self.lang, name=name(f), value=f.value, period=f.period, verdict=f.verdict)
            if f.verdict
            else t("share_figure", self.lang, name=name(f), value=f.value, period=f.period)
            for f in reported[:FIGURES_DESCRIBED]
        ]
        more = len(reported) - FIGURES_DESCRIBED
        text = t("share_sources_sep", self.lang).join(shown)
        return text + (f" {t('share_more_figures', self.lang, n=more)}" if more > 0 else "")

    @property
    def description(self) -> str:
        """og:description: the figures themselves where the view has some (a chat app may show only a small
        thumbnail), else the places and periods, else what the dashboard is."""
        snapshot = self.snapshot.id
        if any(f.reported for f in self.figures):
            described = t("share_figures_description", self.lang, figures=self.figures_text, snapshot=snapshot)
            # then the caveats the page shows beside its chart: a preview travels without them
            return f"{described} {self.note}" if self.note else described
        if not self.places:
            return t("share_page_description", self.lang, snapshot=snapshot)
        periods = self.periods_text or t("share_no_figures", self.lang)
        return t("share_description", self.lang, places=self.places_text, periods=periods, snapshot=snapshot)

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

    def api_url(self, base: str, fmt: str = "csv") -> str:
        """The data API's URL for the view's figures, pinned to its snapshot."""
        return links.api_url(base, "facts", fmt, snapshot=self.snapshot.id, **self.api)

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

    `query` runs a named query (shared.query, memoised; tests may pass Database.query); `snapshots` are the
    manifest's entries, oldest first.
    """
    choices = views.UrlChoices(params)
    lang = choices.pick("lang", list(LANGUAGES), default_lang)
    by_id = {entry.id: entry for entry in snapshots}
    snapshot_id = choices.pick("snapshot", list(reversed(by_id)), snapshots[-1].id)
    described = {"compare": _compare, "overview": _overview, "profile": _profile}.get(page, _other_page)
    content = described(page, choices, query, snapshot_id, lang)
    values = view_state.to_query_params(choices.resolution.values)
    return SharedView(**vars(content), page=page, lang=lang, snapshot=by_id[snapshot_id], params=values)


def described(page: str, params: Iterable[tuple[str, str]], default_lang: str = DEFAULT_LANG) -> SharedView:
    """`describe` on the process's Database, once per view and manifest version: the page's share panel, the
    link preview, the painted first view and the chart image all take this one."""
    return _described(page, tuple(params), default_lang, shared.database().version())


@functools.lru_cache(maxsize=512)
def _described(page: str, params: tuple[tuple[str, str], ...], default_lang: str, version: str) -> SharedView:
    # `version` (the manifest's) is part of the key: a new snapshot is a new description.
    return describe(page, dict(params), shared.query, shared.database().snapshots(), default_lang)


shared.on_replace(_described.cache_clear)  # another data directory: nothing described from the old one


def _compare(page, choices, query, snapshot_id, lang) -> ViewContent:
    view = views.compare_view(choices, query, snapshot_id)
    rows = view.rows(query)
    reported = rows[rows["value"].notna()]
    names = dict(zip(view.places["district_id"], view.places[column("name", lang)], strict=True))
    title = (
        localized(view.concept, "name", lang)
        if view.metric_id is None
        else str(view.definitions.set_index("metric_id").at[view.metric_id, column("name", lang)])
    )
    unit = view.concept["unit"]
    # The image travels without the page: it carries the verdict, the figures off the axis and the arithmetic.
    summary = tables.comparison_summary(rows, lang, unit, view.per)
    top = [t("share_top_shown", lang, n=IMAGE_BARS, total=len(rows))] if len(rows) > IMAGE_BARS else []

    def chart() -> go.Figure:
        return charts.comparison_bars(rows, unit, lang, **{**view.chart_options, "most": IMAGE_BARS})

    return ViewContent(
        title=title,
        places=[names[p] for p in view.chosen],
        figures=figures_of(rows, lang, unit),
        sources=list(dict.fromkeys(reported[column("source_title", lang)].dropna())),
        note=" · ".join([*top, *summary.adjustments_short, *summary.off_axis, *summary.caveats]),
        chart=chart,
        chart_text=chart_text.comparison_text(rows, title, unit, lang, view.per_month, IMAGE_BARS, view.per),
        api={"concept": view.concept_id, "metric": view.metric_id, "district": view.chosen},
    )


def _overview(page, choices, query, snapshot_id, lang) -> ViewContent:
    category = views.overview_category(choices)
    cards = query("district_cards", snapshot_id=snapshot_id)
    panel = views.headline_panel(query, snapshot_id, category, cards["district_id"].tolist())
    if panel.leaders.empty:
        return ViewContent(title=category_name(category, lang), places=[], sources=_all_reports(cards, lang))
    first = panel.leaders.iloc[0]
    rows = panel.figures if panel.comparable else panel.own
    # with no supported comparison the view lists each place's own figure: titled by the category alone
    concept = f" · {localized(first, 'concept_name', lang)}" if panel.comparable else ""
    title = f"{category_name(category, lang)}{concept}"
    # The headline rows do not name their report: the reports of the places shown.
    reporting = cards[cards["district_id"].isin(set(rows["district_id"]))]

    def chart() -> go.Figure:
        if panel.comparable:
            return charts.comparison_bars(rows, first["unit"], lang, **views.PANEL_CHART_OPTIONS)
        return charts.figures_table(rows, lang, first="place")

    return ViewContent(
        title=title,
        places=_names(rows, lang),
        figures=figures_of(rows, lang),
        sources=_all_reports(reporting, lang),
        # The image and the preview travel without the page: they carry the verdict and its caveats.
        note=panel.verdict_note(lang),
        chart=chart,
        chart_text=chart_text.comparison_text(rows, title, first["unit"], lang) if panel.comparable else "",
        api={"concept": first["concept_id"]} if panel.comparable else {"category": category},
    )


def _profile(page, choices, query, snapshot_id, lang) -> ViewContent:
    places = query("district_cards", snapshot_id=snapshot_id)
    district_id = views.profile_district(choices, places)
    place = places.set_index("district_id").loc[district_id]
    headline = tables.by_category_order(
        query("place_headlines", snapshot_id=snapshot_id, district_ids=[district_id], categories=None)
    )
    name = localized(place, "name", lang)
    reports = localized(place, "report_titles", lang)
    return ViewContent(
        title=t("page_profile", lang),
        places=[name],
        figures=tuple(replace(f, place=name) for f in figures_of(headline, lang)),
        sources=reports.split(" / ") if isinstance(reports, str) else [],
        chart=lambda: charts.figures_table(headline, lang),
        api={"district": district_id},
    )


def _other_page(page, choices, query, snapshot_id, lang) -> ViewContent:
    """A page without a view of figures of its own: its title, and the reports the snapshot draws on."""
    return ViewContent(
        title=t(pages.BY_PATH[page].title_key, lang),
        places=[],
        sources=_all_reports(query("district_cards", snapshot_id=snapshot_id), lang),
    )


def _names(rows: pd.DataFrame, lang: str) -> list[str]:
    return list(dict.fromkeys(rows[column("name", lang)]))


def _all_reports(cards: pd.DataFrame, lang: str) -> list[str]:
    """The report titles of district_cards' places (each place's are ' / '-joined), each once."""
    titles = cards[column("report_titles", lang)].dropna().tolist()
    return list(dict.fromkeys(title for joined in titles for title in joined.split(" / ")))


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
        "og:image:alt": shared.chart_text or shared.headline,  # what the chart shows, in words
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
        *_lines(" · ".join(x for x in (shared.places_text, shared.periods_text) if x), 1),
        *(_lines(shared.note, 2) if shared.note else []),
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

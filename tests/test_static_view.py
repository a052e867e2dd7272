"""The view the server paints before Streamlit starts (present/static_view.py): the same figures as the live page
(every page, zh and en, on the bundled data, the page through AppTest), hostile text kept as text, the link
preview's figures, and the public base URL absolute links are built on.
"""

from __future__ import annotations

import html.parser
import json
import re
import time

import pytest
from conftest import BUNDLED, DATA_DIR
from hostile import HOSTILE, VARIANTS, hostile_data_dir
from test_pages import LANGS, compare_bars, metrics, open_page

from redengine.core.i18n import t
from redengine.data.db import Database
from redengine.present import pages, share, static_view
from redengine.web import routes

BASE = "https://dashboard.example.org"
PAGE_SCRIPTS = {page.url_path: page.script for page in pages.PAGES}


class PaintedView(html.parser.HTMLParser):
    """What a reader of the painted view gets: the tags and attributes used, the text, the title, the table's
    rows (cell texts) and the links."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()
        self.text: list[str] = []
        self.h1 = ""
        self.rows: list[list[str]] = []
        self.links: list[str] = []
        self._open: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes |= {name for name, _ in attrs}
        self._open.append(tag)
        if tag == "tr" and "tbody" in self._open:
            self.rows.append([])
        elif tag in ("th", "td") and self.rows and "tbody" in self._open:
            self.rows[-1].append("")
        elif tag == "a":
            self.links.append(dict(attrs)["href"])

    def handle_endtag(self, tag):
        while self._open and self._open.pop() != tag:
            pass

    def handle_data(self, data):
        if "style" in self._open:
            return
        self.text.append(data)
        if "h1" in self._open:
            self.h1 += data
        if "tbody" in self._open and self.rows and self.rows[-1] and ({"th", "td"} & set(self._open)):
            self.rows[-1][-1] += data


def painted(markup: str) -> PaintedView:
    parser = PaintedView()
    parser.feed(markup)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def bundled() -> Database:
    return Database(DATA_DIR)


def described(database: Database, page: str, **params: str) -> share.SharedView:
    return share.describe(page, params, database.query, database.snapshots())


# --- the same figures as the page -------------------------------------------------------------------


def live_texts(at) -> str:
    """Every text the live page drew: titles, Markdown, captions, metrics, HTML, tables and charts' labels."""
    texts = [e.value for kind in ("title", "markdown", "caption", "subheader") for e in at.get(kind)]
    texts += [f"{m.label} {m.value}" for m in at.metric]
    texts += [html.unescape(e.proto.body) for e in at.get("html")]  # "Jiang&#x27;an" reads "Jiang'an"
    texts += [e.value.to_csv() for e in at.dataframe]
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        texts += [str(text) for trace in spec["data"] for text in (trace.get("text") or [])]
        axes = [axis for name, axis in spec["layout"].items() if name.endswith("axis")]
        texts += [str(tick) for axis in axes for tick in axis.get("ticktext") or []]
    return "\n".join(texts)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("page", [page.url_path for page in pages.PAGES])
def test_the_painted_view_shows_the_figures_the_live_page_shows(bundled, page, lang):
    view = described(bundled, page, lang=lang)
    shown = painted(static_view.first_view(view, BASE))
    assert shown.h1 == t(pages.BY_PATH[page].title_key, lang)
    # The table is the description's figures: place (when several), definition, value with its mark, period.
    assert len(shown.rows) == len(view.figures)
    for row, figure in zip(shown.rows, view.figures, strict=True):
        assert figure.value in row and figure.definition in row and figure.period in row
    assert view.sources and t("share_source", lang) + view.sources_joined in "".join(shown.text)
    assert view.api_url(BASE) in shown.links

    # The live page of the same canonical URL (AppTest opens the Overview first, whose session choices a bare
    # link would otherwise inherit; a browser opening the link does not).
    at = open_page(PAGE_SCRIPTS[page], **view.params)
    live = live_texts(at)
    assert at.title[0].value == shown.h1
    for figure in view.figures:
        assert figure.value in live, f"{figure.value} is painted but not on the live {page} page"
        assert figure.period in live
    if page == "compare":  # the live chart's bars are exactly the painted figures
        bars = [bar for bar in compare_bars(at) if bar["value"] is not None]
        assert len(bars) == len([f for f in view.figures if f.reported])
        for bar, figure in zip(bars, (f for f in view.figures if f.reported), strict=True):
            assert figure.value in bar["text"] and figure.period in bar["text"]
    if page == "profile":  # the headline metrics are exactly the painted figures
        assert sorted(metrics(at).values()) == sorted(f.value for f in view.figures)
    if page == "overview":  # the Overview's headline figures, as its evidence matrix shows them too
        assert view.figures and all(f.place in live for f in view.figures)


# --- hostile text stays text --------------------------------------------------------------------------

OWN_TAGS = {"style", "div", "nav", "a", "main", "h1", "h2", "p", "b", "noscript", "span"}
OWN_TAGS |= {"table", "caption", "thead", "tbody", "tr", "th", "td"}
OWN_ATTRIBUTES = {"class", "href", "lang", "aria-label", "aria-current", "aria-hidden", "scope", "data-label", "style"}
HOSTILE_QUERY = {"places": HOSTILE[5], "concept": "<script>alert(1)</script>", "district": '"><img src=x>'}


@pytest.mark.parametrize("variant", range(VARIANTS))
def test_hostile_text_in_the_data_and_the_url_stays_text(tmp_path, variant):
    database = Database(hostile_data_dir(tmp_path, variant))
    for page in pages.BY_PATH:
        for lang in LANGS:
            view = share.describe(page, {"lang": lang, **HOSTILE_QUERY}, database.query, database.snapshots())
            markup = static_view.first_view(view, BASE)
            shown = painted(markup)
            assert shown.tags <= OWN_TAGS, shown.tags - OWN_TAGS
            assert shown.attributes <= OWN_ATTRIBUTES, shown.attributes - OWN_ATTRIBUTES
            # style= only ever sets a bar's width; every link is ours, relative or on the public base.
            assert set(re.findall(r'style="([^"]*)"', markup)) <= {f"width:{w}%" for w in _widths(markup)}
            assert all(link.startswith(("./", BASE)) for link in shown.links), shown.links
            text = "".join(shown.text)
            for figure in view.figures:  # a hostile name or value reads as typed, not as markup
                assert figure.place in text and figure.definition in text
            assert view.title in text and all(source in text for source in view.sources)


def _widths(markup: str) -> list[str]:
    return re.findall(r'class="rv-bar" style="width:([0-9.]+)%"', markup)


# --- the preview carries the answer ---------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_og_description_names_places_values_and_periods(bundled, lang):
    view = described(bundled, "compare", lang=lang, concept="registered_volunteers", places="jiangan,wuchang")
    expected = {
        "zh": "江岸区 104,953人（截至2018年第一季度，参照）；武昌区 180,000人（截至2017年底，同口径可比）。",
        "en": "Jiang'an District 104,953 people (as of 2018 Q1, reference); "
        "Wuchang District 180,000 people (as of end-2017, like for like).",
    }
    assert view.description.startswith(expected[lang]) and BUNDLED in view.description
    tags = share.preview_tags(view, BASE)
    assert f'<meta property="og:description" content="{expected[lang]}'.replace("'", "&#x27;") in tags


def test_a_place_profile_preview_names_figures_by_definition(bundled):
    view = described(bundled, "profile", lang="en", district="wuchang")
    assert "Registered volunteers 180,000 people (as of end-2017)" in view.description


# --- absolute URLs ---------------------------------------------------------------------------------------


def scope(headers: dict[str, str]) -> dict:
    return {"headers": [(k.encode(), v.encode()) for k, v in headers.items()], "scheme": "http"}


@pytest.fixture
def public_url(monkeypatch):
    def configure(value: str | None) -> None:
        if value is None:
            monkeypatch.delenv(routes.PUBLIC_URL_ENV, raising=False)
        else:
            monkeypatch.setenv(routes.PUBLIC_URL_ENV, value)
        routes.configured_public_url.cache_clear()

    yield configure
    routes.configured_public_url.cache_clear()


@pytest.mark.parametrize(
    ("configured", "headers", "expected"),
    [
        (None, {"host": "127.0.0.1:8501"}, "http://127.0.0.1:8501"),
        (BASE + "/", {"host": "127.0.0.1:8501"}, BASE),
        (BASE, {"host": "evil.example", "x-forwarded-host": "red.example:443", "x-forwarded-proto": "https"}, ""),
        (BASE, {"host": "x", "x-forwarded-host": "<bad>"}, BASE),
    ],
)
def test_the_public_base_is_the_proxys_then_the_configured_one(public_url, configured, headers, expected):
    public_url(configured)
    assert routes.public_base(scope(headers)) == (expected or "https://red.example:443")


@pytest.mark.parametrize("value", ["dashboard.example.org", "ftp://x.org", "https://x.org/path", "https://<x>"])
def test_a_malformed_public_url_is_refused_with_a_fix(public_url, value):
    public_url(value)
    with pytest.raises(ValueError, match=r"REDENGINE_PUBLIC_URL=.*Fix: set it to"):
        routes.configured_public_url()


# --- bounded ----------------------------------------------------------------------------------------------


def test_a_described_views_html_costs_milliseconds_after_its_first_request(use_data_dir):
    use_data_dir(DATA_DIR)
    template = b'<html lang="en"><head><title>x</title></head><body><div id="root"></div></body></html>'
    request = {"path": "/compare", "query_string": b"lang=en&concept=registered_volunteers", "headers": []}
    routes._with_preview(template, "compare", request)  # the first request queries
    started = time.perf_counter()
    for _ in range(20):
        body = routes._with_preview(template, "compare", request).decode()
    per_request_ms = (time.perf_counter() - started) * 1000 / 20
    assert per_request_ms < 5, per_request_ms
    assert '<div id="root"></div>' + static_view.STYLE in body and "104,953" in body

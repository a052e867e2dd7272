"""Links passed on: the link preview in the HTML of a page URL and the chart images under /share/, against a
real server started like `make run` (server.py) on the bundled data, with kaleido driving the Debian Chromium.

What a chat app does with a link: fetch the page URL (any path gets Streamlit's index.html), read <html lang>,
<title> and the og:/twitter: tags, then fetch og:image. Both languages, three pages.
"""

from __future__ import annotations

import gzip
import html.parser
import importlib.util
import os
import re
import struct
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from browser_helpers import get, streamlit_server
from conftest import BUNDLED, REPO
from hostile import hostile_data_dir

from redengine.core import chromium
from redengine.data import store
from redengine.data.db import Database
from redengine.present import pages, share, views
from redengine.web import images

spec = importlib.util.spec_from_file_location("share_images", REPO / "benchmarks" / "share_images.py")
share_images = importlib.util.module_from_spec(spec)
spec.loader.exec_module(share_images)

VOLUNTEERS = "concept=registered_volunteers&places=jiangan,wuchang"
# (page, query) → the preview's og:title in zh and en
PREVIEWS = {
    ("compare", VOLUNTEERS): (
        "注册志愿者人数：江岸区、武昌区 · 红色引擎",
        "Registered volunteers: Jiang'an District, Wuchang District · Red Engine",
    ),
    ("profile", "district=jiangan"): (
        "城区档案：江岸区 · 红色引擎",
        "District profile: Jiang'an District · Red Engine",
    ),
    ("overview", "category=volunteers"): ("志愿服务 · 注册志愿者人数：", "Volunteers · Registered volunteers: "),
}
SOURCE_LINE = {"zh": "来源：", "en": "Source: "}


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with streamlit_server("server.py") as url:
        yield url


class HeadTags(html.parser.HTMLParser):
    """<html lang>, <title> and the <meta> tags of a page, as a chat app's crawler reads them."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.title = ""
        self.meta: dict[str, str] = {}
        self.tags = 0
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        self.tags += 1
        attributes = dict(attrs)
        if tag == "html":
            self.lang = attributes.get("lang")
        elif tag == "title":
            self._in_title = True
        elif tag == "meta" and ("property" in attributes or "name" in attributes):
            self.meta[attributes.get("property") or attributes["name"]] = attributes.get("content", "")

    def handle_endtag(self, tag):
        self._in_title = self._in_title and tag != "title"

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def head_tags(markup: str) -> HeadTags:
    parser = HeadTags()
    parser.feed(markup)
    return parser


def png_size(body: bytes) -> tuple[int, int]:
    assert body.startswith(b"\x89PNG\r\n\x1a\n"), body[:20]
    return struct.unpack(">II", body[16:24])


def svg_text(body: bytes) -> str:
    """The words drawn in an SVG (its <text> elements; Plotly writes entities for some characters)."""
    return html.unescape(" ".join(re.findall(r"<text[^>]*>(.*?)</text>", body.decode("utf-8"), flags=re.S)))


# --- the preview ------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize(("page", "query"), list(PREVIEWS))
def test_a_page_url_previews_as_its_view_and_its_image_names_the_snapshot(server, page, query, lang):
    path = pages.path_of(page)
    status, headers, body = get(f"{server}{path}?lang={lang}&{query}", {"Accept-Encoding": "gzip, br"})
    assert status == 200 and headers.get("content-encoding") == "gzip"  # edited plain, then compressed whole
    tags = head_tags(gzip.decompress(body).decode("utf-8"))
    assert tags.lang == {"zh": "zh-CN", "en": "en"}[lang]
    expected = PREVIEWS[(page, query)][0 if lang == "zh" else 1]
    assert tags.title.startswith(expected) and tags.meta["og:title"] == tags.title
    assert tags.meta["twitter:card"] == "summary_large_image"
    assert BUNDLED in tags.meta["og:description"] and tags.meta["description"] == tags.meta["og:description"]
    og_url = urlsplit(tags.meta["og:url"])
    assert f"{og_url.scheme}://{og_url.netloc}" == server and og_url.path == path
    assert parse_qs(og_url.query)["snapshot"] == [BUNDLED]

    image = tags.meta["og:image"]
    assert image.startswith(f"{server}/share/{page}.png?") and tags.meta["twitter:image"] == image
    status, headers, png = get(image)
    assert status == 200 and headers["content-type"] == "image/png"
    assert png_size(png) == (share.IMAGE_WIDTH, share.IMAGE_HEIGHT) == (1200, 630)
    assert headers["x-redengine-snapshot"] == BUNDLED
    # The same figure as SVG: its footer's words can be read back.
    status, headers, svg = get(image.replace(f"/share/{page}.png", f"/share/{page}.svg"))
    assert status == 200 and headers["content-type"].startswith("image/svg+xml")
    words = svg_text(svg)
    assert BUNDLED in words and SOURCE_LINE[lang] in words
    assert f"{server}{path}?lang={lang}&snapshot={BUNDLED}" in words  # the short URL of the view


def test_the_preview_honours_the_proxy_headers(server):
    _, _, body = get(
        f"{server}/compare?lang=en&{VOLUNTEERS}",
        {"X-Forwarded-Host": "dashboard.example.org", "X-Forwarded-Proto": "https"},
    )
    tags = head_tags(body.decode("utf-8"))
    assert tags.meta["og:url"].startswith("https://dashboard.example.org/compare?")
    assert tags.meta["og:image"].startswith("https://dashboard.example.org/share/compare.png?")


def test_a_forged_host_header_is_not_written_into_the_page(server):
    _, _, body = get(f"{server}/compare?lang=en", {"X-Forwarded-Host": 'x"><script>alert(1)</script>'})
    markup = body.decode("utf-8")
    assert "alert(1)" not in markup
    assert head_tags(markup).meta["og:url"].startswith("http://127.0.0.1:")


def test_without_a_concept_compare_previews_its_default_concept(server):
    """The default comes from views.compare_view, as on the page: a headline concept most places report in one
    definition (investment attracted: Jiang'an, Wuchang), no longer 18 definitions under one name."""
    _, _, body = get(f"{server}/compare?lang=en")
    tags = head_tags(body.decode("utf-8"))
    assert tags.title.startswith("Investment attracted: Jiang'an District, Wuchang District")
    assert "concept=investment_attracted" in tags.meta["og:url"]


def test_a_page_without_a_chart_previews_with_the_overview_image(server):
    _, _, body = get(f"{server}/sources?lang=zh")
    tags = head_tags(body.decode("utf-8"))
    assert tags.title == "来源 · 红色引擎"
    assert tags.meta["og:image"].startswith(f"{server}/share/overview.png?lang=zh&snapshot={BUNDLED}")


def test_without_lang_the_preview_follows_the_browser_language(server):
    for accept, lang in [("zh-CN,zh;q=0.9", "zh-CN"), ("en-GB,en;q=0.8", "en"), ("", "en")]:
        _, _, body = get(f"{server}/profile?district=wuchang", {"Accept-Language": accept} if accept else {})
        assert head_tags(body.decode("utf-8")).lang == lang


def test_the_api_and_streamlit_are_untouched(server):
    status, headers, body = get(f"{server}/api/v1/snapshots.json")
    assert status == 200 and b"2026-11-23-curated" in body
    status, _, body = get(f"{server}/_stcore/health")
    assert status == 200 and body == b"ok"
    status, headers, _ = get(f"{server}/compare?lang=zh", {"If-None-Match": "*"})
    assert status == 200 and "etag" not in headers  # no 304: the tags differ with the query and the data
    assert headers["x-frame-options"] == "DENY"


def test_an_image_is_drawn_once_per_view(server):
    url = f"{server}/share/compare.png?lang=zh&concept=registered_volunteers&places=wuchang,jiangan"
    get(url)
    started = time.perf_counter()
    _, _, first = get(url)
    cached = time.perf_counter() - started
    # The same view written differently (defaults spelt out) is the same image from the cache.
    _, _, second = get(url + "&view=chart&figures=all")
    assert first == second and cached < 0.2, cached


def test_the_download_link_serves_the_same_image_as_an_attachment(server):
    """The share panel's Download PNG/SVG are links with download=1: the view's image, saved rather than shown."""
    view = f"{server}/share/compare.png?lang=zh&concept=registered_volunteers&places=wuchang,jiangan"
    _, shown_headers, shown = get(view)
    status, headers, saved = get(view + "&download=1")
    assert status == 200 and saved == shown
    assert shown_headers["content-disposition"].startswith("inline;")
    assert headers["content-disposition"] == (
        f'attachment; filename="redengine-compare-registered_volunteers-{BUNDLED}.png"'
    )


def test_an_unknown_image_is_a_404_that_says_what_exists(server):
    status, _, body = get(f"{server}/share/sources.png")
    assert status == 404 and b"Fix:" in body and b"compare" in body


# --- without Chromium ---------------------------------------------------------------------------


def test_without_chromium_images_are_a_503_with_a_message_and_pages_still_preview(tmp_path):
    with streamlit_server("server.py", env_extra={"REDENGINE_CHROMIUM": str(tmp_path / "no-chromium")}) as url:
        status, headers, body = get(f"{url}/share/compare.png?lang=en")
        assert status == 503 and headers["content-type"].startswith("text/plain")
        assert b"Chart images cannot be drawn" in body and b"Fix:" in body and str(tmp_path).encode() not in body
        status, _, page = get(f"{url}/compare?lang=en")
        assert status == 200 and head_tags(page.decode("utf-8")).title.startswith("Investment attracted")


# --- the description and the renderer, without a server --------------------------------------------


def test_preview_tags_carry_hostile_names_as_text(tmp_path):
    """Names with markup reach the tags (and the image) only escaped: one tag each, the text intact."""
    data = Database(hostile_data_dir(tmp_path, 0))
    shared = share.describe("compare", {"lang": "en"}, data.query, data.snapshots())
    markup = share.preview_tags(shared, "http://127.0.0.1:8501")
    tags = head_tags(markup)
    assert tags.tags == 1 + 11 + 5 + 1  # <title>, og: properties, named metas, the canonical link
    assert tags.title == shared.headline and tags.meta["og:description"] == shared.description
    assert any(c in shared.headline for c in "<>[]"), "the fixture's names should carry markup"


def test_the_share_view_is_the_page_view():
    """describe() resolves through views.compare_view, the page's own function, from the query alone."""
    data = Database(store.local_data_dir())
    params = {"lang": "zh", "concept": "registered_volunteers", "figures": "like", "places": "wuchang,nowhere"}
    shared = share.describe("compare", params, data.query, data.snapshots())
    page_view = views.compare_view(views.UrlChoices(params), data.query, data.snapshots()[-1].id)
    assert shared.params["places"] == ",".join(page_view.chosen) == "wuchang"  # the unknown id dropped
    assert shared.params["figures"] == "like" and shared.params["category"] == "volunteers"


def test_the_renderer_is_recycled_after_its_quota():
    data = Database(store.local_data_dir())
    shared = share.describe("profile", {"lang": "zh", "district": "haizhu"}, data.query, data.snapshots())
    renderer = images.Renderer(chromium.path(), recycle_after=2)
    try:
        drawn = [renderer.render(share.image_figure(shared, "http://x"), "png") for _ in range(3)]
    finally:
        renderer.close()
    assert renderer.browsers_opened == 2 and all(png_size(i) == (1200, 630) for i in drawn)


def _renderer_pss_mb() -> float:
    """PSS of this process's descendants: the renderer's Chromium."""
    with open("/proc/self/smaps_rollup") as rollup:
        own_kb = next(int(line.split()[1]) for line in rollup if line.startswith("Pss:"))
    return share_images.tree_pss_mb(os.getpid()) - own_kb / 1024


def test_the_renderer_collects_its_pages_garbage_so_its_memory_stays_flat():
    # Without the collections, measured: +104 MB over these 10 images; with one every 5, +5 MB.
    data = Database(store.local_data_dir())
    views_shared = [
        share.describe("profile", {"lang": lang, "district": place}, data.query, data.snapshots())
        for place in ("bazhou", "haizhu", "jiangan", "jianghan", "wuchang", "zhenjiang")
        for lang in ("zh", "en")
    ]
    figures = [share.image_figure(shared, "http://x") for shared in views_shared]
    renderer = images.Renderer(chromium.path(), collect_every=5)
    try:
        for figure in figures[:5]:
            renderer.render(figure, "png")
        settled = _renderer_pss_mb()
        for figure in figures[5:] + figures[:3]:
            renderer.render(figure, "png")
        grown = _renderer_pss_mb() - settled
    finally:
        renderer.close()
    assert renderer.browsers_opened == 1
    assert grown < 40, f"the renderer grew {grown:.0f} MB over 10 images"

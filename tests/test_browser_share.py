"""Passing a view on, in a real headless Chromium against server.py: the share panel's downloads, the printed
brief (page.pdf, read back with pypdf) and the phone (390 × 844). Screenshots, the downloaded PNG and the
printed PDF go to artifacts/screenshots/ for a person to look at.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from urllib.parse import unquote

import pytest
from browser_helpers import (
    SCREENSHOTS,
    VIEWPORT,
    debian_chromium,
    full_screenshot,
    open_view,
    overlapping_labels,
    streamlit_server,
    wait_for_app,
)
from conftest import BUNDLED
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader

from redengine.core.i18n import t

pytestmark = pytest.mark.browser
expect.set_options(timeout=20_000)  # the first image starts the server's Chromium (~4 s)

PHONE = {"width": 390, "height": 844}
# Each page's first view, and the Overview's other two sections: name → path and query
PAGES = {
    "overview": "?lang=zh",
    "overview-charts": "?lang=zh&section=charts",
    "overview-coverage": "?lang=zh&section=coverage",
    **{name: f"{name}?lang=zh" for name in ("compare", "profile", "sources", "changes", "sql")},
}
VOLUNTEERS = "concept=registered_volunteers&places=jiangan,wuchang"
# Words only the sidebar and the navigation show: none may be printed.
NAVIGATION_WORDS = {"en": ["What changed", "Language", "Get this data"], "zh": ["版本变化", "语言", "获取这些数据"]}


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with streamlit_server("server.py") as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with debian_chromium() as chromium:
        yield chromium


@pytest.fixture
def page(browser) -> Iterator[Page]:
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", accept_downloads=True)
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(browser) -> Iterator[Page]:
    context = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


def open_with_stylesheet(page: Page, url: str) -> None:
    """Opens the view and waits for app.py's stylesheet (share.css): a page's first run can report
    itself finished before the run that draws app.py's elements has."""
    open_view(page, url)
    page.wait_for_function(
        "() => [...document.querySelectorAll('style')].some(s => s.textContent.includes('redengine-print-only'))"
    )
    wait_for_app(page)


def png_size(body: bytes) -> tuple[int, int]:
    assert body.startswith(b"\x89PNG\r\n\x1a\n")
    return struct.unpack(">II", body[16:24])


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_download_buttons_give_the_chart_as_png_and_svg(page, base_url, lang):
    open_view(page, f"{base_url}/compare?lang={lang}&{VOLUNTEERS}")
    panel = page.locator(".st-key-share-comparison")
    with page.expect_download() as png_download:
        panel.get_by_role("link", name=t("share_png", lang)).click()
    png = png_download.value
    body = open(png.path(), "rb").read()
    assert png_size(body) == (1200, 630)
    assert png.suggested_filename == f"redengine-compare-registered_volunteers-{BUNDLED}.png"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / f"share-compare-{lang}.png").write_bytes(body)
    with page.expect_download() as svg_download:
        panel.get_by_role("link", name=t("share_svg", lang)).click()
    svg = open(svg_download.value.path(), encoding="utf-8").read()
    assert svg.startswith("<svg") and BUNDLED in svg and t("share_source", lang).strip() in svg


def test_copy_link_and_cite_give_the_canonical_url_and_the_citation(page, base_url):
    open_view(page, f"{base_url}/compare?lang=en&{VOLUNTEERS}")
    panel = page.locator(".st-key-share-comparison")
    panel.get_by_role("button", name=f"{t('share_copy_link', 'en')} · {t('share_cite', 'en')}").click()
    codes = page.get_by_test_id("stPopoverBody").get_by_test_id("stCode")
    expect(codes).to_have_count(2)
    link, citation = codes.all_inner_texts()
    # The URL the page itself wrote, the canonical view (Streamlit writes the commas as %2C).
    assert link.strip() == unquote(page.url)
    assert f"snapshot {BUNDLED} (2026-11-23)" in citation and link.strip() in citation
    assert "Registered volunteers. Jiang'an District, Wuchang District." in citation


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            f"compare?lang=en&{VOLUNTEERS}",
            # the verdict and the pair's caveat, no longer a period warning that contradicted the verdict (#22)
            ["Registered volunteers: Jiang'an District, Wuchang District", "Source: ", "are like for like", "Caveats:"],
        ),
        ("profile?lang=zh&district=wuchang", ["城区档案：武昌区", "来源：", "武昌区 · Wuchang District"]),
    ],
)
def test_print_is_a_clean_brief(page, base_url, path, expected):
    open_with_stylesheet(page, f"{base_url}/{path}")
    lang = "zh" if "lang=zh" in path else "en"
    url = page.url
    pdf = page.pdf(format="A4", print_background=True)
    name = path.split("?")[0]
    (SCREENSHOTS / f"print-{name}-{lang}.pdf").write_bytes(pdf)
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    flat = " ".join(text.split())
    for words in expected:
        assert " ".join(words.split()) in flat, (words, flat[:1500])
    assert BUNDLED in flat and url.split("?")[0] in flat.replace(" ", "")
    for word in NAVIGATION_WORDS[lang]:
        assert word not in flat, word
    if name == "compare":  # the HTML bars print in colour though the reader's browser leaves backgrounds out
        page.emulate_media(media="print")
        adjust = page.locator(".redengine-bars .bar").evaluate_all(
            "bs => bs.map(b => getComputedStyle(b).printColorAdjust)"
        )
        assert adjust and set(adjust) == {"exact"}


@pytest.mark.parametrize("name", PAGES)
def test_every_page_fits_a_phone(phone, base_url, name):
    open_with_stylesheet(phone, f"{base_url}/{PAGES[name]}")
    phone.wait_for_timeout(500)  # charts lay out after the script run
    widths = phone.evaluate(
        "() => { const m = document.querySelector('[data-testid=stMain]');"
        " return [document.documentElement.scrollWidth, m.scrollWidth, m.clientWidth]; }"
    )
    assert widths[0] <= PHONE["width"] and widths[1] <= widths[2], widths
    assert overlapping_labels(phone) == []
    full_screenshot(phone, f"phone-{name}-zh")
    # The navigation: behind the sidebar's button on a phone, one tap away.
    phone.get_by_test_id("stExpandSidebarButton").click()
    expect(phone.get_by_test_id("stSidebar").get_by_text(t("page_sources", "zh"), exact=True)).to_be_visible()


def test_a_phone_shows_the_chart_image_to_long_press(phone, base_url):
    open_view(phone, f"{base_url}/compare?lang=zh&{VOLUNTEERS}")
    image = phone.locator(".st-key-share-comparison .redengine-phone-image img")
    image.scroll_into_view_if_needed()
    expect(image).to_be_visible()
    phone.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert image.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [1200, 630]
    assert image.evaluate("img => img.getBoundingClientRect().right") <= PHONE["width"]


def test_a_desktop_does_not_load_the_phone_image(page, base_url):
    open_view(page, f"{base_url}/compare?lang=en&{VOLUNTEERS}")
    expect(page.locator(".redengine-phone-image").first).to_be_hidden()

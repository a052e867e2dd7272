"""The "Get this data" panel on every page and the SQL page: AppTest for what each run builds,
a real server and Chromium for what a person sees and for the URLs the panel hands out."""

from __future__ import annotations

import io
import urllib.request
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
from browser_helpers import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, full_screenshot, open_view, streamlit_server
from playwright.sync_api import Page, expect, sync_playwright
from streamlit.testing.v1 import AppTest
from test_pages import (  # noqa: F401 - media is a fixture
    CHANGES,
    COMPARE,
    LANGS,
    OVERVIEW,
    PROFILE,
    SOURCES,
    VOLUNTEERS,
    download_csv,
    media,
    open_page,
)

from redengine.core.i18n import t
from redengine.ui import get_data

BUNDLED = "2026-11-23-curated"
SQL = "pages/sql.py"
# What each page shows, as the facts endpoint's filters.
PANEL_FILTERS = {
    OVERVIEW: ({}, {}),
    COMPARE: (
        {**VOLUNTEERS, "places": "jiangan,wuchang"},
        {"concept": "registered_volunteers", "metric": "registered_volunteers", "district": "jiangan,wuchang"},
    ),
    PROFILE: ({"district": "haizhu"}, {"district": "haizhu"}),
    SOURCES: ({"source": "wuchang_2017"}, {"source": "wuchang_2017"}),
}


def panel_codes(at: AppTest, lang: str) -> list[str]:
    """The panel's code blocks, once opened (it draws them only then)."""
    (panel,) = [e for e in at.expander if e.label == t("get_data", lang)]
    assert list(panel.code) == []
    at.session_state[get_data.PANEL_KEY] = True
    at.run()
    (panel,) = [e for e in at.expander if e.label == t("get_data", lang)]
    return [code.value for code in panel.code]


def params_of(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query).items()}


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("page", list(PANEL_FILTERS))
def test_each_page_offers_the_url_of_what_it_shows(page, lang):
    view, expected = PANEL_FILTERS[page]
    at = open_page(page, lang=lang, **view)
    url, pandas_code, r_code, citation = panel_codes(at, lang)
    assert urlsplit(url).path == "/api/v1/facts.csv"
    assert params_of(url) == {"snapshot": BUNDLED, **expected}
    assert pandas_code == f'import pandas as pd; df = pd.read_csv("{url}")'
    assert r_code == f'df <- read.csv("{url}", fileEncoding = "UTF-8-BOM")'
    assert BUNDLED in citation and "2026-11-23" in citation and f"/api/v1/snapshots/{BUNDLED}.zip" in citation


def test_what_changed_offers_both_snapshots():
    at = open_page(CHANGES, lang="en")
    urls = [code for code in panel_codes(at, "en") if code.startswith("http")]
    assert [params_of(url)["snapshot"] for url in urls] == [BUNDLED]  # from and to are the one bundled snapshot


@pytest.mark.parametrize("lang", LANGS)
def test_the_sql_page_runs_the_query_in_the_url(lang, media):  # noqa: F811 - the fixture imported above
    at = open_page(SQL, lang=lang, q="select district_id, count(*) as n from facts group by all order by all")
    assert at.title[0].value == t("page_sql", lang)
    (table,) = at.dataframe
    shown = table.value
    assert list(shown.columns) == ["district_id", "n"] and shown["n"].sum() == 328 and len(shown) == 6
    downloaded = download_csv(at, media)
    assert list(downloaded["n"]) == list(shown["n"])
    url = panel_codes(at, lang)[0]
    assert urlsplit(url).path == "/api/v1/sql.csv" and params_of(url)["q"].startswith("select district_id")


def test_a_refused_query_is_a_message_not_a_traceback():
    at = open_page(SQL, lang="en", q="copy facts to '/tmp/leak.csv'")
    assert not at.exception
    assert [e.value for e in at.error] and "COPY statements are refused" in at.error[0].value
    assert "Fix:" in at.error[0].value
    assert not at.dataframe


def test_an_edited_query_goes_into_the_url():
    at = open_page(SQL, lang="en")
    assert at.query_params["q"]  # the example, written in full
    at.text_area(key="q").input("select 42 as answer")
    next(b for b in at.button if b.label == t("sql_run", "en")).click().run()  # the form's Run button
    assert not at.exception
    assert at.query_params["q"] == "select 42 as answer"
    assert at.dataframe[0].value["answer"].tolist() == [42]


# --- in Chromium -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with streamlit_server("server.py") as url:
        yield url


@pytest.fixture(scope="module")
def chromium_page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser.new_page(viewport=VIEWPORT)
        browser.close()


@pytest.mark.browser
@pytest.mark.parametrize("lang", LANGS)
def test_the_panel_in_chromium_hands_out_a_url_that_returns_the_rows_shown(chromium_page, server, lang):
    page = chromium_page
    open_view(page, f"{server}/compare?lang={lang}&snapshot={BUNDLED}&category=volunteers&metric=registered_volunteers")
    main = page.get_by_test_id("stMain")
    main.get_by_text(t("get_data", lang), exact=True).click()
    code = main.get_by_test_id("stCode").first
    expect(code).to_contain_text("/api/v1/facts.csv")
    url = code.inner_text().strip()
    assert urlsplit(url).netloc == urlsplit(server).netloc  # the address the reader's browser uses
    full_screenshot(page, f"get-data-compare-{lang}")
    with urllib.request.urlopen(url, timeout=30) as response:
        fetched = pd.read_csv(io.BytesIO(response.read()), encoding="utf-8-sig")
    assert set(fetched["metric_id"]) == {"registered_volunteers"}
    assert set(fetched["district_id"]) <= set(params_of(url)["district"].split(","))
    assert len(fetched) > 0


@pytest.mark.browser
@pytest.mark.parametrize("lang", LANGS)
def test_the_sql_page_in_chromium(chromium_page, server, lang):
    page = chromium_page
    open_view(page, f"{server}/sql?lang={lang}&snapshot={BUNDLED}&q=select+count(*)+as+figures+from+facts")
    main = page.get_by_test_id("stMain")
    expect(main.get_by_test_id("stDataFrame")).to_be_visible()
    expect(main.get_by_text(t("sql_rows", lang, n=1))).to_be_visible()
    full_screenshot(page, f"sql-{lang}")
    open_view(page, f"{server}/sql?lang={lang}&snapshot={BUNDLED}&q=attach+'/tmp/x.db'+as+x")
    expect(main.get_by_test_id("stAlertContentError")).to_contain_text("ATTACH statements are refused")
    expect(main.get_by_test_id("stException")).to_have_count(0)
    full_screenshot(page, f"sql-refused-{lang}")

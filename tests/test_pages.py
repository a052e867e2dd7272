"""Every page through Streamlit's AppTest: the figures a reader checks, in zh and en.

AppTest runs app.py; its first run lands on the default page (Overview), which writes its
own view into the query string. To open another page the test switches to it and sets the
query string again, as a shared link would.
"""

from __future__ import annotations

import html
import io
import json
import math
import re
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from conftest import DATA_DIR, MANY_PLACES
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1 import app_test as app_test_module

from redengine.core.i18n import t
from redengine.core.markup import markdown_code, markdown_text
from redengine.core.view_state import View
from redengine.data import shared, snapshots, store
from redengine.data.db import Database
from redengine.ui import cached, widgets

REPO = Path(__file__).resolve().parent.parent
APP = str(REPO / "app.py")
BUNDLED = "2026-11-23-curated"
OVERVIEW, COMPARE, PROFILE, SOURCES, CHANGES = (
    "pages/overview.py",
    "pages/compare.py",
    "pages/profile.py",
    "pages/sources.py",
    "pages/changes.py",
)
PAGE_TITLES = {
    OVERVIEW: "page_overview",
    COMPARE: "page_compare",
    PROFILE: "page_profile",
    SOURCES: "page_sources",
    CHANGES: "page_changes",
}
LANGS = ("zh", "en")

# What a reader sees for the known figures, per language.
SHOWN = {
    "zh": {
        "jiangan_volunteers": "104,953人",
        "wuchang_volunteers": "180,000人",
        "jiangan_investment": "188.8亿元",
        "jiangan": "江岸区",
        "wuchang": "武昌区",
        "haizhu": "海珠区",
        "not_reported": "未报告",
        "period_jiangan": "2018年第一季度",
        "period_jiangan_stock": "截至2018年第一季度",
        "period_wuchang": "截至2017年底",
    },
    "en": {
        "jiangan_volunteers": "104,953 people",
        "wuchang_volunteers": "180,000 people",
        "jiangan_investment": "CNY 18.88 bn",
        "jiangan": "Jiang'an District",
        "wuchang": "Wuchang District",
        "haizhu": "Haizhu District",
        "not_reported": "not reported",
        "period_jiangan": "2018 Q1",
        "period_jiangan_stock": "as of 2018 Q1",
        "period_wuchang": "as of end-2017",
    },
}
JIANGAN_VOLUNTEERS_QUOTE = "注册志愿者104953人"
WUCHANG_VOLUNTEERS_QUOTE = "目前全区志愿者网上登记注册人数已达18万人"
JIANGAN_VOLUNTEERS_FACT = "f472762d79"  # fact id of Jiang'an's registered volunteers (jiangan_2018q1)
VOLUNTEERS = {"category": "volunteers", "metric": "registered_volunteers"}
STREETS = {"category": "governance", "metric": "streets"}


# --- helpers ---------------------------------------------------------------------------


@pytest.fixture
def media(monkeypatch) -> list[MemoryMediaFileStorage]:
    """Keeps the media storages AppTest creates, so a download button's bytes can be read."""
    storages: list[MemoryMediaFileStorage] = []

    class Recording(MemoryMediaFileStorage):
        def __init__(self, endpoint: str) -> None:
            super().__init__(endpoint)
            storages.append(self)

    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", Recording)
    return storages


def open_page(page: str, **params: str) -> AppTest:
    """A new session opened on a URL: page path plus query string."""
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params.update(params)
    at.run()
    if page != OVERVIEW:
        at.switch_page(page)
        at.query_params.clear()
        at.query_params.update(params)
        at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning]


def shown_table(at: AppTest) -> pd.DataFrame:
    assert len(at.dataframe) == 1, "expected exactly one table"
    return at.dataframe[0].value.reset_index(drop=True)


def row_of(table: pd.DataFrame, lang: str, place: str) -> pd.Series:
    rows = table[table[t("col_place", lang)] == SHOWN[lang][place]]
    assert len(rows) == 1, f"{place} not in {list(table[t('col_place', lang)])}"
    return rows.iloc[0]


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def download_csv(at: AppTest, storages: list[MemoryMediaFileStorage]) -> pd.DataFrame:
    # The CSV's button, not the image downloads of a chart's share panel.
    images = {t(f"share_{fmt}", lang) for fmt in ("png", "svg") for lang in LANGS}
    (button,) = [b for b in at.get("download_button") if b.label not in images]
    name = button.proto.url.rsplit("/", 1)[-1]
    for storage in reversed(storages):
        try:
            payload = storage.get_file(name).content
        except Exception:  # noqa: BLE001 - not in this run's storage
            continue
        assert payload.startswith(b"\xef\xbb\xbf"), "CSV should start with a UTF-8 byte-order mark for Excel"
        return pd.read_csv(io.BytesIO(payload), encoding="utf-8-sig")
    raise AssertionError(f"download {name} not found in the media storage")


def compare_bars(at: AppTest) -> list[dict]:
    """Compare's chart, its HTML bars (chart_text.comparison_html) in order: the place's id, and for a figure its
    period, definition, the value drawn (value) and colour; `text` is what the row reads."""
    (figure,) = [e.proto.body for e in at.get("html") if e.proto.body.startswith('<figure class="redengine-bars"')]
    bars = []
    for attributes, inner in re.findall(r"<li ([^>]*)>(.*?)</li>", figure):
        bar = {name: html.unescape(value) for name, value in re.findall(r'data-(\w+)="([^"]*)"', attributes)}
        bar["value"] = float(bar["value"]) if "value" in bar else None
        color = re.search(r"background-color:(#\w+)", inner)
        bar["color"] = color and color.group(1)
        bar["text"] = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inner)).split())
        bars.append(bar)
    return bars


def bar_keys(at: AppTest) -> list[str]:
    """Compare's drawn figures as 'place|period|definition'."""
    return [f"{b['place']}|{b['period']}|{b['definition']}" for b in compare_bars(at) if b["value"] is not None]


def chart_bars(at: AppTest, index: int = 0) -> dict[str, dict]:
    """Each bar of a chart by the label its places axis shows (x when upright, y when lying): value
    ("y", the bar's length either way), label text and colour."""
    spec = json.loads(at.get("plotly_chart")[index].proto.spec)
    lying = any(trace.get("orientation") == "h" for trace in spec["data"])
    places, values = ("y", "x") if lying else ("x", "y")
    axis = spec["layout"][f"{places}axis"]
    shown = dict(zip(axis["tickvals"], axis["ticktext"], strict=True))  # bars sit at place|period keys
    bars = {}
    for trace in spec["data"]:
        if trace.get("showlegend"):  # a definition's legend entry, not bars
            continue
        colors = trace["marker"]["color"]
        for i, key in enumerate(trace.get(places) or []):
            color = colors[i] if isinstance(colors, list) else colors
            bars[shown[key]] = {"y": trace[values][i], "text": trace["text"][i], "color": color}
    return bars


# --- every page renders ----------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("page", list(PAGE_TITLES))
def test_every_page_renders_in_each_language(page, lang):
    at = open_page(page, lang=lang)
    assert at.title[0].value == t(PAGE_TITLES[page], lang)
    assert not at.error
    assert at.query_params["lang"] == lang
    assert at.query_params["snapshot"] == BUNDLED
    assert at.session_state["lang"] == lang
    # The sidebar language switch shows the language in force.
    assert at.sidebar.button_group(key="lang").value == lang


@pytest.mark.parametrize("lang", LANGS)
def test_overview_shows_six_places_and_the_headline_charts(lang):
    at = open_page(OVERVIEW, lang=lang, section="charts")
    names = {"zh": ["江岸区", "江汉区", "武昌区", "海珠区", "镇江市", "巴州区"], "en": ["Jiang'an", "Haizhu", "Bazhou"]}
    # The places: a strip of six chips, each a link to its profile with its report period and figures.
    strip = next(h.proto.body for h in at.get("html") if "redengine-places" in h.proto.body)
    text = html.unescape(strip)
    for name in names[lang]:
        assert name in text
    assert strip.count("./profile?") == 6
    figures = re.findall(re.escape(t("figures", lang)) + r" ([\d,]+)<", text)
    assert sum(int(n.replace(",", "")) for n in figures) == 328  # every curated figure
    # Charts only for the categories whose reports support a like-for-like comparison (volunteers, service
    # centres); organizations and investment say there is none (tests/test_like_with_like.py).
    panels = [chart_bars(at, index) for index in range(2)]
    bars = [bar for panel in panels for bar in panel.values()]
    # The half-width panels lie their bars down (a phone's width): the period under the place, the value beside.
    labels = {label: bar["text"] for panel in panels for label, bar in panel.items()}
    jiangan = [label for label, text in labels.items() if text == SHOWN[lang]["jiangan_volunteers"]]
    assert [label.split("<br>")[0] for label in jiangan] == [axis_name(lang, "jiangan")]
    assert SHOWN[lang]["period_jiangan_stock"] in jiangan[0]
    # The small panels plot reporting places only, never a bar of 0; the caption names the rest.
    assert all(bar["y"] > 0 for bar in bars)
    captions = " ".join(c.value for c in at.caption)
    assert t("not_reported_by", lang) in captions
    assert SHOWN[lang]["haizhu"] in captions  # Haizhu reports no volunteers figure


def test_overview_draws_only_the_section_chosen_and_the_url_names_it():
    """The first view of the Overview draws no chart: the evidence matrix, then a click for the charts."""
    at = open_page(OVERVIEW, lang="en")
    assert at.query_params["section"] == "evidence" and not at.get("plotly_chart")
    assert any("<table" in h.proto.body for h in at.get("html")), "the evidence matrix is drawn"
    at.button_group(key="section").set_value("charts").run()
    assert at.query_params["section"] == "charts" and len(at.get("plotly_chart")) == 2
    assert not any("<table" in h.proto.body for h in at.get("html"))
    at.button_group(key="section").set_value("coverage").run()
    heatmaps = [json.loads(chart.proto.spec)["data"][0]["type"] for chart in at.get("plotly_chart")]
    assert heatmaps == ["heatmap"] and at.query_params["section"] == "coverage"
    # The category chosen for the evidence matrix is kept while another section is shown, and in the link.
    at.button_group(key="section").set_value("evidence").run()
    at.button_group(key="category").set_value("volunteers").run()
    at.button_group(key="section").set_value("charts").run()
    assert at.query_params["category"] == "volunteers"
    again = open_page(OVERVIEW, **at.query_params)
    assert again.button_group(key="section").value == "charts" and len(again.get("plotly_chart")) == 2
    at.button_group(key="section").set_value("evidence").run()
    assert at.button_group(key="category").value == "volunteers"


# --- the right figures ---------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_profile_shows_jiangan_headline_figures(lang):
    at = open_page(PROFILE, lang=lang, district="jiangan")
    assert at.selectbox(key="district").value == "jiangan"
    shown = metrics(at)
    volunteers = next(v for k, v in shown.items() if k.startswith(t("cat_volunteers", lang)))
    investment = next(k for k in shown if k.startswith(t("cat_investment", lang)))
    assert volunteers == SHOWN[lang]["jiangan_volunteers"]
    # Each category's headline is the place's own figure (place_headlines): investment attracted, no longer a
    # 'projects signed' figure picked because that kind was common (its 新引进 projects were not even signed).
    assert investment.endswith(markdown_text(localized_metric(lang, "investment_attracted")))
    # Every figure, with its quote, in the tables below.
    quotes = pd.concat([frame.value for frame in at.dataframe])[t("col_quote", lang)]
    assert JIANGAN_VOLUNTEERS_QUOTE in set(quotes)
    assert at.query_params["district"] == "jiangan"


@pytest.mark.parametrize("lang", LANGS)
def test_compare_table_shows_registered_volunteers(lang):
    at = open_page(COMPARE, lang=lang, **VOLUNTEERS, places="jiangan,wuchang", view="table")
    assert at.selectbox(key="metric").value == "registered_volunteers"
    reporting = {"zh": "注册志愿者人数 (2 地报告)", "en": "Registered volunteers (reported by 2)"}
    assert reporting[lang] in at.selectbox(key="metric").options
    assert at.multiselect(key="places").value == ["jiangan", "wuchang"]
    table = shown_table(at)
    assert len(table) == 2
    jiangan = row_of(table, lang, "jiangan")
    assert jiangan[t("col_value", lang)] == SHOWN[lang]["jiangan_volunteers"]
    assert jiangan[t("col_value_base", lang)] == 104_953
    assert jiangan[t("col_as_written", lang)] == "104953人"
    assert jiangan[t("col_period", lang)] == SHOWN[lang]["period_jiangan_stock"]
    assert jiangan[t("col_quote", lang)] == JIANGAN_VOLUNTEERS_QUOTE
    assert jiangan[t("col_link", lang)] == (
        f"./sources?lang={lang}&snapshot={BUNDLED}&source=jiangan_2018q1&fact={JIANGAN_VOLUNTEERS_FACT}"
    )
    wuchang = row_of(table, lang, "wuchang")
    assert wuchang[t("col_value", lang)] == SHOWN[lang]["wuchang_volunteers"]
    assert wuchang[t("col_value_base", lang)] == 180_000
    assert wuchang[t("col_as_written", lang)] == "18万人"  # as written, never confused with the base value
    assert wuchang[t("col_period", lang)] == SHOWN[lang]["period_wuchang"]


def localized_metric(lang: str, metric_id: str) -> str:
    metrics = pd.read_parquet(DATA_DIR / "metrics.parquet").set_index("metric_id")
    return metrics.at[metric_id, f"name_{lang}"]


def axis_name(lang: str, place: str) -> str:
    """Charts name places briefly: 'Jiang'an', not 'Jiang'an District'."""
    return SHOWN[lang][place].removesuffix(" District")


@pytest.mark.parametrize("lang", LANGS)
def test_compare_chart_labels_each_bar_with_value_and_period(lang):
    at = open_page(COMPARE, lang=lang, **VOLUNTEERS, places="jiangan,wuchang", view="chart")
    assert not at.dataframe and not at.get("plotly_chart")  # HTML bars: no Plotly on Compare's screen
    jiangan, wuchang = compare_bars(at)
    assert jiangan["place"] == "jiangan" and wuchang["place"] == "wuchang"  # the places' order
    assert jiangan["text"].startswith(f"{SHOWN[lang]['jiangan']} {SHOWN[lang]['jiangan_volunteers']}")
    assert SHOWN[lang]["period_jiangan_stock"] in jiangan["text"]
    assert wuchang["text"].startswith(f"{SHOWN[lang]['wuchang']} {SHOWN[lang]['wuchang_volunteers']}")
    assert SHOWN[lang]["period_wuchang"] in wuchang["text"]
    assert (jiangan["value"], wuchang["value"]) == (104953, 180000)


@pytest.mark.parametrize("lang", LANGS)
def test_compare_money_in_the_readers_scale(lang):
    at = open_page(COMPARE, lang=lang, category="investment", metric="investment_attracted", places="jiangan")
    assert at.button_group(key="view").value == "chart"
    at.button_group(key="view").set_value("table").run()
    jiangan = row_of(shown_table(at), lang, "jiangan")
    assert jiangan[t("col_value", lang)] == SHOWN[lang]["jiangan_investment"]
    assert jiangan[t("col_as_written", lang)] == "188.8亿元"
    assert jiangan[t("col_value_base", lang)] == 18_880_000_000


def test_compare_table_speaks_only_chinese_in_zh():
    """Headers and cells of the zh table are Chinese, apart from quotes' digits and links."""
    at = open_page(COMPARE, lang="zh", **VOLUNTEERS, places="jiangan,wuchang", view="table")
    table = shown_table(at)
    assert all(not any(c.isascii() and c.isalpha() for c in header) for header in table.columns)
    # The unit column reads 人, as the value column does; "people" is the English label.
    assert set(table["单位"]) == {"人"}


@pytest.mark.parametrize("view", ["table", "chart"])
@pytest.mark.parametrize("lang", LANGS)
def test_a_place_that_does_not_report_is_marked_not_reported(lang, view):
    at = open_page(COMPARE, lang=lang, **STREETS, places="jiangan,haizhu", view=view)
    assert at.multiselect(key="places").value == ["jiangan", "haizhu"]
    (info,) = [c.value for c in at.caption if c.value.startswith(t("not_reported_by", lang))]
    assert info == t("not_reported_by", lang) + SHOWN[lang]["haizhu"]
    assert SHOWN[lang]["jiangan"] not in info
    if view == "table":
        table = shown_table(at)
        haizhu = row_of(table, lang, "haizhu")
        assert haizhu[t("col_value", lang)] == SHOWN[lang]["not_reported"]
        assert math.isnan(haizhu[t("col_value_base", lang)])  # no number, certainly not 0
        assert row_of(table, lang, "jiangan")[t("col_value", lang)] == "16"
    else:
        jiangan, haizhu = compare_bars(at)
        assert haizhu["text"] == f"{SHOWN[lang]['haizhu']} {SHOWN[lang]['not_reported']}"
        assert haizhu["value"] is None and haizhu["color"] is None  # a label, not a bar
        assert jiangan["value"] == 16


@pytest.mark.parametrize("lang", LANGS)
def test_periods_are_shown_but_no_warning_contradicts_the_verdict(lang):
    """Jiang'an (2018 Q1) and Wuchang (end-2017) are like for like by the verdict (stocks dated within a year): the
    old warning that compared period labels and called them 'not like for like' is gone; each bar names its date."""
    at = open_page(COMPARE, lang=lang, **VOLUNTEERS, places="jiangan,wuchang")
    assert warnings(at) == []
    labels = " ".join(bar["text"] for bar in compare_bars(at))
    assert SHOWN[lang]["period_jiangan_stock"] in labels and SHOWN[lang]["period_wuchang"] in labels


@pytest.mark.parametrize(
    "params",
    [
        {**VOLUNTEERS, "places": "jiangan"},  # one figure, one period
        {**STREETS, "places": "jiangan,haizhu"},  # Haizhu does not report: still one period
    ],
    ids=["one-place", "one-reporting-place"],
)
@pytest.mark.parametrize("lang", LANGS)
def test_no_period_warning_when_the_period_is_the_same(lang, params):
    at = open_page(COMPARE, lang=lang, **params)
    assert warnings(at) == []


# --- bad parameters --------------------------------------------------------------------------

BAD = [
    # page, query string, the parameter's value in the notice, what the URL says afterwards
    (OVERVIEW, {"lang": "fr"}, "lang=fr", {"lang": "en"}),
    (OVERVIEW, {"lang": "zh", "snapshot": "nope"}, "snapshot=nope", {"snapshot": BUNDLED}),
    (PROFILE, {"lang": "en", "snapshot": "nope"}, "snapshot=nope", {"snapshot": BUNDLED}),
    (
        COMPARE,
        {"lang": "en", "category": "volunteers", "metric": "../../etc"},
        "metric=../../etc",
        {"metric": "all"},
    ),
    (COMPARE, {"lang": "en", "category": "bogus"}, "category=bogus", {}),
    (COMPARE, {"lang": "en", **STREETS, "places": "xx,yy"}, "places=xx,yy", {"places": "bazhou,jiangan,wuchang"}),
    (COMPARE, {"lang": "zh", **STREETS, "places": "jiangan,xx"}, "places=xx", {"places": "jiangan"}),
    (COMPARE, {"lang": "en", "view": "pie"}, "view=pie", {"view": "chart"}),
    (PROFILE, {"lang": "en", "district": "<script>"}, "district=<script>", {"district": "wuchang"}),
    (SOURCES, {"lang": "en", "source": "jiangan_2018q1", "fact": "zzz"}, "fact=zzz", {"source": "jiangan_2018q1"}),
    (SOURCES, {"lang": "zh", "source": "../../etc/passwd"}, "source=../../etc/passwd", {}),
    (CHANGES, {"lang": "en", "from": "nope"}, "from=nope", {"from": BUNDLED}),
]


@pytest.mark.parametrize(
    ("page", "params", "named", "after"), BAD, ids=[f"{p.split('/')[-1][:-3]}-{n}" for p, _, n, _ in BAD]
)
def test_a_bad_parameter_falls_back_with_a_visible_notice(page, params, named, after):
    at = open_page(page, **params)  # asserts: no exception
    assert not at.error
    name, value = named.split("=", 1)
    notices = [w for w in warnings(at) if f"{name}={markdown_code(value)}" in w]  # the value shown as code
    assert notices, f"no notice naming {named!r}; warnings shown: {warnings(at)}"
    for name, value in after.items():
        assert at.query_params[name] == value
    assert "fact" not in at.query_params  # an unknown fact is dropped, not kept in the link


# --- the URL is the view -------------------------------------------------------------------

FULL_VIEW = {
    OVERVIEW: {"lang", "snapshot", "section", "category"},
    COMPARE: {"lang", "snapshot", "category", "concept", "metric", "places", "view", "figures", "amount", "per"},
    PROFILE: {"lang", "snapshot", "district"},
    SOURCES: {"lang", "snapshot", "source"},
    CHANGES: {"lang", "snapshot", "from", "to"},
}


@pytest.mark.parametrize("page", list(FULL_VIEW))
def test_the_query_string_holds_the_whole_view(page):
    at = open_page(page, lang="en")  # only the language given: the rest are defaults
    assert set(at.query_params) == FULL_VIEW[page]
    again = open_page(page, **at.query_params)
    assert again.query_params == at.query_params
    assert warnings(again) == warnings(at)
    assert [m.value for m in again.markdown] == [m.value for m in at.markdown]


def test_a_copied_compare_url_reproduces_the_view_after_changes():
    at = open_page(COMPARE, lang="zh")
    at.selectbox(key="category").set_value("volunteers").run()
    concept = at.selectbox(key="concept").value
    assert concept in set(
        shared.database().query("concept_coverage", snapshot_id=BUNDLED, category="volunteers")["concept_id"]
    )
    assert at.selectbox(key="metric").value == "all"  # every definition of the concept
    at.multiselect(key="places").set_value(["wuchang", "jiangan"]).run()
    at.button_group(key="view").set_value("table").run()
    at.button_group(key="figures").set_value("like").run()
    assert at.query_params == {
        "lang": "zh",
        "snapshot": BUNDLED,
        "category": "volunteers",
        "concept": concept,
        "metric": "all",
        "places": "wuchang,jiangan",
        "view": "table",
        "figures": "like",
        "amount": "total",
        "per": "none",
    }
    copied = dict(at.query_params)
    other = open_page(COMPARE, **copied)
    assert other.query_params == copied
    assert other.multiselect(key="places").value == ["wuchang", "jiangan"]
    pd.testing.assert_frame_equal(shown_table(other), shown_table(at))
    assert warnings(other) == warnings(at)


def test_switching_language_rewrites_labels_and_url():
    at = open_page(PROFILE, lang="en", district="jiangan")
    at.sidebar.button_group(key="lang").set_value("zh").run()
    assert at.query_params["lang"] == "zh"
    assert at.query_params["district"] == "jiangan"
    assert at.title[0].value == t("page_profile", "zh")
    assert SHOWN["zh"]["jiangan_volunteers"] in metrics(at).values()


# --- CSV download ----------------------------------------------------------------------------


@pytest.mark.parametrize("view", ["table", "chart"])
@pytest.mark.parametrize("lang", LANGS)
def test_csv_download_is_the_table_with_quotes_and_sources(lang, view, media):
    at = open_page(COMPARE, lang=lang, **VOLUNTEERS, places="jiangan,wuchang", view=view)
    csv = download_csv(at, media)
    assert t("download_csv", lang) in [b.label for b in at.get("download_button")]
    assert list(csv[t("col_place", lang)]) == [SHOWN[lang]["jiangan"], SHOWN[lang]["wuchang"]]
    assert set(csv[t("col_quote", lang)]) == {JIANGAN_VOLUNTEERS_QUOTE, WUCHANG_VOLUNTEERS_QUOTE}
    assert csv[t("col_source", lang)].notna().all()
    assert list(csv[t("col_value", lang)]) == [SHOWN[lang]["jiangan_volunteers"], SHOWN[lang]["wuchang_volunteers"]]
    if view == "table":
        shown = shown_table(at)
        # the same columns but the in-app link, which means nothing outside the app
        assert list(csv.columns) == [c for c in shown.columns if c != t("col_link", lang)]
        assert list(csv[t("col_quote", lang)]) == list(shown[t("col_quote", lang)])


def test_csv_download_says_not_reported(media):
    at = open_page(COMPARE, lang="en", **STREETS, places="jiangan,haizhu")
    csv = download_csv(at, media).set_index("Place")
    assert csv.at["Haizhu District", "Value"] == "not reported"
    assert pd.isna(csv.at["Haizhu District", "Value (base unit)"])


# --- sources -----------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_a_fact_link_highlights_its_quote_in_the_source(lang):
    at = open_page(SOURCES, lang=lang, source="jiangan_2018q1", fact=JIANGAN_VOLUNTEERS_FACT)
    assert at.query_params["fact"] == JIANGAN_VOLUNTEERS_FACT
    report = next(h.proto.body for h in at.get("html") if 'class="report"' in h.proto.body)
    target = f'<a id="fact-{JIANGAN_VOLUNTEERS_FACT}"></a><mark class="fact target">{JIANGAN_VOLUNTEERS_QUOTE}</mark>'
    assert target in report
    assert report.count('class="fact target"') == 1
    assert report.count('<mark class="fact">') >= 10  # the report's other figures, marked plainly
    followed = [m.value for m in at.markdown if m.value.startswith(f"**{t('highlighted_fact', lang)}**")]
    assert followed and "104953人" in followed[0]


@pytest.mark.parametrize(
    ("source", "published"), [("jiangan_2018q1", "not stated in the text"), ("wuchang_2017", "2018-01-15")]
)
def test_sources_show_the_publication_date_or_say_it_is_not_stated(source, published):
    at = open_page(SOURCES, lang="en", source=source)
    details = next(m.value for m in at.markdown if "**Published**" in m.value)
    assert f"**Published**: {markdown_text(published)}" in details
    assert "NaT" not in details


# --- many places ---------------------------------------------------------------------------


@pytest.fixture
def many_places(many_places_template, use_data_dir) -> Path:
    return use_data_dir(many_places_template)


def _latest_values(data_dir: Path, concept_id: str) -> dict[str, float]:
    """Each place's latest value of a concept (the highest of its latest period) in the latest
    snapshot, read straight from the stored files."""
    latest = store.read_manifest(data_dir)[-1]
    metrics = pq.read_table(data_dir / "metrics.parquet", filters=[("concept_id", "=", concept_id)])
    table = pq.read_table(
        data_dir / "snapshots" / latest.file, filters=[("metric_id", "in", metrics["metric_id"].to_pylist())]
    )
    latest_by_place: dict[str, tuple] = {}
    for place, end, value in zip(*(table[c].to_pylist() for c in ("district_id", "period_end", "value")), strict=True):
        latest_by_place[place] = max(latest_by_place.get(place, (end, value)), (end, value))
    return {place: value for place, (_, value) in latest_by_place.items()}


def test_compare_with_many_places_chooses_the_highest_and_offers_the_rest(many_places):
    at = open_page(COMPARE, lang="en")
    values = _latest_values(many_places, at.selectbox(key="concept").value)
    assert len(values) == MANY_PLACES
    highest = sorted(values, key=lambda place: (-values[place], place))[:30]
    chosen = at.multiselect(key="places").value
    assert sorted(chosen) == sorted(highest)
    assert at.query_params["places"].split(",") == chosen  # a short link, not 80 ids
    bars = compare_bars(at)
    reported = [bar for bar in bars if bar["value"] is not None]
    # Only the verdict's like-for-like set is drawn as bars; a place whose figure is unlike (another period) is a
    # line that says so, never a bar beside the others (#22).
    assert len(bars) == 30 and len(reported) >= 2
    assert all(bar["text"].endswith(t("off_axis_marker", "en")) for bar in bars if bar["value"] is None)
    assert bars[: len(reported)] == reported  # ranked, highest on top; the markers under them
    assert [bar["value"] for bar in reported] == sorted((bar["value"] for bar in reported), reverse=True)
    assert {bar["place"] for bar in reported} <= set(highest)
    captions = [c.value for c in at.caption]
    assert t("top_places_chosen", "en", n=30, total=MANY_PLACES) in captions
    labels = [button.proto.label for button in at.get("download_button")]
    assert labels == [t("download_csv", "en"), t("download_all_csv", "en", n=MANY_PLACES)]
    images = [button.proto.url for button in at.get("link_button")]
    assert [urlsplit(url).path for url in images] == ["/share/compare.png", "/share/compare.svg"]
    assert all(parse_qs(urlsplit(url).query)["download"] == ["1"] for url in images)


def test_the_all_places_csv_has_every_reporting_place(many_places):
    snapshot = store.read_manifest(many_places)[-1].id
    at = open_page(COMPARE, lang="zh", snapshot=snapshot)
    concept_id = at.selectbox(key="concept").value
    concepts = shared.database().query("concept_coverage", snapshot_id=snapshot, category=None).set_index("concept_id")
    build = cached.all_places_csv(
        View("zh", snapshot),
        concepts.at[concept_id, "unit"],
        concept_id=concept_id,
        metric_id=None,
        district_ids=list(_latest_values(many_places, concept_id)),
        like_for_like_only=False,
        per_month=False,
        per=None,
    )
    csv = pd.read_csv(io.BytesIO(build()), encoding="utf-8-sig")
    assert csv[t("col_place", "zh")].nunique() == MANY_PLACES
    assert len(csv) == concepts.at[concept_id, "figures"]
    assert csv[t("col_quote", "zh")].notna().all()
    assert t("col_link", "zh") not in csv.columns


# --- data directory ----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_a_missing_data_directory_is_named_without_the_servers_path(lang, use_data_dir, tmp_path):
    use_data_dir(tmp_path / "no-such-data")
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception
    (error,) = [e.value for e in at.error]
    assert markdown_text("'no-such-data' does not exist") in error
    assert str(tmp_path) not in error and markdown_text(str(tmp_path)) not in error  # no server paths
    assert markdown_text(store.DATA_DIR_ENV) in error  # and the fix


def test_a_snapshot_added_meanwhile_appears_on_the_next_run(use_data_dir, tmp_path):
    data = use_data_dir(Path(shutil.copytree(REPO / "data", tmp_path / "data")))
    at = open_page(OVERVIEW, lang="en")
    assert [o.split(" ")[0] for o in at.sidebar.selectbox(key="snapshot").options] == [BUNDLED]

    facts = pq.read_table(data / "snapshots" / f"{BUNDLED}.parquet").drop_columns(["snapshot_id"])
    frame = facts.to_pandas()
    # The headline's figure, which prints 5300户 without the body's 约: a revision its report's text supports.
    revised = frame["metric_id"] == "households_benefiting_secondary_water_supply_renovation"
    assert revised.sum() == 1
    frame.loc[revised, ["value_as_written", "qualifier", "quote"]] = ["5300户", "exact", "二次供水改造惠及5300户居民"]
    changed = pa.Table.from_pandas(frame, schema=facts.schema, preserve_index=False)
    assert pc.sum(pc.not_equal(changed["qualifier"], facts["qualifier"])).as_py() == 1
    new_file = tmp_path / "revised.parquet"
    pq.write_table(changed, new_file)
    snapshots.add(Database(data), new_file, "2026-12-01-test")

    at.run()  # the same session, next run
    assert not at.exception
    options = at.sidebar.selectbox(key="snapshot").options
    assert options[0] == f"2026-12-01-test ({t('latest', 'en')})"
    assert at.query_params["snapshot"] == BUNDLED  # the link keeps the snapshot it shows

    at.switch_page(CHANGES).run()
    assert not at.exception
    assert at.query_params["from"] == BUNDLED
    assert at.query_params["to"] == "2026-12-01-test"
    assert metrics(at) == {"added": "0", "removed": "0", "revised": "1"}
    (row,) = shown_table(at).to_dict("records")
    assert row["Place"] == "Wuchang District"
    assert (row["Old value"], row["New value"]) == ("≈ 5,300 households", "5,300 households")
    # A phone's session (widgets.on_phone): the changes as cards only, no table it would hide.
    at.session_state[widgets.PHONE_KEY] = True
    at.run()
    assert not at.exception and not at.dataframe
    (changes,) = [e.proto.body for e in at.get("html") if e.proto.body.startswith('<ul class="redengine-cards"')]
    assert "Wuchang District" in changes and "5,300 households" in changes


@pytest.mark.parametrize("lang", LANGS)
def test_changes_between_a_snapshot_and_itself_are_none(lang):
    at = open_page(CHANGES, lang=lang)
    assert metrics(at) == {t(f"change_{k}", lang): "0" for k in ("added", "removed", "revised")}
    assert [i.value for i in at.info] == [t("no_changes", lang)]


def test_a_notice_about_an_unknown_fact_does_not_say_none():
    at = open_page(SOURCES, lang="zh", source="jiangan_2018q1", fact="zzz")
    notices = [w for w in warnings(at) if f"fact={markdown_code('zzz')}" in w]
    assert notices, f"no notice naming fact=zzz; warnings shown: {warnings(at)}"
    assert "None" not in notices[0]  # the fallback is "no figure highlighted", in the reader's words


HOSTILE_QUOTE = '=HYPERLINK("http://evil.example","open")'


def test_a_csv_download_opens_a_formula_as_text(real_data_copy, use_data_dir, media):
    """A snapshot whose quote a spreadsheet would run (written past `snapshot add`, whose rules refuse it):
    the page's CSV download keeps it as text, and the numbers as numbers."""
    use_data_dir(real_data_copy)
    entry = store.read_manifest(real_data_copy)[-1]
    path = real_data_copy / "snapshots" / entry.file
    table = pq.read_table(path)
    hostile = pc.if_else(pc.equal(table["metric_id"], "registered_volunteers"), HOSTILE_QUOTE, table["quote"])
    table = table.set_column(table.schema.get_field_index("quote"), "quote", hostile)
    written = store.write_snapshot_files(real_data_copy / "snapshots", "hostile.parquet", table)
    store.write_manifest(real_data_copy, [store.SnapshotEntry(id=entry.id, added=entry.added, **written)])
    at = open_page(COMPARE, lang="en", **VOLUNTEERS, places="jiangan,wuchang", view="table")
    csv = download_csv(at, media)
    assert set(csv["Quote"]) == {"'" + HOSTILE_QUOTE}
    assert list(csv["Value (base unit)"]) == [104953, 180000]

"""Only like with like (#22), on the pages (AppTest, zh and en) and in what a link shares: one definition per axis,
only the verdict's like-for-like set as bars, warnings and captions that follow the verdict, per-unit views in the
URL, and the "What can be compared" page."""

from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest
from browser_helpers import get, streamlit_server
from test_pages import BUNDLED, COMPARE, LANGS, OVERVIEW, PROFILE, bar_keys, compare_bars, open_page, warnings

from redengine.core.domain import HEADLINE_CATEGORIES
from redengine.core.i18n import t
from redengine.data import shared, store
from redengine.data.db import Database
from redengine.present import share, views

COMPARABLE = "pages/comparable.py"
PLACES = ["bazhou", "haizhu", "jiangan", "jianghan", "wuchang", "zhenjiang"]


def database() -> Database:
    return shared.database()


def panel_bars(at, index: int) -> list[str]:
    """The reported bars' keys of an Overview panel's chart ('place|period|metric')."""
    spec = json.loads(at.get("plotly_chart")[index].proto.spec)
    (reported,) = [trace for trace in spec["data"] if trace.get("name") == "reported"]
    return reported["y"] if reported.get("orientation") == "h" else reported["x"]


def figures(concept_id: str, district_ids: list[str]):
    return database().query(
        "concept_figures",
        snapshot_id=BUNDLED,
        concept_id=concept_id,
        metric_id=None,
        district_ids=district_ids,
        like_for_like_only=False,
        per_month=False,
        per=None,
    )


def like_set(concept_id: str, district_ids: list[str]) -> set[str]:
    rows = figures(concept_id, district_ids)
    return set(rows[rows["in_like_set"].fillna(False).astype(bool)]["district_id"])


SHARED_CONCEPTS = [
    c
    for c in Database(store.local_data_dir())
    .query("concept_coverage", snapshot_id=BUNDLED, category=None)
    .query("places_reporting >= 2")["concept_id"]
]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("concept_id", SHARED_CONCEPTS)
def test_compare_puts_one_definition_and_only_like_for_like_figures_on_its_axis(lang, concept_id):
    at = open_page(COMPARE, lang=lang, concept=concept_id, places=",".join(PLACES))
    keys = bar_keys(at)
    assert len({key.split("|")[2] for key in keys}) == 1  # one definition
    assert {key.split("|")[0] for key in keys} == like_set(concept_id, PLACES)
    # every figure left off the axis is named, with the verdict's reasons, never silently dropped
    off_axis = [w for w in warnings(at) if w.startswith(t("off_axis_warning", lang).split("{")[0])]
    rows = figures(concept_id, PLACES)
    unlike = rows[rows["value"].notna() & ~rows["in_like_set"].fillna(False).astype(bool)]
    assert len(off_axis) == (1 if len(unlike) else 0)


@pytest.mark.parametrize("lang", LANGS)
def test_the_overview_headlines_chart_only_a_supported_comparison(lang):
    at = open_page(OVERVIEW, lang=lang, section="charts")
    expected = []
    for category in HEADLINE_CATEGORIES:
        panel = views.headline_panel(database().query, BUNDLED, category, PLACES)
        if panel.comparable:
            expected.append(like_set(panel.leaders["concept_id"].iloc[0], panel.leaders["district_id"].tolist()))
    drawn = [{key.split("|")[0] for key in panel_bars(at, index)} for index in range(len(at.get("plotly_chart")))]
    # panels sit in two columns, so the page's order is not the categories': compared as collections
    assert sorted(map(sorted, drawn)) == sorted(map(sorted, expected))
    assert len(drawn) == 2  # volunteers and service centres
    # organizations and investment: said so, with what each place reports instead of a ranking
    no_comparison = [i.value for i in at.info if i.value.startswith(t("headline_no_comparison", lang)[:8])]
    assert len(no_comparison) == 2
    text = "\n".join(m.value for m in at.markdown)
    assert "2,740" in text and "437" in text  # Haizhu's total, Jianghan's grid branches: listed, not ranked


@pytest.mark.parametrize("lang", LANGS)
def test_like_for_like_volunteers_carry_no_period_warning_and_their_caveat(lang):
    """The verdict calls Jiang'an and Wuchang's registered volunteers like for like: no warning says otherwise."""
    at = open_page(COMPARE, lang=lang, concept="registered_volunteers", places="jiangan,wuchang")
    assert warnings(at) == []  # a concept named without its category opens in it, without a notice
    assert at.selectbox(key="category").value == "volunteers"
    assert sorted(key.split("|")[0] for key in bar_keys(at)) == ["jiangan", "wuchang"]
    captions = "\n".join(c.value for c in at.caption)
    assert "网上登记注册" in captions  # Wuchang's volunteers registered online: the pair's caveat


@pytest.mark.parametrize("lang", LANGS)
def test_a_city_beside_a_district_is_named_as_a_different_level(lang):
    at = open_page(COMPARE, lang=lang, concept="signed_projects_over_100m_cny", places="wuchang,zhenjiang")
    (warning,) = warnings(at)
    assert t("reason_different_level", lang).replace("(", "\\(").replace(")", "\\)") in warning
    assert bar_keys(at) == ["zhenjiang|2021 Jan–Jul|signed_projects_over_100m_cny"]  # no ranking of 208 over 41


@pytest.mark.parametrize("lang", LANGS)
def test_registered_volunteers_per_sub_district_is_one_url(lang):
    params = {"concept": "registered_volunteers", "places": "jiangan,wuchang", "per": "subdistrict"}
    at = open_page(COMPARE, lang=lang, **params)
    assert at.query_params["per"] == "subdistrict"
    assert {bar["place"]: bar["value"] for bar in compare_bars(at)} == pytest.approx(
        {"jiangan": 104953 / 16, "wuchang": 180000 / 14}
    )
    arithmetic = "\n".join(m.value for m in at.markdown)
    for quote in (
        "注册志愿者104953人",
        "全区16个街道",
        "目前全区志愿者网上登记注册人数已达18万人",
        "包括南湖街在内的14个街道",
    ):
        assert quote in arithmetic.replace("\\", "")
    # the share image's footer carries the arithmetic too
    described = share.describe("compare", {"lang": lang, **params}, database().query, database().snapshots())
    assert "÷" in described.note and "16" in described.note and "14" in described.note


@pytest.mark.parametrize("lang", LANGS)
def test_a_per_unit_view_lists_a_figure_without_its_denominator_instead_of_dropping_it(lang):
    # Wuchang prints its communities (140, end-2017); Jiang'an prints none: its 104,953 is listed with that reason
    at = open_page(COMPARE, lang=lang, concept="registered_volunteers", places="jiangan,wuchang", per="community")
    assert [key.split("|")[0] for key in bar_keys(at)] == ["wuchang"]
    (warning,) = warnings(at)
    assert "104,953" in warning and t("reason_no_denominator", lang)[:12] in warning.replace("\\", "")
    assert "180,000" not in warning
    listed = "".join(h.value for h in at.get("html"))
    assert "104,953" in listed and t("not_reported", lang) not in listed
    rows = figures_per("community")
    assert rows.set_index("district_id")["reasons"].to_dict() == {"jiangan": "no_denominator", "wuchang": ""}
    assert rows.set_index("district_id")["value_adjusted"].isna().to_dict() == {"jiangan": True, "wuchang": False}


@pytest.mark.parametrize("lang", LANGS)
def test_a_per_unit_view_with_no_denominator_says_so_once(lang):
    # Neither prints a Party-member count: one line says so; both figures stay listed with their values
    at = open_page(COMPARE, lang=lang, concept="registered_volunteers", places="jiangan,wuchang", per="member")
    assert [i.value for i in at.info] == [t("no_denominators", lang, per=t("per_member", lang))]
    assert warnings(at) == [] and bar_keys(at) == []
    listed = "".join(h.value for h in at.get("html"))
    assert "104,953" in listed and "180,000" in listed


def figures_per(per: str):
    return database().query(
        "concept_figures",
        snapshot_id=BUNDLED,
        concept_id="registered_volunteers",
        metric_id=None,
        district_ids=["jiangan", "wuchang"],
        like_for_like_only=False,
        per_month=False,
        per=per,
    )


def test_the_per_unit_table_and_csv_show_the_denominator_and_its_quote():
    at = open_page(COMPARE, lang="en", concept="registered_volunteers", places="jiangan,wuchang", per="subdistrict")
    at.segmented_control(key="view").set_value("table").run()
    table = at.dataframe[0].value
    assert list(table[t("col_denominator", "en")]) == ["16个", "14个"]
    assert "全区16个街道" in set(table[t("col_denominator_quote", "en")])


@pytest.mark.parametrize("lang", LANGS)
def test_the_shared_overview_image_carries_the_verdict(lang):
    snapshots = database().snapshots()
    organizations = share.describe("overview", {"lang": lang, "category": "organizations"}, database().query, snapshots)
    assert isinstance(organizations.chart().data[0], go.Table)  # what each place reports, not bars on one axis
    assert organizations.note.startswith(t("headline_no_comparison", lang)[:8])
    volunteers = share.describe("overview", {"lang": lang, "category": "volunteers"}, database().query, snapshots)
    assert volunteers.note.startswith(t("headline_like_places", lang, n=2)[:8])


@pytest.mark.parametrize("lang", LANGS)
def test_the_profile_headline_is_the_place_s_own_figure(lang):
    at = open_page(PROFILE, lang=lang, district="jiangan")
    labels = [m.label for m in at.metric]
    assert not any("两场" in m.value or m.value == "2" for m in at.metric)
    assert any(t("cat_organizations", lang) in label for label in labels)


@pytest.mark.parametrize("lang", LANGS)
def test_what_can_be_compared_lists_the_like_for_like_concepts_of_two_places(lang):
    at = open_page(COMPARABLE, lang=lang, place="jiangan", other="wuchang")
    assert warnings(at) == []
    like = at.markdown[[s.value for s in at.subheader].index(t("comparable_like", lang))].value
    assert "concept=registered_volunteers&places=jiangan%2Cwuchang" in like
    assert "concept=sub_districts" in like
    assert "investment_attracted" not in like  # Wuchang's is an estimate over another period: related only
    # No pair of theirs differs only in length or size: the section says why, not only "none"
    adjusted = at.markdown[[s.value for s in at.subheader].index(t("comparable_adjusted", lang))].value
    assert adjusted == t("comparable_none_adjusted", lang)


JUNK = ["<script>alert(1)</script>", "../../etc/passwd", "", "%00", "a" * 500, "jiangan,wuchang", "并非"]


@pytest.mark.parametrize("junk", JUNK)
@pytest.mark.parametrize("name", ["lang", "snapshot", "place", "other"])
def test_what_can_be_compared_survives_junk_in_every_parameter(name, junk):
    params = {"lang": "en", "place": "jiangan", "other": "wuchang", name: junk}
    at = open_page(COMPARABLE, **params)  # asserts: no exception
    assert not at.error
    assert [s.value for s in at.subheader][-3:] == [
        t(f"comparable_{v}", at.session_state["lang"]) for v in views.COMPARABLE_VERDICTS
    ]


def test_the_api_gives_the_per_unit_comparison_with_both_quotes():
    with streamlit_server("server.py") as url:
        query = "concept=registered_volunteers&district=jiangan,wuchang&per=subdistrict"
        status, headers, body = get(f"{url}/api/v1/comparison.json?{query}")
        bad = get(f"{url}/api/v1/comparison.csv?concept=registered_volunteers&per=per_capita")
    assert status == 200 and headers["x-redengine-snapshot"] == BUNDLED
    rows = {row["district_id"]: row for row in json.loads(body)["rows"] if row["value"] is not None}
    assert rows["jiangan"]["value_adjusted"] == pytest.approx(104953 / 16)
    assert rows["wuchang"]["denominator_quote"] == "在武昌区,包括南湖街在内的14个街道"
    assert rows["jiangan"]["quote"] == "注册志愿者104953人" and rows["jiangan"]["like_for_like"]
    assert bad[0] == 400 and b"Fix:" in bad[2] and b"subdistrict" in bad[2]


@pytest.mark.parametrize("lang", LANGS)
def test_a_bare_compare_link_opens_on_a_comparison_the_reports_support(lang):
    """Without a concept in the link, Compare opens on the first headline the verdict calls like for like
    (registered volunteers, Jiang'an and Wuchang), not on the concept that wins a tie on its name. Resolved from
    the URL alone, as a link opened in a new browser is (and as its preview and painted view describe it)."""
    data = database()
    described = share.describe("compare", {"lang": lang}, data.query, data.snapshots())
    assert described.params["concept"] == "registered_volunteers"
    assert described.params["places"] == "jiangan,wuchang"
    assert [f.verdict for f in described.figures] == [t("verdict_reference", lang), t("verdict_like", lang)]

"""The concept layer on the pages (AppTest): the Overview's evidence matrix and Compare by concept."""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest
from test_pages import (
    BUNDLED,
    COMPARE,
    LANGS,
    OVERVIEW,
    compare_bars,
    open_page,
    shown_table,
    warnings,
)

from redengine.core.domain import HEADLINE_CATEGORIES
from redengine.core.i18n import t
from redengine.data import shared

PLACES = ["jiangan", "jianghan", "wuchang", "haizhu", "zhenjiang", "bazhou"]


def place_names(lang: str) -> dict[str, str]:
    cards = shared.database().query("district_cards", snapshot_id=BUNDLED)
    return dict(zip(cards["district_id"], cards[f"name_{lang}"], strict=True))


def concept_name(concept_id: str, lang: str) -> str:
    concepts = shared.database().query("concept_coverage", snapshot_id=BUNDLED, category=None)
    return concepts.set_index("concept_id").at[concept_id, f"name_{lang}"]


def family_name(concept_id: str, lang: str) -> str:
    concepts = shared.database().query("concept_coverage", snapshot_id=BUNDLED, category=None)
    return concepts.set_index("concept_id").at[concept_id, f"family_{lang}"]


def evidence(at) -> str:
    return next(h.proto.body for h in at.get("html") if 'class="evidence"' in h.proto.body)


def evidence_cells(body: str) -> dict[str, list[str]]:
    """Concept name → the text of each place's cell, in column order."""
    rows = {}
    for row in re.findall(r'<tr><th class="concept" scope="row">(.*?)</tr>', body, re.S):
        name = html.unescape(row.split("<span", 1)[0])
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        rows[name] = [html.unescape(re.sub(r"<[^>]+>", " ", c)) for c in cells]
    return rows


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("category", HEADLINE_CATEGORIES)
def test_the_evidence_matrix_shows_every_place_that_reports_the_category(lang, category):
    at = open_page(OVERVIEW, lang=lang, category=category)
    cells = evidence_cells(evidence(at))
    coverage = shared.database().query("coverage_matrix", snapshot_id=BUNDLED)
    reporting = set(coverage[(coverage["category"] == category) & (coverage["figures"] > 0)]["district_id"])
    assert reporting  # the reports give figures in every headline category
    names = place_names(lang)
    header = [html.unescape(h) for h in re.findall(r"<th>(.*?)</th>", evidence(at).split("</thead>")[0])]
    assert sorted(header) == sorted(names.values())
    order = [next(p for p, name in names.items() if name == h) for h in header]
    with_figures = {
        order[i] for row in cells.values() for i, cell in enumerate(row) if t("not_reported", lang) not in cell
    }
    assert with_figures == reporting
    for row in cells.values():  # "not reported", never a zero in its place
        assert all(cell.strip() != "0" for cell in row)


@pytest.mark.parametrize("lang", LANGS)
def test_the_evidence_matrix_marks_scope_and_links_each_figure_to_its_quote(lang):
    scoped = 0
    for category in HEADLINE_CATEGORIES:
        at = open_page(OVERVIEW, lang=lang, category=category)
        body = evidence(at)
        links = re.findall(r'<a href="([^"]+)"', body)
        assert links and all(link.startswith("./sources?") and "fact=" in link for link in links)
        rows = shared.database().query("evidence_matrix", snapshot_id=BUNDLED, category=category, district_ids=PLACES)
        for scope in rows[f"scope_{lang}"].dropna():  # a part of the place is never shown as the whole
            assert html.escape(t("scope_mark", lang, scope=scope)) in body
            scoped += 1
    assert scoped > 0
    at = open_page(OVERVIEW, lang=lang, category="organizations")
    # One row per family: Party organizations holds every place's own definitions (total, grid branches, …), each
    # figure named by its definition; the reach counts places of one definition (Party working committees: 2).
    party = evidence_cells(evidence(at))[family_name("party_organizations", lang)]
    assert sum(t("not_reported", lang) not in cell for cell in party) == 4
    assert any(concept_name("grid_party_branches", lang) in cell for cell in party)
    reach = t("evidence_family_reach", lang, places=4, n=2, total=6)
    assert html.escape(reach) in evidence(at)
    assert at.query_params["category"] == "organizations"


@pytest.mark.parametrize("lang", LANGS)
def test_compare_gives_each_figure_its_verdict_and_lists_related_definitions_apart(lang):
    """A concept is one definition (no longer 'Party organizations' in 18): its figures each carry the verdict;
    the family's other definitions are a separate list, never bars on its axis."""
    at = open_page(
        COMPARE,
        lang=lang,
        category="organizations",
        concept="party_working_committees",
        view="table",
        places=",".join(PLACES),
    )
    assert at.selectbox(key="concept").value == "party_working_committees"
    table, related = (frame.value for frame in at.dataframe)
    verdicts = table[t("col_comparable", lang)].tolist()
    assert verdicts.count(t("verdict_reference", lang)) == 1
    unlike = [v for v in verdicts if v.startswith(t("verdict_unlike", lang, reasons="")[:4])]
    assert unlike and all(t("reason_different_period_basis", lang) in v for v in unlike)
    assert table[t("definition", lang)].nunique() == 1
    assert concept_name("grid_party_branches", lang) in set(related[t("definition", lang)])
    at.button_group(key="view").set_value("chart").run()
    drawn = [bar for bar in compare_bars(at) if bar["value"] is not None]
    assert drawn and len({(bar["definition"], bar["color"]) for bar in drawn}) == 1  # one definition, one colour


@pytest.mark.parametrize("lang", LANGS)
def test_like_for_like_only_keeps_the_set_and_names_what_it_left_out(lang):
    at = open_page(
        COMPARE, lang=lang, category="governance", concept="sub_districts", view="table", places=",".join(PLACES)
    )
    everything = shown_table(at)
    assert len(everything) == 6  # three places report it, three do not
    at.button_group(key="figures").set_value("like").run()
    like = shown_table(at)
    kept = like[like[t("col_value", lang)] != t("not_reported", lang)]
    names = place_names(lang)
    assert set(kept[t("col_place", lang)]) == {names["jiangan"], names["wuchang"]}
    assert set(kept[t("col_comparable", lang)]) <= {t("verdict_reference", lang), t("verdict_like", lang)}
    captions = " ".join(c.value for c in at.caption)
    assert t("left_out_not_like", lang, places=names["bazhou"]) in captions
    assert at.query_params["figures"] == "like"


@pytest.mark.parametrize("lang", LANGS)
def test_a_shared_concept_link_reopens_the_same_comparison(lang):
    at = open_page(COMPARE, lang=lang)
    at.selectbox(key="category").set_value("investment").run()
    at.selectbox(key="concept").set_value("signed_projects_over_100m_cny").run()
    at.button_group(key="amount").set_value("month").run()
    at.button_group(key="view").set_value("table").run()
    shared = dict(at.query_params)
    assert shared["concept"] == "signed_projects_over_100m_cny" and shared["amount"] == "month"
    again = open_page(COMPARE, **shared)
    assert dict(again.query_params) == shared
    for mine, theirs in zip(again.dataframe, at.dataframe, strict=True):  # the figures, then related definitions
        pd.testing.assert_frame_equal(mine.value, theirs.value)
    assert warnings(again) == warnings(at)
    assert t("per_month_caveat", lang) in [c.value for c in again.caption]


def test_per_month_divides_each_flow_by_the_months_of_its_period():
    at = open_page(COMPARE, lang="en", category="investment", concept="signed_projects_over_100m_cny", amount="month")
    reported = [bar["value"] for bar in compare_bars(at) if bar["value"] is not None]
    figures = shared.database().query(
        "concept_figures",
        snapshot_id=BUNDLED,
        concept_id="signed_projects_over_100m_cny",
        metric_id=None,
        district_ids=list(shared.database().query("district_cards", snapshot_id=BUNDLED)["district_id"]),
        like_for_like_only=False,
        per_month=True,
        per=None,
    )
    shown = figures[figures["value"].notna()]
    zhenjiang = shown[shown["district_id"] == "zhenjiang"].iloc[0]
    assert zhenjiang["value_per_month"] == pytest.approx(208 / 7)  # 2021 Jan–Jul
    assert shown.set_index("district_id").at["wuchang", "value_per_month"] == pytest.approx(41 / 12)
    # per month the lengths no longer differ, but a city beside a district does: only the like-for-like set is drawn
    in_set = shown[shown["in_like_set"].astype(bool)]
    assert sorted(reported) == sorted(in_set["value_per_month"]) == [pytest.approx(208 / 7)]
    assert "different_level" in shown.set_index("district_id").at["wuchang", "reasons"]
    assert all(shown["period_basis"] != "open")

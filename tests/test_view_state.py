"""view_state: what a URL's query string chooses, and what it says about values it refuses."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from redengine.core.view_state import Notice, Resolution, choose_many, choose_one, to_query_params

PLACES = ["jiangan", "jianghan", "wuchang"]


def test_a_known_value_is_chosen_without_notice():
    resolution = Resolution()
    assert choose_one(resolution, {"district": "wuchang"}, "district", PLACES, "jiangan") == "wuchang"
    assert resolution.notices == []
    assert resolution.values == {"district": "wuchang"}


def test_an_unknown_value_falls_back_and_is_named():
    resolution = Resolution()
    assert choose_one(resolution, {"district": "atlantis"}, "district", PLACES, "jiangan") == "jiangan"
    assert resolution.notices == [Notice("district", "atlantis", "jiangan")]


def test_a_missing_parameter_falls_back_silently():
    resolution = Resolution()
    assert choose_one(resolution, {}, "district", PLACES, "jiangan") == "jiangan"
    assert resolution.notices == []


def test_a_repeated_parameter_counts_its_last_value():
    resolution = Resolution()
    assert choose_one(resolution, {"district": ["jiangan", "wuchang"]}, "district", PLACES, None) == "wuchang"


def test_a_list_keeps_known_items_in_link_order_without_repeats_and_names_the_rest():
    resolution = Resolution()
    chosen = choose_many(resolution, {"places": "wuchang, jiangan,,wuchang,<b>x</b>"}, "places", PLACES, ["jianghan"])
    assert chosen == ["wuchang", "jiangan"]
    assert resolution.notices == [Notice("places", "<b>x</b>", "wuchang,jiangan")]


def test_a_list_of_unknown_items_falls_back_whole():
    resolution = Resolution()
    assert choose_many(resolution, {"places": "x,y"}, "places", PLACES, ["jianghan"]) == ["jianghan"]
    assert resolution.notices == [Notice("places", "x,y", "jianghan")]


def test_an_empty_list_falls_back_and_says_so():
    resolution = Resolution()
    assert choose_many(resolution, {"places": ""}, "places", PLACES, ["jianghan"]) == ["jianghan"]
    assert resolution.notices == [Notice("places", "", "jianghan")]


def test_query_params_join_lists_and_leave_out_empty_values():
    params = to_query_params({"lang": "zh", "places": ["a", "b"], "metric": None, "fact": "", "n": 3})
    assert params == {"lang": "zh", "places": "a,b", "n": "3"}


@given(st.lists(st.sampled_from(PLACES), min_size=1, unique=True))
def test_a_written_list_reads_back_as_the_same_choice(places):
    resolution = Resolution()
    assert choose_many(resolution, to_query_params({"places": places}), "places", PLACES, []) == places
    assert resolution.notices == []

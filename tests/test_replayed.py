"""cached.replayed: a page part runs once per (arguments, version of the data); a rerun replays what it drew,
and two parts with the same arguments keep separate caches."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

SCRIPT = """
import streamlit as st
from redengine.ui import cached

calls = st.session_state.setdefault("calls", [])

@cached.replayed
def first(label: str) -> None:
    calls.append(("first", label))
    st.markdown(f"first {label}")

@cached.replayed
def second(label: str) -> None:
    calls.append(("second", label))
    st.markdown(f"second {label}")

first("a")
second("a")
first(st.session_state.get("label", "a"))
"""


def test_a_part_runs_once_per_arguments_and_two_parts_do_not_share_a_cache():
    app = AppTest.from_string(SCRIPT).run()
    app.run()  # a rerun: replayed, not drawn again
    assert [m.value for m in app.markdown] == ["first a", "second a", "first a"]
    assert app.session_state["calls"] == [("first", "a"), ("second", "a")]
    app.session_state["label"] = "b"
    app.run()
    assert app.session_state["calls"][-1] == ("first", "b")
    assert [m.value for m in app.markdown][-1] == "first b"

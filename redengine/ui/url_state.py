"""The URL is the view: widget choices restored from the query string and written back to it.

Every choice is read from the query string when the URL comes from outside (a shared link, a
reload, a page link) and written back after each run, always in full, so a copied link reopens
exactly this view in another browser.

Why not Streamlit's own widget `bind`: it writes the localized label rather than the id, leaves
out values equal to the default, and drops a value it does not know without a word. A shared link
would then change meaning with the reader's language or with a new default, and a mistyped link
would show another view silently. Here ids are written in full and a bad value is named.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from redengine.core import view_state
from redengine.core.i18n import t
from redengine.core.markup import markdown_code, markdown_text

URL_WRITTEN = "_url_written"
REGISTERED = "_url_registered"  # the names this run restored, in order: what write_url writes


def begin_run() -> None:
    """Forgets the names the last run registered: app.py calls it before any choice is restored."""
    st.session_state[REGISTERED] = []


def _register(name: str) -> None:
    registered = st.session_state.setdefault(REGISTERED, [])
    if name not in registered:
        registered.append(name)


def _url_is_fresh() -> bool:
    """True when the query string did not come from our own last write."""
    return st.session_state.get(URL_WRITTEN) != st.query_params.to_dict()


def restore_choice(
    name: str,
    options: Sequence[str],
    fallback: str | list[str] | None,
    many: bool = False,
    depends_on: object = None,
) -> None:
    """Sets widget `name`'s value in session state, from the URL, the session or the fallback, and
    registers `name` so write_url puts it in the URL.

    The page then draws its widget with key=name and no default. When `depends_on` (say, the
    concept a list of places is chosen for) changes, the choice starts again from the fallback.
    """
    _register(name)
    params = st.query_params.to_dict()
    resolution = view_state.Resolution()
    current = st.session_state.get(name, st.session_state.get(f"_last_{name}"))
    dependency_changed = st.session_state.get(f"_depends_{name}", depends_on) != depends_on
    st.session_state[f"_depends_{name}"] = depends_on
    if _url_is_fresh() and name in params:
        pick = view_state.choose_many if many else view_state.choose_one
        value = pick(resolution, params, name, options, fallback)
    elif dependency_changed:
        value = fallback
    # a set: scanning 2,800 places' list once per chosen place was 0.9 ms of every Compare rerun at scale
    elif many and isinstance(current, list) and current and set(current) <= set(options):
        value = current
    elif not many and current in options:
        value = current
    else:
        value = fallback
    st.session_state[name] = value
    # Said where the rejected value would have been used, in the language now chosen.
    lang = st.session_state.get("lang", "en")
    for notice in resolution.notices:
        fallback = markdown_text(notice.fallback) if notice.fallback else t("nothing_selected", lang)
        text = t("bad_param", lang, name=notice.name, value=markdown_code(notice.value), fallback=fallback)
        st.warning(text, icon=":material/warning:")


def restore_text(name: str, fallback: str, max_chars: int) -> None:
    """Sets free-text widget `name`'s value (a SQL query): from the URL when it comes from outside,
    else as restore_choice does; registers `name` for the URL."""
    _register(name)
    params = st.query_params.to_dict()
    if _url_is_fresh() and name in params:
        value = params[name][:max_chars]
    else:
        value = st.session_state.get(name, st.session_state.get(f"_last_{name}", fallback))
    st.session_state[name] = value


def linked_value(name: str) -> str | None:
    """The value a link from outside gives for `name` (unchecked), or None: for defaults that
    follow from another choice, such as the concept of a metric an older link names."""
    if not _url_is_fresh():
        return None
    value = st.query_params.get(name)
    return value if isinstance(value, str) else None


def _remember(names: Sequence[str]) -> None:
    """Keeps choices across page switches (Streamlit drops a widget's state when it is not drawn)."""
    for name in names:
        if name in st.session_state:
            st.session_state[f"_last_{name}"] = st.session_state[name]


def current_params() -> dict[str, str]:
    """The view's query string as this run has chosen it so far: every choice restored, in order."""
    names = st.session_state.get(REGISTERED, [])
    return view_state.to_query_params({name: st.session_state.get(name) for name in names})


def write_url() -> None:
    """Writes the whole view into the query string: every choice this run restored, in order."""
    params = current_params()
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
    st.session_state[URL_WRITTEN] = params
    _remember(st.session_state.get(REGISTERED, []))


class SessionChoices:
    """views.Choices for a page run: each choice through restore_choice (the URL when it comes from outside,
    else the session, else the default), so the page's widgets, drawn with key=name, show it."""

    def pick(self, name, options, fallback, many=False, depends_on=None):
        restore_choice(name, options, fallback, many=many, depends_on=depends_on)
        return st.session_state[name]

    def linked(self, name: str) -> str | None:
        return linked_value(name)

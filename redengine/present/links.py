"""Links between the dashboard's pages that keep the view's language and snapshot."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

import pandas as pd

from redengine.core import view_state
from redengine.core.view_state import View

API_PREFIX = "/api/v1"


def api_url(base: str, endpoint: str, fmt: str = "csv", **params: object) -> str:
    """An API URL; list values are joined by commas, which the API splits again."""
    query = urlencode(view_state.to_query_params(params), safe=",")
    return f"{base}{API_PREFIX}/{endpoint}.{fmt}" + (f"?{query}" if query else "")


def link(page: str, view: View, **params: object) -> str:
    """A relative link to another page that keeps the language and snapshot."""
    values = {"lang": view.lang, "snapshot": view.snapshot_id, **params}
    return f"./{page}?{urlencode(view_state.to_query_params(values))}"


def page_params(view: View, **params: object) -> dict[str, str]:
    """Query parameters for st.page_link to another page of the same view."""
    return view_state.to_query_params({"lang": view.lang, "snapshot": view.snapshot_id, **params})


def fact_link(view: View) -> Callable[[str, str], str]:
    """(source, fact) → the link to that fact's quote highlighted in its report."""
    return lambda source, fact: link("sources", view, source=source, fact=fact)


def source_links(view: View) -> Callable[[pd.DataFrame], list[str | None]]:
    """Rows → links to each row's quote highlighted in its report (none for a place not reporting)."""

    def build(rows: pd.DataFrame) -> list[str | None]:
        return [
            link("sources", view, source=source, fact=fact) if isinstance(fact, str) else None
            for source, fact in zip(rows["source_id"], rows["fact_id"], strict=True)
        ]

    return build


def compare_links(view: View) -> Callable[[pd.DataFrame], list[str | None]]:
    """Rows → links to Compare for each row's concept, where another place reports it too."""

    def build(rows: pd.DataFrame) -> list[str | None]:
        return [
            link("compare", view, category=category, concept=concept) if places >= 2 else None
            for category, concept, places in zip(
                rows["category"], rows["concept_id"], rows["places_reporting"], strict=True
            )
        ]

    return build

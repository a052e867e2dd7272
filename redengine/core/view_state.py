"""The view a URL names: its query string checked against known ids, and the view every page shows.

Pure: takes the raw parameters and the allowed values, returns the chosen values and
notices for anything that was not valid. A bad parameter never raises: it falls back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

LIST_SEPARATOR = ","


@dataclass(frozen=True)
class View:
    """What every page needs: the language and the snapshot shown."""

    lang: str
    snapshot_id: str


@dataclass(frozen=True)
class Notice:
    """A URL parameter that was not valid (its value whole: showing it safely and briefly is the page's job),
    and what is shown instead."""

    name: str
    value: str
    fallback: str


@dataclass
class Resolution:
    """Chosen values, and the notices to show about rejected ones."""

    values: dict[str, object] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)


def _raw(params: Mapping[str, str | list[str]], name: str) -> str | None:
    value = params.get(name)
    if isinstance(value, list):
        value = value[-1] if value else None
    return value


def choose_one(
    resolution: Resolution,
    params: Mapping[str, str | list[str]],
    name: str,
    allowed: Sequence[str],
    fallback: str | None,
) -> str | None:
    """The parameter's value if allowed; else the fallback, with a notice if it was given."""
    raw = _raw(params, name)
    if raw is not None and raw in allowed:
        chosen = raw
    else:
        chosen = fallback
        if raw is not None:
            resolution.notices.append(Notice(name, raw, fallback or ""))
    resolution.values[name] = chosen
    return chosen


def choose_many(
    resolution: Resolution,
    params: Mapping[str, str | list[str]],
    name: str,
    allowed: Sequence[str],
    fallback: Sequence[str],
) -> list[str]:
    """Comma-separated values: the allowed ones kept in order, unknown ones noticed.

    An empty or wholly unknown list falls back, so the view always shows something.
    """
    raw = _raw(params, name)
    if raw is None:
        chosen = list(fallback)
    else:
        items = [item.strip() for item in raw.split(LIST_SEPARATOR) if item.strip()]
        known = list(dict.fromkeys(item for item in items if item in allowed))
        unknown = [item for item in items if item not in allowed]
        chosen = known or list(fallback)
        if unknown or not known:
            shown = LIST_SEPARATOR.join(unknown) or raw
            resolution.notices.append(Notice(name, shown, LIST_SEPARATOR.join(chosen)))
    resolution.values[name] = chosen
    return chosen


def to_query_params(values: Mapping[str, object]) -> dict[str, str]:
    """The URL form of a view: lists joined by commas, empty values left out."""
    params = {}
    for name, value in values.items():
        if isinstance(value, list | tuple):
            value = LIST_SEPARATOR.join(value)
        if value not in (None, ""):
            params[name] = str(value)
    return params

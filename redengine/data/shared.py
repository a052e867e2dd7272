"""The process's one Database, shared by the pages, the data API and the start-up warm-up, and its named queries'
results, memoised per version of the data for the pages, link previews, painted views and chart images alike.

Its data directory: REDENGINE_DATA_URL's local copy (it wins), else REDENGINE_DATA_DIR, else the bundled data/.
Pointing the environment at another directory (as tests do) opens a Database there; what was built from the old
one is dropped by the callbacks registered with `on_replace`.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from redengine.data import store
from redengine.data.db import Database

_lock = threading.Lock()
_current: Database | None = None
_on_replace: list[Callable[[], None]] = []

Params = tuple[tuple[str, object], ...]


def data_dir() -> Path:
    url = os.environ.get(store.DATA_URL_ENV)
    if url:
        from redengine.data import objectstore  # boto3 is loaded only where a bucket is used

        return objectstore.replica_data_dir(url)
    return store.local_data_dir()


def database() -> Database:
    global _current
    directory = data_dir()
    with _lock:
        if _current is None or _current.data_dir != directory:
            _current = Database(directory)
            for callback in _on_replace:
                callback()
        return _current


def on_replace(callback: Callable[[], None]) -> None:
    """Calls `callback` whenever a new Database replaces the process's one."""
    _on_replace.append(callback)


def frozen(params: dict[str, object]) -> Params:
    """Parameters as a hashable, order-independent key (lists become tuples)."""
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items()))


# Callers derive new frames (filters, set_index) and never modify one in place. One memo for every caller: link
# previews and chart images described views through the Database itself, and ran the headline queries of every
# category again for each new view (py-spy: a fifth of the server's time under 100 sessions).
@functools.lru_cache(maxsize=2048)
def _frame(data: Database, version: str, name: str, params: Params) -> pd.DataFrame:
    return data.query(name, **dict(params))


on_replace(_frame.cache_clear)


def query(name: str, **params: object) -> pd.DataFrame:
    """A named query on the process's Database, once per parameters and version of the data; the frame is shared:
    derive from it, never modify it."""
    data = database()
    return _frame(data, data.version(), name, frozen(params))


def versioned_query(version: str, name: str, params: Params) -> pd.DataFrame:
    """`query` at a version the caller has read already (its own cache's key), with frozen parameters."""
    return _frame(database(), version, name, params)

"""The process's one Database, shared by the pages, the data API and the start-up warm-up.

Its data directory: REDENGINE_DATA_URL's local copy (it wins), else REDENGINE_DATA_DIR, else the bundled data/.
Pointing the environment at another directory (as tests do) opens a Database there; what was built from the old
one is dropped by the callbacks registered with `on_replace`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

from redengine.data import store
from redengine.data.db import Database

_lock = threading.Lock()
_current: Database | None = None
_on_replace: list[Callable[[], None]] = []


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

"""Streamlit's own JavaScript and CSS, made cheaper to fetch on a first view.

Streamlit serves its bundles (/static/...) uncompressed, because compressing them on every request
costs the server CPU each time (its SelectiveGZipMiddleware explains). Here each bundle is
compressed once, the first time it is asked for, and kept: every later visitor gets the same gzip
bytes from memory. The bundles are content-hashed files of the installed Streamlit, so what is
kept is bounded by that package (about 6 MB compressed) and never goes stale.

Compare (and the Overview's chart sections) draw Plotly charts, and Streamlit loads its 4.7 MB
Plotly chunk only when the first chart arrives, after the script has run. `early_chart_import` starts
that import as soon as the page's own scripts are in, so fetching and evaluating Plotly overlaps
the websocket and the script run instead of following them.
"""

from __future__ import annotations

import asyncio
import gzip
from pathlib import Path

import streamlit
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC_PREFIX = "/static/"
STATIC_DIR = Path(streamlit.__file__).parent / "static" / "static"
COMPRESSIBLE = (b"text/", b"application/javascript", b"application/json", b"image/svg+xml")
MINIMUM_SIZE = 1024
# Compressed once per bundle and kept, so the best ratio is worth its one-off CPU.
COMPRESS_LEVEL = 9
# Asked of the static route when filling the store: nothing conditional or partial.
REQUEST_DROPPED = (b"accept-encoding", b"if-none-match", b"if-modified-since", b"range")
RESPONSE_DROPPED = (b"content-length", b"content-encoding", b"vary")


def _accepts_gzip(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name.lower() == b"accept-encoding":
            return b"gzip" in value.lower()
    return False


def _is_plain_get(scope: Scope) -> bool:
    """A GET with no validator or range: the only requests the store answers."""
    conditional = (b"if-none-match", b"if-modified-since", b"range")
    return scope["method"] == "GET" and not any(name.lower() in conditional for name, _ in scope["headers"])


def _is_bundle(path: str) -> bool:
    """Whether a /static/ URL path names a file of the installed Streamlit's bundles."""
    relative = path[len(STATIC_PREFIX) :]
    if not relative or "\\" in relative or any(part in ("", ".", "..") for part in relative.split("/")):
        return False
    return (STATIC_DIR / relative).is_file()


class CompressedStaticMiddleware:
    """Answers GET /static/... with gzip bytes compressed once and kept in memory.

    Only paths of files in the installed Streamlit's static directory are kept, so the store is bounded by
    that package. Anything else (other paths, no gzip accepted, conditional or range requests, errors,
    incompressible types) goes to the app as before.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._store: dict[str, tuple[Message, bytes] | None] = {}  # None: not worth compressing
        self._locks: dict[str, asyncio.Lock] = {}

    @property
    def kept(self) -> int:
        """How many bundles are kept compressed."""
        return sum(1 for kept in self._store.values() if kept is not None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (
            scope["type"] == "http"
            and scope["path"].startswith(STATIC_PREFIX)
            and _is_plain_get(scope)
            and _accepts_gzip(scope)
        ):
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path not in self._store and not _is_bundle(path):
            # Streamlit answers an unknown /static/ path with its index.html: not kept, or any URL would grow the store.
            await self.app(scope, receive, send)
            return
        if path not in self._store:
            # One visitor compresses a bundle; the others arriving meanwhile wait for it.
            async with self._locks.setdefault(path, asyncio.Lock()):
                if path not in self._store:
                    self._store[path] = await self._compressed(scope, receive)
        kept = self._store[path]
        if kept is None:
            await self.app(scope, receive, send)
            return
        start, body = kept
        await send(start)
        await send({"type": "http.response.body", "body": body})

    async def _compressed(self, scope: Scope, receive: Receive) -> tuple[Message, bytes] | None:
        """The static route's answer, compressed; None if it is not a 200 of a compressible type."""
        plain_scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k.lower() not in REQUEST_DROPPED]}
        messages: list[Message] = []

        async def collect(message: Message) -> None:
            messages.append(message)

        await self.app(plain_scope, receive, collect)
        start = messages[0]
        headers = dict(start.get("headers", []))
        body = b"".join(m.get("body", b"") for m in messages[1:] if m["type"] == "http.response.body")
        if start["status"] != 200 or not headers.get(b"content-type", b"").startswith(COMPRESSIBLE):
            return None
        if len(body) < MINIMUM_SIZE:
            return None
        compressed = await run_in_threadpool(gzip.compress, body, COMPRESS_LEVEL, mtime=0)
        kept_headers = [(k, v) for k, v in start.get("headers", []) if k.lower() not in RESPONSE_DROPPED]
        kept_headers += [
            (b"content-encoding", b"gzip"),
            (b"vary", b"Accept-Encoding"),
            (b"content-length", str(len(compressed)).encode()),
        ]
        return {**start, "headers": kept_headers}, compressed


def _chart_chunk() -> str | None:
    """The file name of Streamlit's Plotly chunk in the installed package, if there is exactly one."""
    found = sorted(path.name for path in (STATIC_DIR / "js").glob("PlotlyChart.*.js"))
    return found[0] if len(found) == 1 else None


CHART_CHUNK = _chart_chunk()


def early_chart_import() -> str:
    """A <script> that imports Streamlit's Plotly chunk once the page's own modules are in ("" if unknown).

    A module imported twice is evaluated once, so Streamlit's later import of it is instant.
    """
    if CHART_CHUNK is None:
        return ""
    return f'<script type="module">import("./static/js/{CHART_CHUNK}");</script>'

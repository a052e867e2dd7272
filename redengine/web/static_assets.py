"""Streamlit's own JavaScript and CSS, made cheaper to fetch on a first view.

Streamlit serves its bundles (/static/...) uncompressed, because compressing them on every request
costs the server CPU each time (its SelectiveGZipMiddleware explains). Here each bundle is
compressed once, the first time it is asked for, and kept: every later visitor gets the same
bytes from memory. The bundles are content-hashed files of the installed Streamlit, so what is
kept is bounded by that package (about 6 MB compressed) and never goes stale.

Gzip is made at once (a fifth of a second for the largest bundle). Brotli at its best quality is a quarter
smaller (Plotly's chunk: 1.06 MB against gzip's 1.42 MB, 0.3 s less at a phone's 10 Mbit/s, more on a slower
network) but costs seconds per bundle: it is made by one background thread at the lowest CPU priority and
written to REDENGINE_CACHE_DIR/static/, so a restarted server or another replica reads it instead
(`python -m redengine.web.static_assets` fills that cache ahead, as `make bench` does). Until a bundle's brotli is
ready, its visitors get gzip. Browsers ask for brotli in their Accept-Encoding (Chromium does even on plain HTTP).

Compare (and the Overview's chart sections) draw Plotly charts, and Streamlit loads its 4.7 MB
Plotly chunk only when the first chart arrives, after the script has run. `early_chart_import` starts
that import as soon as the page's own scripts are in, so fetching and evaluating Plotly overlaps
the websocket and the script run instead of following them.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import dataclasses
import gzip
import hashlib
import logging
import os
import threading
from pathlib import Path

import brotli
import streamlit
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from redengine.data import store

log = logging.getLogger(__name__)

STATIC_PREFIX = "/static/"
STATIC_DIR = Path(streamlit.__file__).parent / "static" / "static"
COMPRESSIBLE = (b"text/", b"application/javascript", b"application/json", b"image/svg+xml")
COMPRESSIBLE_SUFFIXES = (".js", ".css", ".json", ".svg", ".html", ".txt")
MINIMUM_SIZE = 1024
# Compressed once per bundle and kept, so the best ratio is worth its one-off CPU.
COMPRESS_LEVEL = 9
BROTLI_QUALITY = 11
# Asked of the static route when filling the store: nothing conditional or partial.
REQUEST_DROPPED = (b"accept-encoding", b"if-none-match", b"if-modified-since", b"range")
RESPONSE_DROPPED = (b"content-length", b"content-encoding", b"vary")


def accepted_encodings(scope: Scope) -> set[str]:
    """The content codings a request's Accept-Encoding allows ("br;q=0" refuses brotli)."""
    accepted = set()
    for name, value in scope["headers"]:
        if name.lower() != b"accept-encoding":
            continue
        for item in value.decode("latin-1").lower().split(","):
            coding, _, params = item.strip().partition(";")
            quality = params.strip().removeprefix("q=") if params.strip().startswith("q=") else "1"
            try:
                if float(quality) > 0:
                    accepted.add(coding.strip())
            except ValueError:
                continue
    return accepted


def cache_dir() -> Path:
    """Where finished brotli bundles are kept between starts, shared by the replicas on one machine."""
    return store.cache_root() / "static" / streamlit.__version__


def _cached_brotli_path(raw: bytes) -> Path:
    return cache_dir() / f"{hashlib.sha256(raw).hexdigest()}.br"


def read_cached_brotli(raw: bytes) -> bytes | None:
    """The cached brotli of these bytes, if it is there and decodes back to them (a damaged file is ignored)."""
    path = _cached_brotli_path(raw)
    try:
        packed = path.read_bytes()
        if brotli.decompress(packed) == raw:
            return packed
    except (OSError, brotli.error):
        pass
    return None


def brotli_compressed(raw: bytes) -> bytes:
    """Brotli at the best quality, read from the cache directory or made and written there (atomically)."""
    packed = read_cached_brotli(raw)
    if packed is not None:
        return packed
    packed = brotli.compress(raw, quality=BROTLI_QUALITY)
    path = _cached_brotli_path(raw)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        temporary.write_bytes(packed)
        os.replace(temporary, path)
    except OSError as error:  # a read-only home, a full disk: kept in memory only
        log.warning("brotli bundle not cached on disk (%s); it is kept in memory", error)
    return packed


def _lowest_priority() -> None:
    """Brotli waits for idle CPU: visitors' script runs come first (Linux nices threads one by one)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except OSError:
        pass


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


@dataclasses.dataclass(frozen=True)
class Kept:
    """A bundle's answer: the start message without any coding headers, and its compressed bodies."""

    start: Message
    gzip: bytes
    brotli: bytes | None = None

    def answer(self, accepted: set[str]) -> tuple[Message, bytes] | None:
        """The best coding the request accepts, or None (then Streamlit answers with the plain file)."""
        if self.brotli is not None and "br" in accepted:
            coding, body = b"br", self.brotli
        elif "gzip" in accepted:
            coding, body = b"gzip", self.gzip
        else:
            return None
        headers = [
            *self.start.get("headers", []),
            (b"content-encoding", coding),
            (b"vary", b"Accept-Encoding"),
            (b"content-length", str(len(body)).encode()),
        ]
        return {**self.start, "headers": headers}, body


class CompressedStaticMiddleware:
    """Answers GET /static/... with brotli or gzip bytes compressed once and kept in memory.

    Only paths of files in the installed Streamlit's static directory are kept, so the store is bounded by
    that package. Anything else (other paths, no compression accepted, conditional or range requests, errors,
    incompressible types) goes to the app as before.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._store: dict[str, Kept | None] = {}  # None: not worth compressing
        self._locks: dict[str, asyncio.Lock] = {}
        self._brotli = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="brotli", initializer=_lowest_priority
        )
        self._pending: set[concurrent.futures.Future] = set()

    @property
    def kept(self) -> int:
        """How many bundles are kept compressed."""
        return sum(1 for kept in self._store.values() if kept is not None)

    def wait_for_brotli(self, timeout: float | None = None) -> None:
        """Waits until every brotli compression started so far has finished."""
        concurrent.futures.wait(list(self._pending), timeout=timeout)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (scope["type"] == "http" and scope["path"].startswith(STATIC_PREFIX) and _is_plain_get(scope)):
            await self.app(scope, receive, send)
            return
        accepted = accepted_encodings(scope)
        path = scope["path"]
        if not accepted & {"gzip", "br"} or (path not in self._store and not _is_bundle(path)):
            # Streamlit answers an unknown /static/ path with its index.html: not kept, or any URL would grow the store.
            await self.app(scope, receive, send)
            return
        if path not in self._store:
            # One visitor compresses a bundle; the others arriving meanwhile wait for it.
            async with self._locks.setdefault(path, asyncio.Lock()):
                if path not in self._store:
                    self._store[path] = await self._compressed(scope, receive)
        kept = self._store[path]
        answer = kept.answer(accepted) if kept is not None else None
        if answer is None:
            await self.app(scope, receive, send)
            return
        start, body = answer
        await send(start)
        await send({"type": "http.response.body", "body": body})

    async def _compressed(self, scope: Scope, receive: Receive) -> Kept | None:
        """The static route's answer, gzipped (brotli follows); None if it is not a 200 of a compressible type."""
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
        packed = await run_in_threadpool(gzip.compress, body, COMPRESS_LEVEL, mtime=0)
        kept_headers = [(k, v) for k, v in start.get("headers", []) if k.lower() not in RESPONSE_DROPPED]
        kept = Kept({**start, "headers": kept_headers}, packed, read_cached_brotli(body))
        if kept.brotli is None:
            self._start_brotli(scope["path"], body)
        return kept

    def _start_brotli(self, path: str, body: bytes) -> None:
        def finished(future: concurrent.futures.Future) -> None:
            self._pending.discard(future)
            if future.exception() is not None:
                log.warning("brotli of %s failed; it stays gzip: %s", path, future.exception())
                return
            kept = self._store.get(path)
            if kept is not None:
                self._store[path] = dataclasses.replace(kept, brotli=future.result())

        future = self._brotli.submit(brotli_compressed, body)
        self._pending.add(future)
        future.add_done_callback(finished)


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


def precompress() -> int:
    """Fills the cache directory with the brotli of every compressible bundle; returns how many were made."""
    made = 0
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.suffix not in COMPRESSIBLE_SUFFIXES or not path.is_file():
            continue
        raw = path.read_bytes()
        if len(raw) >= MINIMUM_SIZE and read_cached_brotli(raw) is None:
            brotli_compressed(raw)
            made += 1
    return made


def main(argv: list[str] | None = None) -> int:
    """Brotli of Streamlit's bundles made ahead into the cache directory, so no visitor's first views wait for it."""
    argparse.ArgumentParser(description=main.__doc__).parse_args(argv)
    made = precompress()
    print(f"{made} bundle(s) compressed with brotli into {cache_dir()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""How the server sends: against a real server started like `make run` (server.py) on the bundled data.

Streamlit's bundles compressed once and kept, brotli when it is ready (redengine/web/static_assets.py), pages and
API answers compressed
as they go, connections without Nagle's delay (redengine/web/nodelay.py), and the chart pages' early import of
Plotly.
"""

from __future__ import annotations

import asyncio
import gzip
import http.client
import os
import re
import statistics
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import brotli
import pytest
from browser_helpers import debian_chromium, get, streamlit_server

# Linux's delayed ACK, which Nagle's algorithm waits for, is at least 40 ms: a kept-alive request slower
from redengine.data import store
from redengine.web import static_assets

# than half of it at the median is waiting for it.
NAGLE_WAIT_MS = 40


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with streamlit_server("server.py") as url:
        yield url


def script_paths(server: str, page: str = "compare?lang=zh") -> list[str]:
    _, _, html = get(f"{server}/{page}")
    return re.findall(r"\./(static/js/[^\"']+\.js)", html.decode())


def test_bundles_are_compressed_once_and_read_back_the_same(server):
    scripts = script_paths(server)
    assert len(scripts) > 10, "the page should load Streamlit's scripts"
    largest = max(scripts, key=lambda path: len(get(f"{server}/{path}")[2]))
    plain_status, plain_headers, plain = get(f"{server}/{largest}")
    answers = [get(f"{server}/{largest}", {"Accept-Encoding": "gzip, deflate"}) for _ in range(2)]
    (status, headers, packed), (_, _, packed_again) = answers
    assert plain_status == status == 200 and "content-encoding" not in plain_headers
    assert headers["content-encoding"] == "gzip" and "accept-encoding" in headers["vary"].lower()
    assert int(headers["content-length"]) == len(packed)
    assert gzip.decompress(packed) == plain and len(packed) < len(plain) / 2
    assert packed_again == packed, "the second visitor gets the bytes kept from the first"
    # What Streamlit and web.py say of the file survives: its caching, and the security headers.
    assert headers["cache-control"] == plain_headers["cache-control"] and "immutable" in headers["cache-control"]
    assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"


def test_bundles_travel_as_brotli_once_it_is_made(server):
    scripts = script_paths(server)
    script = min(scripts, key=lambda path: abs(len(get(f"{server}/{path}")[2]) - 200_000))  # seconds, not minutes
    _, _, plain = get(f"{server}/{script}")
    deadline = time.monotonic() + 120  # made in the background at the lowest priority: a busy machine waits
    while (answer := get(f"{server}/{script}", {"Accept-Encoding": "gzip, deflate, br, zstd"}))[1][
        "content-encoding"
    ] != "br":
        assert answer[1]["content-encoding"] == "gzip", "gzip until brotli is ready"
        assert time.monotonic() < deadline, f"{script} never travelled as brotli"
        time.sleep(0.5)
    _, headers, packed = answer
    assert brotli.decompress(packed) == plain and int(headers["content-length"]) == len(packed)
    assert len(packed) < len(gzip.compress(plain, 9)), "brotli pays off only if smaller than gzip"
    _, headers, _ = get(f"{server}/{script}", {"Accept-Encoding": "gzip, br;q=0"})
    assert headers["content-encoding"] == "gzip", "a refused coding is not sent"


def test_chromium_reads_the_brotli_bundles(server):
    """Brotli made ahead (the cache directory the server reads): every bundle arrives as br, and the chart draws."""
    for path in script_paths(server):
        static_assets.brotli_compressed(get(f"{server}/{path}")[2])
    with debian_chromium() as browser:
        tab = browser.new_page()
        codings = {}
        tab.on("response", lambda r: codings.update({r.url: r.headers.get("content-encoding")}))
        tab.goto(f"{server}/?lang=en&section=charts")  # Plotly's chunk, the largest, too
        tab.wait_for_selector("[data-testid=stPlotlyChart] .main-svg", timeout=60_000)
        scripts = {url: coding for url, coding in codings.items() if "/static/js/" in url}
        assert scripts and tab.locator("[data-testid=stPlotlyChart] .bars path").count() > 0
    assert "br" in scripts.values(), scripts


def test_conditional_range_and_missing_requests_reach_streamlit(server):
    script = script_paths(server)[0]
    _, _, plain = get(f"{server}/{script}")
    status, headers, part = get(f"{server}/{script}", {"Accept-Encoding": "gzip", "Range": "bytes=0-99"})
    assert status == 206 and part == plain[:100] and "content-encoding" not in headers
    status, _, body = get(f"{server}/static/js/no-such-bundle.js", {"Accept-Encoding": "gzip"})
    assert "content-encoding" not in headers or b"<html" in gzip.decompress(body).lower()
    status, headers, _ = get(f"{server}/static/js/no-such-bundle.js")
    assert "content-encoding" not in headers


def test_pages_and_api_answers_travel_compressed(server):
    _, headers, packed_page = get(f"{server}/compare?lang=zh", {"Accept-Encoding": "gzip"})
    assert headers["content-encoding"] == "gzip"
    assert b'<html lang="zh-CN"' in gzip.decompress(packed_page)  # the preview's edits survive compression
    _, plain_headers, plain = get(f"{server}/api/v1/facts.csv")
    _, headers, packed = get(f"{server}/api/v1/facts.csv", {"Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain_headers and headers["content-encoding"] == "gzip"
    assert gzip.decompress(packed) == plain


def test_kept_alive_connections_answer_without_nagles_delay(server):
    """Without nodelay, every request after the first on a connection took 44 ms here (a 40 ms delayed ACK)."""
    address = urlsplit(server)
    small_script = min(script_paths(server), key=lambda path: len(get(f"{server}/{path}")[2]))
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    timings = {"/_stcore/health": [], f"/{small_script}": []}
    try:
        for _ in range(15):
            for path, took in timings.items():
                started = time.perf_counter()
                connection.request("GET", path)
                response = connection.getresponse()
                assert response.status == 200 and response.read()
                took.append((time.perf_counter() - started) * 1000)
    finally:
        connection.close()
    for path, took in timings.items():
        assert statistics.median(took[1:]) < NAGLE_WAIT_MS / 2, f"{path} waited on a kept-alive connection: {took}"


@pytest.mark.parametrize(
    ("page", "imports_plotly"),
    [
        ("?lang=en", False),  # the Overview opens on the evidence matrix, a table
        ("?lang=en&section=charts", True),
        ("?section=coverage", True),
        ("compare?lang=en", False),  # its bars are HTML
        ("profile?lang=zh", False),  # figures and quotes, no chart
        ("sql?lang=en", False),
    ],
)
def test_chart_pages_start_loading_plotly_with_the_page(server, page, imports_plotly):
    _, _, html = get(f"{server}/{page}")
    imported = re.findall(r'import\("\./(static/js/PlotlyChart\.[^"]+\.js)"\)', html.decode())
    assert bool(imported) == imports_plotly
    if imported:
        assert imported == [f"static/js/{static_assets.CHART_CHUNK}"]
        status, headers, _ = get(f"{server}/{imported[0]}", {"Accept-Encoding": "gzip"})
        assert status == 200 and "javascript" in headers["content-type"]


def call(app, path: str, headers: list[tuple[bytes, bytes]]) -> tuple[dict, bytes]:
    """One GET through an ASGI app, in this process: the response's start message and its body."""
    messages = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        messages.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "headers": headers, "query_string": b""}
    asyncio.run(app(scope, receive, send))
    return messages[0], b"".join(m.get("body", b"") for m in messages[1:])


def test_only_streamlits_own_bundles_are_kept():
    """Streamlit answers any /static/ path with its index.html: unknown paths must not grow the store."""
    answered = []

    async def streamlit_like(scope, receive, send):
        answered.append(scope["path"])
        file = static_assets.STATIC_DIR / scope["path"].removeprefix("/static/")
        body = file.read_bytes() if file.is_file() else b"<!DOCTYPE html><html>" + b" " * 4096 + b"</html>"
        content_type = b"text/javascript" if file.is_file() else b"text/html"
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", content_type)]})
        await send({"type": "http.response.body", "body": body})

    store = static_assets.CompressedStaticMiddleware(streamlit_like)
    gzip_accepted = [(b"accept-encoding", b"gzip")]
    for index in range(50):
        start, body = call(store, f"/static/js/made-up-{index}.js", gzip_accepted)
        assert start["status"] == 200 and body.startswith(b"<!DOCTYPE html>")
    for path in ("/static/../../etc/passwd", "/static/js//x.js", "/static/"):
        call(store, path, gzip_accepted)
    assert store.kept == 0 and len(answered) == 53
    bundle = f"/static/js/{static_assets.CHART_CHUNK}"
    for _ in range(3):
        start, body = call(store, bundle, gzip_accepted)
        assert dict(start["headers"])[b"content-encoding"] == b"gzip"
    assert store.kept == 1 and answered.count(bundle) == 1, "compressed once, then answered from the store"
    assert gzip.decompress(body) == (static_assets.STATIC_DIR / bundle.removeprefix("/static/")).read_bytes()


def test_brotli_is_made_once_in_the_background_and_read_back_after_a_restart(tmp_path, monkeypatch):
    monkeypatch.setenv(store.CACHE_DIR_ENV, str(tmp_path))
    bundle = min(
        (p for p in (static_assets.STATIC_DIR / "js").glob("*.js") if p.stat().st_size > 20_000),
        key=lambda p: p.stat().st_size,
    )
    raw, path = bundle.read_bytes(), f"/static/js/{bundle.name}"

    async def streamlit_like(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/javascript")]})
        await send({"type": "http.response.body", "body": raw})

    accepts_br = [(b"accept-encoding", b"gzip, deflate, br, zstd")]
    middleware = static_assets.CompressedStaticMiddleware(streamlit_like)
    start, body = call(middleware, path, accepts_br)
    assert dict(start["headers"])[b"content-encoding"] == b"gzip", "brotli is not ready yet: gzip meanwhile"
    middleware.wait_for_brotli(timeout=120)
    start, body = call(middleware, path, accepts_br)
    assert dict(start["headers"])[b"content-encoding"] == b"br" and brotli.decompress(body) == raw
    (cached,) = list(static_assets.cache_dir().glob("*.br"))
    assert cached.read_bytes() == body

    made, compress = [], brotli.compress
    monkeypatch.setattr(static_assets.brotli, "compress", lambda *a, **k: made.append(1) or compress(*a, **k))
    restarted = static_assets.CompressedStaticMiddleware(streamlit_like)
    start, _ = call(restarted, path, accepts_br)
    assert dict(start["headers"])[b"content-encoding"] == b"br" and not made, "read from the cache directory"

    cached.write_bytes(body[: len(body) // 2])  # damaged: ignored, made again
    damaged = static_assets.CompressedStaticMiddleware(streamlit_like)
    start, _ = call(damaged, path, accepts_br)
    assert dict(start["headers"])[b"content-encoding"] == b"gzip"
    damaged.wait_for_brotli(timeout=120)
    start, body = call(damaged, path, accepts_br)
    assert dict(start["headers"])[b"content-encoding"] == b"br" and brotli.decompress(body) == raw and made


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        ("gzip, deflate, br, zstd", {"gzip", "deflate", "br", "zstd"}),
        ("gzip;q=1.0, br;q=0", {"gzip"}),
        ("BR ; q=0.5", {"br"}),
        ("identity", {"identity"}),
        ("br;q=nonsense, gzip", {"gzip"}),
    ],
)
def test_accept_encoding_is_read_with_its_weights(header, accepted):
    assert static_assets.accepted_encodings({"headers": [(b"accept-encoding", header.encode())]}) == accepted


def test_a_cache_directory_that_cannot_be_written_keeps_brotli_in_memory(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    monkeypatch.setenv(store.CACHE_DIR_ENV, str(blocked))
    raw = os.urandom(64) * 100
    assert brotli.decompress(static_assets.brotli_compressed(raw)) == raw

"""What the server adds to the Streamlit app: extra routes and middleware, in one place.

server.py (the launcher `make run` starts) passes ROUTES, MIDDLEWARE and lifespan to st.App. A new route
is one more entry in ROUTES; it must not start with /_stcore/, /media/, /component/ or /static/, which
Streamlit keeps for itself. Here: the data API (/api/v1/), chart images (/share/<page>.png|.svg) and the
link previews written into the HTML of every page URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import re
import threading
from collections.abc import AsyncIterator
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from redengine.core.i18n import LANGUAGES, language_from_locale, t
from redengine.data import shared, sql_sandbox, store
from redengine.present import pages, share, static_view
from redengine.web import api, images, static_assets, warm

# Nobody may frame the dashboard (clickjacking); browsers must not guess a response's type.
SECURITY_HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
]
# Streamlit's metrics say how many sessions run and what the caches hold: not for the public.
HIDDEN_PATHS = ("/_stcore/metrics",)


class SecurityMiddleware:
    """Adds SECURITY_HEADERS to every HTTP response and answers 404 for HIDDEN_PATHS."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"].rstrip("/").endswith(HIDDEN_PATHS):
            await send({"type": "http.response.start", "status": 404, "headers": SECURITY_HEADERS})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in SECURITY_HEADERS}
                kept = [(name, value) for name, value in message.get("headers", []) if name.lower() not in names]
                message = {**message, "headers": kept + SECURITY_HEADERS}
            await send(message)

        await self.app(scope, receive, send_with_headers)


LOG = logging.getLogger(__name__)
# A host name and port as a proxy may forward it: nothing else is written into URLs.
_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")
REQUEST_DROPPED = (b"accept-encoding", b"if-none-match", b"if-modified-since")
# index.html's validators describe the file, not the edited page; its length changes.
RESPONSE_DROPPED = (b"content-length", b"etag", b"last-modified")
IMAGE_CACHE = "public, max-age=3600"  # a view's image changes only with the data or the code
# The scheme and host readers reach the dashboard at, for absolute URLs in previews when no proxy says it.
PUBLIC_URL_ENV = "REDENGINE_PUBLIC_URL"
# Streamlit's index.html: the element its app mounts into; the server-painted view follows it.
ROOT_ELEMENT = '<div id="root"></div>'
STYLESHEET = re.compile(r'<link rel="stylesheet"[^>]*>')


def public_base(scope: Scope) -> str:
    """Scheme, host and port as the reader reaches the server: X-Forwarded-Proto/-Host behind a proxy, else the
    configured PUBLIC_URL_ENV, else the request's Host. Link previews and printed URLs are absolute."""
    headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
    forwarded_host = headers.get("x-forwarded-host", "").split(",")[0].strip()
    configured = configured_public_url()
    if configured and not _HOST.match(forwarded_host):
        return configured
    proto = headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    scheme = proto if proto in ("http", "https") else scope.get("scheme", "http")
    host = forwarded_host or headers.get("host", "")
    if not _HOST.match(host):
        server = scope.get("server") or ("127.0.0.1", 8501)
        host = f"{server[0]}:{server[1]}"
    return f"{scheme}://{host}"


@functools.cache
def configured_public_url() -> str | None:
    """PUBLIC_URL_ENV ('https://dashboard.example.org'), without a trailing slash; None when unset. A value that
    is not an http(s) URL of a host stops the server at start-up (lifespan), not at the first preview."""
    value = os.environ.get(PUBLIC_URL_ENV, "").strip().rstrip("/")
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not _HOST.match(parts.netloc) or parts.path or parts.query:
        raise ValueError(
            f"{PUBLIC_URL_ENV}={value!r} is not a public base URL. "
            f"Fix: set it to the scheme and host readers use, such as https://dashboard.example.org."
        )
    return value


def _browser_lang(scope: Scope) -> str:
    """The language a page without lang= shows: the browser's (Accept-Language), as the app does."""
    headers = dict(scope["headers"])
    return language_from_locale(headers.get(b"accept-language", b"").decode("latin-1"))


def describe(page: str, query_string: str, default_lang: str) -> share.SharedView:
    return share.described(page, parse_qsl(query_string), default_lang)


def share_image(request: Request) -> Response:
    """/share/<page>.png|.svg?<the page's query string>: the view's chart with its source, 1200 × 630."""
    page, fmt = request.path_params["page"], request.path_params["fmt"]
    if page not in pages.IMAGE_PAGES or fmt not in share.IMAGE_FORMATS:
        return PlainTextResponse(
            f"No image /share/{page[:40]}.{fmt[:10]}. Fix: use /share/<page>.png or .svg, "
            f"page one of {', '.join(pages.IMAGE_PAGES)}, with the page's query string.\n",
            status_code=404,
        )
    params = parse_qsl(request.url.query, keep_blank_values=True)
    attached = (share.DOWNLOAD_PARAM, "1") in params
    view_query = urlencode([(name, value) for name, value in params if name != share.DOWNLOAD_PARAM])
    try:
        described = describe(page, view_query, _browser_lang(request.scope))
        body = images.image(described, fmt, public_base(request.scope), shared.database().version())
    except images.RendererUnavailable as error:
        LOG.warning("Chart image not drawn: %s", error)
        return PlainTextResponse(
            "Chart images cannot be drawn on this server right now (its Chromium is missing or did not start). "
            "Fix: try again later; the operator can run 'make system-deps' to install Chromium.\n",
            status_code=503,
            headers={"Retry-After": "60"},
        )
    except store.DataDirError:
        LOG.exception("Chart image %s failed: the data directory cannot be read", request.url.path)
        return PlainTextResponse("The data cannot be read right now. Fix: try again later.\n", status_code=503)
    disposition = "attachment" if attached else "inline"
    headers = {
        "Cache-Control": IMAGE_CACHE,
        "Content-Disposition": f'{disposition}; filename="{share.image_name(described, fmt)}"',
        "X-Redengine-Snapshot": described.snapshot.id,
    }
    return Response(body, media_type=share.IMAGE_FORMATS[fmt], headers=headers)


class LinkPreviewMiddleware:
    """Writes the view's language, title and Open Graph/Twitter tags into the HTML Streamlit serves for a page
    URL (its index.html, the same for every path), so a link pasted into a chat previews as the view, and the
    view itself after the app's root element (static_view), which shows before Streamlit's JavaScript has loaded.

    It sits outside Streamlit's compression: the request's Accept-Encoding is dropped so the HTML arrives
    plain, and the description is built in the thread pool (it queries the data).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        opened = pages.of_path(scope["path"]) if scope["type"] == "http" else None
        page = opened.url_path if opened else None
        if page is None or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        # Plain HTML (not gzip), and never a 304 for index.html: the tags differ with the query and the data.
        scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k.lower() not in REQUEST_DROPPED]}
        start: Message | None = None
        chunks: list[bytes] = []

        async def edit_html(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                content_type = dict(message.get("headers", [])).get(b"content-type", b"")
                if message["status"] == 200 and content_type.startswith(b"text/html"):
                    start = message  # held until the body is complete
                    return
            elif start is not None and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = await run_in_threadpool(_with_preview, b"".join(chunks), page, scope)
                headers = [(k, v) for k, v in start.get("headers", []) if k.lower() not in RESPONSE_DROPPED]
                await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, edit_html)


def _with_preview(html_bytes: bytes, page: str, scope: Scope) -> bytes:
    """index.html with <html lang>, the preview tags of the view the URL names and the view painted by its root."""
    text = html_bytes.decode("utf-8")
    query = scope.get("query_string", b"").decode("latin-1")
    try:
        described = describe(page, query, _browser_lang(scope))
    except store.DataDirError:
        LOG.exception("Link preview for %s left out: the data directory cannot be read", scope["path"])
        return html_bytes
    text = re.sub(r"<html lang=\"[^\"]*\"", f'<html lang="{t("html_lang", described.lang)}"', text, count=1)
    base = public_base(scope)
    tags = share.preview_tags(described, base)
    text, found = re.subn(r"<title>[^<]*</title>", lambda _match: tags, text, count=1)
    if not found:
        text = text.replace("</head>", f"    {tags}\n  </head>", 1)
    first_view = static_view.first_view(described, base)
    # Streamlit's stylesheet moves below the root: a stylesheet in <head> holds every paint until it has loaded
    # (behind 2.7 MB of module preloads on a phone); in the body it holds only what follows it.
    stylesheets = STYLESHEET.findall(text)
    text = STYLESHEET.sub("", text)
    # After the root, not in it: React empties the root when it mounts, about half a second before the page has
    # drawn anything, which left the reader the app's bare frame; beside it, the view stays until the page's
    # title is drawn (static_view.STYLE).
    text = text.replace(ROOT_ELEMENT, ROOT_ELEMENT + first_view + "".join(stylesheets), 1)
    if page == "overview" and dict(parse_qsl(query)).get("section") in pages.OVERVIEW_PLOTLY_SECTIONS:
        text = text.replace("</head>", f"    {static_assets.early_chart_import()}\n  </head>", 1)
    return text.encode("utf-8")


def _describe_first_links() -> None:
    """Every page's default view in both languages, described before its first visitor asks (a Compare view's
    first description queries for a few hundred milliseconds); with and without lang=, as links come."""
    try:
        for page in pages.BY_PATH:
            for lang in LANGUAGES:
                describe(page, f"lang={lang}", lang)
                describe(page, "", lang)
    except (store.DataDirError, OSError) as error:  # the pages will say why, to their visitors
        LOG.warning("Start-up did not describe the first links: %s", error)


@contextlib.asynccontextmanager
async def lifespan(_app: object) -> AsyncIterator[None]:
    """At start-up: the SQL sandbox's fork server starts in the background, and the database, the latest
    snapshot's summary tables and Plotly are made ready before the first visitor (warm.warm_up); then every
    page's default view is described in the background, for its painted first view. At shutdown the image
    renderer stops."""
    configured_public_url()  # a malformed public URL stops the start, with its Fix
    threading.Thread(target=sql_sandbox.start, name="sql-sandbox-start", daemon=True).start()
    await asyncio.to_thread(warm.warm_up)
    threading.Thread(target=_describe_first_links, name="describe-first-links", daemon=True).start()
    yield
    images.close_renderer()  # its Chromium goes with the server


ROUTES = [*api.routes(), Route("/share/{page}.{fmt}", share_image, methods=["GET"])]
# Streamlit serves its JavaScript uncompressed (7.9 MB for the Overview): on a phone's 10 Mbit/s that is most of
# the first view. Its bundles are compressed once and kept (static_assets); pages and API answers are compressed
# as they go, outside the others so it compresses what they wrote. Websockets pass through untouched.
MIDDLEWARE = [
    Middleware(static_assets.CompressedStaticMiddleware),
    Middleware(GZipMiddleware, minimum_size=1024, compresslevel=6),
    Middleware(SecurityMiddleware),
    Middleware(LinkPreviewMiddleware),
]

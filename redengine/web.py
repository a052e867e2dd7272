"""What the server adds to the Streamlit app: extra routes and a middleware, in one place.

server.py (the launcher `make run` starts) passes ROUTES, MIDDLEWARE and lifespan to st.App. A new route
(chart images, link previews) is one more entry in ROUTES; it must not start with /_stcore/,
/media/, /component/ or /static/, which Streamlit keeps for itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator

from starlette.middleware import Middleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from redengine import api, sql_sandbox, warm

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


@contextlib.asynccontextmanager
async def lifespan(_app: object) -> AsyncIterator[None]:
    """At start-up: the SQL sandbox's fork server starts in the background, and the database, the latest
    snapshot's summary tables and Plotly are made ready before the first visitor (warm.warm_up)."""
    threading.Thread(target=sql_sandbox.start, name="sql-sandbox-start", daemon=True).start()
    await asyncio.to_thread(warm.warm_up)
    yield


ROUTES = [*api.routes()]
MIDDLEWARE = [Middleware(SecurityMiddleware)]

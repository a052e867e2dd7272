"""Every HTTP answer on a kept-alive connection waited 40 ms: Streamlit's server left Nagle's algorithm on.

Streamlit 1.67 binds its listening socket itself (`starlette_server._bind_socket`) as
`socket.socket(family)`, whose `proto` is 0, and hands it to uvicorn. asyncio turns on
TCP_NODELAY only for accepted sockets whose `proto` is IPPROTO_TCP, so no connection gets it:
on a kept-alive connection a small response's body waits for the client's delayed ACK of its
headers, 40 ms on Linux. A first view fetches 60-100 files, six at a time, and every websocket
message is such a small write. Measured with `curl`, three URLs over one connection: 1 ms for
the first, 44 ms for each one after.

The socket is bound before server.py is imported, so the fix is made where each connection
starts: uvicorn's HTTP protocol (the one its "auto" setting picks, which Streamlit uses) sets
TCP_NODELAY on the connection's socket first. Websockets are upgraded HTTP connections, so
they have it too.
"""

from __future__ import annotations

import functools
import logging
import socket

LOG = logging.getLogger(__name__)


def _with_nodelay(connection_made):
    @functools.wraps(connection_made)
    def connection_made_without_delay(protocol, transport):
        connection = transport.get_extra_info("socket")
        if connection is not None and connection.family in (socket.AF_INET, socket.AF_INET6):
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connection_made(protocol, transport)

    connection_made_without_delay.sets_nodelay = True
    return connection_made_without_delay


def serve_without_delay() -> None:
    """Every connection uvicorn accepts from now on answers without Nagle's delay (see the module's docstring)."""
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    if not getattr(AutoHTTPProtocol.connection_made, "sets_nodelay", False):
        AutoHTTPProtocol.connection_made = _with_nodelay(AutoHTTPProtocol.connection_made)

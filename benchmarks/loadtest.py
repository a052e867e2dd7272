"""N simulated users against a running dashboard on 127.0.0.1, each interacting about once a second.

Each user speaks Streamlit's own websocket protocol (``/_stcore/stream``: BackMsg out,
ForwardMsg in) as the browser does: opens a session, runs the page, then changes a widget
(selectbox, segmented control, radio, multiselect) or switches page, bounded in time and in
the number of interactions. Latency is the time from sending the change to the run's
``script_finished``. Light enough for 100 sessions on two cores; what a browser waits for on
first opening a page is measured by benchmarks/first_view.py.

An error is a run that shows an exception or an st.error, a failed run, a lost connection or
a run that does not finish within the timeout. Server memory is read from /proc (VmRSS now,
VmHWM the peak). Only 127.0.0.1 is ever contacted.

    python benchmarks/loadtest.py --data-dir data --sessions 10 --seconds 20
    python benchmarks/loadtest.py --port 8501 --sessions 10      # an already running server
    python benchmarks/loadtest.py --data-dir data --app benchmarks/bare_app.py   # the bare baseline
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from harness import server as harness_server  # noqa: E402
from harness.server import HOST, proc_memory_mb  # noqa: E402

RUN_TIMEOUT_S = 60.0  # a run that takes longer counts as an error
MAX_INTERACTIONS = 1000  # per session, whatever the duration
RAMP_S_PER_SESSION = 0.1  # users arrive over sessions x 0.1 s (10 s for 100), not all at once


# -- what a session records --------------------------------------------------------------


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    first_run_ms: list[float] = field(default_factory=list)

    def merge(self, other: Tally) -> None:
        self.latencies_ms += other.latencies_ms
        self.errors += other.errors
        self.first_run_ms += other.first_run_ms


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = q / 100 * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(tally: Tally, sessions: int, seconds: float, memory: dict[str, float]) -> dict:
    rounded = lambda v: None if v is None else round(v, 1)  # noqa: E731
    return {
        "sessions": sessions,
        "seconds": seconds,
        "interactions": len(tally.latencies_ms),
        "p50_ms": rounded(percentile(tally.latencies_ms, 50)),
        "p95_ms": rounded(percentile(tally.latencies_ms, 95)),
        "max_ms": rounded(max(tally.latencies_ms, default=None)),
        "first_run_p95_ms": rounded(percentile(tally.first_run_ms, 95)),
        "errors": len(tally.errors),
        "error_examples": sorted(set(tally.errors))[:5],
        "rss_mb": rounded(memory.get("VmRSS")),
        "peak_rss_mb": rounded(memory.get("VmHWM")),
    }


# -- websocket client --------------------------------------------------------------------


class WsSession:
    """One browser tab, as far as the server can tell: a websocket and its client state."""

    def __init__(self, port: int, rng: random.Random, start_page: str, query_string: str):
        self.port = port
        self.rng = rng
        self.start_page = start_page
        self.query_string = query_string
        self.page_hash = ""
        self.pages: dict[str, str] = {}  # url path -> page script hash
        self.widgets: dict[str, tuple[str, list[str], str]] = {}  # id -> (kind, options, label)
        self.run_errors: list[str] = []
        self.finished: asyncio.Queue = asyncio.Queue()
        self.socket = None

    async def open(self) -> None:
        from websockets.asyncio.client import connect

        self.socket = await connect(
            f"ws://{HOST}:{self.port}/_stcore/stream",
            subprotocols=["streamlit"],
            max_size=None,
            open_timeout=RUN_TIMEOUT_S,
            compression=None,
        )
        self.reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()
        if getattr(self, "reader", None):
            self.reader.cancel()

    async def _read(self) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        try:
            async for frame in self.socket:
                message = ForwardMsg()
                message.ParseFromString(frame)
                self._handle(message)
        except Exception as error:  # the connection went away: the waiting run reports it
            await self.finished.put(("closed", repr(error)))
        else:
            await self.finished.put(("closed", "the server closed the connection"))

    def _handle(self, message) -> None:
        from streamlit.proto.Alert_pb2 import Alert
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        kind = message.WhichOneof("type")
        if kind == "new_session":
            self.widgets = {}
            self.run_errors = []
            if message.new_session.page_script_hash:
                self.page_hash = message.new_session.page_script_hash
        elif kind == "navigation":
            self.pages = {p.url_pathname: p.page_script_hash for p in message.navigation.app_pages}
            self.page_hash = message.navigation.page_script_hash or self.page_hash
        elif kind == "page_info_changed":
            self.query_string = message.page_info_changed.query_string
        elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            element = message.delta.new_element
            what = element.WhichOneof("type")
            if what == "exception":
                self.run_errors.append(f"exception: {element.exception.type}: {element.exception.message[:120]}")
            elif what == "alert" and element.alert.format == Alert.ERROR:
                self.run_errors.append(f"st.error: {element.alert.body[:120]}")
            elif what in ("selectbox", "radio"):
                widget = getattr(element, what)
                self.widgets[widget.id] = (what, list(widget.options), widget.label)
            elif what == "button_group":
                widget = element.button_group
                self.widgets[widget.id] = (what, [o.content for o in widget.options], widget.label)
            elif what == "multiselect":
                widget = element.multiselect
                self.widgets[widget.id] = (what, list(widget.options), widget.label)
        elif kind == "session_event" and message.session_event.HasField("script_compilation_exception"):
            self.run_errors.append("script compilation error")
        elif kind == "script_finished":
            status = message.script_finished
            if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                return
            if status not in (ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY):
                self.run_errors.append(f"script finished with status {status}")
            self.finished.put_nowait(("finished", list(self.run_errors)))

    async def rerun(self, widget_states=None, page_hash: str | None = None, page_name: str = "") -> float:
        """Sends a rerun and waits for its end; returns ms, raises RuntimeError on an error."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        while not self.finished.empty():
            self.finished.get_nowait()
        message = BackMsg()
        state = message.rerun_script
        state.query_string = self.query_string
        state.page_script_hash = self.page_hash if page_hash is None else page_hash
        state.page_name = page_name
        state.context_info.timezone = "Asia/Shanghai"
        state.context_info.locale = "zh-CN"
        state.context_info.url = f"http://{HOST}:{self.port}/{page_name}"
        if widget_states is not None:
            state.widget_states.CopyFrom(widget_states)
        started = time.perf_counter()
        await self.socket.send(message.SerializeToString())
        try:
            outcome, detail = await asyncio.wait_for(self.finished.get(), RUN_TIMEOUT_S)
        except TimeoutError:
            raise RuntimeError(f"no script_finished within {RUN_TIMEOUT_S:.0f} s") from None
        elapsed = (time.perf_counter() - started) * 1000
        if outcome == "closed":
            raise RuntimeError(f"connection lost: {detail}")
        if detail:
            raise RuntimeError("; ".join(detail))
        return elapsed

    def change(self):
        """A widget change (WidgetStates) on the current page, or None if nothing can change."""
        from streamlit.proto.WidgetStates_pb2 import WidgetStates

        candidates = [(wid, w) for wid, w in self.widgets.items() if len(w[1]) > 1]
        if not candidates:
            return None
        widget_id, (kind, options, _label) = self.rng.choice(candidates)
        states = WidgetStates()
        state = states.widgets.add()
        state.id = widget_id
        if kind in ("selectbox", "radio"):
            state.string_value = self.rng.choice(options)
        elif kind == "button_group":
            state.string_array_value.data.append(self.rng.choice(options))
        else:  # multiselect: a handful of options, as a person would pick
            state.string_array_value.data.extend(self.rng.sample(options, min(len(options), self.rng.randint(2, 6))))
        return states


async def ws_user(
    port: int, seed: int, seconds: float, interval: float, pages: list[str], query_string: str, arrival: float
) -> Tally:
    rng = random.Random(seed)
    tally = Tally()
    start_page = pages[seed % len(pages)] if pages else ""
    session = WsSession(port, rng, start_page, query_string)
    try:
        await asyncio.sleep(arrival)
        await session.open()
        tally.first_run_ms.append(await session.rerun(page_hash="", page_name=start_page))
        deadline = time.perf_counter() + seconds  # interactions for `seconds` after the page is up
        for _ in range(MAX_INTERACTIONS):
            tick = time.perf_counter()
            if tick >= deadline:
                break
            change = None if rng.random() < 0.25 else session.change()
            try:
                if change is not None:
                    tally.latencies_ms.append(await session.rerun(change))
                elif session.pages:
                    target = rng.choice(sorted(session.pages))
                    tally.latencies_ms.append(await session.rerun(page_hash=session.pages[target], page_name=target))
                else:
                    tally.latencies_ms.append(await session.rerun())
            except RuntimeError as error:
                tally.errors.append(str(error))
                if "connection lost" in str(error):
                    break
            pause = interval * rng.uniform(0.8, 1.2) - (time.perf_counter() - tick)
            await asyncio.sleep(max(0.0, min(pause, deadline - time.perf_counter())))
    except (OSError, RuntimeError, TimeoutError) as error:
        tally.errors.append(f"session failed: {error!r}")
    finally:
        await session.close()
    return tally


async def _run_ws(
    port: int, sessions: int, seconds: float, interval: float, pages: list[str], query_string: str
) -> Tally:
    ramp = sessions * RAMP_S_PER_SESSION
    tallies = await asyncio.gather(
        *(
            ws_user(port, seed, seconds, interval, pages, query_string, ramp * seed / sessions)
            for seed in range(sessions)
        )
    )
    total = Tally()
    for tally in tallies:
        total.merge(tally)
    return total


# -- entry points ---------------------------------------------------------------------

PAGES = ["overview", "compare", "profile", "sources", "changes"]


def load(
    port: int,
    sessions: int,
    seconds: float = 20.0,
    interval: float = 1.0,
    pages: list[str] | None = None,
    query_string: str = "",
    server_pid: int | None = None,
) -> dict:
    """Runs the sessions against a server already listening on 127.0.0.1:port."""
    pages = PAGES if pages is None else pages
    tally = asyncio.run(_run_ws(port, sessions, seconds, interval, pages, query_string))
    memory = proc_memory_mb(server_pid) if server_pid else {}
    return summary(tally, sessions, seconds, memory)


def run_load(
    data_dir: Path | str | None,
    sessions: int,
    seconds: float = 20.0,
    app: str = "app.py",
    query_string: str = "",
    interval: float = 1.0,
    options: list[str] = (),
    pages: list[str] | None = None,
) -> dict:
    """Starts a fresh server of `app` on data_dir, runs the sessions, stops it; the figures as a dict."""
    server = harness_server.start(app, data_dir, options=options)
    crashed = False
    try:
        result = load(
            server.port, sessions, seconds, interval, pages, query_string=query_string, server_pid=server.process.pid
        )
        result["startup_s"] = round(server.startup_s, 2)
        result["interactions_per_s"] = round(result["interactions"] / seconds, 1)
        if server.process.poll() is not None:
            crashed = True
            result["errors"] += 1
            result["error_examples"].append(f"the server exited with {server.process.returncode}; see {server.log}")
    finally:
        server.stop(keep_log=crashed)
    return result


def main(argv: list[str] | None = None) -> int:
    """Simulated users against the dashboard on 127.0.0.1; prints the figures as JSON."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--port", type=int, help="a server already running on 127.0.0.1:PORT")
    where.add_argument("--data-dir", type=Path, help="start a fresh server on this data directory")
    parser.add_argument("--app", default="app.py", help="the script the started server runs (repository-relative)")
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between one user's interactions")
    parser.add_argument("--pid", type=int, help="server process id, to report its memory (with --port)")
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="--NAME=VALUE",
        help="a streamlit option for the started server, e.g. --option=--runner.postScriptGC=false",
    )
    args = parser.parse_args(argv)
    if args.data_dir:
        result = run_load(
            args.data_dir, args.sessions, args.seconds, args.app, interval=args.interval, options=args.option
        )
    else:
        result = load(args.port, args.sessions, args.seconds, args.interval, server_pid=args.pid)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

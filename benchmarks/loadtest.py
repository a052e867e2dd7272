"""N simulated users against a running dashboard on 127.0.0.1, each interacting about once a second.

Two clients, both bounded in time and in the number of interactions:

- ``ws``: speaks Streamlit's own websocket protocol (``/_stcore/stream``: BackMsg out,
  ForwardMsg in) as the browser does — opens a session, runs the page, then changes a widget
  (selectbox, segmented control, radio, multiselect) or switches page. Latency is the time
  from sending the change to the run's ``script_finished``. Light enough for 100 sessions on
  two cores.
- ``browser``: headless Debian Chromium through Playwright, one browser and one context per
  session; picks a new option in a selectbox or switches page, and waits for the app's
  ``data-test-script-state`` to go from running back to notRunning. Rendering costs CPU on
  the same machine, so use it for about ten sessions.

An error is a run that shows an exception or an st.error, a failed run, a lost connection or
a run that does not finish within the timeout. Server memory is read from /proc (VmRSS now,
VmHWM the peak). Only 127.0.0.1 is ever contacted.

    python benchmarks/loadtest.py --data-dir data --sessions 10 --seconds 20 --client ws
    python benchmarks/loadtest.py --port 8501 --sessions 10      # an already running server
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from redengine import chromium

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
CHROMIUM = chromium.EXECUTABLE
CHROMIUM_ARGS = list(chromium.ARGS)
RUN_TIMEOUT_S = 60.0  # a run that takes longer counts as an error
MAX_INTERACTIONS = 1000  # per session, whatever the duration
RAMP_S_PER_SESSION = 0.1  # users arrive over sessions x 0.1 s (10 s for 100), not all at once


# -- the server --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/_stcore/health", timeout=1) as reply:
            return reply.read().strip() == b"ok"
    except OSError:
        return False


def proc_memory_mb(pid: int) -> dict[str, float]:
    """VmRSS (now) and VmHWM (peak) of a process, in MB."""
    figures = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                figures[key] = int(rest.split()[0]) / 1024
    except OSError:
        pass
    return figures


@dataclass
class Server:
    """A `streamlit run app.py` on a free port of 127.0.0.1."""

    process: subprocess.Popen
    port: int
    startup_s: float
    log: Path

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def memory_mb(self) -> dict[str, float]:
        return proc_memory_mb(self.process.pid)

    def stop(self, keep_log: bool = False) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if not keep_log:
            self.log.unlink(missing_ok=True)


def start_server(
    data_dir: Path | str, app: Path = REPO / "app.py", timeout_s: float = 60.0, options: list[str] = ()
) -> Server:
    """Starts the app headless with REDENGINE_DATA_DIR=data_dir; returns once /_stcore/health is ok.

    The server's output goes to a temporary file, removed by stop() and kept if it fails to start.
    """
    if not app.is_file():
        raise FileNotFoundError(f"{app} does not exist yet")
    port = free_port()
    env = {**os.environ, "REDENGINE_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    handle, name = tempfile.mkstemp(prefix=f"redengine-bench-server-{port}-", suffix=".log")
    os.close(handle)
    log = Path(name)
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(app),
        "--server.headless",
        "true",
        "--server.address",
        HOST,
        "--server.port",
        str(port),
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        *options,
    ]
    started = time.perf_counter()
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=app.parent, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = started + timeout_s
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}; see {log}")
        if healthy(port):
            return Server(process, port, time.perf_counter() - started, log)
        time.sleep(0.02)
    process.kill()
    process.wait(timeout=10)
    raise TimeoutError(f"no healthy server within {timeout_s} s; see {log}")


# -- what a session records --------------------------------------------------------------


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    first_run_ms: list[float] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # interactions the client could not perform

    def merge(self, other: Tally) -> None:
        self.latencies_ms += other.latencies_ms
        self.errors += other.errors
        self.first_run_ms += other.first_run_ms
        self.skipped += other.skipped


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = q / 100 * (len(ordered) - 1)
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summary(tally: Tally, sessions: int, seconds: float, client: str, memory: dict[str, float]) -> dict:
    rounded = lambda v: None if v is None else round(v, 1)  # noqa: E731
    return {
        "client": client,
        "sessions": sessions,
        "seconds": seconds,
        "interactions": len(tally.latencies_ms),
        "p50_ms": rounded(percentile(tally.latencies_ms, 50)),
        "p95_ms": rounded(percentile(tally.latencies_ms, 95)),
        "max_ms": rounded(max(tally.latencies_ms, default=None)),
        "first_run_p95_ms": rounded(percentile(tally.first_run_ms, 95)),
        "errors": len(tally.errors),
        "error_examples": sorted(set(tally.errors))[:5],
        "skipped": len(tally.skipped),
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


# -- browser client ----------------------------------------------------------------------

# Installed before the app loads: timestamps every script_finished ForwardMsg the page receives
# (top-level field 6, a varint status; 2 is "finished early for a rerun" and is ignored).
# The running indicator alone is not enough: when a run's messages arrive in one burst, React
# batches running -> notRunning into one render and the attribute never changes.
_WATCH_RUNS = """(() => {
  window.__finished = [];
  const varint = (bytes, at) => {
    let value = 0, shift = 0, byte;
    do { byte = bytes[at++]; value += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80);
    return [value, at];
  };
  const finishedStatus = (bytes) => {
    let at = 0;
    while (at < bytes.length) {
      let tag; [tag, at] = varint(bytes, at);
      const field = Math.floor(tag / 8), wire = tag & 7;
      if (wire === 0) { let value; [value, at] = varint(bytes, at); if (field === 6) return value; }
      else if (wire === 1) at += 8;
      else if (wire === 5) at += 4;
      else if (wire === 2) { let size; [size, at] = varint(bytes, at); at += size; }
      else return null;
    }
    return null;
  };
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (event) => {
        const now = performance.now();
        if (event.data instanceof ArrayBuffer) {
          const status = finishedStatus(new Uint8Array(event.data));
          if (status !== null && status !== 2) window.__finished.push(now);
        }
      });
    }
  };
})();"""
_RUN_FINISHED = """(t0) => {
  const t = window.__finished.find((t) => t >= t0);
  return t === undefined ? null : t - t0;
}"""


async def browser_user(
    browser,
    base_url: str,
    seed: int,
    seconds: float,
    interval: float,
    pages: list[str],
    query_string: str,
    arrival: float,
) -> Tally:
    rng = random.Random(seed)
    tally = Tally()
    context = await browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900}
    )
    await context.add_init_script(_WATCH_RUNS)
    page = await context.new_page()
    timeout_ms = RUN_TIMEOUT_S * 1000
    try:
        await asyncio.sleep(arrival)
        start_page = pages[seed % len(pages)] if pages else ""
        started = time.perf_counter()
        await page.goto(f"{base_url}/{start_page}?{query_string}", timeout=timeout_ms)
        await page.wait_for_function("() => window.__finished.length > 0", timeout=timeout_ms, polling=20)
        tally.first_run_ms.append((time.perf_counter() - started) * 1000)
        deadline = time.perf_counter() + seconds
        for _ in range(MAX_INTERACTIONS):
            tick = time.perf_counter()
            if tick >= deadline:
                break
            try:
                t0 = await _browser_interaction(page, rng)
            except Exception as error:  # the UI could not be driven (covered, detached): not the server's fault
                tally.skipped.append(f"{type(error).__name__}: {str(error).splitlines()[0][:120]}")
                await page.keyboard.press("Escape")
                t0 = None
            if t0 is not None:
                try:
                    handle = await page.wait_for_function(_RUN_FINISHED, arg=t0, timeout=timeout_ms, polling=20)
                    tally.latencies_ms.append(await handle.json_value())
                    shown = page.locator('[data-testid="stException"], [data-testid="stAlertContentError"]')
                    if await shown.count():
                        tally.errors.append("the page shows an exception or an error")
                except Exception as error:
                    tally.errors.append(f"{type(error).__name__}: {str(error).splitlines()[0][:160]}")
            pause = interval * rng.uniform(0.8, 1.2) - (time.perf_counter() - tick)
            await asyncio.sleep(max(0.0, min(pause, deadline - time.perf_counter())))
    except Exception as error:
        tally.errors.append(f"session failed: {type(error).__name__}: {str(error).splitlines()[0][:160]}")
    finally:
        await context.close()
    return tally


async def _browser_interaction(page, rng: random.Random) -> float | None:
    """Picks another option in a selectbox, or another page; returns the page clock at the change."""
    selects = page.locator('[data-testid="stMain"] [data-testid="stSelectbox"]')
    count = await selects.count()
    if count and rng.random() >= 0.25:
        await selects.nth(rng.randrange(count)).get_by_role("combobox").click(timeout=10_000)
        await page.locator('[role="option"]').first.wait_for(timeout=10_000)
        options = page.locator('[role="option"][aria-selected="false"]')  # a real change
        n = await options.count()
        if n:
            t0 = await page.evaluate("performance.now()")
            await options.nth(rng.randrange(min(n, 8))).click(timeout=10_000)
            return t0
        await page.keyboard.press("Escape")  # a single option: switch page instead
    links = page.locator(
        '[data-testid="stTopNavLink"]:not([aria-current="page"]), '
        '[data-testid="stSidebarNavLink"]:not([aria-current="page"])'
    )
    n = await links.count()
    if not n:
        return None
    t0 = await page.evaluate("performance.now()")
    await links.nth(rng.randrange(n)).click(timeout=10_000)
    return t0


async def _run_browser(
    port: int, sessions: int, seconds: float, interval: float, pages: list[str], query_string: str
) -> Tally:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            ramp = sessions * RAMP_S_PER_SESSION
            tallies = await asyncio.gather(
                *(
                    browser_user(
                        browser,
                        f"http://{HOST}:{port}",
                        seed,
                        seconds,
                        interval,
                        pages,
                        query_string,
                        ramp * seed / sessions,
                    )
                    for seed in range(sessions)
                )
            )
        finally:
            await browser.close()
    total = Tally()
    for tally in tallies:
        total.merge(tally)
    return total


# -- entry points ------------------------------------------------------------------------

PAGES = ["overview", "compare", "profile", "sources", "changes"]


def load(
    port: int,
    sessions: int,
    seconds: float = 20.0,
    client: str = "ws",
    interval: float = 1.0,
    pages: list[str] | None = None,
    query_string: str = "",
    server_pid: int | None = None,
) -> dict:
    """Runs the sessions against a server already listening on 127.0.0.1:port."""
    pages = PAGES if pages is None else pages
    runner = _run_browser if client == "browser" else _run_ws
    tally = asyncio.run(runner(port, sessions, seconds, interval, pages, query_string))
    memory = proc_memory_mb(server_pid) if server_pid else {}
    return summary(tally, sessions, seconds, client, memory)


def run_load(
    data_dir: Path | str,
    sessions: int,
    seconds: float = 20.0,
    client: str = "auto",
    app: Path = REPO / "app.py",
    query_string: str = "",
    interval: float = 1.0,
    options: list[str] = (),
) -> dict:
    """Starts a fresh server on data_dir, runs the sessions, stops it; the figures as a dict.

    client "auto" takes the browser for up to 10 sessions and the websocket client above that.
    """
    if client == "auto":
        client = "browser" if sessions <= 10 and Path(CHROMIUM).exists() else "ws"
    server = start_server(data_dir, app, options=options)
    crashed = False
    try:
        result = load(
            server.port, sessions, seconds, client, interval, query_string=query_string, server_pid=server.process.pid
        )
        result["startup_s"] = round(server.startup_s, 2)
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
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between one user's interactions")
    parser.add_argument("--client", choices=["auto", "ws", "browser"], default="auto")
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
            args.data_dir, args.sessions, args.seconds, args.client, interval=args.interval, options=args.option
        )
    else:
        client = "ws" if args.client == "auto" and args.sessions > 10 else args.client
        client = "browser" if client == "auto" else client
        result = load(args.port, args.sessions, args.seconds, client, args.interval, server_pid=args.pid)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

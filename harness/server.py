"""A `streamlit run` of the dashboard (or another script) on a free port of 127.0.0.1.

Follows Streamlit's own e2e suite: start the server headless and poll /_stcore/health. The
server's output goes to a log file, removed when the server stops unless it failed.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
DATA_DIR_ENV = "REDENGINE_DATA_DIR"


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


def start(
    app: Path | str = "app.py",
    data_dir: Path | str | None = None,
    options: Sequence[str] = (),
    env: dict[str, str] | None = None,
    timeout_s: float = 60.0,
) -> Server:
    """Starts `streamlit run app` headless; returns once /_stcore/health says ok.

    `app` is relative to the repository (app.py: the dashboard; server.py: the launcher `make run`
    starts, with the data API and the start-up work of redengine/web/routes.py). Without data_dir the
    bundled data is served, whatever REDENGINE_DATA_DIR says in this process.
    """
    script = REPO / app
    if not script.is_file():
        raise FileNotFoundError(f"{script} does not exist")
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if k != DATA_DIR_ENV} | {"PYTHONUNBUFFERED": "1"}
    environment |= env or {}
    if data_dir is not None:
        environment[DATA_DIR_ENV] = str(data_dir)
    handle, name = tempfile.mkstemp(prefix=f"redengine-server-{port}-", suffix=".log")
    os.close(handle)
    log = Path(name)
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
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
        process = subprocess.Popen(command, cwd=REPO, env=environment, stdout=out, stderr=subprocess.STDOUT)
    deadline = started + timeout_s
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}; see {log}")
        if healthy(port):
            return Server(process, port, time.perf_counter() - started, log)
        time.sleep(0.02)  # polling the health check, the condition waited for
    process.kill()
    process.wait(timeout=10)
    raise TimeoutError(f"no healthy server within {timeout_s} s; see {log}")


@contextlib.contextmanager
def serving(app: Path | str = "app.py", data_dir: Path | str | None = None, **options) -> Iterator[Server]:
    """start(), and stop() afterwards; the log is kept when the server died on its own."""
    server = start(app, data_dir, **options)
    try:
        yield server
    finally:
        died = server.process.poll() is not None
        server.stop(keep_log=died)

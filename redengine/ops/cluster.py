"""`make cluster`: N identical dashboard replicas behind HAProxy on one machine, stopped together by Ctrl-C.

Each replica is `streamlit run server.py` on a free port of 127.0.0.1; HAProxy listens on HOST:PORT with
cookie stickiness, health checks on /_stcore/health and redispatch (deploy/haproxy.cfg.template). Every
replica gets the same STREAMLIT_SERVER_COOKIE_SECRET, generated once into a file outside the repository,
so cookies Streamlit signs (st.login's) stay valid when a browser moves to another replica. The data comes from
REDENGINE_DATA_URL (s3://…), REDENGINE_DATA_DIR or the bundled data/, as for one replica.

    python -m redengine.ops.cluster --replicas 2 --port 8501
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "deploy" / "haproxy.cfg.template"
RUN_DIR = REPO / "artifacts" / "cluster"
STREAMLIT = Path(sys.executable).parent / "streamlit"
SECRET_FILE_ENV = "REDENGINE_COOKIE_SECRET_FILE"
COOKIE_SECRET_ENV = "STREAMLIT_SERVER_COOKIE_SECRET"
STARTUP_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().decode().strip() == "ok"
    except OSError:
        return False


def cookie_secret() -> str:
    """The replicas' shared cookie secret: the environment's, else the one kept in a file outside git
    (~/.config/redengine/cookie_secret, rw------- ; REDENGINE_COOKIE_SECRET_FILE names another), made once."""
    if os.environ.get(COOKIE_SECRET_ENV):
        return os.environ[COOKIE_SECRET_ENV]
    path = Path(os.environ.get(SECRET_FILE_ENV) or Path.home() / ".config" / "redengine" / "cookie_secret")
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):  # another launcher made it meanwhile: use theirs
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(handle, "w") as out:
                out.write(secrets.token_urlsafe(32) + "\n")
    return path.read_text().strip()


def haproxy_config(bind_address: str, port: int, replicas: dict[str, int]) -> str:
    servers = "\n".join(f"    server {name} 127.0.0.1:{p} cookie {name}" for name, p in replicas.items())
    return string.Template(TEMPLATE.read_text()).substitute(bind_address=bind_address, port=port, servers=servers)


@dataclass
class Replica:
    name: str
    port: int
    process: subprocess.Popen

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Cluster:
    """The running replicas and HAProxy; `url` is the balancer's."""

    url: str
    replicas: dict[str, Replica] = field(default_factory=dict)
    haproxy: subprocess.Popen | None = None

    def kill(self, name: str) -> None:
        """Ends a replica at once (SIGKILL), as a crashed machine would."""
        replica = self.replicas[name]
        replica.process.kill()
        replica.process.wait()


def _start_replica(name: str, env: dict[str, str], log_dir: Path) -> Replica:
    port = free_port()
    command = [
        str(STREAMLIT),
        "run",
        "server.py",
        "--server.headless=true",
        "--server.address=127.0.0.1",
        f"--server.port={port}",
        "--server.enableXsrfProtection=true",
        "--server.fileWatcherType=none",
        "--browser.gatherUsageStats=false",
    ]
    with (log_dir / f"{name}.log").open("w") as log:
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Replica(name, port, process)


def _wait_healthy(url: str, process: subprocess.Popen, what: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not healthy(url):
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}; see {log}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not healthy at {url} after {STARTUP_TIMEOUT_S} s; see {log}")
        time.sleep(0.2)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def running(
    replicas: int, port: int | None = None, bind_address: str = "127.0.0.1", env: dict[str, str] | None = None
) -> Iterator[Cluster]:
    """Starts the replicas, then HAProxy in front of them; stops everything it started on exit."""
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(haproxy).is_file():
        raise RuntimeError("haproxy is not installed. Fix: run 'make system-deps' (Debian's haproxy package)")
    port = port or free_port()
    run_dir = RUN_DIR / str(port)
    run_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **(env or {})}
    env[COOKIE_SECRET_ENV] = env.get(COOKIE_SECRET_ENV) or cookie_secret()
    cluster = Cluster(url=f"http://{'127.0.0.1' if bind_address == '0.0.0.0' else bind_address}:{port}")
    try:
        for number in range(1, replicas + 1):
            replica = _start_replica(f"r{number}", env, run_dir)
            cluster.replicas[replica.name] = replica
        for replica in cluster.replicas.values():
            _wait_healthy(replica.url, replica.process, f"replica {replica.name}", run_dir / f"{replica.name}.log")
        config = run_dir / "haproxy.cfg"
        config.write_text(haproxy_config(bind_address, port, {r.name: r.port for r in cluster.replicas.values()}))
        subprocess.run([haproxy, "-c", "-q", "-f", str(config)], check=True)
        with (run_dir / "haproxy.log").open("w") as log:
            cluster.haproxy = subprocess.Popen(
                [haproxy, "-db", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        _wait_healthy(cluster.url, cluster.haproxy, "haproxy", run_dir / "haproxy.log")
        yield cluster
    finally:
        if cluster.haproxy:
            _stop(cluster.haproxy)
        for replica in cluster.replicas.values():
            _stop(replica.process)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m redengine.ops.cluster", description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=os.cpu_count() or 1, help="default: the number of cores")
    parser.add_argument("--port", type=int, default=8501, help="HAProxy's port (default 8501)")
    parser.add_argument("--host", default="127.0.0.1", help="HAProxy's address; 0.0.0.0 serves other machines")
    args = parser.parse_args(argv)
    if args.replicas < 1:
        parser.error("--replicas must be at least 1")
    # Ctrl-C (SIGINT) and SIGTERM both end the wait below, and the context manager stops every process.
    # (set explicitly: a shell starting the launcher in the background would have it ignore SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        with running(args.replicas, args.port, args.host) as cluster:
            listed = ", ".join(f"{r.name} on 127.0.0.1:{r.port}" for r in cluster.replicas.values())
            print(f"serving {cluster.url} through HAProxy: {len(cluster.replicas)} replica(s), {listed}")
            print(f"config and logs: {RUN_DIR / str(args.port)}; Ctrl-C stops everything")
            # A replica that dies is said so; HAProxy sends its users to the others until Ctrl-C.
            reported: set[str] = set()
            while cluster.haproxy.poll() is None:
                for replica in cluster.replicas.values():
                    if replica.process.poll() is not None and replica.name not in reported:
                        reported.add(replica.name)
                        print(f"replica {replica.name} exited ({replica.process.returncode})", file=sys.stderr)
                time.sleep(1)
            print("HAProxy exited; stopping the replicas", file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        print("stopped")
        return 0


if __name__ == "__main__":
    sys.exit(main())

"""`make bench-cluster`: the dashboard behind HAProxy with 1 replica, then N, then N losing one mid-run.

In one run, on the bundled data, with loadtest.py's websocket client (each simulated user interacts about once
a second; its websocket goes through HAProxy, which spreads them by least connections):

1. 1 replica behind HAProxy, SESSIONS users for SECONDS: interactions per second, p50/p95, errors.
2. N replicas behind HAProxy, the same users: the same figures, and the ratio to run 1.
3. N replicas; at KILL_AT seconds one replica is killed (SIGKILL). A user whose websocket breaks reconnects,
   as the browser does, and re-runs its page from its URL (query string). Counted: failed interactions,
   the time from the kill until every such user has a websocket again and until it is served again, and
   users whose URL came back different. Then the same with LIGHT_SESSIONS users, a load the surviving
   replicas serve without queueing: what the failover itself costs.

Also recorded: the cores, the load average before and after each run (other work shares the machine), and
the CPU the replicas and the load client itself used (the client runs on the same cores). Writes
benchmarks/cluster_last_run.json.

    python benchmarks/cluster.py --replicas 2 --sessions 100 --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import loadtest  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402

from redengine.ops import cluster  # noqa: E402

OUT = REPO / "benchmarks" / "cluster_last_run.json"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
RECONNECT_PAUSE_S = 0.25  # a browser retries at once, then backs off; this is its first pause


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def client_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Measured:
    """What a run used: wall time, the replicas' and the client's CPU, the load average around it."""

    wall_s: float = 0.0
    replicas_cpu_s: float = 0.0
    client_cpu_s: float = 0.0
    load_before: list[float] = field(default_factory=list)
    load_after: list[float] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "replicas_cores_used": round(self.replicas_cpu_s / self.wall_s, 2),
            "client_cores_used": round(self.client_cpu_s / self.wall_s, 2),
            "load_average_before": [round(v, 2) for v in self.load_before],
            "load_average_after": [round(v, 2) for v in self.load_after],
        }


def measured(running: cluster.Cluster, work) -> tuple[object, Measured]:
    pids = [r.process.pid for r in running.replicas.values()]
    figures = Measured(load_before=list(os.getloadavg()))
    replicas_before = sum(cpu_seconds(pid) for pid in pids)
    client_before = client_cpu_seconds()
    started = time.perf_counter()
    result = work()
    figures.wall_s = time.perf_counter() - started
    figures.replicas_cpu_s = sum(cpu_seconds(pid) for pid in pids) - replicas_before
    figures.client_cpu_s = client_cpu_seconds() - client_before
    figures.load_after = list(os.getloadavg())
    return result, figures


def scaling_run(replicas: int, sessions: int, seconds: float) -> dict:
    with cluster.running(replicas) as running:
        port = int(running.url.rsplit(":", 1)[1])
        result, figures = measured(running, lambda: loadtest.load(port, sessions, seconds))
    return {
        "replicas": replicas,
        "sessions": sessions,
        "interactions_per_s": round(result["interactions"] / seconds, 1),
        "p50_ms": result["p50_ms"],
        "p95_ms": result["p95_ms"],
        "errors": result["errors"],
        "error_examples": result["error_examples"],
        **figures.as_dict(),
    }


# -- the failover run ------------------------------------------------------------------------------


@dataclass
class FailoverTally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lost_at: float | None = None  # when its connection broke (perf_counter)
    reconnected_at: float | None = None  # its new websocket is open (through HAProxy, to another replica)
    served_again_at: float | None = None  # its first finished run after reconnecting
    view_kept: bool | None = None


async def failover_user(port: int, seed: int, seconds: float, arrival: float) -> FailoverTally:
    """loadtest's websocket user, which on a lost connection reconnects and re-runs its page from its URL."""
    rng = random.Random(seed)
    tally = FailoverTally()
    session = loadtest.WsSession(port, rng, "", "")
    await asyncio.sleep(arrival)
    deadline = time.perf_counter() + seconds
    try:
        await session.open()
        await session.rerun(page_hash="", page_name="")
        while time.perf_counter() < deadline:
            tick = time.perf_counter()
            try:
                change = session.change()
                tally.latencies_ms.append(await session.rerun(change) if change else await session.rerun())
            except (RuntimeError, ConnectionClosed) as error:
                # Lost while idle, the socket refuses the send (ConnectionClosed); while running, the run says so.
                lost = isinstance(error, ConnectionClosed) or "connection lost" in str(error)
                tally.errors.append(f"connection lost: {error}" if isinstance(error, ConnectionClosed) else str(error))
                if lost and tally.lost_at is None:
                    tally.lost_at = time.perf_counter()
                    await _reconnect(session, tally, deadline)
            pause = rng.uniform(0.8, 1.2) - (time.perf_counter() - tick)
            await asyncio.sleep(max(0.0, min(pause, deadline - time.perf_counter())))
    except (OSError, RuntimeError, TimeoutError) as error:
        tally.errors.append(f"session failed: {error!r}")
    finally:
        await session.close()
    return tally


async def _reconnect(session: loadtest.WsSession, tally: FailoverTally, deadline: float) -> None:
    """A new websocket through HAProxy (another replica), then the page the URL names, as a browser would."""
    view = session.query_string
    page_hash = session.page_hash
    await session.close()
    while time.perf_counter() < deadline:
        await asyncio.sleep(RECONNECT_PAUSE_S)
        try:
            session.finished = asyncio.Queue()
            await session.open()
            tally.reconnected_at = tally.reconnected_at or time.perf_counter()
            await session.rerun(page_hash=page_hash)
        except (OSError, RuntimeError, TimeoutError) as error:
            tally.errors.append(f"reconnect: {error}")
            await session.close()
            continue
        tally.served_again_at = time.perf_counter()
        tally.view_kept = session.query_string == view
        return


async def _failover(port: int, sessions: int, seconds: float, kill_at: float, kill) -> tuple[list, float]:
    ramp = sessions * loadtest.RAMP_S_PER_SESSION
    users = [
        asyncio.create_task(failover_user(port, seed, seconds + ramp, ramp * seed / sessions))
        for seed in range(sessions)
    ]
    await asyncio.sleep(ramp + kill_at)
    killed_at = time.perf_counter()
    await asyncio.get_running_loop().run_in_executor(None, kill)
    return await asyncio.gather(*users), killed_at


def failover_run(replicas: int, sessions: int, seconds: float, kill_at: float) -> dict:
    with cluster.running(replicas) as running:
        port = int(running.url.rsplit(":", 1)[1])
        victim = sorted(running.replicas)[-1]
        (tallies, killed_at), figures = measured(
            running,
            lambda: asyncio.run(_failover(port, sessions, seconds, kill_at, lambda: running.kill(victim))),
        )
    lost = [t for t in tallies if t.lost_at is not None]
    recovered = [t.served_again_at - killed_at for t in lost if t.served_again_at is not None]
    reconnected = [t.reconnected_at - killed_at for t in lost if t.reconnected_at is not None]
    latencies = [ms for t in tallies for ms in t.latencies_ms]
    return {
        "replicas": replicas,
        "sessions": sessions,
        "killed": victim,
        "killed_at_s": kill_at,
        "sessions_on_killed_replica": len(lost),
        "recovered_s": round(max(recovered), 2) if len(recovered) == len(lost) and lost else None,
        "recovered_p50_s": round(loadtest.percentile(recovered, 50), 2) if recovered else None,
        # The new websocket is open; the rest of recovered_s is the page's run waiting on the surviving replicas.
        "reconnected_s": round(max(reconnected), 2) if reconnected else None,
        "sessions_not_recovered": len(lost) - len(recovered),
        "errors": sum(len(t.errors) for t in tallies),
        "error_examples": sorted({e[:160] for t in tallies for e in t.errors})[:5],
        "sessions_lost_view": sum(1 for t in lost if t.view_kept is False),
        "p95_ms": round(loadtest.percentile(latencies, 95), 1) if latencies else None,
        **figures.as_dict(),
    }


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), platform.processor())
    haproxy = subprocess.run(["haproxy", "-v"], capture_output=True, text=True).stdout.splitlines()[:1]
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "haproxy": haproxy[0] if haproxy else None,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "note": "the load client runs on the same cores as the replicas and HAProxy; other work shares them",
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replicas", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=30.0, help="each run's interactions, after the ramp")
    parser.add_argument("--kill-at", type=float, default=10.0, help="seconds into the failover run (after the ramp)")
    parser.add_argument("--light-sessions", type=int, default=20, help="sessions of the second, light failover run")
    args = parser.parse_args(argv)
    result: dict = {"machine": machine(), "replicas": []}
    for replicas in (1, args.replicas):
        print(f"{replicas} replica(s), {args.sessions} sessions, {args.seconds:.0f} s …", flush=True)
        result["replicas"].append(scaling_run(replicas, args.sessions, args.seconds))
        print(json.dumps(result["replicas"][-1]), flush=True)
    one, many = result["replicas"]
    result["speedup"] = round(many["interactions_per_s"] / one["interactions_per_s"], 2)
    print(f"failover: {args.replicas} replicas, one killed at {args.kill_at:.0f} s …", flush=True)
    result["failover"] = failover_run(args.replicas, args.sessions, args.seconds, args.kill_at)
    print(json.dumps(result["failover"]), flush=True)
    # The same loss at a load the surviving replicas serve without queueing: the failover itself.
    print(f"failover at {args.light_sessions} sessions …", flush=True)
    result["failover_light_load"] = failover_run(args.replicas, args.light_sessions, args.seconds, args.kill_at)
    print(json.dumps(result["failover_light_load"]), flush=True)
    OUT.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"speedup {result['speedup']}×; wrote {OUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

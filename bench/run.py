"""`make bench`: the targets of issues 4, 10 and 9 (7-11, in `bench.scale`), 15 (12, beside
Stoplight Prism, in `bench.peers`) 16 (13, mocks that remember and the clock, in `bench.mocks`), 17 (14, the gate on the spec, in
`bench.specgate`) and 18 (15, replicas on PostgreSQL, in `bench.replicas`) and 26 (16, real documents beside Prism, in `bench.corpus`), each a figure, its baseline from the same run, the ratio and
pass/fail. Servers run on 127.0.0.1 and stop by themselves; results also go to JSON.

    python -m bench.run            # the full suite, a few minutes
    python -m bench.run --smoke    # tiny inputs, no thresholds: keeps the harness from rotting
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import httpx

from bench import corpus, mocks, peers, replicas, scale, specgate
from bench.data import contacts_csv
from bench.harness import (
    AGENT,
    BIN,
    CLIENT_CORES,
    CORES,
    NUMBER_ID,
    ROOT,
    SERVER_CORES,
    Config,
    Result,
    Server,
    create,
    hub_server,
    p99,
    pinned,
    post_contacts,
    ratio_result,
    timed,
)
from bench.naive import naive_create
from kataven_hub.campaigns.ingest import MAX_REQUEST_BYTES

# --- the targets ----------------------------------------------------------------------------


def large_create(config: Config, tmp: Path) -> Result:
    """1. A 100k-row create over real HTTP against the naive pipeline run in-process."""
    floors = [naive_create(config.large) for _ in range(config.repeat)]
    with hub_server(tmp, CORES) as (server, key), httpx.Client() as client:
        create(client, server.base, key, config.large)  # warm: workers forked, metadata loaded
        times = [timed(lambda: create(client, server.base, key, config.large)) for _ in range(config.repeat)]
    figure, floor = statistics.median(times), statistics.median(floors)
    detail = f"{config.rows} rows, {len(config.large) / 2**20:.1f} MiB, median of {config.repeat}; server on cores {CORES}"
    return ratio_result(
        target="1 large create", figure=figure, baseline=floor, goal=0.6, higher_is_better=False, smoke=config.smoke,
        unit="s", detail=detail,
    )


def memory(config: Config, tmp: Path) -> list[Result]:
    """2. Peak RSS during one large create over idle, and idle after ten creates over after one."""
    with hub_server(tmp, CORES) as (server, key), httpx.Client() as client:
        create(client, server.base, key, config.small)
        time.sleep(0.5)
        idle = server.rss()
        peak = [idle]
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                peak.append(server.rss())
                time.sleep(0.005)

        sampler = threading.Thread(target=sample)
        sampler.start()
        create(client, server.base, key, config.large)
        stop.set()
        sampler.join()
        time.sleep(0.5)
        after_one = server.rss()
        for _ in range(9):
            create(client, server.base, key, config.large)
        time.sleep(0.5)
        after_ten = server.rss()
    mib = 2**20
    growth = (max(peak) - idle) / mib
    peak_result = Result(
        target="2a peak memory", figure=growth, baseline=150.0, ratio=growth / 150.0, goal="≤ 150 MiB",
        passed=None if config.smoke else growth <= 150, unit="MiB",
        detail=f"peak {max(peak) / mib:.0f} MiB over idle {idle / mib:.0f} MiB, server and its workers, sampled every 5 ms",
    )  # fmt: skip
    drift = ratio_result(
        target="2b idle after 10", figure=after_ten / mib, baseline=after_one / mib, goal=1.2,
        higher_is_better=False, smoke=config.smoke, unit="MiB",
        detail="idle RSS after the 10th large create over idle RSS after the 1st",
    )  # fmt: skip
    return [peak_result, drift]


def responsiveness(config: Config, tmp: Path) -> list[Result]:
    """3. p99 of GET /api/v1/campaigns/{id} while a large create is in flight, over idle p99: with
    the server on one core and the client on the other, and with nothing pinned, as on a laptop."""
    pinned = _busyp99(config, tmp, SERVER_CORES, CLIENT_CORES, "3 p99 under load")
    free = _busyp99(config, tmp, CORES, CORES, "3b p99 unpinned")
    return [pinned, free]


def _busyp99(config: Config, tmp: Path, server_cores: list[int], client_cores: list[int], target: str) -> Result:
    with pinned(client_cores), hub_server(tmp, server_cores) as (server, key), httpx.Client() as client:
        campaign_id = create(client, server.base, key, config.small)
        create(client, server.base, key, config.large)  # warm
        url = f"{server.base}/api/v1/campaigns/{campaign_id}"
        headers = {"Authorization": f"Bearer {key}"}

        def probe() -> float:
            started = time.perf_counter()
            response = client.get(url, headers=headers)
            assert response.status_code == 200
            return time.perf_counter() - started

        idle = [probe() for _ in range(300 if not config.smoke else 50)]
        busy: list[float] = []
        for _ in range(config.repeat):
            uploading = threading.Thread(target=_upload, args=(server.base, key, config.large))
            uploading.start()
            time.sleep(0.05)
            busy.append(probe())
            while uploading.is_alive():
                busy.append(probe())
            uploading.join()
    idle_p99, busy_p99 = p99(idle), p99(busy)
    detail = (f"{len(busy)} GETs during {config.repeat} large creates, {len(idle)} idle; server on cores {server_cores},"
              f" client on {client_cores}; p50 {statistics.median(busy) * 1000:.1f} ms vs {statistics.median(idle) * 1000:.1f} ms")  # fmt: skip
    return ratio_result(
        target=target, figure=busy_p99 * 1000, baseline=idle_p99 * 1000, goal=5.0, higher_is_better=False,
        smoke=config.smoke, unit="ms", detail=detail,
    )


def _upload(base: str, key: str, csv: bytes) -> None:
    with httpx.Client() as client:
        create(client, base, key, csv)


def small_create(config: Config, tmp: Path) -> Result:
    """4. Requests/s of 10-row creates at 32 connections, against the bare Connexion endpoint."""
    body, content_type = _multipart(config.small)
    with pinned(CLIENT_CORES):
        with hub_server(tmp, SERVER_CORES) as (server, key):
            ours, our_errors = asyncio.run(_load(server.base, key, body, content_type, config.seconds))
        bare_server = Server(
            [str(BIN / "uvicorn"), "bench.bare:app", "--log-level", "warning"], {"PYTHONPATH": str(ROOT)},
            SERVER_CORES, tmp / "bare.log",
        )  # fmt: skip
        try:
            bare, bare_errors = asyncio.run(_load(bare_server.base, "any", body, content_type, config.seconds))
        finally:
            bare_server.stop()
    result = ratio_result(
        target="4 small create", figure=ours, baseline=bare, goal=0.8, higher_is_better=True, smoke=config.smoke,
        unit="req/s",
        detail=f"32 connections for {config.seconds:g} s each; errors: ours {our_errors}, bare {bare_errors}",
    )  # fmt: skip
    if result.passed is not None:
        result.passed = result.passed and our_errors == 0
    return result


def _multipart(csv: bytes) -> tuple[bytes, str]:
    request = httpx.Request(
        "POST", "http://x/", data={"name": "small", "agent_id": AGENT, "phone_number_id": NUMBER_ID},
        files={"contacts": ("contacts.csv", csv, "text/csv")},
    )  # fmt: skip
    return request.read(), request.headers["content-type"]


async def _load(base: str, key: str, body: bytes, content_type: str, seconds: float) -> tuple[float, int]:
    """Requests/s and errors of 32 closed-loop connections, after a one-second warm-up."""
    headers = {"Authorization": f"Bearer {key}", "Content-Type": content_type}
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    done, errors = 0, 0
    counting = False
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def worker(until: float) -> None:
            nonlocal done, errors
            while time.perf_counter() < until:
                response = await client.post("/api/v1/campaigns", content=body, headers=headers)
                if counting:
                    if response.status_code == 201:
                        done += 1
                    else:
                        errors += 1

        start = time.perf_counter()
        warm_until = start + 1.0
        await asyncio.gather(*(worker(warm_until) for _ in range(32)))
        counting = True
        measured_from = time.perf_counter()
        await asyncio.gather(*(worker(measured_from + seconds) for _ in range(32)))
        elapsed = time.perf_counter() - measured_from
    return done / elapsed, errors


def oversize(config: Config, tmp: Path) -> Result:
    """5. A 50 MB upload: 413, and how many bytes the server read from its socket for it."""
    size = 50 * 2**20 if not config.smoke else 12 * 2**20
    with hub_server(tmp, CORES) as (server, key):
        pid = server.process.pid
        before = _rchar(pid)
        status, sent = _send_declared(server.port, key, size)
        consumed = _rchar(pid) - before
    allowance = MAX_REQUEST_BYTES + 64 * 1024
    passed = None if config.smoke else (status == 413 and consumed <= allowance)
    return Result(
        target="5 over-size", figure=consumed / 1024, baseline=allowance / 1024, ratio=consumed / allowance,
        goal="≤ 1", passed=passed, unit="KiB",
        detail=f"status {status}; the server read {consumed:,} bytes of a {size:,}-byte upload (limit"
        f" {MAX_REQUEST_BYTES:,} + one 64 KiB buffer); the client got {sent:,} bytes into the socket",
    )  # fmt: skip


def _rchar(pid: int) -> int:
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise RuntimeError("no rchar")


def _send_declared(port: int, key: str, size: int) -> tuple[int, int]:
    """POST a body of `size` bytes (declared in Content-Length) until the server answers."""
    head = (
        f"POST /api/v1/campaigns HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {size}\r\n\r\n"
    ).encode()
    chunk = b"x" * 65536
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        sock.setblocking(False)
        answer = b""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and b"\r\n\r\n" not in answer:
            try:
                answer += sock.recv(65536)
                if not answer:
                    break
            except BlockingIOError:
                pass
            if sent < size:
                try:
                    sent += sock.send(chunk[: size - sent])
                except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                    time.sleep(0.001)
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0
    return status, sent


def hostile(config: Config, tmp: Path) -> Result:
    """6. The costliest file of the hostile corpus over an honest file of the same size, each
    sent through the create endpoint (median of `repeat`)."""
    from support.hostile import CORPUS

    files = [(h.name, h.build(), h.status) for h in CORPUS]
    large = [f for f in files if len(f[1]) >= 64 * 1024]
    chosen = sorted(files, key=lambda f: len(f[1]))[:3] if config.smoke else large
    per_row = len(contacts_csv(1000)) / 1000
    rows: list[tuple[float, str, float, float]] = []
    with hub_server(tmp, CORES) as (server, key), httpx.Client() as client:
        create(client, server.base, key, config.small)  # warm: workers forked, metadata loaded
        for name, data, status in chosen:
            honest = contacts_csv(min(100_000, max(1, round(len(data) / per_row))))

            def median_time(csv: bytes, expect: int) -> float:
                runs = [timed(lambda: post_contacts(client, server.base, key, csv, expect=expect))
                        for _ in range(config.repeat)]  # fmt: skip
                return statistics.median(runs)

            spent, honest_spent = median_time(data, status), median_time(honest, 201)
            rows.append((spent / honest_spent, name, spent, honest_spent))
    ratio, name, spent, honest_spent = max(rows)
    others = "; ".join(f"{n} {r:.2f}" for r, n, _, _ in sorted(rows, reverse=True)[1:])
    return ratio_result(
        target="6 hostile upload", figure=spent, baseline=honest_spent, goal=2.0, higher_is_better=False,
        smoke=config.smoke, unit="s",
        detail=f"slowest: {name} ({len(dict((n, d) for n, d, _ in files)[name]) / 2**20:.1f} MiB), median of"
        f" {config.repeat}; the other ratios: {others}",
    )  # fmt: skip


# --- the suite ------------------------------------------------------------------------------


TARGETS: dict[str, Callable[[Config, Path], Result | list[Result]]] = {
    "1": large_create, "2": memory, "3": responsiveness, "4": small_create, "5": oversize, "6": hostile,
    "7": scale.idle_cpu, "8": scale.open_files, "9": scale.working_set, "10": scale.calls_in_flight,
    "11": scale.concurrent_memory, "12": peers.beside_prism, "13": mocks.remembering,
    "14": specgate.gate, "15": replicas.all_targets, "16": corpus.beside_prism,
}  # fmt: skip
"""Every target by its published id (docs/reference/performance.md's table); a target may give several results
(2a and 2b), each named by its id first."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="tiny inputs, no thresholds")
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results", help="where the JSON goes")
    parser.add_argument("--only", action="append", choices=sorted(TARGETS, key=int), metavar="ID",
                        help="run only the target of this published id (1-16; 9 runs 9a-9c, 15 runs 15a-15h, 16 runs 16a-16c), repeatable")  # fmt: skip
    args = parser.parse_args(argv)
    rows = 2_000 if args.smoke else 100_000
    config = Config(
        smoke=args.smoke, rows=rows, repeat=1 if args.smoke else 3, seconds=1.0 if args.smoke else 5.0,
        large=contacts_csv(rows), small=contacts_csv(10, seed=2),
    )  # fmt: skip
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="hub-bench-") as tmp:
        for target_id, measure in TARGETS.items():
            if args.only and target_id not in args.only:
                continue
            outcome = measure(config, Path(tmp))
            for result in outcome if isinstance(outcome, list) else [outcome]:
                print(result.line(), flush=True)
                results.append(result)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"bench-{time.strftime('%Y%m%dT%H%M%S')}{'-smoke' if args.smoke else ''}.json"
    machine = {"cores": CORES, "python": platform.python_version(), "machine": platform.machine()}
    path.write_text(json.dumps({"machine": machine, "results": [asdict(r) for r in results]}, indent=2))
    print(f"results: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Target 13: mocks that remember, and the control surface's clock.

13a  requests per second of a remembered `GET` item (`GET /agents/{id}`, read from the account's
     database) against an example-backed `GET` of the same shape (`GET /greetings/{id}`, an int64
     path parameter too, so that both pay the same routing and parameter checks) on the same
     server, same client, same core (bench/specs/agents.yaml). Goal: ≥ 0.8×.
13b  create-then-read: `POST /agents` then `GET /agents/{id}`, N times; the figure is how many reads
     answered what the create stored, of N; Stoplight Prism's count, on the same document, is
     reported beside it (a static mock keeps nothing). Goal: every one.
13c  a 1,000-contact campaign taken from `running` to `completed` by one move of its account's
     clock (`POST /_hub/accounts/{account}/clock`, a day), wall time; the baseline is the create of
     the same campaign on the same server. Goal: ≤ 2 s (the issue's figure).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx

from bench import peers
from bench.data import contacts_csv
from bench.harness import (
    AGENT,
    CLIENT_CORES,
    NUMBER_ID,
    ROOT,
    SERVER_CORES,
    Config,
    Result,
    hub_server,
    pinned,
    ratio_result,
    timed,
)

DOCUMENT = ROOT / "bench" / "specs" / "agents.yaml"


def remembered_rate(config: Config, tmp: Path) -> Result:
    """13a. The two loads alternate, twice each, half the time each: drift on a shared machine
    falls on both."""
    rates: dict[str, list[float]] = {"remembered": [], "example": []}
    errors = 0
    with pinned(CLIENT_CORES), peers.our_server(DOCUMENT, tmp, SERVER_CORES, dev=False) as server:
        agent = httpx.post(f"{server.base}/agents", json={"name": "Ada", "voice": "warm"}).json()
        urls = {"remembered": f"{server.base}/agents/{agent['id']}", "example": f"{server.base}/greetings/{agent['id']}"}
        for _round in range(2):
            for name, url in urls.items():
                rate, failed = asyncio.run(peers.get_load(url, config.seconds / 2))
                rates[name].append(rate)
                errors += failed
    remembered, example = (sum(rates[name]) / 2 for name in ("remembered", "example"))
    return ratio_result(
        target="13a remembered GET", figure=remembered, baseline=example, goal=0.8, higher_is_better=True,
        smoke=config.smoke, unit="req/s", errors=errors,
        detail=f"GET /agents/{{id}} (remembered) vs GET /greetings/{{id}} (example) of {DOCUMENT.name}, 16 connections,"
               f" alternating, {config.seconds:g} s each; errors {errors}",
    )  # fmt: skip


def create_then_read(config: Config, tmp: Path) -> Result:
    """13b."""
    pairs = 5 if config.smoke else 50
    with peers.our_server(DOCUMENT, tmp, SERVER_CORES, dev=False) as server:
        ours, _sample = _read_back(server.base, pairs)
    with peers.prism_server(DOCUMENT, tmp, SERVER_CORES) as server:
        theirs, sample = _read_back(server.base, pairs)
    return Result(
        target="13b create-then-read", figure=ours, baseline=pairs, ratio=ours / pairs, goal="= 1",
        passed=None if config.smoke else ours == pairs, unit="reads",
        detail=f"reads that answered what was created, of {pairs}: ours {ours}, Prism {theirs} (Prism's read: {sample})",
    )  # fmt: skip


def _read_back(base: str, pairs: int) -> tuple[int, str]:
    """How many reads answered the created agent, and what the last read answered."""
    same, answer = 0, ""
    with httpx.Client(base_url=base, timeout=30) as client:
        for n in range(pairs):
            sent = {"name": f"Agent {n}", "voice": "crisp"}
            agent = client.post("/agents", json=sent).json()
            read = client.get(f"/agents/{agent.get('id')}")
            same += read.status_code == 200 and read.json() == agent and sent.items() <= agent.items()
            answer = f"{read.status_code} {read.text[:90]}"
    return same, answer


def clock_move(config: Config, tmp: Path) -> Result:
    """13c."""
    contacts = 100 if config.smoke else 1000
    with (
        hub_server(tmp, SERVER_CORES, HUB_DEV="1") as (server, _key),
        httpx.Client(base_url=server.base, timeout=120) as client,
    ):
        account = client.post("/_hub/accounts").json()
        auth = {"Authorization": f"Bearer {account['key']}"}
        form = {"name": "bench", "agent_id": AGENT, "phone_number_id": NUMBER_ID, "max_concurrent_calls": "10"}
        made: dict[str, str] = {}

        def create() -> None:
            answer = client.post("/api/v1/campaigns", headers=auth, data=form,
                                 files={"contacts": ("c.csv", contacts_csv(contacts), "text/csv")})  # fmt: skip
            made.update(answer.json())

        created = timed(create)
        client.post(f"/api/v1/campaigns/{made['id']}/start", headers=auth)
        rounds: dict[str, int] = {}
        moved = timed(lambda: rounds.update(client.post(f"/_hub/accounts/{account['account']}/clock",
                                                        json={"seconds": 86_400}).json()))  # fmt: skip
        status = client.get(f"/api/v1/campaigns/{made['id']}", headers=auth).json()["status"]
    return Result(
        target="13c clock move", figure=moved, baseline=created, ratio=moved / created, goal="≤ 2 s",
        passed=None if config.smoke else moved <= 2.0 and status == "completed", unit="s",
        detail=f"{contacts} contacts, 10 at once, a day forward in {rounds.get('rounds')} rounds: {status};"
               f" the baseline is the create of the campaign",
    )  # fmt: skip


def remembering(config: Config, tmp: Path) -> list[Result]:
    """13a, 13b and 13c."""
    return [remembered_rate(config, tmp), create_then_read(config, tmp), clock_move(config, tmp)]

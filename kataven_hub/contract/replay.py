"""`hub contract --replay DIR`: each consumer's recorded requests sent again to a server (ours on
`--spec`, or `--url`'s), each answer checked against the document and against what the consumer
received (`answered`). Creates (POST) go first and deletes last; a recorded path parameter (an id of
the server recorded against) is linked to what the replayed answers gave: the field of another
answer whose recorded example it equals, else the id of the create on its parent collection.
One line per operation and a JUnit report; exit 0 all hold, 1 a break, 2 it cannot run."""

from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx

from kataven_hub import openapi
from kataven_hub.consumers.contract import REDACTED, Contract, segments
from kataven_hub.consumers.files import contracts_in
from kataven_hub.consumers.record import key
from kataven_hub.consumers.unflatten import reach
from kataven_hub.contract import server, walk
from kataven_hub.contract.answered import NO_BODY, against_consumer, against_document, json_media
from kataven_hub.contract.auth import credentials
from kataven_hub.contract.rebuild import Request, rebuild
from kataven_hub.errors import ConfigurationError
from kataven_hub.openapi import Operation

RANKS = {"post": 0, "get": 1, "head": 1, "options": 1, "put": 2, "patch": 2, "delete": 3}
REPORT = "replay-junit.xml"
Answers = dict[str, tuple[int, Any]]
"""The replayed status and JSON body (or NO_BODY) of each operation, by the contract's name for it."""


@dataclasses.dataclass(frozen=True)
class Options:
    spec: Path
    directory: Path
    url: str | None
    token: str | None
    account: str | None
    seed: int
    report_dir: Path


@dataclasses.dataclass(frozen=True)
class Result:
    consumer: str
    operation: str
    problems: list[str]
    notes: list[str]
    sent: str = ""
    status: int = 0

    def __str__(self) -> str:
        said = "; ".join(self.problems) + f" (sent {self.sent})" if self.problems else f"ok ({self.status})"
        return f"{self.consumer}: {self.operation}: {'; '.join([said, *self.notes])}"


def run(options: Options) -> int:
    contracts = _contracts(options.directory)
    operations = {key(op): op for op in openapi.operations(openapi.load(options.spec))}
    with tempfile.TemporaryDirectory(prefix="hub-replay-") as tmp:
        if options.url:
            target = server.remote(options.url, options.token, options.account)
        else:
            target = server.ours(Path(tmp), str(options.spec), dev=not walk.ours(options.spec), database="sqlite")
        with target as there, _client(there, options.spec) as client:
            results = [found for contract in contracts for found in replay(client, contract, operations, there.account, options.seed)]
    for result in results:
        print(result)
    broken = sum(1 for result in results if result.problems)
    options.report_dir.mkdir(parents=True, exist_ok=True)
    junit(results, options.report_dir / REPORT)
    print(f"hub contract --replay: {broken} of {len(results)} operation(s) broken", file=sys.stderr if broken else sys.stdout)
    return 1 if broken else 0


def _contracts(directory: Path) -> list[Contract]:
    return contracts_in(directory, "hub contract --replay")


def _client(there: server.Target, spec: Path) -> httpx.Client:
    sent = dict(header.split(": ", 1) for header in credentials(there.token, spec))
    if there.remote:
        sent["X-Account-ID"] = there.account
    return httpx.Client(base_url=there.base, headers=sent, timeout=30)


def replay(client: httpx.Client, contract: Contract, operations: dict[str, Operation], account: str, seed: int) -> list[Result]:
    """Every recorded operation of one consumer, sent in `order` and checked."""
    uses, answers, results = contract["operations"], Answers(), list[Result]()
    for name in order(uses):
        operation, used = operations.get(name), uses[name]
        if operation is None:
            results.append(Result(contract["consumer"], name, ["no such operation in the document"], []))
            continue
        values, links = link(name, used, uses, answers)
        request = rebuild(operation, used, values, account, seed)
        status, media, body = send(client, request)
        answers[name] = (status, body)
        problems = against_document(operation, status, media, body)
        missing, notes = against_consumer(used.get("answers") or {}, status, body)
        results.append(Result(contract["consumer"], name, problems + missing, links + notes, request.shown(), status))
    return results


def order(uses: dict[str, Any]) -> list[str]:
    """Creates first, then reads, then updates, deletes last; a parent's path before its children's."""
    def rank(name: str) -> tuple[int, int, str]:
        method, _, path = name.partition(" ")
        return RANKS.get(method.lower(), 2), path.count("/"), name

    return sorted(uses, key=rank)


def link(name: str, used: dict[str, Any], uses: dict[str, Any], answers: Answers) -> tuple[dict[str, str], list[str]]:
    """The value of each recorded path parameter on this server, and a note of where each came from
    (a parameter no answer gives keeps its recorded value)."""
    values, notes = {}, []
    for where_name, recorded in sorted((used.get("parameters") or {}).items()):
        where, _, parameter = where_name.partition(" ")
        if where != "path" or recorded == REDACTED:
            continue
        found = _received(str(recorded), uses, answers) or _created(name, parameter, answers)
        if found is not None:
            values[parameter], source = found
            notes.append(f"{{{parameter}}} from {source}")
    return values, notes


def _received(recorded: str, uses: dict[str, Any], answers: Answers) -> tuple[str, str] | None:
    """The replayed value of the answer field whose recorded example is `recorded`: a create's
    first, a field named like an id first."""
    found = [(operation, status, path) for operation in answers
             for status, fields in sorted((uses[operation].get("answers") or {}).items())
             for path, example in sorted(fields.items())
             if isinstance(example, (str, int)) and not isinstance(example, bool) and str(example) == recorded]  # fmt: skip
    found.sort(key=lambda f: (not f[0].startswith("POST "), not _id_like(f[2])))
    for operation, status, path in found:
        values, _empty = reach(answers[operation][1], segments(path))
        if values and isinstance(values[0], (str, int)) and str(answers[operation][0]) == status:
            return str(values[0]), f"{operation} {status} {path}"
    return None


def _id_like(path: str) -> bool:
    """`id`, `items[].userId`: a field named like an id."""
    parts = segments(path)
    return bool(parts) and parts[-1].lower().endswith("id")


def _created(name: str, parameter: str, answers: Answers) -> tuple[str, str] | None:
    """The id the replayed create on the parameter's parent collection answered."""
    path = name.partition(" ")[2]
    create = "POST " + path[: path.find("{" + parameter + "}")].rstrip("/")
    status, body = answers.get(create, (0, None))
    value = body.get(parameter, body.get("id")) if isinstance(body, dict) and 200 <= status < 300 else None
    return (str(value), f"{create} {status} id") if isinstance(value, (str, int)) else None


def send(client: httpx.Client, request: Request) -> tuple[int, str, Any]:
    """The answer's status, media type and JSON body (NO_BODY if it has none); an event stream is
    not read (it may never end). A server that cannot be reached is a ConfigurationError."""
    built = client.build_request(request.method, request.path, params=request.query, headers=request.headers,
                                 content=request.content, data=request.data, files=request.files)  # fmt: skip
    try:
        response = client.send(built, stream=True)
    except httpx.TransportError as err:
        raise ConfigurationError(f"hub contract --replay: {client.base_url} cannot be reached: {err}") from None
    try:
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if media == "text/event-stream" or not json_media(media):
            return response.status_code, media, NO_BODY
        return response.status_code, media, json.loads(response.read() or b"null")
    except (ValueError, httpx.HTTPError):
        return response.status_code, media, NO_BODY
    finally:
        response.close()


def junit(results: list[Result], path: Path) -> None:
    """A JUnit report: a test case per consumer and operation, a failure per broken one."""
    suite = ET.Element("testsuite", name="hub contract --replay", tests=str(len(results)),
                       failures=str(sum(1 for r in results if r.problems)))  # fmt: skip
    for result in results:
        case = ET.SubElement(suite, "testcase", classname=result.consumer, name=result.operation)
        if result.problems:
            ET.SubElement(case, "failure", message=result.problems[0][:500]).text = str(result)
        elif result.notes:
            ET.SubElement(case, "system-out").text = "; ".join(result.notes)
    testsuites = ET.Element("testsuites")
    testsuites.append(suite)
    ET.ElementTree(testsuites).write(path, encoding="utf-8", xml_declaration=True)

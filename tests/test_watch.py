"""`hub serve --watch` against a real process: a served document edited (an operation added, a field
narrowed in a file it refers to, the YAML broken) while a client keeps calling."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from support.servers import serving

pytestmark = pytest.mark.live

DOCUMENT = """\
openapi: 3.0.3
info: {title: Pets, version: "1"}
paths:
  /pets:
    post:
      operationId: createPet
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: "pet.yaml"}}}
      responses:
        "201": {description: created, content: {application/json: {schema: {$ref: "pet.yaml"}}}}
    get:
      operationId: listPets
      responses:
        "200": {description: all, content: {application/json: {schema: {type: array, items: {$ref: "pet.yaml"}}}}}
  /pets/{petId}:
    get:
      operationId: getPet
      parameters: [{name: petId, in: path, required: true, schema: {type: string}}]
      responses:
        "200": {description: one, content: {application/json: {schema: {$ref: "pet.yaml"}}}}
        "404": {description: none}
"""
PET = """\
type: object
required: [name]
properties:
  id: {type: integer, readOnly: true}
  name: {type: string, maxLength: 40}
"""


def _with_operation(number: int) -> str:
    return DOCUMENT + f"""\
  /health{number}:
    get:
      operationId: health{number}
      responses:
        "200": {{description: up, content: {{application/json: {{schema: {{type: string}}, example: up}}}}}}
"""


class Caller:
    """A client calling the server without pause, in a thread, keeping every answer it got."""

    def __init__(self, base: str) -> None:
        self.answers: list[tuple[str, int | str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(base,), daemon=True)
        self._thread.start()

    def _run(self, base: str) -> None:
        with httpx.Client(base_url=base, timeout=10) as client:
            while not self._stop.is_set():
                for path in ("/pets/1", "/pets"):
                    try:
                        self.answers.append((path, client.get(path).status_code))
                    except httpx.HTTPError as err:
                        self.answers.append((path, f"{type(err).__name__}: {err}"))

    def stop(self) -> list[tuple[str, int | str]]:
        self._stop.set()
        self._thread.join(timeout=10)
        return self.answers


def _until(found: Callable[[], bool], seconds: float = 10) -> float:
    """Seconds until `found()` is true, asked every 10 ms; AssertionError past `seconds`."""
    start = time.monotonic()
    while not found():
        assert time.monotonic() - start < seconds, "not seen in time"
        time.sleep(0.01)
    return time.monotonic() - start


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    spec = tmp_path / "spec" / "pets.yaml"
    spec.parent.mkdir()
    spec.write_text(DOCUMENT)
    (spec.parent / "pet.yaml").write_text(PET)
    with serving(tmp_path / "data", {}, "--dev", "--watch", "--spec", str(spec)) as (base, log):
        yield base, spec, log


def test_edits_are_served_while_a_client_keeps_calling(served: tuple[str, Path, Path]) -> None:
    base, spec, log = served
    with httpx.Client(base_url=base, timeout=10) as client:
        _edit_while_calling(client, spec, log)


def _edit_while_calling(client: httpx.Client, spec: Path, log: Path) -> None:
    created = client.post("/pets", json={"name": "Rex, the one with a long name"})
    assert created.status_code == 201 and created.json()["id"] == 1
    caller = Caller(str(client.base_url))

    delays = []
    for number in (1, 2, 3):  # each edit adds an operation: served within a second of the write
        spec.write_text(_with_operation(number))
        delays.append(_until(lambda: client.get(f"/health{number}").status_code == 200))
        assert client.get(f"/health{number}").json() == "up"
    assert statistics.median(delays) < 1.0, delays

    (spec.parent / "pet.yaml").write_text(PET.replace("maxLength: 40", "maxLength: 5"))  # a file it refers to
    _until(lambda: "1 of 1 remembered records" in log.read_text())  # logged last, after the diff's lines
    text = log.read_text()
    assert "pets.yaml: hub diff before -> after: breaking: 1 error(s)" in text
    assert "error request-narrowed POST /pets (createPet) /requestBody/content/application~1json/schema/properties/name: maxLength 40 -> 5" in text
    assert "1 of 1 remembered records no longer validate against it as stored: reads complete 1 of them" in text
    kept = client.get("/pets/1")  # kept, and completed to the new document on read
    assert kept.status_code == 200 and kept.headers["X-Hub-Mock"] == "stored"
    assert kept.json()["id"] == 1 and len(kept.json()["name"]) <= 5
    assert client.post("/pets", json={"name": "Rex, the one with a long name"}).status_code == 400

    spec.write_text(_with_operation(3) + "  broken: [\n")
    _until(lambda: "not reloaded" in log.read_text())
    refused = [line for line in log.read_text().splitlines() if "not reloaded" in line]
    assert refused == [
        f"WARNING:     kataven_hub.web.reloading: pets.yaml: not reloaded, the last good version still serves: {spec}:"
        " not YAML: line 29, column 1: did not find expected node content"
    ]
    assert client.get("/health3").json() == "up"  # the last good document still serves
    assert client.get("/pets/1").json()["id"] == 1

    answers = caller.stop()
    assert len(answers) > 50
    assert [answer for answer in answers if answer[1] != 200] == []

"""A real OpenAPI 3.1 producer: the pets/orders API of tests/fastapi_app under uvicorn. Its
`/openapi.json` goes through `hub contract` twice, as a FastAPI team would run it:
against the application itself (`--url`, the API key as `--token`) and against `hub serve`'s mock
of that document. Both must pass every check."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import servers

pytestmark = pytest.mark.live
ROOT = Path(__file__).resolve().parents[1]
KEY = "pets-contract-key"


@pytest.fixture(scope="module")
def fastapi_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The application under uvicorn, and its document as it serves it."""
    tmp = tmp_path_factory.mktemp("fastapi")
    port = servers.free_port()
    log = tmp / "uvicorn.log"
    with open(log, "w") as out:
        server = subprocess.Popen(
            [str(servers.BIN / "uvicorn"), "--factory", "tests.fastapi_app.app:create_app", "--port", str(port)],
            cwd=ROOT, env={**os.environ, "PETS_API_KEY": KEY, "PYTHONPATH": str(ROOT)}, stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            servers.wait_until_up(base + "/openapi.json", server, log)
            document = tmp / "openapi.json"
            with servers.urllib.request.urlopen(base + "/openapi.json") as answer:
                document.write_bytes(answer.read())
            yield base, document
        finally:
            server.terminate()
            server.wait(timeout=20)
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


def test_the_document_is_31_with_the_shapes_fastapi_users_write(fastapi_app: tuple[str, Path]) -> None:
    document = json.loads(fastapi_app[1].read_text())
    schemas = document["components"]["schemas"]
    assert document["openapi"] == "3.1.0"
    assert {"type": "null"} in schemas["PetIn"]["properties"]["tag"]["anyOf"]  # an optional field
    assert schemas["Dog"]["properties"]["species"]["const"] == "dog"  # a literal
    assert schemas["Species"]["enum"] == ["dog", "cat", "bird"]
    assert schemas["PetIn"]["properties"]["traits"]["discriminator"]["propertyName"] == "species"
    assert schemas["Pet"]["properties"]["owner"]["anyOf"][0] == {"$ref": "#/components/schemas/Owner"}
    upload = document["paths"]["/pets/{pet_id}/photo"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload
    assert document["components"]["securitySchemes"]["APIKeyHeader"] == {
        "type": "apiKey", "in": "header", "name": "X-API-Key", "description": "The key PETS_API_KEY gives the server"}  # fmt: skip
    path_types = {p["schema"].get("type") or p["schema"].get("format") or p["schema"].get("$ref")
                  for item in document["paths"].values() for op in item.values()
                  for p in op.get("parameters", []) if p["in"] == "path"}  # fmt: skip
    assert path_types >= {"integer", "boolean", "string", "number", "#/components/schemas/Species"}
    formats = {p["schema"].get("format") for item in document["paths"].values() for op in item.values()
               for p in op.get("parameters", []) if p["in"] == "path"}  # fmt: skip
    assert formats >= {"uuid", "date"}


def test_the_contract_run_passes_on_the_application_itself(tmp_path: Path, fastapi_app: tuple[str, Path]) -> None:
    base, document = fastapi_app
    stdout = _passes(tmp_path, document, "--url", base, "--token", KEY)
    assert "ignored_auth is not checked" not in stdout  # its server refuses a missing key: checked
    assert re.search(r"POST /pets/\{pet_id\}/photo .* 201×\d+", stdout), stdout[-3000:]


def test_the_contract_run_passes_on_the_hub_serving_its_document(tmp_path: Path, fastapi_app: tuple[str, Path]) -> None:
    _passes(tmp_path, fastapi_app[1])


def _passes(tmp_path: Path, document: Path, *extra: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "kataven_hub", "contract", "--seed", "1", "--max-examples", "25",
         "--report-dir", str(tmp_path), *extra],
        cwd=ROOT, env={**os.environ, "HUB_SPEC": str(document)}, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert re.search(r"(\d+) generated, \1 passed", done.stdout), done.stdout[-2000:]
    assert "what every operation answered" in done.stdout
    return done.stdout

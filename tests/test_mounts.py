"""Several documents in one server (`hub serve --spec A --spec /PREFIX=B`, or HUB_SPEC), against a
real process: two foreign documents, each with its own `/pets`, served at two prefixes; overlapping
mounts refused; `hub routes` on one mount, and `hub contract` on each mount of a server serving those two and ours."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support.servers import serving

pytestmark = pytest.mark.live
SPECS = Path(__file__).parent / "specs"
PETSTORE = SPECS / "petstore-expanded.yaml"
"""Served at its first `servers` entry's path, /v2; no security; errors as an object {code, message}."""
SHELTER = SPECS / "shelter.yaml"
"""Served at the prefix given with it, /shelter; an API key asked for; errors as JSON strings."""
KEY = {"X-API-Key": "any key in dev mode"}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("mounts") / "data"
    env = {"HUB_SPEC": f"{PETSTORE}{os.pathsep}/shelter={SHELTER}"}
    with serving(data, env, "--dev", up="/v2/openapi.json") as (url, _log):
        yield url


def test_each_document_answers_its_own_operations_and_keeps_its_own_data(base: str) -> None:
    with httpx.Client(base_url=base, timeout=10) as client:
        created = client.post("/v2/pets", json={"name": "Rex"})
        assert created.status_code == 200 and created.json() == {"name": "Rex", "id": 1}
        assert client.get("/v2/pets").json() == [{"name": "Rex", "id": 1}]
        assert client.get("/shelter/pets", headers=KEY).json() == []  # the same path, another document's data
        admitted = client.post("/shelter/pets", json={"name": "Tom"}, headers=KEY)
        assert admitted.status_code == 201 and admitted.headers["X-Hub-Mock"] == "stored"
        assert client.get(f"/shelter/pets/{admitted.json()['id']}", headers=KEY).json()["name"] == "Tom"
        assert [pet["name"] for pet in client.get("/shelter/pets", headers=KEY).json()] == ["Tom"]
        assert client.get("/v2/pets").json() == [{"name": "Rex", "id": 1}]


def test_each_document_keeps_its_own_security_and_error_shapes(base: str) -> None:
    with httpx.Client(base_url=base, timeout=10) as client:
        assert client.get("/shelter/pets").status_code == 401  # its key is asked for; the petstore asks none
        assert client.get("/v2/pets").status_code == 200
        assert client.put("/v2/pets").json() == {"code": 405, "message": "Method Not Allowed"}
        assert client.get("/v2/pets/abc").json() == {"code": 400, "message": "id: 'abc' is not of type 'integer'"}
        assert client.put("/shelter/pets", headers=KEY).json() == "Method Not Allowed"
        assert client.get("/shelter/nothing/here", headers=KEY).json() == "Not Found"
        outside = client.get("/nothing")
        assert outside.status_code == 404
        assert outside.json() == "nothing is served at /nothing: the documents are mounted at /v2, /shelter (Swagger UI: /ui/)"


def test_each_mount_serves_its_document_and_one_swagger_ui_lists_them_all(base: str) -> None:
    with httpx.Client(base_url=base, timeout=10) as client:
        petstore, shelter = client.get("/v2/openapi.json").json(), client.get("/shelter/openapi.json").json()
        assert petstore["info"]["title"] == "Swagger Petstore" and petstore["servers"] == [{"url": "/v2"}]
        assert shelter["info"]["title"] == "Shelter" and shelter["servers"] == [{"url": "/shelter"}]
        assert 'url: "/shelter/openapi.json"' in client.get("/shelter/ui/").text  # each its own, as ever
        page = client.get("/ui/")
        assert page.status_code == 200
        listed = re.search(r"urls: (\[.*\]),", page.text)
        assert listed is not None
        assert listed.group(1) == ('[{"name": "/v2 (petstore-expanded.yaml)", "url": "/v2/openapi.json"},'
                                   ' {"name": "/shelter (shelter.yaml)", "url": "/shelter/openapi.json"}]')  # fmt: skip
        assert client.get("/ui/swagger-ui-bundle.js").status_code == 200


@pytest.mark.parametrize(
    ("second", "prefix"), [(f"/v2/shelter={SHELTER}", "/v2/shelter"), (f"/v2={SHELTER}", "/v2"), (f"/={SHELTER}", "/")]
)
def test_overlapping_mounts_are_refused_in_one_line(tmp_path: Path, second: str, prefix: str) -> None:
    done = _hub("serve", "--dev", "--data-dir", str(tmp_path), "--spec", str(PETSTORE), "--spec", second)
    assert done.returncode == 2
    assert done.stderr == (
        f"hub: {PETSTORE} (at /v2) and {SHELTER} (at {prefix}) would be served under the same path:"
        " give each its own prefix (--spec /PREFIX=FILE)\n"
    )


def test_routes_lists_each_mount_or_the_one_chosen() -> None:
    both = _hub("routes", "--spec", str(PETSTORE), "--spec", f"/shelter={SHELTER}")
    assert both.returncode == 0
    headings = [line for line in both.stdout.splitlines() if not line.startswith(("GET", "POST", "DELETE"))]
    assert headings == [f"/v2 ({PETSTORE}):", f"/shelter ({SHELTER}):"]
    one = _hub("routes", "--spec", str(PETSTORE), "--spec", f"/shelter={SHELTER}", "--mount", "/shelter")
    assert [line.split()[2] for line in one.stdout.splitlines()] == ["listShelterPets", "admitPet", "getShelterPet"]
    unknown = _hub("routes", "--spec", str(PETSTORE), "--spec", f"/shelter={SHELTER}", "--mount", "/billing")
    assert unknown.returncode == 2
    assert unknown.stderr == f"hub: --mount /billing: no document is served there; the mounts are /v2 ({PETSTORE}), /shelter ({SHELTER})\n"


OURS = Path(__file__).parent.parent / "openapi.yaml"
"""Our own document, mounted at /hub beside the two foreign ones (its first server is the root)."""


@pytest.mark.parametrize(("mount", "created"), [("/shelter", "POST /pets .* 201"), ("/v2", "POST /pets .* 200"),
                                               ("/hub", "POST /api/v1/campaigns .* 201")])  # fmt: skip
def test_contract_checks_each_mount_of_a_server_serving_three(tmp_path: Path, mount: str, created: str) -> None:
    """Two foreign documents and ours in one server: each mount's contract run passes on its own."""
    done = _hub("contract", "--spec", str(PETSTORE), "--spec", f"/shelter={SHELTER}", "--spec", f"/hub={OURS}",
                "--mount", mount, "--seed", "1", "--max-examples", "5", "--report-dir", str(tmp_path), timeout=900)  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert re.search(r"(\d+) generated, \1 passed", done.stdout), done.stdout[-2000:]
    assert re.search(created + r"×\d+", done.stdout), done.stdout[-3000:]  # created something, under its mount
    others = {"/shelter": "findPets", "/v2": "/api/v1/campaigns", "/hub": "findPets"}[mount]
    assert others not in done.stdout  # another mount's operations: not this run's


def _hub(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kataven_hub", *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "HUB_SPEC": ""})  # fmt: skip

"""Against a real `hub serve` process over real HTTP: what an in-process client cannot show."""

from __future__ import annotations

import re
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kataven_hub.campaigns.ingest import MAX_REQUEST_BYTES
from support.servers import hub, serving
from tests.conftest import AGENT, CSV, NUMBER_ID

pytestmark = pytest.mark.live

PEPPER = {"HUB_PEPPER": "live-test-pepper"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    data_dir = tmp_path_factory.mktemp("live") / "data"
    key = hub("keys", "create", "--account", "acme", "--data-dir", str(data_dir), env=PEPPER)
    with serving(data_dir, {**PEPPER, "HUB_VALIDATE_RESPONSES": "1"}) as (base, _log):
        yield base, key.stdout.strip().splitlines()[-1]


def _form() -> dict[str, str]:
    return {"name": "Live", "agent_id": AGENT, "phone_number_id": NUMBER_ID}


def test_create_over_real_http_on_every_prefix(live: tuple[str, str]) -> None:
    base, key = live
    for prefix in ("/api/v1", "/hub-api/api/v1", "/v1"):
        response = httpx.post(
            f"{base}{prefix}/campaigns",
            headers={"Authorization": f"Bearer {key}"},
            data=_form(),
            files={"contacts": ("c.csv", CSV, "text/csv")},
        )
        assert response.status_code == 201, response.text
        assert response.json()["contacts_total"] == 2


def test_spec_and_swagger_ui_are_served(live: tuple[str, str]) -> None:
    base, _key = live
    assert httpx.get(f"{base}/openapi.json").json()["info"]["title"].startswith("Kataven Hub API")
    ui = httpx.get(f"{base}/ui/")
    assert ui.status_code == 200 and "swagger" in ui.text.lower()


def _raw_post(base: str, headers: str, body: bytes, send_all: bool = True) -> tuple[bytes, int]:
    """Send a request on a plain socket; answer the response bytes and how much body was sent."""
    host, port = base.removeprefix("http://").split(":")
    sent = 0
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(headers.encode())
        try:
            chunk = 64 * 1024
            while sent < len(body):
                sock.sendall(body[sent : sent + chunk])
                sent += chunk
                if not send_all:
                    break
        except (BrokenPipeError, ConnectionResetError):
            pass
        sock.settimeout(10)
        response = b""
        try:
            while chunk := sock.recv(65536):
                response += chunk
                if b"\r\n\r\n" in response and b'"' in response.split(b"\r\n\r\n", 1)[1][-1:]:
                    break
        except (ConnectionResetError, TimeoutError):
            pass
    return response, sent


def test_a_declared_50_mb_body_is_refused_before_it_is_sent(live: tuple[str, str]) -> None:
    base, key = live
    headers = (
        f"POST /api/v1/campaigns HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n"
        f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {50 * 1024 * 1024}\r\n\r\n"
    )
    # only 1 KiB of the 50 MB is ever sent: an answer at all shows the server did not wait for it
    response, _sent = _raw_post(base, headers, b"x" * 1024, send_all=False)
    assert response.startswith(b"HTTP/1.1 413"), response[:200]
    assert b"content-type: application/json" in response.lower()
    assert b"connection: close" in response.lower()
    assert f"exceeds the limit of {MAX_REQUEST_BYTES} bytes".encode() in response


def test_a_chunked_upload_without_length_is_a_client_error(live: tuple[str, str]) -> None:
    base, key = live

    def chunks() -> Iterator[bytes]:
        for _ in range(200):
            yield b"y" * 65536

    response = httpx.post(
        f"{base}/api/v1/campaigns",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "multipart/form-data; boundary=b"},
        content=chunks(),
    )
    assert response.status_code in (400, 413)
    assert response.headers["content-type"] == "application/json"


def test_dev_mode_greets_with_a_working_key_and_curl(tmp_path: Path) -> None:
    with serving(tmp_path / "data", {}, "--dev") as (base, log):
        greeting = log.read_text()
        key = re.search(r"sk_live_demo_[0-9a-f]{48}", greeting)
        assert key, greeting
        port = base.rsplit(":", 1)[1]
        curl = greeting[greeting.index("printf") : greeting.index("Swagger UI")].replace("8081", port)
        done = subprocess.run(["bash", "-c", curl], cwd=tmp_path, capture_output=True, text=True, check=True)
        assert '"status": "draft"' in done.stdout, done
        preflight = httpx.options(
            f"{base}/api/v1/campaigns",
            headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST"},
        )
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] in ("*", "http://localhost:5173")
    with serving(tmp_path / "data", {}, "--dev") as (_base, log):
        assert "sk_live_demo_" not in log.read_text()  # shown once, on the first start only

"""Helpers that several test modules share (a test module never imports another)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

SPECS = Path(__file__).parent / "specs"
CORPUS = sorted(SPECS.glob("*.yaml"))
"""OpenAPI documents no one here wrote the server for (tests/specs/)."""
T0 = datetime(2030, 1, 1, tzinfo=timezone.utc)
"""The fixed clock that dispatcher tests start from."""


def assert_error(response: Any, status: int, message: str) -> None:
    """Every error is a JSON string with Content-Type application/json."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert isinstance(body, str)
    assert message in body, body

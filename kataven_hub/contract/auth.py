"""The credentials `hub contract` sends, and whether a server takes any credential (then
Schemathesis' `ignored_auth` cannot hold there)."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from kataven_hub import control, openapi


def credentials(token: str, document: Path) -> list[str]:
    """TOKEN as a bearer token, and as the value of each API key the document reads from a header
    (FastAPI's `APIKeyHeader`, for one): the credential goes wherever the document asks for it."""
    schemes = (openapi.load(document).get("components") or {}).get("securitySchemes") or {}
    keys = sorted({s["name"] for s in schemes.values() if s.get("type") == "apiKey" and s.get("in") == "header"})
    return [f"Authorization: Bearer {token}", *(f"{name}: {token}" for name in keys if name.lower() != "authorization")]


def in_dev_mode(base: str) -> bool:
    """Whether the server at `base` is `hub serve --dev`: it serves the control surface's document."""
    try:
        with urllib.request.urlopen(base.rstrip("/") + control.BASE_PATH + "/openapi.json", timeout=10) as answer:
            return bool(json.load(answer).get("paths"))
    except (OSError, ValueError, AttributeError):
        return False

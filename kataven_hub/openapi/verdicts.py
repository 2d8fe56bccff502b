"""Documents found valid, remembered across processes: openapi-spec-validator walks every schema
of a document (seconds on a large one: 6 s for Stripe's, 110 s for Microsoft Graph's), and a
server restarted on the same document need not walk it again. A verdict is a file named by the
hash of the document and the validator's version under `$XDG_CACHE_HOME/kataven-hub/valid/`
(`~/.cache` by default); only "valid" is remembered, and a cache that cannot be written is skipped."""

from __future__ import annotations

import hashlib
import os
from importlib.metadata import version
from pathlib import Path

_VALIDATOR = version("openapi-spec-validator")


def folder() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "kataven-hub" / "valid"


def key(text: str) -> str:
    """The verdict's name for a document's text (with its bundled files, as one text)."""
    return hashlib.sha256(f"{_VALIDATOR}\0{text}".encode()).hexdigest()


def known_valid(name: str) -> bool:
    return (folder() / name).is_file()


def remember_valid(name: str) -> None:
    try:
        folder().mkdir(parents=True, exist_ok=True)
        (folder() / name).write_text(f"openapi-spec-validator {_VALIDATOR}\n")
    except OSError:
        pass  # a read-only home: the next start validates again

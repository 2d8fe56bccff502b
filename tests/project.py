"""A copy of the project's contract and handlers in a temporary folder: what a team edits when it
adds an operation, without touching this checkout. Run with `env(copy)`, `hub` and the server
use the copy's spec and import the copy's handlers."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]


def copy_project(into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    for name in ("openapi.yaml", "pyproject.toml", "schemathesis.toml", "Makefile"):
        shutil.copy2(ROOT / name, into / name)
    shutil.copytree(ROOT / "handlers", into / "handlers", ignore=shutil.ignore_patterns("__pycache__"))
    for package in ("tests", "support"):
        shutil.copytree(ROOT / package, into / package, ignore=shutil.ignore_patterns("__pycache__"))
    return into


def env(copy: Path) -> dict[str, str]:
    """The copy first on the path; a PYTHONPATH already set stays after it (a worktree's package,
    rather than the one the shared virtualenv was installed from)."""
    inherited = os.environ.get("PYTHONPATH")
    path = f"{copy}{os.pathsep}{inherited}" if inherited else str(copy)
    return {"PYTHONPATH": path, "HUB_SPEC": str(copy / "openapi.yaml")}


def add_operations(copy: Path, paths: dict[str, Any]) -> None:
    """Add path items to the copy's spec, as a person editing openapi.yaml would."""
    spec = copy / "openapi.yaml"
    document = yaml.safe_load(spec.read_text())
    document["paths"].update(paths)
    spec.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True))

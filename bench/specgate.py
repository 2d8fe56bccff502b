"""Target 14: the gate on the spec (`hub diff`) on a 200-operation document.

The figure is one whole comparison in-process (both versions parsed and checked with
openapi-spec-validator, their operations resolved, compared, graded and rendered); the baseline is
parsing and checking the two documents alone. Goal: ≤ 3×, and the `hub diff` command, process
start-up included, under 2 s (its wall time is in the detail).
"""

from __future__ import annotations

import os
import secrets
import statistics
import subprocess
import time
from pathlib import Path
from typing import Any

import yaml

from bench.harness import BIN, Config, Result
from kataven_hub.diff.compare import compare
from kataven_hub.diff.gate import as_markdown, grade
from kataven_hub.openapi import document, operations

OPERATIONS = 200


def large_document(changed: bool = False) -> dict[str, Any]:
    """100 resources, each a collection (list, create) and an item (read, update), 200 operations
    in all, sharing schemas; `changed` edits a few of them as a revision would."""
    schemas: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for n in range(OPERATIONS // 4):
        name = f"Thing{n}"
        status = ["draft", "live", *(["archived"] if changed and n % 10 == 0 else [])]
        schemas[name] = {
            "type": "object", "required": ["id", "name"] if not (changed and n % 7 == 0) else ["id"],
            "properties": {"id": {"type": "string", "format": "uuid", "readOnly": True},
                           "name": {"type": "string", "maxLength": 50 if changed and n % 5 == 0 else 100},
                           "status": {"type": "string", "enum": status}, "size": {"type": "integer", "minimum": 0},
                           "tags": {"type": "array", "items": {"type": "string"}},
                           "owner": {"$ref": "#/components/schemas/Owner"}},
        }  # fmt: skip
        one = {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}}
        many = {
            "content": {
                "application/json": {"schema": {"type": "array", "items": {"$ref": f"#/components/schemas/{name}"}}}
            }
        }
        error = {
            "description": "Error.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
        paths[f"/things{n}"] = {
            "get": {"operationId": f"list{name}", "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer"}}],
                    "responses": {"200": {"description": "All.", **many}, "400": error}},
            "post": {"operationId": f"create{name}", "requestBody": {"required": True, **one},
                     "responses": {"201": {"description": "Made.", **one}, "400": error}},
        }  # fmt: skip
        paths[f"/things{n}/{{id}}"] = {
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "get": {"operationId": f"get{name}", "responses": {"200": {"description": "One.", **one}, "404": error}},
            "patch": {"operationId": f"update{name}", "requestBody": {"required": True, **one},
                      "responses": {"200": {"description": "Changed.", **one}, "404": error}},
        }  # fmt: skip
    schemas["Owner"] = {"type": "object", "properties": {"email": {"type": "string", "format": "email"}}}
    schemas["Error"] = {"type": "object", "required": ["message"], "properties": {"message": {"type": "string"}}}
    return {"openapi": "3.0.3", "info": {"title": "Large", "version": "2" if changed else "1"}, "paths": paths,
            "components": {"schemas": schemas}}  # fmt: skip


def gate(config: Config, tmp: Path) -> Result:
    """14."""
    texts = [yaml.safe_dump(large_document(changed)) for changed in (False, True)]
    paths = []
    for name, text in zip(("base", "revision"), texts, strict=True):
        (tmp / f"{name}-200.yaml").write_text(text)
        paths.append(tmp / f"{name}-200.yaml")
    def checked(text: str) -> dict[str, Any]:
        """Parsed and checked anew: neither the process's cache nor the verdicts kept on disk."""
        os.environ["XDG_CACHE_HOME"] = str(tmp / f"cache-{secrets.token_hex(4)}")
        return document._checked.__wrapped__(text, str(tmp / "document.yaml"))

    def load_only() -> None:
        for text in texts:
            checked(text)

    def whole() -> int:
        before, after = (operations(checked(text)) for text in texts)
        graded = grade(compare(before, after), [])
        as_markdown(graded, "base", "revision")
        return len(graded)

    repeats = 1 if config.smoke else 3
    baseline = statistics.median(_timed(load_only) for _ in range(repeats))
    figure = statistics.median(_timed(whole) for _ in range(repeats))
    started = time.perf_counter()
    done = subprocess.run([str(BIN / "hub"), "diff", str(paths[0]), str(paths[1])], capture_output=True, text=True)
    command = time.perf_counter() - started
    ratio = figure / baseline
    return Result(
        target="14 spec gate", figure=figure, baseline=baseline, ratio=ratio, goal="≤ 3×, < 2 s",
        passed=None if config.smoke else ratio <= 3 and command < 2.0, unit="s",
        detail=f"{OPERATIONS} operations, {whole()} changes; `hub diff` exit {done.returncode} in {command:.2f} s"
               " (process start included)",
    )  # fmt: skip


def _timed(work: Any) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started

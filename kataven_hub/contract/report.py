"""The per-operation table of `hub contract`: for each operation, the codes it documents and every
code it answered (the hooks record each answer, one JSON line). The run fails if an implemented
operation never answered its success code, naming it."""

from __future__ import annotations

import collections
import json
import sys
import tomllib
from pathlib import Path

from kataven_hub import control, openapi
from kataven_hub.openapi import routing

CONFIG = Path(__file__).resolve().parent / "schemathesis.toml"


def report(record: Path, implemented: set[str] | None, document: Path) -> int:
    """Print every operation's documented and answered codes; 1 if an implemented operation
    (`None`: every operation) never answered its success code."""
    answered: dict[str, collections.Counter[int]] = collections.defaultdict(collections.Counter)
    for line in record.read_text().splitlines() if record.exists() else []:
        entry = json.loads(line)
        answered[entry["operation"]][entry["status"]] += 1
    disabled = disabled_operations()
    missing = []
    print("\nwhat every operation answered (documented codes; answered code × times):")
    for operation in openapi.operations(openapi.load(document)):
        label, operation_id = operation.label, operation.operation_id
        documented = sorted(operation.definition["responses"])
        success = min((c for c in documented if c.startswith("2")), default=None)
        got = answered.get(label, collections.Counter())
        seen = " ".join(f"{code}×{n}" for code, n in sorted(got.items())) or "-"
        note = ""
        if operation_id in disabled:
            note = "  (not run here: its stream never ends; tests/test_events.py reads it)"
        elif implemented is not None and operation_id not in implemented:
            note = "  (served by the mock or a stub: not required)"
        elif success is not None and int(success) not in got:
            note = f"  ✘ {success} never answered"
            missing.append(f"{operation_id} ({label}) never answered its success code {success}")
        print(f"  {label:<40} {' '.join(documented):<32} {seen}{note}")
    for problem in missing:
        print(f"hub contract: {problem}", file=sys.stderr)
    return 1 if missing else 0


def implemented(spec: Path) -> set[str]:
    """The operations of `spec` that a handler serves (neither the mock nor a stub)."""
    operations = openapi.operations(openapi.load(spec))
    if spec.resolve() == control.DOCUMENT.resolve():  # its handlers are the control module's
        return {op.operation_id for op in operations}
    return {r.operation.operation_id for r in routing.routes(operations) if r.served_by not in (routing.MOCK, routing.STUB)}


def disabled_operations() -> set[str]:
    """The operations the configuration leaves out of the run (an endless event stream)."""
    config = tomllib.loads(CONFIG.read_text())
    return {op["include-operation-id"] for op in config.get("operations", []) if op.get("enabled") is False}

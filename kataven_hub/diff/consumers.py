"""`hub diff --consumers DIR`: each break graded by use. A change graded `error` that a recorded
consumer uses (its operation, and the parameter, request field, status or answer field the change
is at) stays an `error`, naming the consumers and an example request of each; one no consumer uses
takes the severity of `unused` in `hub-diff.toml`'s `[consumers]` (a `warning` by default), and
says so. Other changes are left as graded."""

from __future__ import annotations

import dataclasses
import json
import re
import tomllib
from pathlib import Path
from typing import Any

from kataven_hub.consumers.check import example_call
from kataven_hub.consumers.contract import Contract, segments
from kataven_hub.consumers.files import contracts_in
from kataven_hub.diff.compare import Change
from kataven_hub.diff.gate import Graded, ordered
from kataven_hub.diff.rules import ERROR, INFO, WARNING
from kataven_hub.errors import ConfigurationError

UNUSED = (ERROR, WARNING, INFO)
_TEMPLATE = re.compile(r"\{[^}]*\}")
_WHOLE_REQUEST = ("request-body-made-required", "request-parameter-added-required", "request-parameter-made-required",
                  "security-added", "security-tightened")  # fmt: skip
"""Rules that break a call for what it does not send: every call of the operation is taken as broken."""
_MISSING = ("request-property-added-required", "request-property-made-required", "request-property-read-only-dropped")
"""Rules at a field a consumer may not send: they break a consumer that sends the object holding it."""


def read_contracts(directory: Path) -> list[Contract]:
    """The contracts of the folder; ConfigurationError, in a line, if there is none or a bad one."""
    return contracts_in(directory, "hub diff --consumers")


def unused_severity(config: Path) -> str:
    """`[consumers] unused = "..."` of the config file (`warning` where it says none)."""
    if not config.exists():
        return WARNING
    try:
        said = tomllib.loads(config.read_text()).get("consumers", {}).get("unused", WARNING)
    except tomllib.TOMLDecodeError as err:
        raise ConfigurationError(f"{config}: {err}") from None
    if said not in UNUSED:
        raise ConfigurationError(f"{config}: [consumers] unused must be one of {', '.join(UNUSED)} (a break is never dropped)")
    return str(said)


def by_use(graded: list[Graded], contracts: list[Contract], unused: str) -> list[Graded]:
    """Each `error` kept where some consumer uses it (their examples in `use`), else made
    `unused`'s severity; the rest as they were; in the report's order."""
    names = ", ".join(sorted(c["consumer"] for c in contracts))
    found = []
    for g in graded:
        if g.severity != ERROR:
            found.append(g)
            continue
        examples = [f"{c['consumer']} ({example})" for c in contracts if (example := used(g.change, c))]
        if examples:
            found.append(dataclasses.replace(g, use="used by " + "; ".join(examples)))
        else:
            found.append(dataclasses.replace(g, severity=unused, use=f"unused by consumers: {names}"))
    return ordered(found)


def used(change: Change, contract: Contract) -> str | None:
    """An example request of the consumer's the change breaks (`GET /pets/7: answer 200 field
    name = "Rex"`), or None if the consumer uses nothing it touches."""
    method, _, path = change.label.partition(" ")
    call = f"{method} {_TEMPLATE.sub('{}', path)}"
    found = next(((n, e) for n, e in contract["operations"].items() if _TEMPLATE.sub("{}", n) == call), None)
    if found is None:
        return None
    name, entry = found
    request = example_call(name, entry)
    at = [_unescaped(token) for token in change.where.split("/")[1:]]
    if not at or change.rule in _WHOLE_REQUEST:
        return request
    what = _parameter(at, entry) if at[0] == "parameters" else _body(change.rule, at, entry)
    return f"{request}: {what}" if what else None


def _parameter(at: list[str], entry: dict[str, Any]) -> str | None:
    where, name = at[1], at[2] if len(at) > 2 else ""
    fold = str.lower if where == "header" else str
    sent = [(k, v) for k, v in (entry.get("parameters") or {}).items()
            if k.partition(" ")[0] == where and fold(k.partition(" ")[2]) == fold(name)]  # fmt: skip
    if where == "path":  # every call sends its path parameters
        sent = sent or [(f"path {name}", "…")]
    return f"{sent[0][0].replace(' ', ' parameter ', 1)} = {json.dumps(sent[0][1], ensure_ascii=False)}" if sent else None


def _body(rule: str, at: list[str], entry: dict[str, Any]) -> str | None:
    if at[0] == "requestBody":
        fields, what = entry.get("request") or {}, "request field"
        if not fields:
            return None
    else:
        codes = [code for code in sorted(entry.get("answers") or {}) if _stands_for(at[1], code)]
        if not codes:
            return None
        fields = {p: v for code in reversed(codes) for p, v in entry["answers"][code].items()}
        what = f"answer {codes[0]} field"
        if "schema" not in at:
            shown = next((f" {what} {p} = {_shown(v)}" for p, v in sorted(fields.items())), "")
            return f"status {codes[0]}" + (f",{shown}" if shown else "")
    prefix = _field(at[at.index("schema") + 1 :]) if "schema" in at else []
    if rule in _MISSING:
        prefix = prefix[:-1]
    for path, value in sorted(fields.items()):
        if segments(path)[: len(prefix)] == prefix:
            return f"{what} {path} = {_shown(value)}"
    return None


def _stands_for(status: str, code: str) -> bool:
    """Whether a documented status key (`200`, `2XX`, `default`) stands for a status received."""
    return code == status or status == "default" or (status[1:].upper() == "XX" and code[:1] == status[:1])


def _field(pointer: list[str]) -> list[str]:
    """A schema pointer's tokens as the field path under it: `properties/a/items/properties/b` -> `a[].b`."""
    found: list[str] = []
    tokens = iter(pointer)
    for token in tokens:
        if token == "properties":
            found.append(next(tokens, ""))
        elif token == "items":
            found.append("[]")
        elif token == "prefixItems":
            next(tokens, None)
            found.append("[]")
        elif token in ("oneOf", "anyOf"):
            next(tokens, None)
        else:  # enum, or anything else at the field itself
            break
    return found


def _unescaped(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)

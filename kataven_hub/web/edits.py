"""What an edit of a served document changed (`hub serve --watch`): the files to watch (the document
and those its `$ref`s name), the edit in `hub diff`'s words, and the remembered records the new
version no longer validates."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kataven_hub.diff import compare, gate
from kataven_hub.errors import ConfigurationError
from kataven_hub.mock.remember import roles
from kataven_hub.openapi import Operation, loader
from kataven_hub.schemas.answers import answer_errors
from kataven_hub.schemas.satisfy import completed
from kataven_hub.storage import Backend

Stamps = dict[Path, tuple[int, int] | None]
FINDINGS = 20
"""The most findings logged for one edit; `hub diff` lists the rest."""
_PAGE = 500


def sources(spec: Path) -> list[Path]:
    """The document and every file its `$ref`s name, and theirs (a file that does not read is
    listed all the same: fixing it is an edit too)."""
    found: list[Path] = []
    waiting = [spec.resolve()]
    while waiting:
        file = waiting.pop()
        if file in found:
            continue
        found.append(file)
        try:
            node = loader.parse(loader.text(file), file.name)
        except ConfigurationError:
            continue
        targets = {ref.partition("#")[0] for ref in _refs(node)} - {""}
        waiting += [(file.parent / target).resolve() for target in sorted(targets) if "://" not in target]
    return found


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def stamps(files: list[Path]) -> Stamps:
    """Each file's modification time and size (None where it is missing): what an edit changes."""
    found: Stamps = {}
    for file in files:
        try:
            status = file.stat()
        except OSError:
            found[file] = None
        else:
            found[file] = (status.st_mtime_ns, status.st_size)
    return found


def changes(before: list[Operation], after: list[Operation], config: Path) -> list[str]:
    """What `hub diff` prints for the edit: its summary, then a line per finding (the first
    FINDINGS), graded by `config` (`hub-diff.toml`; the default severities if it does not read)."""
    try:
        overrides = gate.load_config(config)
    except ConfigurationError:
        overrides = []
    graded = gate.grade(compare.compare(before, after), overrides)
    lines = gate.as_text(graded, "before", "after").splitlines()
    if len(lines) > FINDINGS + 1:
        lines = [*lines[: FINDINGS + 1], f"… and {len(lines) - FINDINGS - 1} more: `hub diff` lists them"]
    return lines


def unvalidated(stores: Backend, operations: list[Operation], mount: str = "") -> tuple[int, int, int]:
    """(records remembered under a collection the document reads, those its read answer no longer
    validates as stored, those it does not validate even completed: the plain mock answers them);
    a document served under a prefix (`mount`) has its collections under it."""
    found = roles(operations)
    reads = [(_template(mount + op.path.rsplit("/", 1)[0]), role.schema) for op in operations
             if (role := found.get(op.operation_id)) and role.kind == "read" and role.schema is not None]  # fmt: skip
    counts = [0, 0, 0]
    for account in stores.account_names():
        with stores.account(account) as database, database.read() as conn:
            for collection in conn.resource_collections():
                schema = next((s for pattern, s in reads if pattern.fullmatch(collection)), None)
                if schema is None:
                    continue
                offset, total = 0, 1
                while offset < total:
                    records, total = conn.list_resources(collection, offset, _PAGE)
                    offset += _PAGE
                    for record in records:
                        _count(counts, schema, record)
    return counts[0], counts[1], counts[2]


def _count(counts: list[int], schema: dict[str, Any], record: Any) -> None:
    counts[0] += 1
    if answer_errors(schema, record) is not None:
        counts[1] += 1
        counts[2] += answer_errors(schema, completed(schema, record, "watch")) is not None


def _template(path: str) -> re.Pattern[str]:
    """A pattern of the concrete paths of a templated one (`/users/{id}/posts`)."""
    return re.compile("".join("[^/]+" if part.startswith("{") else re.escape(part) for part in re.split(r"(\{[^}]*\})", path)))

"""Which documents are served, and where: `--spec` given more than once (HUB_SPEC: entries separated
by the OS path separator, `:` here), each a file (mounted at the path of its first `servers` entry)
or `/PREFIX=FILE`; mounts that overlap refused in one line; one chosen by `--mount`."""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

from kataven_hub.errors import ConfigurationError


@dataclasses.dataclass(frozen=True)
class Mounted:
    """A document and the path prefix it is served under ("" for the root)."""

    prefix: str
    path: Path

    @property
    def shown(self) -> str:
        return self.prefix or "/"


def documents(spec: Path) -> list[Mounted]:
    """The documents `spec` (a setting's value) names. One file is served at the root, as ever;
    ConfigurationError, in one line naming both documents, where two mounts overlap."""
    text = str(spec)
    if spec.is_file() or (os.pathsep not in text and "=" not in text):
        return [Mounted("", spec)]
    entries = [entry for entry in text.split(os.pathsep) if entry]
    found = [_entry(entry, several=len(entries) > 1) for entry in entries]
    for index, first in enumerate(found):
        for second in found[index + 1 :]:
            if overlap(first.prefix, second.prefix):
                raise ConfigurationError(
                    f"{first.path} (at {first.shown}) and {second.path} (at {second.shown}) would be served under the same"
                    " path: give each its own prefix (--spec /PREFIX=FILE)"
                )
    return found


def several(spec: Path) -> bool:
    """Whether `spec` names more than one document, or one under a prefix."""
    return documents(spec) != [Mounted("", spec)]


def chosen(spec: Path, mount: str) -> Mounted:
    """The document mounted at `mount`; ConfigurationError, in one line listing the mounts, if none is."""
    found = documents(spec)
    wanted = _normal(mount)
    for document in found:
        if document.prefix == wanted or (len(found) == 1 and not document.prefix):
            return document
    mounts = ", ".join(f"{d.shown} ({d.path})" for d in found)
    raise ConfigurationError(f"--mount {mount}: no document is served there; the mounts are {mounts}")


def one(spec: Path, mount: str | None) -> Path:
    """The document a command of one document is about: the one at `mount`, else the only one."""
    if mount:
        return chosen(spec, mount).path
    if several(spec):
        raise ConfigurationError(f"{spec}: several documents; choose the one meant with --mount PREFIX")
    return spec


def overlap(first: str, second: str) -> bool:
    """Whether one prefix is the other, or a path prefix of it (`/a` and `/a/b`; not `/a` and `/ab`)."""
    return (first + "/").startswith(second + "/") or (second + "/").startswith(first + "/")


def _entry(entry: str, *, several: bool) -> Mounted:
    if entry.startswith("/") and "=" in entry and not Path(entry).is_file():
        prefix, file = entry.split("=", 1)
        return Mounted(_normal(prefix), Path(file))
    return Mounted(servers_path(Path(entry)) if several else "", Path(entry))


def servers_path(path: Path) -> str:
    """The path of the document's first `servers` entry (its variables at their defaults), "" for none."""
    from kataven_hub import openapi

    servers = openapi.load(path, lenient=True).get("servers") or [{}]
    first = servers[0] if isinstance(servers[0], dict) else {}
    defaults = {name: str((v or {}).get("default", "")) for name, v in (first.get("variables") or {}).items()}
    url = re.sub(r"\{([^}]*)\}", lambda m: defaults.get(m.group(1), m.group(0)), str(first.get("url") or ""))
    return _normal(urlsplit(url).path)


def _normal(prefix: str) -> str:
    """`/billing/` and `billing` as `/billing`; `/` as "" (the root)."""
    inner = prefix.strip().strip("/")
    if any(c in inner for c in "{}?#= "):
        raise ConfigurationError(f"{prefix!r}: a mount is a plain path such as /billing")
    return f"/{inner}" if inner else ""

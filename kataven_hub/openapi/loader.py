"""A document file read into JSON's data model, whatever YAML habits wrote it: timestamps stay
strings (`2020-09-12`), mapping keys are strings (`200:` is `"200"`), `yes`/`no`/`on`/`off` and
`12:30` stay strings (YAML 1.2's core schema, not 1.1's), and `$ref`s to files beside the document
(a spec split in folders) are bundled into it. What cannot be read is one line naming the place."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import yaml

from kataven_hub.errors import ConfigurationError

BUNDLED = "x-hub-bundled"
"""Where the files a document's `$ref`s name are kept once bundled, by their path from the document."""

_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML was built with it: a tenth of the pure-Python one's time."""
_SHORT = 160


class _JSONLoader(_BASE):  # type: ignore[valid-type,misc]
    """PyYAML's safe loader with YAML 1.2's core schema: only true/false are booleans, only
    decimal, 0o and 0x numbers are numbers, and nothing is a timestamp."""


_JSONLoader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in [
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("null", r"^(?:~|null|Null|NULL|)$", "~nN\0"),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    ("float", r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     "-+0123456789."),
]:  # fmt: skip
    _JSONLoader.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(_pattern), list(_first))
_JSONLoader.add_constructor("tag:yaml.org,2002:int", lambda loader, node: int(loader.construct_scalar(node), 0))


def parse(text: str, name: str) -> Any:
    """JSON or YAML text as JSON would carry it; ConfigurationError, in one line, naming the place."""
    if text.lstrip().startswith(("{", "[")):
        try:
            return json.loads(text)
        except ValueError:
            pass  # YAML's flow style starts so too
    try:
        return _as_json(yaml.load(text, Loader=_JSONLoader))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise ConfigurationError(f"{name}: " * bool(name) + f"not YAML: {where}{one_line(problem)}") from None


def bundle(document: dict[str, Any], path: Path) -> dict[str, Any]:
    """`document` (read from `path`) with every `$ref` to another file pointing into a copy of that
    file kept under `BUNDLED`, and path items that are such `$ref`s inlined."""
    bundled: dict[str, Any] = {"": path.resolve().parent}
    _rewrite(document, path.resolve(), None, bundled, "#")
    del bundled[""], bundled[" files"]
    for item, value in list((document.get("paths") or {}).items()):
        if isinstance(value, dict) and set(value) == {"$ref"} and value["$ref"].startswith(f"#/{BUNDLED}/"):
            document["paths"][item] = copy.deepcopy(_pointed({BUNDLED: bundled}, value["$ref"], f"#/paths/{item}"))
    if bundled:
        document[BUNDLED] = bundled
    return document


def _rewrite(node: Any, here: Path, inside: str | None, bundled: dict[str, Any], where: str) -> None:
    """Point every `$ref` below `node` (from the file `here`, kept under `inside`, or the document
    itself where None) into the bundle, loading each file once."""
    if isinstance(node, list):
        for index, item in enumerate(node):
            _rewrite(item, here, inside, bundled, f"{where}/{index}")
        return
    if not isinstance(node, dict):
        return
    ref = node.get("$ref")
    if isinstance(ref, str) and (inside is not None or not ref.startswith("#")):
        target, _, pointer = ref.partition("#")
        if "://" in target:
            raise ConfigurationError(f"$ref {ref} at {where}: only files beside the document can be bundled")
        file = (here.parent / target).resolve() if target else here
        key = _key(file, bundled) if target else str(inside)
        if key not in bundled:
            bundled[key] = None  # a file that refers back to itself is read once
            try:
                loaded = parse(text(file), key)
            except ConfigurationError as err:
                raise ConfigurationError(f"$ref {ref} at {where}: {err}") from None
            _rewrite(loaded, file, key, bundled, f"{key}#")
            bundled[key] = loaded
        node["$ref"] = f"#/{BUNDLED}/{key}{pointer}"
    for name, value in node.items():
        if name != "$ref":
            _rewrite(value, here, inside, bundled, f"{where}/{_escape(str(name))}")


def external(node: Any) -> bool:
    """Whether a `$ref` below `node` names another file."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#"):
            return True
        return any(external(value) for value in node.values())
    return isinstance(node, list) and any(external(item) for item in node)


def _pointed(document: dict[str, Any], ref: str, where: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        try:
            node = node[int(part)] if isinstance(node, list) else node[part]
        except (KeyError, IndexError, ValueError, TypeError):
            raise ConfigurationError(f"$ref {ref} at {where}: nothing there") from None
    return node


def text(path: Path) -> str:
    """The file's text; ConfigurationError, in one line, naming it."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise ConfigurationError(f"{path}: {err.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigurationError(f"{path}: not UTF-8 text") from None


def _key(file: Path, bundled: dict[str, Any]) -> str:
    """A file's name in the bundle: its path from the document's folder (kept under ""), in
    characters no JSON pointer escapes (Connexion's resolver reads pointers unescaped)."""
    root = bundled[""]
    name = file.relative_to(root).as_posix() if file.is_relative_to(root) else file.as_posix()
    key = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    files = bundled.setdefault(" files", {})
    while files.setdefault(key, file) != file:
        key += "_"
    return key


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _as_json(node: Any) -> Any:
    """YAML's values as JSON's: keys as strings, dates (an explicit !!timestamp), sets and
    binary as strings."""
    if isinstance(node, dict):
        return {_key_text(key): _as_json(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_as_json(item) for item in node]
    if node is None or isinstance(node, (str, bool, int, float)):
        return node
    if hasattr(node, "isoformat"):
        return node.isoformat()
    return node.decode("latin-1") if isinstance(node, bytes) else str(node)


def _key_text(key: Any) -> str:
    if isinstance(key, str):
        return key
    return json.dumps(key) if isinstance(key, (bool, type(None))) else str(_as_json(key))


def one_line(message: str, limit: int = _SHORT) -> str:
    """The first line of `message`, cut to `limit` characters: what a refusal quotes of a parser's."""
    line = message.strip().splitlines()[0] if message.strip() else message
    return line if len(line) <= limit else line[: limit - 1] + "…"

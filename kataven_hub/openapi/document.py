"""The contract: openapi.yaml read and checked once, and walked operation by operation. Loading
also gives every operation its names: an operationId where the document has none (from its method
and path), and the one Python function name the resolver, `hub routes` and `hub scaffold` use."""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import keyword
import re
import unicodedata
from pathlib import Path
from typing import Any

import inflection
from connexion.json_schema import resolve_refs
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from kataven_hub.errors import ConfigurationError
from kataven_hub.openapi import loader, verdicts
from kataven_hub.openapi.metacheck import CHECKER_FAILURES, cannot_check, validate
from kataven_hub.openapi.oas31 import later, prepared, refused
from kataven_hub.openapi.pointers import values_inlined
from kataven_hub.schemas.flatten import DISCRIMINATOR_VALUES

VERSIONS = ("3.0.", "3.1.", "3.2.")
"""The OpenAPI versions served: 3.0 as Connexion reads it, 3.1 and 3.2 through a 3.0 view of them
(`openapi.served`) with their schemas validated as JSON Schema 2020-12 (`schemas.answers`)."""
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclasses.dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    tag: str | None
    definition: dict[str, Any]
    """The operation object, every $ref resolved; `security` filled in from the document's."""
    function: str = ""
    """The name of the Python function that serves it: a valid identifier, unique in the document
    (`operations` sees to that; alone, an operation takes `python_name` of its operationId)."""

    def __post_init__(self) -> None:
        if not self.function:
            object.__setattr__(self, "function", python_name(self.operation_id))

    @property
    def summary(self) -> str:
        return str(self.definition.get("summary") or self.operation_id)

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"


class InvalidDocument(ConfigurationError):
    """A file that is an OpenAPI 3.x document, but not a valid one (what `--lenient` serves)."""


def load(path: Path, *, lenient: bool = False) -> dict[str, Any]:
    """The document at `path` (`openapi.loader`: JSON's data model, the files its `$ref`s name
    bundled), checked with openapi-spec-validator; ConfigurationError says, in one line, what is
    wrong and where (InvalidDocument where `lenient` would have served it). A text already checked
    in this process is not checked again (the CLI, the app and each test app load the same file).
    `lenient` lets an invalid document through: `openapi.lenient` says why."""
    return load_text(loader.text(path), str(path), path, lenient=lenient)


def load_text(text: str, name: str, path: Path | None = None, *, lenient: bool = False) -> dict[str, Any]:
    """`load` of a document's text (a git revision of it, say); `name` says where it came from,
    `path` where the files its `$ref`s name are looked for (beside `name` where None)."""
    try:
        return copy.deepcopy(_checked(text, str(path or Path(name)), lenient))
    except ConfigurationError as err:
        raise type(err)(f"{name}: {err}") from None


@functools.lru_cache(maxsize=16)
def _checked(text: str, path: str, lenient: bool = False) -> dict[str, Any]:
    document = loader.parse(text, "")
    if isinstance(document, dict) and loader.external(document):
        document = loader.bundle(document, Path(path))
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith(VERSIONS):
        raise ConfigurationError(f"not an OpenAPI 3.0, 3.1 or 3.2 document (openapi: {_version(document)})")
    unserved = refused(document) if later(document) else None
    if unserved:
        raise ConfigurationError(unserved)
    verdict = verdicts.key(text if loader.BUNDLED not in document else json.dumps(document, sort_keys=True))
    if not lenient and not verdicts.known_valid(verdict):  # --lenient: `openapi.lenient.problems` is its check
        try:
            validate(document)
            verdicts.remember_valid(verdict)
        except OpenAPIValidationError as err:
            raise InvalidDocument(f"invalid OpenAPI at {err.json_path}: {loader.one_line(err.message)}") from None
        except CHECKER_FAILURES as err:
            raise cannot_check(err) from None
    _name_operations(document)
    _annotate_discriminators(document)
    return document


def version(document: dict[str, Any]) -> tuple[int, int]:
    """The document's OpenAPI version as (major, minor): (3, 0), (3, 1), (3, 2)."""
    major, _, rest = str(document.get("openapi", "")).partition(".")
    return int(major), int(rest.partition(".")[0])


def _version(document: Any) -> str:
    found = document.get("openapi", document.get("swagger")) if isinstance(document, dict) else None
    return "none" if found is None else repr(str(found))[:40]


def operations(document: dict[str, Any]) -> list[Operation]:
    """Every operation of the (loaded) document, in its order."""
    resolved = resolve_refs(values_inlined(prepared(document) if later(document) else document))
    security = resolved.get("security", [])
    found = []
    taken: set[str] = set()
    for path, method, definition in _walk(resolved):
        definition = {"security": security, **definition}
        item = resolved["paths"][path]
        shared = [p for p in item.get("parameters", []) if p not in definition.get("parameters", [])]
        definition["parameters"] = [*shared, *definition.get("parameters", [])]
        tags = definition.get("tags") or [None]
        function = _unique(python_name(definition["operationId"]), taken)
        found.append(Operation(definition["operationId"], method, path, tags[0], definition, function))
    return found


def python_name(operation_id: str) -> str:
    """A valid Python identifier for any operationId: `getApiV1CampaignsId` -> `get_api_v1_campaigns_id`,
    `find pet by id` -> `find_pet_by_id`, `2fa.verify` -> `op_2fa_verify`, `import` -> `import_`."""
    ascii_id = unicodedata.normalize("NFKD", operation_id).encode("ascii", "ignore").decode()
    name = re.sub(r"_+", "_", re.sub(r"\W", "_", inflection.underscore(ascii_id))).strip("_").lower() or "operation"
    if name[0].isdigit():
        name = f"op_{name}"
    return f"{name}_" if keyword.iskeyword(name) or keyword.issoftkeyword(name) else name


def _unique(name: str, taken: set[str], separator: str = "_") -> str:
    """`name`, or `name_2`, `name_3`... where an earlier operation of the document has it."""
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{name}{separator}{number}"
    taken.add(candidate)
    return candidate


def _walk(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, item[method])
        for path, item in (document.get("paths") or {}).items()
        for method in METHODS
        if isinstance(item.get(method), dict)
    ]


def _name_operations(document: dict[str, Any]) -> None:
    """Give each operation without an operationId one from its method and path (`POST /streams`
    -> `postStreams`, `GET /pets/{id}` -> `getPetsId`), unique in the document."""
    taken = {op["operationId"] for _path, _method, op in _walk(document) if op.get("operationId")}
    for path, method, operation in _walk(document):
        if not operation.get("operationId"):
            words = [w for w in re.split(r"[^0-9A-Za-z]+", path) if w]
            base = method + "".join(w[:1].upper() + w[1:] for w in words)
            operation["operationId"] = _unique(base, taken, separator="")


def _annotate_discriminators(node: Any) -> None:
    """Beside every discriminator of a `oneOf`/`anyOf`, the value that selects each branch (from
    its `mapping`, else the name of the branch's schema), for the mock's generator."""
    if isinstance(node, list):
        for item in node:
            _annotate_discriminators(item)
        return
    if not isinstance(node, dict):
        return
    branches = node.get("oneOf") or node.get("anyOf")
    if isinstance(node.get("discriminator"), dict) and isinstance(branches, list):
        mapping = {}
        for value, target in (node["discriminator"].get("mapping") or {}).items():
            mapping[target] = mapping[target.rpartition("/")[2]] = value  # a $ref, or a schema's name
        names = [(b.get("$ref") or "").rpartition("/")[2] if isinstance(b, dict) else "" for b in branches]
        node[DISCRIMINATOR_VALUES] = [mapping.get(name, name) or None for name in names]  # None: inline
    for value in list(node.values()):
        _annotate_discriminators(value)



def forget_read() -> None:
    """The documents read so far forgotten: a file one of them refers to may have changed since
    (`hub serve --watch`), which the text of the document itself does not show."""
    _checked.cache_clear()

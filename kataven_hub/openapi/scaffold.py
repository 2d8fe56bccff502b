"""`hub scaffold`: a handler stub for every operation served as a mock, written into the handler
module of its tag, with the signature Connexion calls it with and a body that answers what the
mock answered. It only appends: existing code is never rewritten, and a second run adds nothing."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from connexion.decorators.parameter import pythonic

from kataven_hub.errors import ConfigurationError
from kataven_hub.openapi import Operation
from kataven_hub.openapi.routing import MOCK, PACKAGE, Route, module_name

LINE = 120
"""ruff's line length in pyproject.toml."""
HUB_IMPORT = "from kataven_hub.hub import Hub"
_TYPES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "array": "list[object]",
          "object": "dict[str, object]"}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Written:
    path: Path
    function: str
    operation: Operation


def scaffold(routes: list[Route]) -> list[Written]:
    """Write a stub for each route served by the mock; what was written. Every module is built
    whole and compiled first: ConfigurationError, in one line, and nothing written, if one would
    not."""
    package = handlers_dir()
    sources: dict[Path, str] = {}
    written = []
    for route in routes:
        if route.served_by != MOCK:
            continue
        path = package / f"{module_name(route.operation.tag)}.py"
        source = sources.get(path) or (path.read_text() if path.exists() else _new_module(route.operation))
        sources[path] = _with_hub_import(source).rstrip("\n") + "\n\n\n" + stub(route.operation) + "\n"
        written.append(Written(path, route.operation.function, route.operation))
    for path, source in sources.items():
        try:
            compile(source, str(path), "exec")
        except SyntaxError as err:
            raise ConfigurationError(f"hub scaffold: {path} would not compile (line {err.lineno}: {err.msg}); nothing written") from None
    problem = type_errors(sources)
    if problem:
        raise ConfigurationError(f"hub scaffold: mypy refuses what it would write: {problem}; nothing written")
    for path, source in sources.items():
        try:
            path.write_text(source)
        except OSError as err:
            raise ConfigurationError(f"hub scaffold: cannot write {path}: {err.strerror}") from None
    return written


def type_errors(sources: dict[Path, str]) -> str | None:
    """mypy's first complaint about the modules, checked on their own in a scratch copy (imports not
    followed: the stubs' own annotations and defaults); None if it has none, or is not installed."""
    if not sources:
        return None
    try:
        from mypy import api
    except ImportError:  # installed with the test extras, as `make run` and `make test` do
        return None
    with tempfile.TemporaryDirectory() as scratch:
        package = Path(scratch) / PACKAGE
        package.mkdir()
        (package / "__init__.py").write_text("")
        (Path(scratch) / "mypy.ini").write_text("[mypy]\n")
        files = []
        for path, source in sources.items():
            (package / path.name).write_text(source)
            files.append(str(package / path.name))
        out, err, status = api.run([
            "--config-file", str(Path(scratch) / "mypy.ini"), "--follow-imports", "skip", "--ignore-missing-imports",
            "--disallow-untyped-defs", "--cache-dir", os.devnull, "--no-error-summary", *files,
        ])  # fmt: skip
    said = (out.strip() or err.strip() or "mypy failed").splitlines()[0]
    return said.replace(scratch + "/", "") if status else None


def handlers_dir() -> Path:
    """The folder of the handlers package, as imported (PYTHONPATH first)."""
    return Path(importlib.import_module(PACKAGE).__path__[0])


def stub(operation: Operation) -> str:
    """The source of the stub: `async def <operationId in snake_case>(…)`, its docstring the
    operation's summary, its body `return hub.mock("<operationId>")`."""
    name = operation.function
    params = ", ".join(parameters(operation))
    head = f"async def {name}({params}) -> object:"
    if len(head) > LINE:
        head = f"async def {name}(\n" + "".join(f"    {p},\n" for p in parameters(operation)) + ") -> object:"
    summary = operation.summary.replace("\\", "\\\\").replace('"', '\\"')
    return f'{head}\n    """{summary}"""\n    return hub.mock({json.dumps(operation.operation_id)})\n'


def _kind(schema: Any, default: str) -> str:
    """The Python type of a value of `schema`: of its one type, or of 3.1's list of them (`T | None`
    where null is one of two), else `object`."""
    kind = schema.get("type", default) if isinstance(schema, dict) else default
    if not isinstance(kind, list):
        return _TYPES.get(str(kind), "object")
    others = [k for k in kind if k != "null"]
    named = _TYPES.get(str(others[0]), "object") if len(others) == 1 else "object"
    return f"{named} | None" if "null" in kind and named != "object" else named


def _optional(kind: str) -> str:
    return kind if kind.endswith("| None") else f"{kind} | None"


def parameters(operation: Operation) -> list[str]:
    """What Connexion passes, as `name: type` (required first, then `name: type = default`)."""
    definition = operation.definition
    required = ["hub: Hub"]
    optional = []
    if definition.get("security"):
        required.append("token_info: dict[str, str]")
    for param in definition.get("parameters", []):
        if param["in"] not in ("path", "query"):
            continue  # Connexion validates headers and cookies but passes them to no handler
        kind = _kind(param.get("schema", {}), "string")
        name = pythonic(param["name"])
        if param["in"] == "path" or param.get("required"):
            required.append(f"{name}: {kind}")
        else:
            optional.append(f"{name}: {_optional(kind)} = {_default(param.get('schema', {}))}")
    body = definition.get("requestBody")
    if body:
        content = body.get("content", {})
        media_type = next(iter(content), "application/json")
        schema = content.get(media_type, {}).get("schema", {})
        kind = _kind(schema, "object")
        body_name = pythonic(body.get("x-body-name", "body"))
        if body.get("required"):
            required.append(f"{body_name}: {kind}")
        else:
            optional.append(f"{body_name}: {_optional(kind)} = None")
        if "form" in media_type:  # each file part comes as an argument of its own
            files = [k for k, v in schema.get("properties", {}).items() if v.get("format") in ("binary", "base64")]
            optional.extend(f"{field}: object = None" for field in files)
    return required + optional


def _default(schema: dict[str, Any]) -> str:
    return repr(schema["default"]) if "default" in schema else "None"


def _new_module(operation: Operation) -> str:
    if operation.tag is None:
        return '"""Handlers of the operations that have no tag."""\n'
    return f'"""Handlers of the operations tagged {operation.tag!r}."""\n'


def _with_hub_import(source: str) -> str:
    """The module with `Hub` imported, the import placed where ruff's isort puts it."""
    tree = ast.parse(source)
    if any(isinstance(n, ast.ImportFrom) and any((a.asname or a.name) == "Hub" for a in n.names) for n in tree.body):
        return source
    lines = source.splitlines()
    imports = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    ours = [n for n in imports if isinstance(n, ast.ImportFrom) and (n.module or "").split(".")[0] in ("kataven_hub", PACKAGE)]
    after = [n for n in ours if (n.module or "") > "kataven_hub.hub"]
    if after:  # first party, in module order
        at = after[0].lineno - 1
        lines[at:at] = [HUB_IMPORT]
    elif ours:
        at = ours[-1].end_lineno or ours[-1].lineno
        lines[at:at] = [HUB_IMPORT]
    elif imports:  # a block of its own after the others
        at = imports[-1].end_lineno or imports[-1].lineno
        lines[at:at] = ["", HUB_IMPORT]
    else:  # after the module docstring
        docstring = tree.body[0] if tree.body and isinstance(tree.body[0], ast.Expr) else None
        at = (docstring.end_lineno or 0) if docstring else 0
        lines[at:at] = (["", HUB_IMPORT] if docstring else [HUB_IMPORT])
    return "\n".join(lines) + "\n"

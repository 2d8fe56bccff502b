"""Which code serves each operation: a handler function of the `handlers` package (found by the
snake_case of its operationId, in any of the package's modules), a scaffolded stub, or the mock."""

from __future__ import annotations

import ast
import dataclasses
import functools
import importlib
import inspect
import logging
import pkgutil
import textwrap
from collections.abc import Callable
from types import ModuleType
from typing import Any

from connexion.resolver import Resolution, Resolver
from starlette.responses import Response

from kataven_hub.errors import Unserved
from kataven_hub.openapi import Operation
from kataven_hub.openapi.document import python_name

PACKAGE = "handlers"
JSON = {"Content-Type": "application/json"}
MOCK, STUB = "mock", "stub"
UNTAGGED = "default"
"""The handler module of the operations that have no tag."""
STUB_METHOD = "mock"
"""The `Hub` method a stub calls: its whole body is `return hub.mock("<operationId>")`."""
log = logging.getLogger(__name__)


def handler_modules() -> list[ModuleType]:
    """Every module of the handlers package: a module written into it is found with no registry."""
    package = importlib.import_module(PACKAGE)
    importlib.invalidate_caches()
    names = sorted(info.name for info in pkgutil.iter_modules(package.__path__))
    return [importlib.import_module(f"{PACKAGE}.{name}") for name in names]


def module_name(tag: str | None) -> str:
    """The handler module of an operation's first tag: `Call Limits` -> `call_limits`."""
    name = python_name(tag) if tag else ""
    return name or UNTAGGED


def handler_functions(module: ModuleType) -> dict[str, Callable[..., Any]]:
    """The public coroutine functions a module defines (what an operation can be served by)."""
    return {
        name: fn
        for name, fn in inspect.getmembers(module, inspect.iscoroutinefunction)
        if fn.__module__ == module.__name__ and not name.startswith("_")
    }


def handlers(modules: list[ModuleType]) -> dict[str, Callable[..., Any]]:
    """The public coroutine functions of the modules by name, the first module's where two have one."""
    found: dict[str, Callable[..., Any]] = {}
    for module in reversed(modules):
        found.update(handler_functions(module))
    return found


@functools.cache
def is_stub(function: Callable[..., Any]) -> bool:
    """Whether the function is still what `hub scaffold` wrote: a docstring, then only
    `return hub.mock(...)`. Answered once per function object: reading and parsing its source is
    most of building an app's routes, which a test run does hundreds of times."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    definition = tree.body[0]
    assert isinstance(definition, ast.AsyncFunctionDef | ast.FunctionDef)
    body = definition.body[1:] if ast.get_docstring(definition) is not None else definition.body
    if len(body) != 1 or not isinstance(body[0], ast.Return):
        return False
    call = body[0].value
    return (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == STUB_METHOD
        and isinstance(call.func.value, ast.Name)
        and call.func.value.id == "hub"
    )


@dataclasses.dataclass(frozen=True)
class Route:
    operation: Operation
    served_by: str
    """`module:function`, or `stub`, or `mock`."""
    handler: str | None
    """`module:function` of the handler or the stub; None for the mock."""


def routes(operations: list[Operation]) -> list[Route]:
    functions = handlers(handler_modules())
    found = []
    for operation in operations:
        function = functions.get(operation.function)
        handler = None if function is None else f"{function.__module__}:{function.__name__}"
        if function is None:
            served_by = MOCK
        elif is_stub(function):
            served_by = STUB
        else:
            served_by = f"{function.__module__}:{function.__name__}"
        found.append(Route(operation, served_by, handler))
    return found


def problems(operations: list[Operation]) -> list[str]:
    """What `hub routes --check` refuses: operations served by the mock or a stub, and handler
    functions no operation is served by."""
    found = []
    for route in routes(operations):
        where = f"{route.operation.label} ({route.operation.operation_id})"
        if route.served_by == MOCK:
            found.append(f"mock: {where} has no handler yet: `hub scaffold` writes a stub")
        elif route.served_by == STUB:
            found.append(f"stub: {where} is still the scaffolded stub {route.handler}: implement it")
    return found + [f"dead: {name} is served by no operation" for name in unserved(operations)]


def unserved(operations: list[Operation]) -> list[str]:
    """`module:function` of every handler function no operation is served by (dead code)."""
    wanted = {op.function for op in operations}
    return [
        f"{module.__name__}:{name}"
        for module in handler_modules()
        for name in handler_functions(module)
        if name not in wanted
    ]


def _answers_json(function: Callable[..., Any]) -> Callable[..., Any]:
    """The handler, its body answers marked JSON. Connexion picks a body's content type among all
    those an operation documents, and the request-rate 429 adds `text/plain` to every operation:
    a dict, a list or a (body, status[, headers]) tuple is JSON here, a tuple without a body an
    empty answer; a Response passes as it is."""

    @functools.wraps(function)  # Connexion reads the signature through __wrapped__
    async def handler(**arguments: Any) -> Any:
        answer = await function(**arguments)
        if isinstance(answer, dict | list):
            return answer, 200, JSON
        if isinstance(answer, tuple):
            body, status, *headers = answer
            if body is None:  # no body (a 204): nothing to choose
                return Response(status_code=status, headers=headers[0] if headers else None)
            return body, status, {**(headers[0] if headers else {}), **JSON}
        return answer

    return handler


def _refusing(reason: str) -> Callable[..., Any]:
    async def unserved(**_path: Any) -> Any:
        raise Unserved(reason)

    unserved.__signature__ = inspect.Signature()  # type: ignore[attr-defined]  # no query arguments to read, and none logged as undefined
    return unserved


class HubResolver(Resolver):
    """Our handler for every operation that has one; for the others, `mock` (the mocker's answer
    to an operationId: `mock.mocker`). Operations are found by operationId (every operation has one
    once loaded: `openapi.document`). An operation in `unserved` (operationId: why) raises
    Unserved, a 501."""

    def __init__(self, mock: Callable[[str], Response], operations: list[Operation],
                 unserved: dict[str, str] | None = None) -> None:  # fmt: skip
        super().__init__()
        self.mock = mock
        self.unserved = unserved or {}
        self.handlers = handlers(handler_modules())
        self.functions = {op.operation_id: op.function for op in operations}

    def resolve_operation_id(self, operation: Any) -> str:
        """The document's own operationId: an `x-openapi-router-controller` beside it names a
        module of the server the document was written for (Airflow's), not one of ours."""
        return str(operation.operation_id)

    def resolve(self, operation: Any) -> Resolution:
        operation_id = self.resolve_operation_id(operation)
        if operation_id in self.unserved:
            return Resolution(_refusing(self.unserved[operation_id]), operation_id)
        function = self.handlers.get(self.functions[operation_id])
        return Resolution(_answers_json(function) if function else self._mock(operation_id), operation_id)

    def _mock(self, operation_id: str) -> Callable[..., Any]:
        async def mock(**_arguments: Any) -> Any:
            return self.mock(operation_id)

        mock.__name__ = f"mock_{self.functions[operation_id]}"
        return mock

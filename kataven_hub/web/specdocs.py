"""The document itself (`/openapi.json`, `/openapi.yaml`) and Swagger UI (`/ui/`, or
`/docs/` where the document has paths of its own under `/ui`): Connexion's middleware,
except that the main document is served as written (Connexion would serve the view
`openapi.served` made for it), and a document with a recursive schema, or a 3.1 one, is served
with its `$ref`s kept (Connexion serves the resolved document, which is circular there, and
answers 500; it resolves a 3.1 `$ref` by overwriting the keywords beside it)."""

from __future__ import annotations

import copy
import json
from typing import Any

from connexion.middleware.swagger_ui import SwaggerUIAPI, SwaggerUIMiddleware
from connexion.spec import OpenAPISpecification, Specification
from starlette.types import ASGIApp

from kataven_hub.openapi.oas31 import later
from kataven_hub.openapi.pointers import path_refs_inlined, values_inlined
from kataven_hub.web import MOUNT

UI_PATHS = ("/ui", "/docs", "/_ui")
"""Where Swagger UI is served: the first of these no path of the document is under."""


def ui_path(document: dict[str, Any]) -> str:
    """Where Swagger UI is served for `document` (its paths keep theirs)."""
    paths = [str(path) for path in document.get("paths") or {}]
    return next(ui for ui in UI_PATHS if not any(path == ui or path.startswith(f"{ui}/") for path in paths))


class _AsWritten(OpenAPISpecification):
    """A document as written, not checked again: it was at loading (or served `--lenient`)."""

    def __init__(self, raw_spec: dict[str, Any], *, base_uri: str = "") -> None:
        super().__init__(values_inlined(path_refs_inlined(raw_spec)), base_uri=base_uri)  # Connexion cannot resolve a `$ref` to a list, or `%7B`
        self._raw_spec = copy.deepcopy(raw_spec)

    @classmethod
    def _validate_spec(cls, spec: dict[str, Any]) -> None:
        pass


class _Documents(SwaggerUIAPI):
    def __init__(self, specification: Specification, *args: Any, **kwargs: Any) -> None:
        super().__init__(specification, *args, **kwargs)
        self._served: dict[str, dict[str, Any]] = {}
        try:
            json.dumps(specification.spec, default=str)
            self._resolved = not later(specification.raw)
        except ValueError:  # a circular structure: a recursive schema, resolved
            self._resolved = False

    def _base_path_for_prefix(self, request: Any) -> str:
        """Connexion's, under the prefix the document is mounted at (`web.mounts`)."""
        return str(request.scope.get(MOUNT, "")) + str(super()._base_path_for_prefix(request))

    def _spec_for_prefix(self, request: Any) -> dict[str, Any]:
        """The document for the base path the request came under, made once per base path (a copy
        with every `$ref` resolved costs half a second on a large document)."""
        base_path = self._base_path_for_prefix(request)
        if base_path not in self._served:
            specification = self.specification.with_base_path(base_path)
            self._served[base_path] = specification.spec if self._resolved else specification.raw
        return self._served[base_path]


class SpecDocuments(SwaggerUIMiddleware):
    def __init__(self, app: ASGIApp, original: dict[str, Any] | None = None) -> None:
        super().__init__(app)
        self.original = original
        """The main document as written (served at the root base path), where Connexion is given a view."""

    def add_api(self, specification: Specification, base_path: str | None = None, arguments: dict[str, Any] | None = None,
                **kwargs: Any) -> None:  # fmt: skip
        if self.original is not None and not base_path:
            specification = _AsWritten(copy.deepcopy(self.original))
        api = _Documents(specification, base_path=base_path, arguments=arguments, default=self.default_fn, **kwargs)
        self.router.mount(api.base_path, app=api.router)

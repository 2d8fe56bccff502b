"""The document itself (`/openapi.json`, `/openapi.yaml`) and Swagger UI (`/ui/`, or
`/docs/` where the document has paths of its own under `/ui`): Connexion's middleware, except
that every document is served as written, its `$ref`s kept (Connexion serves a copy with each one
resolved: made anew per request base path, it costs seconds on a large document before the first
answer, it is circular where a schema is recursive, and it overwrites the keywords beside a 3.1
`$ref`); the main document is the one written, not the view `openapi.served` made for Connexion."""

from __future__ import annotations

from typing import Any

from connexion.middleware.swagger_ui import SwaggerUIAPI, SwaggerUIMiddleware
from connexion.spec import OpenAPISpecification, Specification, canonical_base_path
from starlette.types import ASGIApp

from kataven_hub.web import MOUNT

UI_PATHS = ("/ui", "/docs", "/_ui")
"""Where Swagger UI is served: the first of these no path of the document is under."""


def ui_path(document: dict[str, Any]) -> str:
    """Where Swagger UI is served for `document` (its paths keep theirs)."""
    paths = [str(path) for path in document.get("paths") or {}]
    return next(ui for ui in UI_PATHS if not any(path == ui or path.startswith(f"{ui}/") for path in paths))


class _AsWritten(OpenAPISpecification):
    """A document as written, neither checked again (it was at loading, or served `--lenient`) nor
    resolved: this middleware serves it as it is."""

    def __init__(self, raw_spec: dict[str, Any], *, base_uri: str = "") -> None:
        self._raw_spec = dict(raw_spec)  # the base path setter replaces `servers`: in this copy only
        self._spec = self._raw_spec
        self._base_uri = ""


class _Documents(SwaggerUIAPI):
    def __init__(self, specification: Specification, *args: Any, **kwargs: Any) -> None:
        super().__init__(specification, *args, **kwargs)
        self._served: dict[str, dict[str, Any]] = {}

    def _base_path_for_prefix(self, request: Any) -> str:
        """Connexion's, under the prefix the document is mounted at (`web.mounts`)."""
        return str(request.scope.get(MOUNT, "")) + str(super()._base_path_for_prefix(request))

    def _spec_for_prefix(self, request: Any) -> dict[str, Any]:
        """The document as written, its `servers` the base path the request came under (as Connexion
        says it), made once per base path."""
        base_path = self._base_path_for_prefix(request)
        if base_path not in self._served:
            self._served[base_path] = {**self.specification.raw, "servers": [{"url": canonical_base_path(base_path)}]}
        return self._served[base_path]


class SpecDocuments(SwaggerUIMiddleware):
    def __init__(self, app: ASGIApp, original: dict[str, Any] | None = None) -> None:
        super().__init__(app)
        self.original = original
        """The main document as written (served at the root base path), where Connexion is given a view."""

    def add_api(self, specification: Specification, base_path: str | None = None, arguments: dict[str, Any] | None = None,
                **kwargs: Any) -> None:  # fmt: skip
        if self.original is not None and not base_path:
            specification = _AsWritten(self.original)
        api = _Documents(specification, base_path=base_path, arguments=arguments, default=self.default_fn, **kwargs)
        self.router.mount(api.base_path, app=api.router)

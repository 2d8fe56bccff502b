"""The document itself (`/openapi.json`, `/openapi.yaml`) and Swagger UI (`/ui/`): Connexion's
middleware, except that a document with a recursive schema is served with its `$ref`s kept
(Connexion serves the resolved document, which is circular there, and answers 500)."""

from __future__ import annotations

import json
from typing import Any

from connexion.middleware.swagger_ui import SwaggerUIAPI, SwaggerUIMiddleware
from connexion.spec import Specification


class _Documents(SwaggerUIAPI):
    def __init__(self, specification: Specification, *args: Any, **kwargs: Any) -> None:
        super().__init__(specification, *args, **kwargs)
        try:
            json.dumps(specification.spec, default=str)
            self._resolved = True
        except ValueError:  # a circular structure: a recursive schema, resolved
            self._resolved = False

    def _spec_for_prefix(self, request: Any) -> dict[str, Any]:
        specification = self.specification.with_base_path(self._base_path_for_prefix(request))
        return specification.spec if self._resolved else specification.raw


class SpecDocuments(SwaggerUIMiddleware):
    def add_api(self, specification: Specification, base_path: str | None = None, arguments: dict[str, Any] | None = None,
                **kwargs: Any) -> None:  # fmt: skip
        api = _Documents(specification, base_path=base_path, arguments=arguments, default=self.default_fn, **kwargs)
        self.router.mount(api.base_path, app=api.router)

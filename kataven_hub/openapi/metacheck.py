"""openapi-spec-validator's check of a document, with the schemas it has seen kept in sets, and
its check of each schema against the meta-schema of the schema's dialect (Draft 4's in 3.0) made
by jsonschema-rs first: a schema jsonschema-rs finds valid is passed at once; one it refuses, or
one with a `pattern` Python's `re` does not compile (jsonschema-rs reads ECMA 262's, which may not
be Python's), is checked by openapi-spec-validator's own Python check, which says why in its
words. The verdicts are the library's; that check was most of a cold start (3 s of airflow's 4 on
a 3.1 document, 20 s of GitHub's 27)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

import jsonschema_rs
from openapi_spec_validator import validate as library_validate
from openapi_spec_validator.validation import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator, OpenAPIV32SpecValidator
from referencing.exceptions import Unresolvable

from kataven_hub.errors import ConfigurationError
from kataven_hub.openapi.loader import one_line

CHECKER_FAILURES = (Unresolvable, ValueError, TypeError, KeyError, RecursionError)
"""What openapi-spec-validator raises where it cannot check a document at all (`cannot_check`)."""


def _faster(spec_validator: type[Any]) -> type[Any]:
    """The library's validator of a version, its check of each schema by its dialect's meta-schema
    made by jsonschema-rs first."""
    library = spec_validator.keyword_validators["schema"]

    class SchemaValidator(library):  # type: ignore[valid-type,misc]
        def __init__(self, registry: Any) -> None:
            super().__init__(registry)
            self.visited_schema_ids, self.meta_checked_schema_ids = _Ids(), _Ids()  # lists in the library: O(n) a look-up

        def _get_schema_checker(self, schema: Any, schema_value: Any) -> Callable[[Any], None]:
            checker = super()._get_schema_checker(schema, schema_value)
            dialects = getattr(self, "_get_schema_dialect_id", None)
            dialect = dialects(schema, schema_value) if dialects else self.schema_validator_cls.META_SCHEMA["id"]
            fast = _meta_validator(str(dialect).rstrip("#"))

            def check(value: Any) -> None:
                if fast is None or _patterned(value) or not fast.is_valid(value):
                    checker(value)

            return check

    return type(spec_validator.__name__, (spec_validator,),
                {"keyword_validators": {**spec_validator.keyword_validators, "schema": SchemaValidator}})  # fmt: skip


class _Ids(set[int]):
    """The schemas seen, by id, as the library records them (`append`), looked up in constant time:
    the library's lists made its walk of GitHub's document quadratic (20 of its 27 s)."""

    def append(self, value: int) -> None:
        self.add(value)


_VALIDATORS = {"3.0.": _faster(OpenAPIV30SpecValidator), "3.1.": _faster(OpenAPIV31SpecValidator),
               "3.2.": _faster(OpenAPIV32SpecValidator)}  # fmt: skip


def errors(document: dict[str, Any]) -> Any:
    """Every error openapi-spec-validator finds checking the document by its version (`--lenient` lists them)."""
    return _validator(document)(document).iter_errors()


def validate(document: dict[str, Any]) -> None:
    """openapi-spec-validator's `validate`: OpenAPIValidationError where the document is invalid."""
    library_validate(document, cls=_validator(document))


def _validator(document: dict[str, Any]) -> Any:
    """The validator of the document's version (3.0's where it names none served)."""
    version = str(document.get("openapi", ""))
    return next((cls for prefix, cls in _VALIDATORS.items() if version.startswith(prefix)), _VALIDATORS["3.0."])


def cannot_check(err: BaseException) -> ConfigurationError:
    """One of CHECKER_FAILURES, in one line: the checker itself failed (a `$ref` it cannot resolve...)."""
    return ConfigurationError(f"openapi-spec-validator cannot check it: {type(err).__name__}: {one_line(str(err))}")


def _patterned(value: Any) -> bool:
    """Whether a schema has a `pattern` (or a `patternProperties` name), itself or anywhere inside,
    that Python's `re` does not compile."""
    if isinstance(value, dict):
        patterns = [value.get("pattern")] + list(value.get("patternProperties") or {})
        return any(not _compiles(p) for p in patterns if p is not None) or any(_patterned(v) for v in value.values())
    return isinstance(value, list) and any(_patterned(v) for v in value)


def _compiles(pattern: Any) -> bool:
    try:
        re.compile(pattern)
    except (re.error, TypeError):
        return False
    return True


@functools.cache
def _meta_validator(dialect: str) -> Any:
    """jsonschema-rs's validator of a dialect's meta-schema (formats checked), from the meta-schemas
    openapi-schema-validator ships; None for a dialect it does not hold."""
    from openapi_schema_validator._specifications import REGISTRY

    if dialect not in REGISTRY:
        return None
    resources = [(uri, REGISTRY.contents(uri)) for uri in REGISTRY]
    return jsonschema_rs.validator_for(REGISTRY.contents(dialect), registry=jsonschema_rs.Registry(resources),
                                       validate_formats=True)  # fmt: skip

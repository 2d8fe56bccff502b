"""Numbers drawn within a schema's range, for the mock's generator: `minimum`/`maximum` with
OpenAPI 3.0's boolean `exclusiveMinimum`/`exclusiveMaximum` beside them or JSON Schema 2020-12's
numeric ones, `multipleOf`, and the integer formats `int32`/`int64`."""

from __future__ import annotations

import math
import random
from typing import Any

_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def integer(rng: random.Random, schema: dict[str, Any]) -> int:
    """An integer within the schema's range and `multipleOf` (the lowest bound where none is)."""
    low, high = _INT_RANGES.get(schema.get("format", ""), (-(2**63), 2**63 - 1))
    low, high = bounds(schema, low, high, step=1)
    step = schema.get("multipleOf", 1)
    first, last = math.ceil(low / step), math.floor(high / step)
    if last < first:  # no value: the caller's validation says so
        return int(low)
    if step != 1:
        return int(step * rng.randint(first, min(last, first + 100)))
    start = max(low, min(high, 1))
    return rng.randint(start, min(high, start + 1000))


def number(rng: random.Random, schema: dict[str, Any]) -> float | int:
    """A number within the schema's range and `multipleOf`."""
    low, high = bounds(schema, -1e9, 1e9, step=1e-6)
    step = schema.get("multipleOf")
    if step:
        first, last = math.ceil(low / step), math.floor(high / step)
        return float(step * rng.randint(first, max(first, min(last, first + 100))))
    start = max(low, min(high, 0.0))
    if high - start <= 0.01:
        return start
    value = round(rng.uniform(start, min(high, start + 1000.0)), 2)
    return min(max(value, start), high)  # rounding must not step outside the range


def bounds(schema: dict[str, Any], low: float, high: float, *, step: float) -> tuple[Any, Any]:
    """The lowest and highest value the schema allows (`step` 1 for integers): OpenAPI 3.0's
    booleans beside `minimum`/`maximum`, or 2020-12's `exclusiveMinimum`/`exclusiveMaximum` as bounds."""
    if "minimum" in schema:
        low = schema["minimum"] + (step if schema.get("exclusiveMinimum") is True else 0)
    if _numeric(schema.get("exclusiveMinimum")):
        above = _above(schema["exclusiveMinimum"], step)
        low = max(low, above) if "minimum" in schema else above
    if "maximum" in schema:
        high = schema["maximum"] - (step if schema.get("exclusiveMaximum") is True else 0)
    if _numeric(schema.get("exclusiveMaximum")):
        below = -_above(-schema["exclusiveMaximum"], step)
        high = min(high, below) if "maximum" in schema else below
    if step == 1:
        return math.ceil(low), math.floor(high)
    return low, high


def _numeric(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _above(bound: float, step: float) -> float:
    """The least value above `bound` the generator draws: the next integer, or `step` above."""
    if step == 1:
        return math.floor(bound) + 1
    return max(bound + step, math.nextafter(bound, math.inf))

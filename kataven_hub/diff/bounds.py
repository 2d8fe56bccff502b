"""What got tighter and what got looser between two versions of one schema (in `diff.canonical`'s
form): ranges (inclusive or exclusive), lengths, counts, pattern, multipleOf, unknown fields or
items refused, `prefixItems` positions and `dependentRequired` fields."""

from __future__ import annotations

from typing import Any

_LOW = ("minLength", "minItems", "minProperties")
_HIGH = ("maxLength", "maxItems", "maxProperties")
_LENGTHS = (*_LOW, *_HIGH)
_EDGES = (("minimum", "exclusiveMinimum", 1), ("maximum", "exclusiveMaximum", -1))


def bounds(b: dict[str, Any], r: dict[str, Any]) -> tuple[list[str], list[str]]:
    """What got tighter and what got looser between two schemas' ranges, lengths and the like."""
    tighter: list[str] = []
    looser: list[str] = []
    for word in _LENGTHS:
        old, new = b.get(word), r.get(word)
        if old == new:
            continue
        higher = (
            old is None or (new is not None and new > old)
            if word in _LOW
            else new is not None and (old is None or new < old)
        )
        (tighter if higher else looser).append(f"{word} {old} -> {new}")
    for inclusive, exclusive, sign in _EDGES:
        if inclusive not in b and exclusive not in b and inclusive not in r and exclusive not in r:
            continue
        old, new = _edge(b, inclusive, exclusive, sign), _edge(r, inclusive, exclusive, sign)
        if old != new:
            narrower = new is not None and (old is None or (new > old if sign > 0 else new < old))
            (tighter if narrower else looser).append(f"{_edge_named(old, inclusive, exclusive)} -> "
                                                     f"{_edge_named(new, inclusive, exclusive)}")  # fmt: skip
    for word in ("uniqueItems", "pattern", "multipleOf"):
        old, new = b.get(word), r.get(word)
        if old != new:
            (tighter if new not in (None, False) else looser).append(f"{word} {old} -> {new}")
    for word in ("additionalProperties", "items"):
        if b.get(word) is not False and r.get(word) is False:
            tighter.append(f"{word} now false")
        elif b.get(word) is False and r.get(word) is not False:
            looser.append(f"{word} no longer false")
    if "prefixItems" in b or "prefixItems" in r or "dependentRequired" in b or "dependentRequired" in r:
        return _shapes(b, r, tighter, looser)
    return tighter, looser


def _shapes(b: dict[str, Any], r: dict[str, Any], tighter: list[str], looser: list[str]) -> tuple[list[str], list[str]]:
    """`bounds` with JSON Schema 2020-12's `prefixItems` positions and `dependentRequired` fields."""
    old, new = len(b.get("prefixItems") or []), len(r.get("prefixItems") or [])
    if old != new:
        (tighter if new > old else looser).append(f"prefixItems {old} -> {new} positions")
    was, now = _dependencies(b), _dependencies(r)
    if now - was:
        tighter.append("dependentRequired " + ", ".join(f"{k} needs {v}" for k, v in sorted(now - was)))
    if was - now:
        looser.append("no longer dependentRequired " + ", ".join(f"{k} needs {v}" for k, v in sorted(was - now)))
    return tighter, looser


def _edge(schema: dict[str, Any], inclusive: str, exclusive: str, sign: int) -> tuple[Any, int] | None:
    """The tighter of a schema's inclusive and exclusive bound on one side, as (value, sign if exclusive)."""
    found = [(schema[inclusive], 0)] if inclusive in schema else []
    found += [(schema[exclusive], sign)] if exclusive in schema else []
    return (max(found) if sign > 0 else min(found)) if found else None


def _edge_named(edge: tuple[Any, int] | None, inclusive: str, exclusive: str) -> str:
    return f"{inclusive} None" if edge is None else f"{exclusive if edge[1] else inclusive} {edge[0]}"


def _dependencies(schema: dict[str, Any]) -> set[tuple[str, str]]:
    found = schema.get("dependentRequired")
    if not isinstance(found, dict):
        return set()
    return {(str(k), str(v)) for k, names in found.items() if isinstance(names, list) for v in names}

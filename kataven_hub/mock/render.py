"""A mock's body as the text of its media type: JSON, XML (by the schema's `xml` objects:
`name`, `attribute`, `wrapped`, as Stoplight Prism serializes), YAML; a string as it is; any
other value of any other type as JSON (never a Python repr)."""

from __future__ import annotations

import json
from typing import Any
from xml.etree import ElementTree

import yaml

ROOT = "root"
"""The root element of an XML body whose schema names none (`xml.name`)."""


def render(body: Any, media_type: str, schema: dict[str, Any] | None) -> str:
    kind = media_type.split(";")[0].strip().lower()
    if "json" in kind:
        return json.dumps(body)
    if isinstance(body, str):
        return body
    if kind.endswith("/xml") or kind.endswith("+xml"):
        return xml(body, schema or {})
    if "yaml" in kind:
        return yaml.safe_dump(body, sort_keys=False, allow_unicode=True)
    return json.dumps(body)


def xml(body: Any, schema: dict[str, Any]) -> str:
    """`body` as an XML document, its root named by the schema (`xml.name`) or `root`."""
    root = ElementTree.Element(_name(schema, ROOT))
    _fill(root, body, schema)
    return ElementTree.tostring(root, encoding="unicode", xml_declaration=True)


def _fill(element: ElementTree.Element, value: Any, schema: dict[str, Any]) -> None:
    items = _dict(schema.get("items"))
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        for key, item in value.items():
            field = _dict(properties.get(key))
            if _dict(field.get("xml")).get("attribute") and not isinstance(item, dict | list):
                element.set(_name(field, key), _text(item))
            else:
                _child(element, _name(field, key), item, field)
    elif isinstance(value, list):
        for item in value:
            _child(element, _name(items, "item"), item, items)
    elif value is not None:
        element.text = _text(value)


def _child(parent: ElementTree.Element, name: str, value: Any, schema: dict[str, Any]) -> None:
    """An array is its items, each an element (inside one named for it when `xml.wrapped`)."""
    if not isinstance(value, list):
        _fill(ElementTree.SubElement(parent, name), value, schema)
        return
    items = _dict(schema.get("items"))
    holder = ElementTree.SubElement(parent, name) if _dict(schema.get("xml")).get("wrapped") else parent
    for item in value:
        _fill(ElementTree.SubElement(holder, _name(items, name)), item, items)


def _dict(schema: Any) -> dict[str, Any]:
    return schema if isinstance(schema, dict) else {}


def _name(schema: dict[str, Any], default: str) -> str:
    name = _dict(schema.get("xml")).get("name")
    return str(name or default) if _valid(str(name or default)) else "item"


def _valid(name: str) -> bool:
    try:
        ElementTree.fromstring(f"<{name}/>")
    except ElementTree.ParseError:
        return False
    return True


def _text(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) or value is None else str(value)

"""The layer rule of ARCHITECTURE.md, checked against every import of the package (those inside
functions too), and each package's docstring naming each of its modules."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "kataven_hub"


def _layers() -> dict[str, int]:
    """Room -> layer, from the table of ARCHITECTURE.md."""
    rows = re.findall(r"^\| (\d+) \| ([^|]+) \|", (ROOT / "ARCHITECTURE.md").read_text(), flags=re.MULTILINE)
    return {room: int(layer) for layer, rooms in rows for room in re.findall(r"`(\w+)`", rooms)}


def _room(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "kataven_hub" and len(parts) > 1 else None


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def _room_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def test_every_room_is_in_the_table() -> None:
    rooms = {_room_of(path) for path in PACKAGE.rglob("*.py")} - {"__init__"}
    assert rooms == set(_layers())


def test_imports_point_down() -> None:
    layers = _layers()
    upward = []
    for path in PACKAGE.rglob("*.py"):
        here = _room_of(path)
        for module in _imports(path):
            there = _room(module)
            if there in layers and there != here and layers[there] >= layers.get(here, 99):
                upward.append(f"{path.relative_to(ROOT)} ({here}, {layers[here]}) imports {module} ({layers[there]})")
    assert upward == []


@pytest.mark.parametrize("package", sorted(p.parent for p in PACKAGE.rglob("__init__.py") if p.parent != PACKAGE),
                         ids=lambda p: str(p.relative_to(PACKAGE)))  # fmt: skip
def test_a_package_docstring_names_each_of_its_modules(package: Path) -> None:
    docstring = ast.get_docstring(ast.parse((package / "__init__.py").read_text())) or ""
    modules = [p.stem for p in package.glob("*.py") if p.stem != "__init__"]
    modules += [p.name for p in package.iterdir() if (p / "__init__.py").exists()]
    assert [name for name in sorted(modules) if f"`{name}`" not in docstring] == []

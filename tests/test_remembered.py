"""Mocks that remember: an operation served from the spec in a REST shape keeps what was created,
per account, across a restart, until `hub reset`; and a generated body is the same for the same
request and seed."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import yaml
from starlette.testclient import TestClient

from kataven_hub import openapi
from kataven_hub.app import create_app
from kataven_hub.campaigns import reset_account
from kataven_hub.mock.remember import roles
from kataven_hub.schemas.answers import answer_errors
from kataven_hub.storage import Stores
from tests.conftest import Hub, make_settings
from tests.helpers import SPECS, SUMMARY, with_paths

AGENT = {
    "type": "object", "required": ["name"],
    "properties": {"name": {"type": "string", "minLength": 1}, "voice": {"type": "string", "enum": ["warm", "crisp"]},
                   "languages": {"type": "array", "items": {"type": "string"}}},
}  # fmt: skip
STORED_AGENT = {"allOf": [AGENT, {
    "type": "object", "required": ["id", "created_at"],
    "properties": {"id": {"type": "string", "format": "uuid", "readOnly": True},
                   "created_at": {"type": "string", "format": "date-time", "readOnly": True}},
}]}  # fmt: skip
NOT_FOUND = {"404": {"$ref": "#/components/responses/NotFound"}}
AGENTS = {
    "/api/v1/agents": {
        "post": {"operationId": "createAgent", "tags": ["Agents"],
                 "requestBody": {"required": True, "content": {"application/json": {"schema": AGENT}}},
                 "responses": {"201": {"description": "Created.", "content": {"application/json": {"schema": STORED_AGENT}}}}},
        "get": {"operationId": "listAgents", "tags": ["Agents"],
                "parameters": [{"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                               {"name": "page_size", "in": "query", "schema": {"type": "integer", "minimum": 1}}],
                "responses": {"200": {"description": "Agents.", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["agents", "total"],
                    "properties": {"agents": {"type": "array", "items": STORED_AGENT}, "total": {"type": "integer"}},
                }}}}}},
    },
    "/api/v1/agents/{agentId}": {
        "parameters": [{"name": "agentId", "in": "path", "required": True, "schema": {"type": "string"}}],
        "get": {"operationId": "getAgent", "tags": ["Agents"], "responses": {
            "200": {"description": "The agent.", "content": {"application/json": {"schema": STORED_AGENT}}}, **NOT_FOUND}},
        "patch": {"operationId": "updateAgent", "tags": ["Agents"],
                  "requestBody": {"required": True, "content": {"application/json": {"schema": {
                      "type": "object", "properties": AGENT["properties"]}}}},
                  "responses": {"200": {"description": "Updated.", "content": {"application/json": {"schema": STORED_AGENT}}},
                                **NOT_FOUND}},
        "delete": {"operationId": "deleteAgent", "tags": ["Agents"], "responses": {"204": {"description": "Gone."},
                                                                                    **NOT_FOUND}},
    },
}  # fmt: skip


def _with_agents(tmp_path: Path) -> Path:
    return with_paths(tmp_path, AGENTS)


def _schema(document: Path, operation_id: str, status: str) -> dict[str, Any]:
    [operation] = [op for op in openapi.operations(openapi.load(document)) if op.operation_id == operation_id]
    return operation.definition["responses"][status]["content"]["application/json"]["schema"]  # type: ignore[no-any-return]


def test_an_agents_resource_is_remembered_per_account_and_every_answer_validates(tmp_path: Path) -> None:
    document = _with_agents(tmp_path)
    settings = make_settings(tmp_path / "data", spec=document)
    with create_app(settings).test_client() as client:
        hub = Hub(settings, client)
        acme, globex = ({"Authorization": f"Bearer {hub.key(name)}"} for name in ("acme", "globex"))
        created = client.post("/api/v1/agents", json={"name": "Ada", "voice": "warm"}, headers=acme)
        assert created.status_code == 201 and created.headers["x-hub-mock"] == "stored"
        agent = created.json()
        assert agent["name"] == "Ada" and agent["voice"] == "warm" and "languages" not in agent
        assert answer_errors(_schema(document, "createAgent", "201"), agent) is None
        path = f"/api/v1/agents/{agent['id']}"
        assert client.get(path, headers=acme).json() == agent
        second = client.post("/api/v1/agents", json={"name": "Alan"}, headers=acme).json()
        listed = client.get("/api/v1/agents", headers=acme).json()
        assert listed["agents"] == [agent, second] and listed["total"] == 2
        assert client.get("/api/v1/agents", params={"page": 2, "page_size": 1}, headers=acme).json()["agents"] == [second]
        assert answer_errors(_schema(document, "listAgents", "200"), listed) is None
        patched = client.patch(path, json={"voice": "crisp"}, headers=acme).json()
        assert patched == {**agent, "voice": "crisp"}
        assert client.get(path, headers=acme).json()["voice"] == "crisp"
        assert client.get(path, headers=globex).status_code == 404  # another account sees none of it
        assert client.get("/api/v1/agents", headers=globex).json()["agents"] == []
        assert client.delete(path, headers=acme).status_code == 204
        gone = client.get(path, headers=acme)
        assert gone.status_code == 404 and gone.json() == "Not found"
        assert client.get("/api/v1/agents", headers=acme).json()["agents"] == [second]
    with create_app(settings).test_client() as client:  # a restart keeps them
        assert client.get(f"/api/v1/agents/{second['id']}", headers=acme).json() == second
    with Stores(settings.data_dir) as stores, stores.account("acme") as database:
        reset_account(database)
    with create_app(settings).test_client() as client:  # hub reset clears them
        assert client.get(f"/api/v1/agents/{second['id']}", headers=acme).status_code == 404


def test_petstore_pets_are_remembered(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", spec=SPECS / "petstore-expanded.yaml", dev=True)
    with create_app(settings).test_client() as client:
        pet = client.post("/pets", json={"name": "Rex", "tag": "dog"}).json()
        assert pet == {"name": "Rex", "tag": "dog", "id": 1}
        assert client.get("/pets/1").json() == pet and client.get("/pets").json() == [pet]
        assert client.delete("/pets/1").status_code == 204
        assert client.get("/pets/1").status_code == 404 and client.get("/pets").json() == []


def test_a_mock_under_an_implemented_read_answers_its_404_or_its_fields(tmp_path: Path) -> None:
    document = with_paths(tmp_path, SUMMARY)
    settings = make_settings(tmp_path / "data", spec=document)
    with create_app(settings).test_client() as client:
        hub = Hub(settings, client)
        key = hub.key("acme")
        acme = {"Authorization": f"Bearer {key}"}
        campaign = hub.create(key).json()
        assert client.post(f"/api/v1/campaigns/{campaign['id']}/start", headers=acme).status_code == 200
        summary = client.get(f"/api/v1/campaigns/{campaign['id']}/summary", headers=acme)
        assert summary.status_code == 200 and summary.headers["x-hub-mock"] == "stored"
        body = summary.json()
        assert body["status"] == "running" and body["contacts_total"] == campaign["contacts_total"] == 2
        assert isinstance(body["name"], int) and 0 <= body["answer_rate"] <= 1  # the rest stays the mock's
        assert answer_errors(_schema(document, "getCampaignSummary", "200"), body) is None
        unknown = client.get("/api/v1/campaigns/7c1d1c1e-9a0b-4c1d-8e2f-3a4b5c6d7e8f/summary", headers=acme)
        assert unknown.status_code == 404 and unknown.json() == "Campaign not found"
        other = {"Authorization": f"Bearer {hub.key('globex')}"}  # the same credentials: another account's 404
        assert client.get(f"/api/v1/campaigns/{campaign['id']}/summary", headers=other).status_code == 404
        assert client.get(f"/api/v1/campaigns/{campaign['id']}/summary").status_code == 401


def _generated(tmp_path: Path, seed: int, path: str = "/numbers") -> list[bytes]:
    settings = make_settings(tmp_path / f"data-{seed}", spec=SPECS / "shapes.yaml", dev=True, mock_seed=seed)
    with TestClient(create_app(settings)) as client:
        return [client.get(path).content for _ in range(2)]


def test_the_same_request_answers_the_same_body_and_another_seed_another(tmp_path: Path) -> None:
    first, again = _generated(tmp_path, 0), _generated(tmp_path / "restart", 0)
    assert first[0] == first[1] == again[0]
    assert _generated(tmp_path, 7)[0] != first[0]


def _document(tmp_path: Path, paths: dict[str, Any]) -> Path:
    """A small document of its own (no security), with `paths`."""
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump({"openapi": "3.0.3", "info": {"title": "Small", "version": "1"}, "paths": paths}))
    return path


def _json(schema: dict[str, Any], description: str = "ok", **media: Any) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema, **media}}}


ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
NOTE = {"type": "object", "required": ["id", "text"], "properties": {"id": {"type": "integer"}, "text": {"type": "string"}}}
UNDOCUMENTED_404 = {
    "/notes": {"post": {"operationId": "createNote", "requestBody": {"content": {"application/json": {"schema": NOTE}}},
                        "responses": {"201": _json(NOTE)}}},
    "/notes/{id}": {"parameters": [ID],
                    "get": {"operationId": "getNote", "responses": {"200": _json(NOTE)}},
                    "delete": {"operationId": "deleteNote", "responses": {"204": {"description": "Gone."}}}},
    "/notes/{id}/flag": {"parameters": [ID], "get": {"operationId": "getNoteFlag", "responses": {
        "200": _json({"type": "object", "required": ["on"], "properties": {"on": {"type": "boolean"}}})}}},
    "/items": {"post": {"operationId": "createItem", "responses": {"201": _json(NOTE)}}},
    "/items/{id}/labels": {"parameters": [ID], "post": {"operationId": "addLabel", "requestBody": {
        "content": {"application/json": {"schema": {"type": "object"}}}}, "responses": {"204": {"description": "Added."}}}},
    "/items/{id}/labels/{label}": {"parameters": [ID, {"name": "label", "in": "path", "required": True,
                                                       "schema": {"type": "string"}}],
                                   "delete": {"operationId": "removeLabel", "responses": {"204": {"description": "Gone."}}}},
    "/items/{id}": {"parameters": [ID], "get": {"operationId": "getItem", "responses": {
        "200": _json(NOTE), "404": _json({"type": "string"})}}},
    "/items/{id}/flag": {"parameters": [ID], "get": {"operationId": "getItemFlag", "responses": {
        "200": _json({"type": "object", "required": ["on"], "properties": {"on": {"type": "boolean"}}})}}},
    "/items/{id}/tags": {"parameters": [ID], "get": {"operationId": "getItemTags", "responses": {
        "200": _json({"type": "array", "items": {"type": "string"}}), "4XX": _json({"type": "string"})}}},
    "/items/{id}/meta": {"parameters": [ID], "get": {"operationId": "getItemMeta", "responses": {
        "200": _json({"type": "object"}), "404": _json({"type": "object", "required": ["errorMessages"], "properties": {
            "errorMessages": {"type": "array", "items": {"type": "string"}}}})}}},
}  # fmt: skip


def test_an_unknown_item_is_answered_as_the_plain_mock_where_404_is_not_documented(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", spec=_document(tmp_path, UNDOCUMENTED_404), dev=True)
    with create_app(settings).test_client() as client:  # responses validated
        read = client.get("/notes/41")
        assert read.status_code == 200 and read.headers["x-hub-mock"] == "generated", read.text
        assert answer_errors(NOTE, read.json()) is None
        assert client.delete("/notes/41").status_code == 204
        flag = client.get("/notes/41/flag")  # below a read that answers the plain mock
        assert flag.status_code == 200 and isinstance(flag.json()["on"], bool)
        assert client.get("/items/41").status_code == 404  # documented: kept
        flag = client.get("/items/41/flag")  # the parent's 404, which the flag does not document
        assert flag.status_code == 200 and flag.headers["x-hub-mock"] == "generated", flag.text
        tags = client.get("/items/41/tags")  # documented by its 4XX: the parent's answer, which validates
        assert tags.status_code == 404 and tags.json() == "Not found", tags.text
        added = client.post("/items/41/labels", json={"name": "red"})  # a create that answers no body: none
        assert added.status_code == 204 and added.content == b"", added.text
        meta = client.get("/items/41/meta")  # its own 404 shape, not the parent's string
        assert meta.status_code == 404 and isinstance(meta.json()["errorMessages"], list), meta.text
        created = client.post("/notes", json={"id": 0, "text": "kept"}).json()
        assert client.get(f"/notes/{created['id']}").json() == created


CERT = {"type": "object", "required": ["id", "name"], "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}
CROWDED = {"type": "object", "required": ["id"], "minProperties": 3, "properties": {"id": {"type": "integer"}}}
UNREMEMBERED = {
    "/certs": {"post": {"operationId": "createCert",
                        "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                        "responses": {"201": _json({"type": "object", "required": ["certificate"],
                                                     "properties": {"certificate": CERT}})}}},
    "/certs/{id}": {"parameters": [ID], "get": {"operationId": "getCert", "responses": {
        "200": _json({"type": "object", "required": ["certificate"], "properties": {"certificate": CERT}}),
        "404": _json({"type": "string"})}}},
    "/crowds": {"post": {"operationId": "createCrowd",
                         "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                         "responses": {"201": _json(CROWDED, example={"id": 7, "a": 1, "b": 2})}}},
    "/crowds/{id}": {"parameters": [ID], "get": {"operationId": "getCrowd", "responses": {
        "200": _json(CROWDED, example={"id": 7, "a": 1, "b": 2}), "404": _json({"type": "string"})}}},
}  # fmt: skip


def test_a_create_that_answers_a_wrapper_is_not_remembered(tmp_path: Path) -> None:
    found = roles(openapi.operations(openapi.load(_document(tmp_path, UNREMEMBERED))))
    assert "createCert" not in found and "getCert" not in found and found["createCrowd"].kind == "create"


def test_a_remembered_answer_that_cannot_validate_is_the_plain_mock_named_once_in_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tmp_path / "data", spec=_document(tmp_path, UNREMEMBERED), dev=True)
    with caplog.at_level(logging.WARNING), create_app(settings).test_client() as client:
        for _ in range(2):
            created = client.post("/crowds", json={"name": "golf"})
            assert created.status_code == 201 and created.json() == {"id": 7, "a": 1, "b": 2}, created.text
            assert created.headers["x-hub-mock"] == "example"
        assert client.get("/crowds/1").status_code == 404  # nothing was stored
    lines = [r.getMessage() for r in caplog.records if "createCrowd" in r.getMessage()]
    assert len(lines) == 1 and len(lines[0]) < 600 and "plain mock" in lines[0], lines

"""What a document sends rather than serves (`openapi.sent`): its webhooks and callbacks, listed by
`hub routes` after the operations served; a 3.1 document of webhooks alone starts and serves nothing
but the documents and the control surface."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kataven_hub import cli, openapi
from kataven_hub.app import create_app
from kataven_hub.openapi.sent import Sent, callbacks, webhooks
from tests.conftest import make_settings
from tests.helpers import SPECS

SENDING = SPECS / "webhooks-3.1.yaml"
WEBHOOKS_ONLY = SPECS / "no-paths" / "webhooks-only.yaml"


def test_webhooks_and_callbacks_are_found_with_their_method_target_operation_and_body() -> None:
    document = openapi.load(SENDING)
    assert webhooks(document) == [Sent("newPet", "post", "newPet", "newPetWebhook", "Event")]
    assert callbacks(document) == [
        Sent("onEvent", "post", "{$request.body#/callbackUrl}", "sendEvent", "Event", sent_by="createSubscription")
    ]


def test_references_are_followed_and_a_missing_operation_id_is_a_dash(tmp_path: Path) -> None:
    document: dict[str, Any] = yaml.safe_load(SENDING.read_text())
    hook = document["webhooks"].pop("newPet")
    del hook["post"]["operationId"]
    hook["post"]["requestBody"]["content"]["application/json"]["schema"] = {"type": "object"}
    document["components"]["pathItems"] = {"Hook": hook}
    document["webhooks"]["refHook"] = {"$ref": "#/components/pathItems/Hook"}
    post = document["paths"]["/subscriptions"]["post"]
    document["components"]["callbacks"] = {"Events": post["callbacks"].pop("onEvent")}
    post["callbacks"]["onEvent"] = {"$ref": "#/components/callbacks/Events"}
    document["paths"]["/subscriptions"]["get"]["callbacks"] = {"bodiless": {"https://example.com/{$method}": {
        "get": {"operationId": "ping", "responses": {"200": {"description": "OK"}}}}}}  # fmt: skip
    path = tmp_path / "openapi.yaml"
    path.write_text(yaml.safe_dump(document))
    loaded = openapi.load(path)
    assert webhooks(loaded) == [Sent("refHook", "post", "refHook", "-", "inline")]
    assert [(s.name, s.operation_id, s.body, s.sent_by) for s in callbacks(loaded)] == [
        ("bodiless", "ping", "-", "listSubscriptions"), ("onEvent", "sendEvent", "Event", "createSubscription")]  # fmt: skip


def test_hub_routes_lists_the_operations_served_then_the_webhooks_and_callbacks_sent(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["routes", "--spec", str(SENDING)]) == 0
    served, hooks, calls = capsys.readouterr().out.split("\n\n")
    assert [line.split()[:3] for line in served.splitlines()] == [
        ["GET", "/subscriptions", "listSubscriptions"], ["POST", "/subscriptions", "createSubscription"],
        ["GET", "/subscriptions/{subscriptionId}", "getSubscription"]]  # fmt: skip
    assert hooks.splitlines() == ["webhooks (sent by the API, not served):", "POST    newPet  newPetWebhook  body Event"]
    assert calls.splitlines() == [
        "callbacks (sent by the API, not served):",
        "POST    {$request.body#/callbackUrl}  sendEvent  onEvent: sent by createSubscription (body Event)",
    ]


def test_a_document_of_webhooks_alone_lists_them_and_nothing_served(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["routes", "--spec", str(WEBHOOKS_ONLY)]) == 0
    assert capsys.readouterr().out.splitlines() == ["webhooks (sent by the API, not served):", "POST    newPet  newPet  body Pet"]


def test_a_document_of_webhooks_alone_is_served_as_written_and_routes_nothing(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", spec=WEBHOOKS_ONLY, dev=True, control_anywhere=True)
    with create_app(settings).test_client() as client:
        served = client.get("/openapi.json")
        assert served.status_code == 200
        assert served.json()["webhooks"]["newPet"]["post"]["operationId"] == "newPet"
        assert "paths" not in served.json()
        for method, path in (("POST", "/newPet"), ("GET", "/"), ("POST", "/webhooks/newPet")):
            assert client.request(method, path).status_code == 404
        assert client.post("/_hub/accounts").status_code == 201

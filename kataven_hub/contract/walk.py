"""The lifecycle walk of `hub contract`: one campaign along the spec's links, create → start → pause
→ resume → stop, and from every answer each link to a read (GET); then a second one, create →
delete. Each answer is checked by Schemathesis; the walk does not depend on the random run's luck.
It is this project's, and runs where the campaign operations are served."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from kataven_hub import openapi
from kataven_hub.contract.report import disabled_operations

LIFECYCLE = ["StartCampaign", "PauseCampaign", "ResumeCampaign", "StopCampaign"]
"""The links the walk follows from the create's answer, each from the answer before."""
FROM_A_DRAFT = ["DeleteCampaign"]
"""Links the walk follows from a second create's answer, at the end."""
CREATE = "postApiV1Campaigns"


def ours(document: Path) -> bool:
    """Whether the document serves this project's campaigns (the walk and its key are for those)."""
    return CREATE in {op.operation_id for op in openapi.operations(openapi.load(document))}


def walk_lifecycle(base: str, token: str, account: str, record: Path, document: Path) -> int:
    """Create a campaign, then follow LIFECYCLE's links; from every answer, also every link to a
    read (GET) that Schemathesis runs. Every answer must be a 2xx that passes every check."""
    if not ours(document):
        print("\nlifecycle walk: not this document's (it serves no campaigns); the stateful phase follows its links")
        return 0
    os.environ["HUB_CONTRACT_RECORD"] = str(record)
    walker = _Walker(base, {"Authorization": f"Bearer {token}", "X-Account-ID": account}, document)
    try:
        walker.walk()
    except Exception as failure:  # a failed check, an unexpected status, a missing link
        print(f"\nlifecycle walk: failed after {' → '.join(walker.steps)}:\n{failure}", file=sys.stderr)
        return 1
    print(f"\nlifecycle walk: {' → '.join(walker.steps)}: every answer as documented")
    return 0


class _Walker:
    """The calls of one walk, and the steps taken so far (to say where it failed)."""

    def __init__(self, base: str, headers: dict[str, str], document: Path) -> None:
        import schemathesis

        self.base, self.headers = base, headers
        self.schema = schemathesis.openapi.from_path(document)
        self.raw = self.schema.raw_schema
        self.by_id = {op["operationId"]: (path, method) for path, item in self.raw["paths"].items()
                      for method, op in item.items() if isinstance(op, dict) and "operationId" in op}  # fmt: skip
        self.skipped = disabled_operations()
        self.steps: list[str] = []

    def walk(self) -> None:
        response, links = self.create()
        for step in [*LIFECYCLE, None]:
            for name, link in links.items():
                if self.by_id[link["operationId"]][1] == "get" and link["operationId"] not in self.skipped:
                    self.follow(link, response)
                    self.steps.append(f"({name})")
            if step is not None:
                response, links = self.follow(links[step], response)
                self.steps.append(step)
        response, links = self.create()
        for step in FROM_A_DRAFT:
            self.follow(links[step], response)
            self.steps.append(step)

    def call(self, operation_id: str, **request: Any) -> tuple[Any, dict[str, Any]]:
        from kataven_hub.contract.hooks import after_call

        path, method = self.by_id[operation_id]
        case = self.schema[path][method.upper()].Case(**request)
        response = case.call(base_url=self.base, headers=self.headers)
        after_call(None, case, response)
        case.validate_response(response, headers=self.headers)
        if not 200 <= response.status_code < 300:
            raise AssertionError(f"{case.operation.label} answered {response.status_code}: {response.text[:300]}")
        return response, self.raw["paths"][path][method]["responses"][str(response.status_code)].get("links", {})

    def follow(self, link: dict[str, Any], response: Any) -> tuple[Any, dict[str, Any]]:
        parameters = {name: response.json()[expression.rpartition("/")[2]]
                      for name, expression in link["parameters"].items()}  # fmt: skip
        return self.call(link["operationId"], path_parameters=parameters)

    def create(self) -> tuple[Any, dict[str, Any]]:
        from schemathesis.transport.serialization import Binary

        from kataven_hub.contract.hooks import CONTACTS_CSV

        self.steps.append("create")
        return self.call(
            CREATE, media_type="multipart/form-data",
            body={"name": "lifecycle walk", "agent_id": "3f1c2b9e-8d4a-4f6e-9b7a-2c5d8e1f0a34",
                  "phone_number_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "contacts": Binary(CONTACTS_CSV)},
        )  # fmt: skip

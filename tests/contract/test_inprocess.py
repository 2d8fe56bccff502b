"""Schemathesis in-process: every operation fuzzed through the ASGI app, responses validated.

The live run over real HTTP is `hub contract` (kataven_hub/contract/)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

import kataven_hub.contract.hooks  # noqa: F401 - registers the hooks that make positive cases valid
from kataven_hub import auth
from kataven_hub.app import create_app
from kataven_hub.storage import Stores
from tests.conftest import make_settings

_TMP = tempfile.TemporaryDirectory(prefix="hub-inprocess-")
_DATA = Path(_TMP.name) / "data"
_SETTINGS = make_settings(_DATA)
_stores = Stores(_DATA)
_KEY = auth.create_key(_stores.system, _SETTINGS.pepper, account=kataven_hub.contract.hooks.ACCOUNT)[1]
_stores.close()

app = create_app(_SETTINGS)
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_api(case: schemathesis.Case) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {_KEY}"})

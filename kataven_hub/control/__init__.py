"""Dev mode's control surface for end-to-end tests (`/_hub/`): a fresh account with its key, reset,
demo data, and an account clock that moves forward on demand, running the dispatcher's rounds in
between. Described by its own OpenAPI document (`openapi.yaml` here), served beside the main one
and checked like it (`make contract-test SPEC=kataven_hub/control/openapi.yaml`); `handlers` are the
functions its operationIds name."""

from pathlib import Path

DOCUMENT = Path(__file__).parent / "openapi.yaml"
BASE_PATH = "/_hub"
"""Where it is served (the document's `servers`); its operationIds name the functions of `handlers`."""

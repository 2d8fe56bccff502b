"""`hub` with the campaign read handler wrapped to drop `contacts_total` from its answer (a field
the document leaves optional, so the answer is still valid): the server a consumer that reads it
must fail against (tests/test_replay.py runs `python -m tests.replay.dropping_server serve ...`)."""

from __future__ import annotations

import functools
import sys
from typing import Any

import handlers.campaigns
from kataven_hub import cli

DROPPED = "contacts_total"  # tests/test_replay.py says the same: it must not import this module
_read = handlers.campaigns.get_api_v1_campaigns_id


@functools.wraps(_read)  # the same module, name and signature: the resolver and Connexion take it as the handler
async def _dropping(*args: Any, **kwargs: Any) -> dict[str, Any]:
    answer = await _read(*args, **kwargs)
    answer.pop(DROPPED, None)
    return answer


handlers.campaigns.get_api_v1_campaigns_id = _dropping  # type: ignore[assignment]

if __name__ == "__main__":
    sys.exit(cli.main(sys.argv[1:]))

"""The domain: the rules a schema cannot express. The campaign state machine (`states`), the
operations on a campaign (`lifecycle`), the contacts file (`ingest`, `numbers`), large uploads in
turns (`turns`), an account's limits (`limits`). It knows nothing of HTTP."""

from kataven_hub.campaigns.lifecycle import (
    CONTACT_STATUSES,
    DEFAULTS,
    PAGE_SIZE,
    create_campaign,
    delete_campaign,
    get_campaign,
    list_campaigns,
    list_contacts,
    pause_campaign,
    reset_account,
    resume_campaign,
    snapshot,
    start_campaign,
    stop_campaign,
)
from kataven_hub.campaigns.states import TERMINAL, Status

__all__ = [
    "CONTACT_STATUSES", "DEFAULTS", "PAGE_SIZE", "TERMINAL", "Status", "create_campaign", "delete_campaign", "get_campaign",
    "list_campaigns", "list_contacts", "pause_campaign", "reset_account", "resume_campaign", "snapshot",
    "start_campaign", "stop_campaign",
]  # fmt: skip

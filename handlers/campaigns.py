from typing import Any

import connexion
from starlette.datastructures import UploadFile
from starlette.responses import StreamingResponse

from kataven_hub import campaigns
from kataven_hub.errors import InvalidInput
from kataven_hub.hub import Hub
from kataven_hub.web.events import campaign_events

REPLAYED = {"Idempotent-Replayed": "true"}
TokenInfo = dict[str, str]
"""What our bearer scheme hands a handler: `sub` and `account` (kataven_hub.web.security)."""


async def post_api_v1_campaigns(
    hub: Hub, token_info: TokenInfo, body: dict[str, Any], contacts: Any = None
) -> tuple[dict[str, Any], int, dict[str, str]]:
    upload = _file_part("contacts", contacts)
    key = connexion.request.headers.get("Idempotency-Key")
    options = {"created_by": token_info["sub"], "region": hub.settings.default_region, "pool": hub.ingest_pool}
    try:  # the CSV is read from the upload's spooled file, in the worker thread, in its turn
        async with hub.ingest_turns.turn(upload.size or 0):
            campaign, replayed = await hub.in_account(
                token_info["account"], campaigns.create_keyed, key, body, upload.file, **options
            )
    finally:
        await upload.close()
    return campaign, 201, {"Location": f"/api/v1/campaigns/{campaign['id']}", **(REPLAYED if replayed else {})}


async def get_api_v1_campaigns(hub: Hub, token_info: TokenInfo) -> dict[str, Any]:
    return await hub.in_account(token_info["account"], campaigns.list_campaigns)


async def get_api_v1_campaigns_id(hub: Hub, token_info: TokenInfo, id_: str) -> dict[str, Any]:
    return await hub.in_account(token_info["account"], campaigns.get_campaign, id_)


async def delete_api_v1_campaigns_id(hub: Hub, token_info: TokenInfo, id_: str) -> tuple[None, int]:
    await hub.in_account(token_info["account"], campaigns.delete_campaign, id_)
    return None, 204


async def get_api_v1_campaigns_id_contacts(
    hub: Hub, token_info: TokenInfo, id_: str, status: str | None = None, page: int = 0
) -> dict[str, Any]:
    return await hub.in_account(token_info["account"], campaigns.list_contacts, id_, status, page)


async def post_api_v1_campaigns_id_start(hub: Hub, token_info: TokenInfo, id_: str) -> dict[str, Any]:
    return await hub.in_account(token_info["account"], campaigns.start_campaign, id_)


async def post_api_v1_campaigns_id_pause(hub: Hub, token_info: TokenInfo, id_: str) -> dict[str, Any]:
    return await hub.in_account(token_info["account"], campaigns.pause_campaign, id_)


async def post_api_v1_campaigns_id_resume(hub: Hub, token_info: TokenInfo, id_: str) -> dict[str, Any]:
    return await hub.in_account(token_info["account"], campaigns.resume_campaign, id_)


async def post_api_v1_campaigns_id_stop(hub: Hub, token_info: TokenInfo, id_: str) -> dict[str, Any]:
    return await hub.in_account(token_info["account"], campaigns.stop_campaign, id_)


async def get_api_v1_campaigns_id_events(hub: Hub, token_info: TokenInfo, id_: str) -> StreamingResponse:
    account = token_info["account"]
    await hub.in_account(account, campaigns.get_campaign, id_)  # 404 before the stream starts

    async def snapshot() -> dict[str, Any]:
        return await hub.in_account(account, campaigns.snapshot, id_)

    stream = campaign_events(
        snapshot, interval=hub.settings.events_interval, heartbeat=hub.settings.events_heartbeat
    )
    return StreamingResponse(
        stream, media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


def _file_part(field: str, part: Any) -> UploadFile:
    if not isinstance(part, UploadFile):
        raise InvalidInput(f"{field}: send the CSV as a file part (with a filename)")
    return part

from typing import Any

from starlette.datastructures import UploadFile

from kataven_hub.app import Hub
from kataven_hub.campaigns import create_campaign
from kataven_hub.errors import InvalidInput


async def post_api_v1_campaigns(
    hub: Hub, token_info: dict[str, str], body: dict[str, Any], contacts: Any = None
) -> tuple[dict[str, Any], int, dict[str, str]]:
    csv_data = await _file_content("contacts", contacts)
    campaign = await hub.in_account(
        token_info["account"],
        create_campaign,
        body,
        csv_data,
        created_by=token_info["sub"],
        region=hub.settings.default_region,
    )
    return campaign, 201, {"Location": f"/api/v1/campaigns/{campaign['id']}"}


async def _file_content(field: str, part: Any) -> bytes:
    if not isinstance(part, UploadFile):
        raise InvalidInput(f"{field}: send the CSV as a file part (with a filename)")
    content = await part.read()
    await part.close()
    return content

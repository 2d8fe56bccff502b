from kataven_hub.campaigns.limits import call_limits
from kataven_hub.hub import Hub


async def get_api_v1_call_limits(hub: Hub, token_info: dict[str, str]) -> dict[str, int]:
    return await hub.in_account(token_info["account"], call_limits)

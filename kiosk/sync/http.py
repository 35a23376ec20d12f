"""One JSON request to the hub, with every failure turned into a plain SyncError."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from kiosk.sync.errors import HubAuthError, SyncError, TooLargeForHub


async def hub_request(session: aiohttp.ClientSession, method: str, url: str, token: str | None,
                      body: Any, timeout_s: float) -> Any:
    """One JSON request to the hub; the parsed JSON answer of a 2xx.

    Raises HubAuthError for 401, SyncError for anything else that is not a 2xx with JSON
    (unreachable, timeout, 5xx, 4xx), naming the URL and the hub's own error text.
    """
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        async with session.request(method, url, json=body, headers=headers,
                                   timeout=aiohttp.ClientTimeout(total=timeout_s)) as resp:
            text = await resp.text()
            status = resp.status
    except TimeoutError:
        raise SyncError(f"hub {url} did not answer within {timeout_s:g} s; will retry") from None
    except (aiohttp.ClientError, OSError) as err:
        raise SyncError(f"hub {url} unreachable ({err or type(err).__name__}); "
                        "will retry") from None
    if status == 401:
        raise HubAuthError(f"hub {url} refused this lane's token (401: {_hub_error(text)}); "
                           "enrol the lane again: kiosk enrol --hub URL --code CODE")
    if status == 413:
        raise TooLargeForHub(f"hub {url} refused the request as too large (413: "
                             f"{_hub_error(text)}); sending fewer sales per request")
    if not 200 <= status < 300:
        raise SyncError(f"hub {url} answered {status}: {_hub_error(text)}; will retry")
    try:
        return json.loads(text)
    except ValueError:
        raise SyncError(f"hub {url} answered {status} with no JSON ({text[:60]!r}); "
                        "will retry") from None


def _hub_error(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return text.strip()[:120] or "no details"
    if isinstance(data, dict) and isinstance(data.get("error"), str):
        return str(data["error"])
    return text.strip()[:120]

"""The report routes: `GET /api/v1/reports/{name}?from=YYYY-MM-DD&to=YYYY-MM-DD` (JSON) for
staff holding a manager token, and the static page `GET /reports` (kiosk.hub.reports_page).

No token or an unknown one: 401. A lane's device token: 403, because reports are for staff,
not lanes. The report itself runs on the store's worker thread, never on the event loop.
"""

from __future__ import annotations

import json

from aiohttp import web

from kiosk.hub.api import STORE_KEY
from kiosk.hub.managers import is_manager_token
from kiosk.hub.reports import build_report, parse_day
from kiosk.hub.reports_page import reports_page

__all__ = ["add_report_routes", "report"]


def _refuse(cls: type[web.HTTPException], message: str) -> web.HTTPException:
    return cls(text=json.dumps({"error": message}), content_type="application/json",
               headers={"WWW-Authenticate": "Bearer"} if cls is web.HTTPUnauthorized else None)


async def require_manager(request: web.Request) -> None:
    """Return when the request carries a manager token; raise 401/403 JSON otherwise."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _refuse(web.HTTPUnauthorized, "Authorization: Bearer <manager token> is missing; "
                      "make one on the hub with `kiosk hub manager-token`")
    store = request.app[STORE_KEY]
    if await store.call(is_manager_token, store, token):
        return
    if await store.call(store.device_for_token, token) is not None:
        raise _refuse(web.HTTPForbidden, "this is a lane's device token; reports need a "
                      "manager token (`kiosk hub manager-token`)")
    raise _refuse(web.HTTPUnauthorized, "the bearer token is not a manager token of this hub; "
                  "make one with `kiosk hub manager-token`")


async def report(request: web.Request) -> web.Response:
    await require_manager(request)
    first = parse_day(request.query.get("from"), "from")
    last = parse_day(request.query.get("to"), "to")
    store = request.app[STORE_KEY]
    answer = await store.call(build_report, store, request.match_info["name"], first, last)
    return web.json_response(answer, headers={"Cache-Control": "no-store"})


def add_report_routes(app: web.Application) -> None:
    """Add the report API and page to the hub's `app`."""
    app.router.add_get("/api/v1/reports/{name}", report)
    app.router.add_get("/reports", reports_page)

"""The hub's aiohttp application: routes, body limit, and JSON answers for every error."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from kiosk.domain.policy import Policy
from kiosk.domain.receipt import StoreHeader
from kiosk.hub import api, receipts, weights
from kiosk.hub.console_api import add_console_api
from kiosk.hub.console_page import add_console_page
from kiosk.hub.console_ws import add_console_ws
from kiosk.hub.errors import BadRequest, EnrolRefused, HubError
from kiosk.hub.lanes import COMMAND_TIMEOUT_S
from kiosk.hub.reports_http import add_report_routes
from kiosk.hub.store import HubStore

MAX_BODY_BYTES = 4 * 1024 * 1024
log = logging.getLogger("kiosk.hub")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every refusal into {"error": ...}: ours and aiohttp's (404, 405, 413)."""
    try:
        return await handler(request)
    except BadRequest as e:
        return api.error(400, str(e))
    except EnrolRefused as e:
        return api.error(403, str(e))
    except HubError as e:
        log.error("%s %s: %s", request.method, request.path, e)
        return api.error(503, "the hub cannot store this right now; try again later")
    except web.HTTPRequestEntityTooLarge:
        limit = request.app[MAX_KEY]
        return api.error(413, f"the body is larger than {limit} bytes; send smaller batches")
    except web.HTTPException as e:
        if e.content_type == "application/json":
            raise
        return api.error(e.status, e.reason or "refused", **{
            k: v for k, v in e.headers.items() if k in ("Allow", "WWW-Authenticate")})


MAX_KEY: web.AppKey[int] = web.AppKey("max_body_bytes", int)


def make_app(store: HubStore, *, max_body_bytes: int = MAX_BODY_BYTES,
             receipt_header: StoreHeader | None = None, policy: Policy | None = None,
             command_timeout_s: float = COMMAND_TIMEOUT_S) -> web.Application:
    """The hub's web application over `store`; bodies over `max_body_bytes` get 413.
    `receipt_header` heads the e-receipt pages (default: the store id). `policy` holds the
    console's login lockout rules; a console command waits `command_timeout_s` seconds for
    its lane's answer."""
    app = web.Application(client_max_size=max_body_bytes, middlewares=[json_errors])
    app[api.STORE_KEY] = store
    app[MAX_KEY] = max_body_bytes
    if receipt_header is not None:
        app[receipts.HEADER_KEY] = receipt_header
    app.router.add_get("/api/v1/health", api.health)
    app.router.add_post("/api/v1/enrol", api.enrol)
    app.router.add_post("/api/v1/sales", api.sales)
    app.router.add_get("/api/v1/catalog", api.catalog)
    app.router.add_put("/api/v1/weights", weights.put_weights)
    app.router.add_get("/api/v1/weights", weights.get_weights)
    app.router.add_get("/receipts/{sale_id}", receipts.receipt_page)
    add_report_routes(app)
    add_console_api(app, policy=policy, command_timeout_s=command_timeout_s)
    add_console_ws(app)
    add_console_page(app)
    return app

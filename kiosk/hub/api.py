"""The hub's HTTP handlers (API v1): parse and check each request, answer JSON.

Every refusal is a 4xx with {"error": "<one plain sentence>"} and changes nothing. Tokens and
enrolment codes are never logged.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from aiohttp import web

from kiosk.hub.catalog import catalog_since, catalog_version
from kiosk.hub.errors import BadRequest, EnrolRefused
from kiosk.hub.ingest import ingest, parse_batch
from kiosk.hub.store import HubStore, check_device_id

log = logging.getLogger("kiosk.hub")

STORE_KEY: web.AppKey[HubStore] = web.AppKey("store", HubStore)


def error(status: int, message: str, **headers: str) -> web.Response:
    """A JSON error answer: {"error": message} with `status`."""
    return web.json_response({"error": message}, status=status, headers=headers or None)


async def read_json(request: web.Request) -> Any:
    """The request body as JSON; BadRequest when it is not UTF-8 JSON. An oversized body
    raises aiohttp's HTTPRequestEntityTooLarge (the middleware answers 413)."""
    raw = await request.read()
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise BadRequest("the body is not UTF-8 text; send JSON encoded as UTF-8") from None
    except json.JSONDecodeError as e:
        raise BadRequest(f"the body is not valid JSON ({e.msg} at line {e.lineno} column "
                         f"{e.colno})") from None
    except RecursionError:
        raise BadRequest("the body's JSON is nested too deeply") from None


async def device_of(request: web.Request) -> str:
    """The enrolled device whose bearer token the request carries; 401 otherwise."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise web.HTTPUnauthorized(
            text=json.dumps({"error": "Authorization: Bearer <token> is missing; enrol the "
                             "device with the hub to get a token"}),
            content_type="application/json", headers={"WWW-Authenticate": "Bearer"})
    store = request.app[STORE_KEY]
    device = await store.call(store.device_for_token, token.strip())
    if device is None:
        raise web.HTTPUnauthorized(
            text=json.dumps({"error": "the bearer token is not known to this hub (revoked by a "
                             "new enrolment, or never issued); enrol the device again"}),
            content_type="application/json", headers={"WWW-Authenticate": "Bearer"})
    return device


async def health(request: web.Request) -> web.Response:
    store = request.app[STORE_KEY]
    store_id = await store.call(lambda: store.store_id)
    version = await store.call(catalog_version, store)
    return web.json_response({"ok": True, "store_id": store_id, "catalog_version": version})


async def enrol(request: web.Request) -> web.Response:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise BadRequest('the body must be a JSON object {"code": ..., "device_id": ...}')
    code = body.get("code")
    if not isinstance(code, str) or not code.strip():
        raise BadRequest("code must be the one-time enrolment code, as text")
    device_id = check_device_id(body.get("device_id"))
    store = request.app[STORE_KEY]
    try:
        token = await store.call(store.enrol, code, device_id)
    except EnrolRefused as e:
        log.warning("enrolment of device %r refused: %s", device_id, e)
        raise
    log.info("device %r enrolled; any earlier token of it is revoked", device_id)
    store_id = await store.call(lambda: store.store_id)
    return web.json_response({"device_id": device_id, "store_id": store_id,
                              "token": token}, status=201)


async def sales(request: web.Request) -> web.Response:
    device = await device_of(request)
    batch = parse_batch(await read_json(request))
    store = request.app[STORE_KEY]
    results, gaps = await store.call(ingest, store, device, batch)
    rejected = sum(r.status == "rejected" for r in results)
    if rejected:
        log.warning("device %r: %d of %d sales rejected", device, rejected, len(results))
    return web.json_response({
        "results": [{"sale_id": r.sale_id, "status": r.status, "reason": r.reason}
                    for r in results],
        "gaps": [{"lane_id": g.lane_id, "from_seq": g.from_seq, "to_seq": g.to_seq}
                 for g in gaps],
    })


async def catalog(request: web.Request) -> web.Response:
    await device_of(request)
    raw = request.query.get("since", "0")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 15:
        raise BadRequest(f"since {raw[:30]!r} must be a catalog version: a whole number >= 0")
    store = request.app[STORE_KEY]
    return web.json_response(await store.call(catalog_since, store, int(raw)))

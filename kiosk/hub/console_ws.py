"""The two websockets of the console: lanes publish to the hub, consoles watch the lanes.

GET /api/v1/lane/ws: a lane with its device token (401 before the upgrade without one) sends
"state" and "result" frames (docs/console.md "Lane link"). A malformed frame is logged and
ignored: it never ends this lane's connection, let alone another's. A second connection of the
same device closes the first (code 4000 "replaced").

GET /console/api/events: a logged-in console (session cookie, own Origin; 401/403 before the
upgrade) gets {"type": "lanes", "lanes": [...]} and then {"type": "lane", "lane": ROW} on every
change. The socket closes when the session ends (checked every SESSION_CHECK_S seconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from datetime import UTC, datetime
from typing import Any

from aiohttp import WSMsgType, web

from kiosk.hub.api import STORE_KEY, device_of
from kiosk.hub.console_api import COOKIE, REGISTRY_KEY, current_session, origin_ok, refuse
from kiosk.hub.console_auth import session_for
from kiosk.hub.lanes import FrameError, LaneRegistry, Row, parse_result, parse_state

log = logging.getLogger("kiosk.hub.console")

HEARTBEAT_S = 10.0
# A lane's state with a full basket is a few kB; a frame over this is ignored (logged), and
# one over FRAME_CLOSE_BYTES makes aiohttp close that lane's connection (it reconnects).
FRAME_MAX_BYTES = 256 * 1024
FRAME_CLOSE_BYTES = 1024 * 1024
CLOSE_REPLACED = 4000
CONSOLE_QUEUE_MAX = 1000
SESSION_CHECK_S = 60.0
# Every open websocket, so the hub's shutdown closes them (else it waits for each to end).
class OpenSockets:
    """The hub's open websockets (lanes and consoles)."""

    def __init__(self) -> None:
        self.sockets: set[web.WebSocketResponse] = set()


_closing: set[asyncio.Task[bool]] = set()  # replaced links being closed (kept referenced)
SOCKETS_KEY: web.AppKey[OpenSockets] = web.AppKey("sockets", OpenSockets)


def handle_lane_frame(registry: LaneRegistry, device_id: str, link: web.WebSocketResponse,
                      text: str) -> None:
    """Apply one text frame from lane `device_id`; log and ignore it when it is malformed."""
    try:
        if len(text) > FRAME_MAX_BYTES:
            raise FrameError(f"frame of {len(text)} characters is over {FRAME_MAX_BYTES}")
        frame: Any = json.loads(text)
        if not isinstance(frame, dict):
            raise FrameError("a frame must be a JSON object")
        kind = frame.get("type")
        if kind == "state":
            rev, state = parse_state(frame, device_id)
            registry.publish(device_id, link, rev, state)
        elif kind == "result":
            if not registry.resolve(device_id, parse_result(frame)):
                log.info("lane %r: result for command %r that no one waits for", device_id,
                         str(frame.get("command_id"))[:40])
        else:
            raise FrameError(f"frame type {str(kind)[:30]!r} must be state or result")
    except (FrameError, ValueError, RecursionError) as e:
        log.warning("lane %r: frame ignored: %s", device_id, str(e)[:200])


async def lane_ws(request: web.Request) -> web.WebSocketResponse:
    """GET /api/v1/lane/ws: one lane's link (device token)."""
    device_id = await device_of(request)
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_S, max_msg_size=FRAME_CLOSE_BYTES)
    await ws.prepare(request)
    request.app[SOCKETS_KEY].sockets.add(ws)
    registry = request.app[REGISTRY_KEY]
    old = registry.connect(device_id, ws)
    log.info("lane %r connected%s", device_id, " (replacing its older link)" if old else "")
    if old is not None:
        # In the background: a half-open old link may take the close timeout to answer, and
        # the new link must be read meanwhile.
        closing = asyncio.create_task(old.close(code=CLOSE_REPLACED, message=b"replaced"))
        _closing.add(closing)
        closing.add_done_callback(_closing.discard)
    try:
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                handle_lane_frame(registry, device_id, ws, msg.data)
            else:
                log.warning("lane %r: non-text frame ignored", device_id)
    finally:
        request.app[SOCKETS_KEY].sockets.discard(ws)
        registry.disconnect(device_id, ws)
        log.info("lane %r disconnected", device_id)
    return ws


async def events_ws(request: web.Request) -> web.WebSocketResponse:
    """GET /console/api/events: the lanes, live, for a logged-in console."""
    session = await current_session(request)
    if session is None:
        raise refuse(web.HTTPUnauthorized, "You are not logged in (or the session ended); "
                     "log in again.")
    if not origin_ok(request):
        raise refuse(web.HTTPForbidden, "The websocket does not come from this hub's console "
                     "page (Origin header); open the console from the hub.")
    ws = web.WebSocketResponse(heartbeat=HEARTBEAT_S, max_msg_size=64 * 1024)
    await ws.prepare(request)
    request.app[SOCKETS_KEY].sockets.add(ws)
    registry = request.app[REGISTRY_KEY]
    queue: asyncio.Queue[Row | None] = asyncio.Queue()

    def push(row: Row) -> None:
        if queue.qsize() >= CONSOLE_QUEUE_MAX:  # a console that stopped reading: end it
            while not queue.empty():
                queue.get_nowait()
            queue.put_nowait(None)
        else:
            queue.put_nowait(row)

    # Subscribe before the snapshot, so no change falls between the two.
    unsubscribe = registry.subscribe(push)
    sender = asyncio.create_task(_send_events(request, ws, queue, registry))
    try:
        async for _msg in ws:
            pass  # the console sends nothing the hub needs; reading notices the close
    finally:
        request.app[SOCKETS_KEY].sockets.discard(ws)
        unsubscribe()
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sender
    return ws


async def _send_events(request: web.Request, ws: web.WebSocketResponse,
                       queue: asyncio.Queue[Row | None], registry: LaneRegistry) -> None:
    store = request.app[STORE_KEY]
    cookie = request.cookies[COOKIE]
    try:
        await ws.send_json({"type": "lanes", "lanes": registry.rows()})
        while True:
            try:
                row = await asyncio.wait_for(queue.get(), SESSION_CHECK_S)
            except TimeoutError:
                alive = await store.call(session_for, store, cookie, datetime.now(UTC),
                                         touch=False)
                if alive is None:
                    await ws.close(code=4001, message=b"session ended")
                    return
                continue
            if row is None:
                await ws.close(code=4002, message=b"too slow")
                return
            await ws.send_json({"type": "lane", "lane": row})
    except (ConnectionError, RuntimeError):
        return  # the console went away; the handler's read loop ends too


async def _close_sockets(app: web.Application) -> None:
    for ws in list(app[SOCKETS_KEY].sockets):
        await ws.close(code=1001, message=b"hub shutting down")


def add_console_ws(app: web.Application) -> None:
    """Add both websockets to the hub's `app` (after kiosk.hub.console_api)."""
    app[SOCKETS_KEY] = OpenSockets()
    app.on_shutdown.append(_close_sockets)
    app.router.add_get("/api/v1/lane/ws", lane_ws)
    app.router.add_get("/console/api/events", events_ws)

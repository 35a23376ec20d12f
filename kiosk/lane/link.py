"""The lane link: one websocket from the lane to the store hub (docs/console.md, "Lane link").

`LaneLink` connects to `GET /api/v1/lane/ws` with the lane's device token, sends the lane's
"state" (coalesced to at most one per `min_interval_s`, and at least every `keepalive_s`),
receives "command" messages, hands each to `apply(command) -> (status, reason)` (given by the
composition root; it runs on the loop and must not block it), and answers "result" followed by
a fresh "state". It reconnects by itself with exponential backoff and full jitter (1 s doubling
to 30 s), logs once when the hub goes and once when it is back, and never raises into the
kiosk: the lane sells the same with or without the hub. A malformed message from the hub is
logged and, when it carries a command_id, answered "refused".

`parse_command` turns a hub "command" message into the domain's `ConsoleCommand` (pure).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import aiohttp

from kiosk.domain.commands import CONSOLE_ACTIONS, ConsoleCommand
from kiosk.domain.facts import iso

log = logging.getLogger("kiosk.lane.link")

WS_PATH = "/api/v1/lane/ws"
HEARTBEAT_S = 10.0
KEEPALIVE_S = 15.0
MIN_INTERVAL_S = 0.2  # at most 5 state messages per second
BACKOFF_MIN_S = 1.0
BACKOFF_MAX_S = 30.0

Apply = Callable[[Mapping[str, Any]], tuple[str, str]]


def ws_url(hub_url: str) -> str:
    """The lane websocket's address for `hub_url` ("http://" -> "ws://", "https://" ->
    "wss://")."""
    base = hub_url.rstrip("/")
    if base.startswith("https://"):
        base = "wss://" + base[len("https://"):]
    elif base.startswith("http://"):
        base = "ws://" + base[len("http://"):]
    return base + WS_PATH


def parse_command(msg: Mapping[str, Any]) -> ConsoleCommand:
    """The domain command of a hub "command" message; ValueError (one sentence) when a field
    is missing or of the wrong type."""
    def text(key: str, *, required: bool = True) -> str | None:
        value = msg.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value:
            raise ValueError(f"command field {key!r} must be a non-empty string, got {value!r}")
        return value

    attendant = msg.get("attendant")
    if not isinstance(attendant, Mapping):
        raise ValueError(f"command field 'attendant' must be an object with id, name and role, "
                         f"got {attendant!r}")
    action = text("action")
    if action not in CONSOLE_ACTIONS:
        raise ValueError(f"command action {action!r} is unknown; expected one of "
                         f"{', '.join(CONSOLE_ACTIONS)}")
    line_id = msg.get("line_id")
    if line_id is not None and (isinstance(line_id, bool) or not isinstance(line_id, int)):
        raise ValueError(f"command field 'line_id' must be a whole number, got {line_id!r}")
    who = {key: attendant.get(key) for key in ("id", "name", "role")}
    for key, value in who.items():
        if not isinstance(value, str) or not value:
            raise ValueError(f"command attendant.{key} must be a non-empty string, "
                             f"got {value!r}")
    return ConsoleCommand(
        command_id=str(text("command_id")), action=str(action),
        attendant_id=str(who["id"]), attendant_name=str(who["name"]), role=str(who["role"]),
        intervention_id=text("intervention_id", required=False), line_id=line_id,
        basket_id=text("basket_id", required=False))


class LaneLink:
    """The lane's connection to the hub. `start()` on the kiosk's loop, `changed()` whenever
    the lane's state may have changed, `stop()` before the loop ends."""

    def __init__(
        self,
        hub_url: str,
        token: str,
        lane_id: str,
        state: Callable[[], Mapping[str, Any]],
        apply: Apply,
        *,
        backoff_min_s: float = BACKOFF_MIN_S,
        backoff_max_s: float = BACKOFF_MAX_S,
        keepalive_s: float = KEEPALIVE_S,
        min_interval_s: float = MIN_INTERVAL_S,
    ) -> None:
        self.url = ws_url(hub_url)
        self.token = token
        self.lane_id = lane_id
        self.state = state
        self.apply = apply
        self.backoff_min_s = backoff_min_s
        self.backoff_max_s = backoff_max_s
        self.keepalive_s = keepalive_s
        self.min_interval_s = min_interval_s
        self.rev = 0
        self.connects = 0  # connections made since start (a reconnect counts one more)
        self.results_sent = 0
        self._dirty = asyncio.Event()
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._send_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._owned: list[asyncio.Task[Any]] = []
        self._down_logged = False

    @property
    def connected(self) -> bool:
        return self._ws is not None and not self._ws.closed

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"lane-link-{self.lane_id}")

    def own(self, task: asyncio.Task[Any]) -> None:
        """A helper task of the composition root that ends with the link."""
        self._owned.append(task)

    async def stop(self) -> None:
        tasks = [t for t in (self._task, *self._owned) if t is not None]
        self._task, self._owned = None, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def changed(self) -> None:
        """The lane's state may have changed: send it soon (coalesced)."""
        self._dirty.set()

    # -- connection ------------------------------------------------------------------------

    async def _run(self) -> None:
        delay_s = self.backoff_min_s
        async with aiohttp.ClientSession() as session:
            while True:
                try:
                    served = await self._connect_once(session)
                except asyncio.CancelledError:
                    raise
                except (aiohttp.ClientError, OSError, TimeoutError) as err:
                    served = False
                    self._went_away(f"{type(err).__name__}: {err}")
                except Exception:  # never into the kiosk: log it and try again later
                    served = False
                    log.exception("lane link to %s failed unexpectedly; retrying", self.url)
                if served:
                    delay_s = self.backoff_min_s
                await asyncio.sleep(random.uniform(0, delay_s))  # full jitter
                delay_s = min(delay_s * 2, self.backoff_max_s)

    async def _connect_once(self, session: aiohttp.ClientSession) -> bool:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with session.ws_connect(self.url, headers=headers, heartbeat=HEARTBEAT_S) as ws:
            self._ws = ws
            self.rev = 0
            self.connects += 1
            if self._down_logged:
                log.info("hub %s is back; lane %s linked again", self.url, self.lane_id)
            else:
                log.info("lane %s linked to hub %s", self.lane_id, self.url)
            self._down_logged = False
            sender = asyncio.create_task(self._send_states(ws))
            try:
                async for msg in ws:
                    if msg.type is aiohttp.WSMsgType.TEXT:
                        await self._on_text(ws, str(msg.data))
                    elif msg.type is aiohttp.WSMsgType.ERROR:
                        break
                    else:
                        log.warning("ignoring a %s frame from the hub", msg.type.name)
            finally:
                self._ws = None
                sender.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sender
            self._went_away(f"connection closed (code {ws.close_code})")
            return True

    def _went_away(self, why: str) -> None:
        if not self._down_logged:
            log.warning("hub %s is not reachable (%s); lane %s works on and retries",
                        self.url, why, self.lane_id)
            self._down_logged = True

    # -- sending -----------------------------------------------------------------------------

    async def _send(self, ws: aiohttp.ClientWebSocketResponse, message: Mapping[str, Any],
                    ) -> None:
        async with self._send_lock:
            await ws.send_str(json.dumps(message, ensure_ascii=False, separators=(",", ":")))

    async def _send_states(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._dirty.set()  # the first state right after connecting
        while not ws.closed:
            # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation that
            # meets a completed wait (gh-86296), which could keep stop() waiting for ever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.keepalive_s):
                    await self._dirty.wait()
            self._dirty.clear()
            await self._send_state(ws)
            await asyncio.sleep(self.min_interval_s)  # coalesce what changes meanwhile

    async def _send_state(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        try:
            lane = dict(self.state())
        except Exception:  # a state we cannot read is not worth the link
            log.exception("could not read lane %s's state for the hub", self.lane_id)
            return
        self.rev += 1
        await self._send(ws, {"type": "state", "lane_id": self.lane_id, "rev": self.rev,
                              "at": iso(datetime.now(UTC)), "lane": lane})

    # -- receiving ---------------------------------------------------------------------------

    async def _on_text(self, ws: aiohttp.ClientWebSocketResponse, text: str) -> None:
        try:
            msg = json.loads(text)
        except ValueError:
            log.warning("ignoring a hub message that is not JSON: %.80r", text)
            return
        if not isinstance(msg, dict):
            log.warning("ignoring a hub message that is not an object: %.80r", text)
            return
        command_id = msg.get("command_id")
        if msg.get("type") != "command":
            log.warning("ignoring a hub message of type %r", msg.get("type"))
            if isinstance(command_id, str) and command_id:
                await self._result(ws, command_id, "refused",
                                   f"message type {msg.get('type')!r} is not a command")
            return
        if not isinstance(command_id, str) or not command_id:
            log.warning("ignoring a hub command without a command_id: %.80r", text)
            return
        try:
            status, reason = self.apply(msg)
        except Exception as err:  # a bad command must never hurt the lane
            log.warning("hub command %s refused: %s", command_id, err)
            status, reason = "refused", str(err) or type(err).__name__
        await self._result(ws, command_id, status, reason)
        # The fresh state goes at once, past the 5-per-second coalescing: the attendant who
        # clicked is waiting to see the lane resume (the next coalesced state may be 0.2 s off).
        await self._send_state(ws)

    async def _result(self, ws: aiohttp.ClientWebSocketResponse, command_id: str, status: str,
                      reason: str) -> None:
        await self._send(ws, {"type": "result", "command_id": command_id, "status": status,
                              "reason": reason})
        self.results_sent += 1

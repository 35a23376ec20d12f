"""Lanes as small websocket clients speaking the lane link contract (docs/console.md), for the
console page tests: a lane state we can set exactly (an offline device, a long upload queue, a
weight mismatch with its grams) and every command the hub delivers, recorded.

A FakeLane answers "approve" and "reject" of an open intervention with "applied" (and the lane
resumes: light back to in_transaction), a command it already applied with "duplicate", and
anything else with "refused" and a reason, as a real lane does. Everything runs on the hub
thread's event loop (tests/console/harness.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp

ROLES_BOTH = ["attendant", "supervisor"]


def iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def lane_object(lane_id: str, number: int) -> dict[str, Any]:
    """A lane that is open, idle, with every device online and nothing waiting to upload."""
    return {
        "flow": "idle", "light": "idle", "lane_name": f"Kasse {number}",
        "basket": {"basket_id": None, "items": 0, "total_cents": 0, "lines": []},
        "interventions": [],
        "devices": [{"device": d, "state": "online", "detail": ""}
                    for d in ("scanner", "scale", "printer", "terminal")],
        "upload": {"pending": 0, "oldest_pending_at": None, "last_error": "", "quarantined": 0},
        "attendant_at_lane": None,
        "action_roles": {"void_line": ROLES_BOTH, "cancel_basket": ["supervisor"],
                         "close_lane": ROLES_BOTH, "open_lane": ROLES_BOTH},
    }


@dataclass
class FakeLane:
    """One lane's link to the hub at `hub_url` with its device `token`."""

    lane_id: str
    number: int
    hub_url: str
    token: str
    lane: dict[str, Any] = field(init=False)
    commands: list[dict[str, Any]] = field(default_factory=list)
    applied: set[str] = field(default_factory=set)
    rev: int = 0
    silent: bool = False  # True: commands are received and never answered (a hung lane)
    _http: aiohttp.ClientSession | None = None
    _ws: aiohttp.ClientWebSocketResponse | None = None
    _reader: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        self.lane = lane_object(self.lane_id, self.number)

    async def connect(self) -> None:
        self._http = aiohttp.ClientSession()
        url = self.hub_url.replace("http://", "ws://") + "/api/v1/lane/ws"
        self._ws = await self._http.ws_connect(
            url, headers={"Authorization": f"Bearer {self.token}"}, heartbeat=10)
        self._reader = asyncio.create_task(self._read())
        await self.send_state()

    async def disconnect(self) -> None:
        """The lane goes away (cable pulled, lane switched off)."""
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None
        if self._ws is not None:
            await self._ws.close()
            self._ws = None
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def send_state(self) -> None:
        assert self._ws is not None, "connect the lane first"
        self.rev += 1
        await self._ws.send_json({"type": "state", "lane_id": self.lane_id, "rev": self.rev,
                                  "at": iso_now(), "lane": self.lane})

    async def update(self, **fields: Any) -> None:
        self.lane.update(fields)
        await self.send_state()

    async def start_basket(self, lines: list[dict[str, Any]]) -> None:
        """A shopper scanning: these lines in a basket, the light blinking green."""
        await self.update(flow="scanning", light="in_transaction", basket={
            "basket_id": f"B-{self.lane_id}", "items": sum(int(x["quantity"]) for x in lines),
            "total_cents": sum(int(x["amount_cents"]) for x in lines), "lines": lines})

    async def raise_intervention(self, intervention_id: str, reason: str,
                                 evidence: dict[str, Any], text_de: str, text_en: str,
                                 *, needs_role: str = "attendant") -> None:
        self.lane["interventions"].append({
            "intervention_id": intervention_id, "reason": reason, "opened_at": iso_now(),
            "evidence": evidence, "text_de": text_de, "text_en": text_en,
            "needs_role": needs_role})
        await self.update(light="help" if reason == "help" else "intervention")

    async def _read(self) -> None:
        assert self._ws is not None
        async for msg in self._ws:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            if frame.get("type") == "command":
                await self._answer(frame)

    async def _answer(self, command: dict[str, Any]) -> None:
        self.commands.append(command)
        if self.silent:
            return
        status, reason = self._apply(command)
        assert self._ws is not None
        await self._ws.send_json({"type": "result", "command_id": command["command_id"],
                                  "status": status, "reason": reason})
        await self.send_state()

    def _apply(self, command: dict[str, Any]) -> tuple[str, str]:
        if command["command_id"] in self.applied:
            return "duplicate", "this command was already applied"
        action = command["action"]
        if action in ("approve", "reject"):
            left = [i for i in self.lane["interventions"]
                    if i["intervention_id"] != command.get("intervention_id")]
            if len(left) == len(self.lane["interventions"]):
                return "refused", "that intervention is no longer open at this lane"
            self.lane["interventions"] = left
            if not left:
                busy = self.lane["basket"]["basket_id"] is not None
                self.lane["light"] = "in_transaction" if busy else "idle"
            self.applied.add(command["command_id"])
            return "applied", ""
        return "refused", f"this test lane does not {action}"

"""A real hub on 127.0.0.1 with simulated lanes (aiohttp websocket clients speaking the
contract of docs/console.md) and browser-like consoles (own cookie jar, Origin, CSRF)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from kiosk.hub.console_auth import add_attendant
from tests.hub.hubtest import Hub, running_hub

Answer = Callable[[dict[str, Any]], dict[str, Any] | None]
ROLES_BOTH = ["attendant", "supervisor"]


def age_check(intervention_id: str = "I-1", needs_role: str = "attendant") -> dict[str, Any]:
    return {"intervention_id": intervention_id, "reason": "age_check",
            "opened_at": "2026-11-22T10:00:00+00:00", "evidence": {"sku": "BIER"},
            "text_de": "Alterskontrolle (18)", "text_en": "Age check (18)",
            "needs_role": needs_role}


def lane_object(name: str, *, interventions: list[dict[str, Any]] | None = None,
                flow: str = "scanning", close_roles: list[str] | None = None) -> dict[str, Any]:
    """A "lane" object as a kiosk publishes it."""
    return {
        "flow": flow, "light": "intervention" if interventions else "idle", "lane_name": name,
        "basket": {"basket_id": "B-1", "items": 1, "total_cents": 99,
                   "lines": [{"line_id": 1, "name": "Pils 0,5 l", "quantity": 1,
                              "weight_g": None, "amount_cents": 99}]},
        "interventions": interventions or [],
        "devices": [{"device": "scanner", "state": "online", "detail": ""}],
        "upload": {"pending": 0, "oldest_pending_at": None, "last_error": "", "quarantined": 0},
        "attendant_at_lane": None,
        "action_roles": {"void_line": ROLES_BOTH, "cancel_basket": ROLES_BOTH,
                         "close_lane": close_roles or ["supervisor"], "open_lane": ROLES_BOTH},
    }


def applied(command: dict[str, Any]) -> dict[str, Any]:
    return {"type": "result", "command_id": command["command_id"], "status": "applied",
            "reason": ""}


@dataclass
class FakeLane:
    """A lane's websocket link: publishes states, records every command it receives and
    answers each with `answer(command)` (None: stays silent)."""

    lane_id: str
    ws: aiohttp.ClientWebSocketResponse
    answer: Answer | None = applied
    rev: int = 0
    commands: list[dict[str, Any]] = field(default_factory=list)
    closed_with: int | None = None
    reader: asyncio.Task[None] | None = None

    async def publish(self, lane: dict[str, Any], *, lane_id: str | None = None,
                      rev: int | None = None) -> None:
        self.rev += 1
        await self.ws.send_json({"type": "state", "lane_id": lane_id or self.lane_id,
                                 "rev": self.rev if rev is None else rev,
                                 "at": datetime.now(UTC).isoformat(), "lane": lane})

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            command = json.loads(msg.data)
            self.commands.append(command)
            reply = self.answer(command) if self.answer else None
            if reply is not None:
                await self.ws.send_json(reply)
        self.closed_with = self.ws.close_code


@dataclass
class Console:
    """A browser: its own cookies, the hub's Origin, the CSRF token after login."""

    hub: Hub
    http: aiohttp.ClientSession
    csrf: str = ""

    async def request(self, method: str, path: str, body: Any = None, *,
                      origin: str | None = "", csrf: str | None = "") -> tuple[int, Any]:
        headers = {}
        if origin is not None:
            headers["Origin"] = origin or self.hub.url
        if csrf is not None:
            headers["X-CSRF-Token"] = csrf or self.csrf
        data = None if body is None else json.dumps(body).encode()
        async with self.http.request(method, self.hub.url + path, data=data,
                                     headers=headers) as resp:
            text = await resp.text()
            return resp.status, json.loads(text) if text else None

    async def login(self, attendant_id: str, pin: str) -> tuple[int, Any]:
        status, answer = await self.request("POST", "/console/api/login",
                                            {"attendant_id": attendant_id, "pin": pin})
        if status == 200:
            self.csrf = answer["csrf_token"]
        return status, answer

    async def command(self, lane_id: str, body: dict[str, Any], **kw: Any) -> tuple[int, Any]:
        return await self.request("POST", f"/console/api/lanes/{lane_id}/commands", body, **kw)

    async def lanes(self) -> dict[str, Any]:
        status, answer = await self.request("GET", "/console/api/lanes")
        assert status == 200, answer
        return {row["lane_id"]: row for row in answer["lanes"]}

    async def wait_for(self, check: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """The lanes as soon as `check(lanes)` holds (polled; fails after many tries)."""
        for _ in range(400):
            rows = await self.lanes()
            if check(rows):
                return rows
            await asyncio.sleep(0.01)
        raise AssertionError(f"the lanes never reached the expected state: {rows}")


@dataclass
class Store:
    hub: Hub
    sessions: list[aiohttp.ClientSession] = field(default_factory=list)
    lanes: list[FakeLane] = field(default_factory=list)

    async def console(self) -> Console:
        http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.sessions.append(http)
        return Console(self.hub, http)

    async def logged_in(self, attendant_id: str = "1001", pin: str = "1234") -> Console:
        console = await self.console()
        status, answer = await console.login(attendant_id, pin)
        assert status == 200, answer
        return console

    async def lane(self, lane_id: str, *, token: str | None = None,
                   answer: Answer | None = applied) -> FakeLane:
        token = token or await self.hub.enrol(lane_id)
        ws = await self.hub.http.ws_connect(self.hub.url.replace("http", "ws", 1)
                                            + "/api/v1/lane/ws",
                                            headers={"Authorization": f"Bearer {token}"})
        lane = FakeLane(lane_id, ws, answer)
        lane.reader = asyncio.create_task(lane._read())
        self.lanes.append(lane)
        return lane


def staff(hub: Hub) -> None:
    """Anna (attendant, PIN 1234) and Sven (supervisor, PIN 9876)."""
    add_attendant(hub.store, "1001", "Anna", "attendant", "1234")
    add_attendant(hub.store, "2001", "Sven", "supervisor", "9876", badge="STAFF-SVEN-1")


@asynccontextmanager
async def store_with_staff(db: Path | str, **options: Any) -> AsyncIterator[Store]:
    async with running_hub(db, **options) as hub:
        staff(hub)
        store = Store(hub)
        try:
            yield store
        finally:
            for lane in store.lanes:
                await lane.ws.close()
                if lane.reader is not None:
                    await lane.reader
            for http in store.sessions:
                await http.close()

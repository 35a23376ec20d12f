"""A small hub on 127.0.0.1 speaking the lane side of the console contract
(GET /api/v1/lane/ws), for the lane link tests while kiosk/hub's endpoint is being built.

Written out here from the contract, not from kiosk's code, so a link bug is not mirrored: a
Bearer token per lane (401 before the upgrade otherwise), the newest state per lane (an older
rev ignored), commands sent with a wait for their "result", and raw frames for the malformed
message tests. It runs on the test's own loop; `stop()` and `start()` again on the same port
play a hub restart.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from aiohttp import WSMsgType, web


class ContractHub:
    def __init__(self, tokens: dict[str, str]) -> None:
        self.tokens = dict(tokens)  # token -> lane id
        self.states: dict[str, dict[str, Any]] = {}  # lane id -> newest state message
        self.results: dict[str, list[dict[str, Any]]] = {}  # command id -> its results
        self.sockets: dict[str, web.WebSocketResponse] = {}
        self.connects = 0
        self.port = 0
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/api/v1/lane/ws", self._lane_ws)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        if not self.port:
            server = site._server
            assert server is not None
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        for ws in list(self.sockets.values()):
            await ws.close(code=1001, message=b"hub stopping")
        self.sockets.clear()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _lane_ws(self, request: web.Request) -> web.StreamResponse:
        auth = request.headers.get("Authorization", "")
        lane_id = self.tokens.get(auth.removeprefix("Bearer ")) if auth.startswith("Bearer ") \
            else None
        if lane_id is None:
            return web.json_response({"error": "Unknown device token."}, status=401)
        ws = web.WebSocketResponse(heartbeat=10.0)
        await ws.prepare(request)
        old = self.sockets.get(lane_id)
        if old is not None:
            await old.close(code=4000, message=b"replaced")
        self.sockets[lane_id] = ws
        self.connects += 1
        conn = self.connects
        async for msg in ws:
            if msg.type is not WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            async with self._changed:
                if data["type"] == "state":
                    known = self.states.get(lane_id)
                    if known is None or known["_conn"] != conn or data["rev"] > known["rev"]:
                        self.states[lane_id] = {**data, "_conn": conn}
                elif data["type"] == "result":
                    self.results.setdefault(data["command_id"], []).append(data)
                self._changed.notify_all()
        if self.sockets.get(lane_id) is ws:
            del self.sockets[lane_id]
        return ws

    async def wait_for(self, check: Any, timeout_s: float = 10.0) -> None:
        async with asyncio.timeout(timeout_s), self._changed:
            await self._changed.wait_for(check)

    def lane(self, lane_id: str) -> dict[str, Any] | None:
        state = self.states.get(lane_id)
        return None if state is None else dict(state["lane"])

    async def send_raw(self, lane_id: str, text: str) -> None:
        await self.sockets[lane_id].send_str(text)

    async def command(self, lane_id: str, action: str, *, command_id: str | None = None,
                      role: str = "attendant", **targets: Any) -> dict[str, Any]:
        """Send a command as the console would and wait for the lane's result."""
        command_id = command_id or uuid.uuid4().hex
        before = len(self.results.get(command_id, []))
        await self.send_raw(lane_id, json.dumps({
            "type": "command", "command_id": command_id, "action": action, **targets,
            "attendant": {"id": "1001" if role == "attendant" else "9001",
                          "name": "Anna" if role == "attendant" else "Sven", "role": role},
            "issued_at": "2026-03-02T09:00:00.000Z"}))
        await self.wait_for(lambda: len(self.results.get(command_id, [])) > before)
        return self.results[command_id][-1]

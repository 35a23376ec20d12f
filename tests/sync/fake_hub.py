"""A small hub on 127.0.0.1 speaking the hub API v1 (sales, catalog, enrol), for the uploader
tests until kiosk/hub lands. A real aiohttp server on loopback; its checks are written out here
(not kiosk's), so an uploader bug is not mirrored.

Faults: `fail_next` statuses answered before storing anything (500, 503, 401); `lose_answers`
requests whose batch is stored but whose answer never arrives (the connection is dropped);
`stall_s` a pause after storing, before answering (a process may be killed meanwhile).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import web

TOKEN = "t" * 43
DEVICE = "L1"


def chain_hash(prev: str, payload: str, seq: int, sale_id: str) -> str:
    return hashlib.sha256(f"{prev}\n{payload}\n{seq}\n{sale_id}".encode()).hexdigest()


class FakeHub:
    def __init__(self) -> None:
        self.tokens = {TOKEN: DEVICE}
        self.codes = {"CODE-1": DEVICE}
        self.stored: dict[tuple[str, str], dict[str, Any]] = {}
        self.posts: list[list[str]] = []  # sale ids of every POST that reached the handler
        self.fail_next: list[int] = []
        self.lose_answers = 0
        self.stall_s = 0.0
        self.reject: dict[str, str] = {}  # sale_id -> reason the hub refuses it with
        self.catalogs: dict[int, dict[str, Any]] = {}  # since -> answer
        self.catalog_asked: list[int] = []
        self.received = threading.Event()  # set when a batch was stored
        self.url = ""
        self._runner: web.AppRunner | None = None

    def _device(self, request: web.Request) -> str | None:
        auth = request.headers.get("Authorization", "")
        return self.tokens.get(auth.removeprefix("Bearer ")) if auth.startswith("Bearer ") \
            else None

    async def sales(self, request: web.Request) -> web.StreamResponse:
        if self.fail_next:
            status = self.fail_next.pop(0)
            return web.json_response({"error": f"test fault {status}"}, status=status)
        device = self._device(request)
        if device is None:
            return web.json_response({"error": "unknown token"}, status=401)
        body = await request.json()
        self.posts.append([s["sale_id"] for s in body["sales"]])
        results = [self._one(device, s) for s in body["sales"]]
        self.received.set()
        if self.stall_s:
            await asyncio.sleep(self.stall_s)
        if self.lose_answers:
            self.lose_answers -= 1
            assert request.transport is not None
            request.transport.close()  # stored, but the lane never hears it
            return web.Response()
        return web.json_response({"results": results, "gaps": []})

    def _one(self, device: str, s: dict[str, Any]) -> dict[str, str]:
        sid = s["sale_id"]
        if sid in self.reject:
            return {"sale_id": sid, "status": "rejected", "reason": self.reject[sid]}
        if s["lane_id"] != device:
            return {"sale_id": sid, "status": "rejected", "reason": "not this device's lane"}
        ok = (json.loads(s["payload"]).get("sale_id") == sid
              and chain_hash(s["prev_hash"], s["payload"], s["seq"], sid) == s["hash"])
        if not ok:
            return {"sale_id": sid, "status": "rejected", "reason": "hash does not match"}
        key = (device, sid)
        if key in self.stored:
            same = self.stored[key]["hash"] == s["hash"]
            return {"sale_id": sid, "status": "duplicate" if same else "rejected",
                    "reason": "" if same else "other sale with this id"}
        self.stored[key] = s
        return {"sale_id": sid, "status": "accepted", "reason": ""}

    async def catalog(self, request: web.Request) -> web.StreamResponse:
        if self._device(request) is None:
            return web.json_response({"error": "unknown token"}, status=401)
        since = int(request.query["since"])
        self.catalog_asked.append(since)
        return web.json_response(self.catalogs[since])

    async def enrol(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        if self.codes.get(body.get("code")) != body.get("device_id"):
            return web.json_response({"error": "code CODE-? is unknown or used"}, status=403)
        del self.codes[body["code"]]
        token = "n" * 43
        self.tokens[token] = body["device_id"]
        return web.json_response({"device_id": body["device_id"], "store_id": "S1",
                                  "token": token}, status=201)

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/api/v1/sales", self.sales)
        app.router.add_get("/api/v1/catalog", self.catalog)
        app.router.add_post("/api/v1/enrol", self.enrol)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@contextmanager
def hub_in_thread(hub: FakeHub) -> Iterator[str]:
    """Serve `hub` from a thread's own loop (for tests whose uploader is another process)."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(hub.start())
        ready.set()
        loop.run_forever()
        loop.run_until_complete(hub.stop())
        loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield hub.url
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)

"""A real hub on 127.0.0.1 (port 0) over a temp SQLite file or a PostgreSQL database (the
`hub_db` fixture), and real lane sales to send."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from kiosk.hub.app import make_app
from kiosk.hub.store import HubStore
from kiosk.journal.db import open_db
from kiosk.journal.sales import SaleRecord, record_sale


@dataclass
class Hub:
    store: HubStore
    url: str
    http: aiohttp.ClientSession

    async def call(self, method: str, path: str, *, token: str | None = None,
                   body: Any = None, data: bytes | None = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        if body is not None:
            data = json.dumps(body).encode()
        async with self.http.request(method, self.url + path, data=data,
                                     headers=headers) as resp:
            return resp.status, await resp.json(content_type=None)

    async def enrol(self, device_id: str) -> str:
        code = self.store.create_enrol_code(device_id)
        status, answer = await self.call("POST", "/api/v1/enrol",
                                         body={"code": code, "device_id": device_id})
        assert status == 201, answer
        return str(answer["token"])

    async def send(self, token: str, records: list[SaleRecord] | list[dict[str, Any]]
                   ) -> tuple[int, Any]:
        return await self.call("POST", "/api/v1/sales", token=token,
                               body={"sales": [wire(r) for r in records]})


def wire(record: SaleRecord | dict[str, Any]) -> dict[str, Any]:
    if isinstance(record, dict):
        return record
    return {"sale_id": record.sale_id, "lane_id": record.lane_id, "seq": record.seq,
            "payload": record.payload, "prev_hash": record.prev_hash, "hash": record.hash}


@asynccontextmanager
async def running_hub(db: Path | str, **options: Any) -> AsyncIterator[Hub]:
    store = HubStore.open(db, store_id="store-7")
    runner = web.AppRunner(make_app(store, **options))
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        async with aiohttp.ClientSession() as http:
            yield Hub(store, f"http://127.0.0.1:{port}", http)
    finally:
        await runner.cleanup()
        store.close()


def lane_sales(folder: Path, lane_id: str, count: int, *, day: str = "2026-11-20"
               ) -> list[SaleRecord]:
    """`count` sales recorded by the lane's own journal (so hashes are the lane's own)."""
    db = open_db(folder / f"{lane_id}.sqlite")
    try:
        return [record_sale(db, {
            "sale_id": f"S-{lane_id}-{n}", "basket_id": f"B-{lane_id}-{n}",
            "lane_id": lane_id, "finished_at": f"{day}T10:{n % 60:02d}:00.000Z",
            "totals": {"total_cents": 100 * n + 9},
            "lines": [{"sku": "KAESE", "names": {"de": "Käse", "en": "Cheese"}}],
        }) for n in range(1, count + 1)]
    finally:
        db.conn.close()

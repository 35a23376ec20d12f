"""Big baskets: requests are cut to fit the hub's body limit, and a 413 makes them smaller, so
a queue of large sales always drains; a sale too big for the hub at all is quarantined."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from kiosk.journal import sales
from kiosk.journal.db import open_db
from kiosk.sync.uploader import Uploader
from tests.hub.hubtest import running_hub


def big_sale(n: int, lines: int) -> dict[str, Any]:
    return {"sale_id": f"S-L1-{n}", "basket_id": f"B-L1-{n}", "lane_id": "L1",
            "finished_at": f"2026-11-20T10:{n % 60:02d}:00.000Z",
            "totals": {"total_cents": 100 * n},
            "lines": [{"sku": f"SKU{i}", "names": {"de": f"Artikel {i} " + "x" * 60,
                                                   "en": f"Item {i} " + "y" * 60}}
                      for i in range(lines)]}


def test_a_queue_of_big_sales_drains_through_a_hub_with_a_small_body_limit(
        tmp_path: Path) -> None:
    db = open_db(tmp_path / "lane.sqlite")
    for n in range(1, 41):
        sales.record_sale(db, big_sale(n, 30))  # ~5 kB of JSON each, 200 kB in all

    async def go() -> int:
        async with running_hub(tmp_path / "hub.sqlite", max_body_bytes=40_000) as hub:
            token = await hub.enrol("L1")
            # The uploader believes 3 MB fit: the hub's 413 must teach it otherwise.
            uploader = Uploader(sales.JournalOutbox(db), hub.url, token, batch=500)
            for _ in range(60):
                if sales.outbox_status(db).pending == 0:
                    break
                await uploader.run_once()
            assert uploader.max_body_bytes < 40_000
            return int(hub.store.query("SELECT COUNT(DISTINCT sale_id) FROM sales")[0][0])

    held = asyncio.run(go())
    status = sales.outbox_status(db)
    db.close()
    assert held == 40
    assert (status.pending, status.quarantined) == (0, 0)


def test_a_sale_larger_than_the_hub_takes_is_quarantined_with_the_reason(
        tmp_path: Path) -> None:
    db = open_db(tmp_path / "lane.sqlite")
    sales.record_sale(db, big_sale(1, 5))
    sales.record_sale(db, big_sale(2, 400))  # ~60 kB: over the hub's limit on its own
    sales.record_sale(db, big_sale(3, 5))

    async def go() -> None:
        async with running_hub(tmp_path / "hub.sqlite", max_body_bytes=20_000) as hub:
            token = await hub.enrol("L1")
            uploader = Uploader(sales.JournalOutbox(db), hub.url, token)
            for _ in range(20):
                if sales.outbox_status(db).pending == 0:
                    break
                await uploader.run_once()

    asyncio.run(go())
    status = sales.outbox_status(db)
    db.close()
    assert (status.pending, status.quarantined) == (0, 1)
    assert status.newest_quarantine_reason is not None
    assert "S-L1-2" in status.newest_quarantine_reason
    assert "larger than the hub accepts" in status.newest_quarantine_reason

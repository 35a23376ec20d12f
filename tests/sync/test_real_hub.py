"""The uploader against the real hub (kiosk.hub) on 127.0.0.1: enrol, upload exactly once,
quarantine what the hub refuses, a revoked token stops it, and the catalog comes down."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from kiosk.domain.catalog import product_from_dict
from kiosk.hub.catalog import publish
from kiosk.journal import sales
from kiosk.journal.catalog import CatalogStore
from kiosk.journal.db import open_db
from kiosk.journal.hub_sync import HubCatalog
from kiosk.sync.catalog_pull import pull_catalog
from kiosk.sync.enrol import enrol, read_token
from kiosk.sync.errors import HubAuthError
from kiosk.sync.uploader import Uploader
from tests.hub.hubtest import running_hub

from .test_uploader import sale

MILK = {"sku": "MILCH", "name_de": "Vollmilch", "price_cents": 109, "vat_rate": 7,
        "gtin": "4200200000015"}
WATER = {"sku": "WASSER", "name_de": "Mineralwasser", "price_cents": 25, "vat_rate": 19,
         "gtin": "4200400000013"}


def test_an_enrolled_lane_uploads_each_sale_once_and_the_hubs_refusal_is_quarantined(
        tmp_path: Path, hub_db: Path | str) -> None:
    db = open_db(tmp_path / "lane.sqlite")
    records = [sales.record_sale(db, sale(n, "L1")) for n in (1, 2, 3)]
    sales.record_sale(db, sale(1, "L9"))  # not this device's lane: the hub must refuse it

    async def go() -> None:
        async with running_hub(hub_db) as hub:
            code = hub.store.create_enrol_code("L1")
            await enrol(hub.url, code, "L1", tmp_path / "hub-token")
            token = read_token(tmp_path / "hub-token")
            status, _ = await hub.send(token, records[:2])  # answered, but the lane missed it
            assert status == 200
            uploader = Uploader(sales.JournalOutbox(db), hub.url, token)
            report = await uploader.run_once()
            assert (report.acked, report.duplicates, report.quarantined) == (3, 2, 1)
            assert (await uploader.run_once()).sent == 0
            held = hub.store.query("SELECT COUNT(*) FROM sales")[0][0]
            assert held == 3  # nothing twice
            await hub.enrol("L1")  # a new enrolment revokes the lane's token
            sales.record_sale(db, sale(4, "L1"))
            with pytest.raises(HubAuthError, match="enrol the lane again"):
                await uploader.run_once()

    asyncio.run(go())
    status = sales.outbox_status(db)
    assert (status.pending, status.quarantined) == (1, 1)
    assert status.newest_quarantine_reason and "L9" in status.newest_quarantine_reason
    db.close()


def test_the_hubs_catalog_comes_down_in_full_then_as_changes(
        tmp_path: Path, hub_db: Path | str) -> None:
    db = open_db(tmp_path / "lane.sqlite")
    lane_catalog = HubCatalog(db)

    async def go() -> None:
        async with running_hub(hub_db) as hub:
            token = await hub.enrol("L1")
            publish(hub.store, [product_from_dict(MILK), product_from_dict(WATER)], None)
            async with aiohttp.ClientSession() as session:
                first = await pull_catalog(session, hub.url, token, lane_catalog)
                publish(hub.store, [product_from_dict({**MILK, "price_cents": 99})], None)
                second = await pull_catalog(session, hub.url, token, lane_catalog)
            assert (first.full, first.products) == (True, 2)
            assert (second.full, second.products, second.removed) == (False, 1, 1)

    asyncio.run(go())
    store = CatalogStore(db)
    milk = store.by_sku("MILCH")
    assert milk is not None and milk.price_cents == 99 and store.by_sku("WASSER") is None
    assert lane_catalog.hub_version() == 2
    db.close()

"""Catalog pull: the hub's full catalog, then its changes, applied whole while the lane sells."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from journal import lane  # tests/ is on sys.path: the journal tests are package "journal"

from kiosk.domain import commands as c
from kiosk.domain.catalog import product_from_dict
from kiosk.journal.catalog import CatalogStore
from kiosk.journal.db import open_db
from kiosk.journal.durable import DurableCheckout
from kiosk.journal.hub_sync import HubCatalog
from kiosk.sync.catalog_pull import PullReport, pull_catalog
from kiosk.sync.errors import HubAuthError, SyncError

from .fake_hub import TOKEN, FakeHub

MILK_NEW = {"sku": "MILCH", "names": {"de": "Frische Vollmilch 1 l"}, "price_cents": 129,
            "vat_rate": 7, "gtin": lane.MILK}
TOAST = {"sku": "TOAST", "names": {"de": "Toastbrot"}, "price_cents": 159, "vat_rate": 7,
         "gtin": lane.ean13("400000000009")}
FULL = {"version": 5, "full": True, "products": lane.RECORDS, "removed": [],
        "promotions": []}
DELTA = {"version": 7, "full": False, "products": [MILK_NEW, TOAST], "removed": ["KAESE"],
         "promotions": None}


async def pull(hub: FakeHub, path: Path, times: int = 1, token: str = TOKEN) -> list[PullReport]:
    url = await hub.start()
    db = open_db(path)
    try:
        async with aiohttp.ClientSession() as session:
            return [await pull_catalog(session, url, token, HubCatalog(db))
                    for _ in range(times)]
    finally:
        db.close()
        await hub.stop()


def hub_with(**answers: dict[str, Any]) -> FakeHub:
    hub = FakeHub()
    hub.catalogs = {int(k.removeprefix("v")): v for k, v in answers.items()}
    return hub


def test_the_full_catalog_then_its_changes_arrive_and_the_hub_version_is_kept(
        tmp_path: Path) -> None:
    path = tmp_path / "lane.db"
    hub = hub_with(v0=FULL, v5=DELTA, v7={**DELTA, "products": [], "removed": []})
    first, second, third = asyncio.run(pull(hub, path, times=3))
    assert hub.catalog_asked == [0, 5, 7]  # each time from the version last applied
    assert (first.full, first.products, second.full, second.removed) == (True, 7, False, 1)
    assert not third.changed and "up to date at hub version 7" in str(third)
    db = open_db(path)
    store = CatalogStore(db)
    milk = store.by_sku("MILCH")
    assert milk is not None and milk.price_cents == 129
    assert store.by_sku("KAESE") is None and store.by_sku("TOAST") is not None
    assert HubCatalog(db).hub_version() == 7
    db.close()


def test_a_bad_answer_changes_nothing_and_is_asked_again(tmp_path: Path) -> None:
    path = tmp_path / "lane.db"
    broken = {**FULL, "products": [*lane.RECORDS, {"sku": "X", "price_cents": "viel"}]}
    with pytest.raises(SyncError, match=r"hub products\[7\].*catalog is unchanged"):
        asyncio.run(pull(hub_with(v0=broken), path))
    dangling = {**DELTA, "products": [{**TOAST, "deposit_sku": "NOPE"}]}
    asyncio.run(pull(hub_with(v0=FULL), path))
    with pytest.raises(Exception, match="deposit_sku names no product"):
        asyncio.run(pull(hub_with(v5=dangling), path))
    db = open_db(path)
    assert HubCatalog(db).hub_version() == 5 and CatalogStore(db).by_sku("TOAST") is None
    db.close()


def test_an_unknown_token_is_refused_for_the_catalog_too(tmp_path: Path) -> None:
    with pytest.raises(HubAuthError):
        asyncio.run(pull(hub_with(v0=FULL), tmp_path / "lane.db", token="forged"))


def test_the_lane_keeps_scanning_while_the_catalog_is_replaced_and_patched(
        tmp_path: Path) -> None:
    path = tmp_path / "lane.db"
    seed = open_db(path)
    CatalogStore(seed).replace([product_from_dict(r) for r in lane.RECORDS])
    seed.close()
    prices: list[int] = []
    problems: list[BaseException] = []
    done = threading.Event()

    def sell() -> None:
        db = open_db(path)
        store = CatalogStore(db)
        durable = DurableCheckout.restore(db, lane.LANE_ID, lane.POLICY, lane.attendants())
        step = 0

        def do(command: c.Command) -> None:
            nonlocal step
            step += 1
            durable.handle(command, dataclasses.replace(lane.context(step, lane.catalog()),
                                                        catalog=store))
        try:
            do(c.AttendantLogin("A1", lane.PIN))
            do(c.Open("A1"))
            while True:
                # The last sale starts after the pull finished, so it must see the new price
                # (a slow seller used to stop right after the pull with only old prices).
                pulled = done.is_set()
                do(c.Scan(lane.MILK))
                due = durable.checkout.amount_due_cents()
                prices.append(due)
                do(c.Pay())
                do(c.PaymentResult(approved=True, amount_cents=due, reference=f"T-{step}"))
                if pulled and len(prices) >= 5:
                    break
        except BaseException as err:  # reported to the test below
            problems.append(err)
        finally:
            db.close()

    seller = threading.Thread(target=sell)
    seller.start()
    try:
        asyncio.run(pull(hub_with(v0=FULL, v5=DELTA), path, times=2))
    finally:
        done.set()
        seller.join(30)
    assert not problems, problems
    assert set(prices) <= {119, 129} and prices[-1] == 129  # old or new price, never none
    db = open_db(path)
    assert len(db.conn.execute("SELECT sale_id FROM sales").fetchall()) == len(prices)
    db.close()

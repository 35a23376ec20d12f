"""Learned weights through the real uploader, journal and hub on 127.0.0.1: two lanes teach the
store, a fresh lane pulls the merge and its bagging check is trained from its first basket."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest
from sqlite_utils import Database

from kiosk.domain import commands as c
from kiosk.domain.policy import Policy
from kiosk.journal import sales, weights
from kiosk.journal.db import open_db
from kiosk.journal.durable import DurableCheckout
from kiosk.journal.weights import HubWeights
from kiosk.sync.errors import SyncError
from kiosk.sync.uploader import Uploader
from kiosk.sync.weights import exchange_weights, parse_weights_answer
from tests.hub.hubtest import Hub, running_hub
from tests.journal import lane

POLICY = Policy(bagging=True, learned_min_samples=3, learned_k_sigma=3, bagging_tolerance_g=25,
                bagging_noise_g=5)
AT = "2026-11-20T10:00:00+00:00"


def learned_lane(path: Path, samples: dict[str, list[int]]) -> Database:
    db = open_db(path)
    for sku, grams in samples.items():
        for g in grams:
            weights.record(db, sku, g, AT)
    return db


def hub_rows(hub: Hub) -> list[tuple[object, ...]]:
    return hub.store.query("SELECT device_id, sku, sample_count FROM lane_weights "
                           "ORDER BY device_id, sku")


async def upload_until(uploader: Uploader, done: Callable[[], bool]) -> None:
    """Run the uploader's own loop until `done()` holds (its quiet round shares weights)."""
    stop = asyncio.Event()
    task = asyncio.create_task(uploader.run_forever(stop))
    try:
        while not done():
            assert not task.done(), task.exception()
            await asyncio.sleep(0.01)
    finally:
        stop.set()
        await task


class Shopper:
    def __init__(self, db: Database) -> None:
        self.durable = DurableCheckout.restore(db, lane.LANE_ID, POLICY, lane.attendants())
        self.step = 0

    def __call__(self, command: c.Command) -> list[str]:
        self.step += 1
        return [f.kind for f in self.durable.handle(command, lane.context(self.step,
                                                                          lane.catalog()))]


def open_lane(db: Database) -> Shopper:
    shopper = Shopper(db)
    shopper(c.AttendantLogin("A1", lane.PIN))
    shopper(c.Open("A1"))
    shopper(c.BaggingWeight(0))
    return shopper


def test_a_fresh_lane_that_pulled_the_stores_weights_checks_bagging_from_its_first_basket(
        tmp_path: Path, hub_db: Path | str) -> None:
    # Lane A: milk 1040, 1050 (too few to trust alone); lane B: milk 1060 x 3.
    # The store: 5 samples, mean 1054 g, m2 320, sd sqrt(80) = 8.94 g: band 1054 +- 26.8 g.
    lane_a = learned_lane(tmp_path / "a.sqlite", {"MILCH": [1040, 1050]})
    lane_b = learned_lane(tmp_path / "b.sqlite", {"MILCH": [1060, 1060, 1060]})
    fresh = open_db(tmp_path / "c.sqlite")

    async def go() -> None:
        async with running_hub(hub_db) as hub:
            tokens = [await hub.enrol(d) for d in ("L1", "L2", "L3")]
            uploader = Uploader(sales.JournalOutbox(lane_a), hub.url, tokens[0],
                                weights=HubWeights(lane_a), interval_s=60)
            await upload_until(uploader, lambda: HubWeights(lane_a).unsent() is None)
            async with aiohttp.ClientSession() as session:
                report_b = await exchange_weights(session, hub.url, tokens[1],
                                                  HubWeights(lane_b))
                again = await exchange_weights(session, hub.url, tokens[1], HubWeights(lane_b))
                pulled = await exchange_weights(session, hub.url, tokens[2], HubWeights(fresh))
            assert (report_b.sent, again.sent, pulled.sent) == (1, 0, 0)  # unchanged: not sent
            assert hub_rows(hub) == [("L1", "MILCH", 2), ("L2", "MILCH", 3)]

    asyncio.run(go())
    lane_a.close()
    lane_b.close()
    [milk] = HubWeights(fresh).hub_weights()
    assert (milk.count, milk.mean_g, milk.m2) == (5, pytest.approx(1054.0), pytest.approx(320.0))
    try:
        shopper = open_lane(fresh)
        shopper(c.Scan(lane.MILK))
        expected = shopper.durable.checkout.bagging.pending[0]
        assert (expected.source, expected.low_g, expected.high_g) == ("learned", 1027, 1081)
        assert shopper(c.BaggingWeight(1040)) == ["bagging_placed", "weight_learned"]
        shopper(c.Scan(lane.MILK))
        flagged = shopper(c.BaggingWeight(1040 + 1200))  # a heavier item than milk
        assert "bagging_placed" not in flagged
        assert [i.reason for i in shopper.durable.checkout.interventions] == ["weight_mismatch"]
    finally:
        fresh.close()


def test_without_the_stores_weights_an_unknown_products_weight_is_not_checked(
        tmp_path: Path) -> None:
    db = open_db(tmp_path / "c.sqlite")
    try:
        shopper = open_lane(db)
        shopper(c.Scan(lane.MILK))
        assert shopper.durable.checkout.bagging.pending[0].source == "any"
        assert shopper(c.BaggingWeight(1200)) == ["bagging_placed", "weight_learned"]
    finally:
        db.close()


def test_the_lanes_own_trusted_weight_wins_over_the_stores(tmp_path: Path) -> None:
    db = learned_lane(tmp_path / "c.sqlite", {"MILCH": [500, 500, 500]})
    HubWeights(db).replace_hub([weights.LearnedWeight("MILCH", 50, 1054.0, 4000.0)], AT)
    try:
        store = weights.WeightStore(db, POLICY.learned_min_samples)
        own = store.get("MILCH")
        assert own is not None and (own.count, own.mean_g) == (3, 500.0)
        assert weights.WeightStore(db, 4).get("MILCH") == weights.load_hub(db, "MILCH")
    finally:
        db.close()


@pytest.mark.parametrize("answer", [
    {"weights": [{"sku": "MILCH", "count": 0, "mean_g": 1.0, "m2": 0}]},
    {"weights": [{"sku": "MILCH", "count": 2, "mean_g": "1", "m2": 0}]},
    {"weights": None}, [],
])
def test_a_nonsense_hub_answer_leaves_the_lanes_copy_unchanged(answer: object) -> None:
    with pytest.raises(SyncError, match="keeps its weights"):
        parse_weights_answer(answer)

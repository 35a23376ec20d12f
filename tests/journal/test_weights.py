"""Learned item weights on disk: kept across restarts, written with the fact that taught them."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlite_utils import Database

from kiosk.domain import commands as c
from kiosk.domain.catalog import MemoryCatalog
from kiosk.domain.policy import Policy
from kiosk.errors import JournalError
from kiosk.journal import basket_log, weights
from kiosk.journal.db import open_db
from kiosk.journal.durable import DurableCheckout

from . import lane

POLICY = Policy(bagging=True, learned_min_samples=2, learned_k_sigma=3, bagging_tolerance_g=25)
SHOP = MemoryCatalog(replace(p, expected_weight_g=1045) if p.sku == "MILCH" else p
                     for p in lane.catalog())


class Shopper:
    def __init__(self, db: Database, step: int = 0) -> None:
        self.durable = DurableCheckout.restore(db, lane.LANE_ID, POLICY, lane.attendants())
        self.step = step

    def __call__(self, command: c.Command) -> list[str]:
        self.step += 1
        # No weights in the context: the durable checkout looks them up in its own file.
        return [f.kind for f in self.durable.handle(command, lane.context(self.step, SHOP))]


def _open_lane(db: Database) -> Shopper:
    shopper = Shopper(db)
    shopper(c.AttendantLogin("A1", lane.PIN))
    shopper(c.Open("A1"))
    shopper(c.BaggingWeight(0))
    return shopper


def test_a_placement_teaches_the_weight_and_a_restart_keeps_it(db_path: Path) -> None:
    db = open_db(db_path)
    shopper = _open_lane(db)
    shopper(c.Scan(lane.MILK))
    assert shopper(c.BaggingWeight(1040)) == ["bagging_placed", "weight_learned"]
    shopper(c.Scan(lane.MILK))
    shopper(c.BaggingWeight(1040 + 1050))
    step = shopper.step
    db.close()

    again = open_db(db_path)
    try:
        milk = weights.load(again, "MILCH")
        assert milk is not None and (milk.count, milk.mean_g) == (2, 1045.0)
        assert weights.all_weights(again) == [milk]
        shopper = Shopper(again, step)
        shopper(c.Scan(lane.MILK))
        found = shopper.durable.checkout.bagging.pending[0]
        assert (found.source, found.low_g, found.high_g) == ("learned", 1020, 1070)
    finally:
        again.close()


def test_a_learned_weight_that_cannot_be_written_keeps_the_placement_unwritten_too(
        db: Database) -> None:
    shopper = _open_lane(db)
    shopper(c.Scan(lane.MILK))
    before_facts = basket_log.fact_count(db, lane.LANE_ID)
    before_state = shopper.durable.checkout.snapshot()
    db.conn.execute("CREATE TEMP TRIGGER full_disk BEFORE INSERT ON learned_weights "
                    "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
    with pytest.raises(JournalError, match="disk is full"):
        shopper(c.BaggingWeight(1045))
    assert basket_log.fact_count(db, lane.LANE_ID) == before_facts
    assert shopper.durable.checkout.snapshot() == before_state
    assert weights.load(db, "MILCH") is None
    db.conn.execute("DROP TRIGGER full_disk")
    assert shopper(c.BaggingWeight(1045)) == ["bagging_placed", "weight_learned"]
    assert weights.load(db, "MILCH") is not None


def test_record_updates_one_row_per_product(db: Database) -> None:
    weights.record(db, "MILCH", 1040, "2025-03-01T09:00:00.000Z")
    milk = weights.record(db, "MILCH", 1050, "2025-03-01T09:01:00.000Z")
    assert (milk.count, milk.mean_g, milk.m2) == (2, 1045.0, 50.0)
    row = db.conn.execute("SELECT count, updated_at FROM learned_weights").fetchall()
    assert row == [(2, "2025-03-01T09:01:00.000Z")]
    assert weights.WeightStore(db)("BROT") is None

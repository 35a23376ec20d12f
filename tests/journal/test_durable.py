"""The durable checkout: what the shopper saw is on disk, and a restart brings it all back."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlite_utils import Database

from kiosk.domain import commands as c
from kiosk.domain.checkout import Checkout
from kiosk.domain.flow import FlowState
from kiosk.errors import AuthError, FlowError, JournalError
from kiosk.journal import basket_log, sales
from kiosk.journal.db import open_db
from kiosk.journal.durable import DurableCheckout

from . import lane

SHOP = lane.catalog()


class Shopper:
    """Drives a durable lane step by step, each step with its own time and ids."""

    def __init__(self, durable: DurableCheckout, step: int = 0) -> None:
        self.durable = durable
        self.step = step

    def __call__(self, command: c.Command) -> list[str]:
        self.step += 1
        facts = self.durable.handle(command, lane.context(self.step, SHOP))
        return [f.kind for f in facts]

    def pay_all(self) -> list[str]:
        self(c.Pay())
        due = self.durable.checkout.amount_due_cents()
        return self(c.PaymentResult(approved=True, amount_cents=due, reference="T-1"))


def new_lane(db: Database) -> Shopper:
    shopper = Shopper(restore(db))
    shopper(c.AttendantLogin("A1", lane.PIN))
    shopper(c.Open("A1"))
    return shopper


def restore(db: Database) -> DurableCheckout:
    return DurableCheckout.restore(db, lane.LANE_ID, lane.POLICY, lane.attendants())


def reopened(path: Path) -> DurableCheckout:
    """The lane as a restarted process sees it: a new connection, a new checkout."""
    return restore(open_db(path))


def test_a_scan_is_on_disk_before_handle_returns(db: Database, db_path: Path) -> None:
    shopper = new_lane(db)
    assert shopper(c.Scan(lane.MILK)) == ["basket_opened", "lines_added"]
    other_process_view = open_db(db_path)
    _, facts = basket_log.load(other_process_view, lane.LANE_ID)
    assert [f.kind for f in facts][-2:] == ["basket_opened", "lines_added"]


def test_a_restart_brings_back_the_open_basket_exactly(db: Database, db_path: Path) -> None:
    shopper = new_lane(db)
    shopper(c.Scan(lane.MILK))
    shopper(c.Scan(lane.BEER))  # age check opens, Pfand line follows
    shopper(c.SelectItem(lane.BANANA_PLU))
    shopper(c.Weigh(1234))
    shopper(c.SetQuantity(2, 3))
    shopper(c.RequestVoid(1))  # waits for an attendant
    live = shopper.durable.checkout
    after_restart = reopened(db_path).checkout
    assert after_restart.snapshot() == live.snapshot()
    assert after_restart.totals() == live.totals()
    assert [i.reason for i in after_restart.interventions] == [i.reason for i in
                                                               live.interventions]


def test_a_paid_basket_becomes_one_sale_with_one_upload_record(db: Database) -> None:
    shopper = new_lane(db)
    shopper(c.Scan(lane.BREAD))
    shopper(c.Scan(lane.WATER))
    assert shopper.pay_all() == ["payment_approved", "sale_finished", "basket_closed"]
    recorded = sales.lane_sales(db, lane.LANE_ID)
    assert len(recorded) == 1
    sale = recorded[0].sale
    assert sale["totals"]["total_cents"] == 289 + 49 + 25 == recorded[0].total_cents
    assert sale["basket_id"] == basket_log.basket_facts(db, sale["basket_id"])[0].data[
        "basket_id"]
    assert [q.sale_id for q in sales.pending(db)] == [sale["sale_id"]]


def test_consecutive_sales_are_numbered_and_chained(db: Database) -> None:
    shopper = new_lane(db)
    for code in (lane.MILK, lane.CHEESE, lane.BREAD):
        shopper(c.Scan(code))
        shopper.pay_all()
        shopper(c.Finish())
    report = sales.verify_chain(db, lane.LANE_ID)
    assert report.ok and report.count == 3
    assert [s.total_cents for s in sales.lane_sales(db, lane.LANE_ID)] == [119, 349, 289]


def test_a_closed_basket_is_checkpointed_so_a_restart_replays_only_what_followed(
        db: Database, db_path: Path) -> None:
    shopper = new_lane(db)
    shopper(c.Scan(lane.MILK))
    shopper.pay_all()
    shopper(c.Finish())
    shopper(c.Scan(lane.CHEESE))
    snapshot, facts = basket_log.load(db, lane.LANE_ID)
    assert snapshot is not None and snapshot["state"] == FlowState.FINISHING.value
    assert [f.kind for f in facts] == ["finishing_done", "basket_opened", "lines_added"]
    assert reopened(db_path).checkout.snapshot() == shopper.durable.checkout.snapshot()


def test_a_failed_sale_write_keeps_nothing_and_the_lane_does_not_move(db: Database) -> None:
    shopper = new_lane(db)
    shopper(c.Scan(lane.CHEESE))
    shopper(c.Pay())
    before_facts = basket_log.fact_count(db, lane.LANE_ID)
    before_state = shopper.durable.checkout.snapshot()
    # The disk refuses the sale row (as a full disk would), after the facts went in.
    db.conn.execute("CREATE TEMP TRIGGER full_disk BEFORE INSERT ON sales "
                    "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
    approved = c.PaymentResult(approved=True, amount_cents=349, reference="T-9")
    with pytest.raises(JournalError, match="disk is full"):
        shopper(approved)
    assert basket_log.fact_count(db, lane.LANE_ID) == before_facts
    assert sales.lane_sales(db, lane.LANE_ID) == []
    assert shopper.durable.checkout.snapshot() == before_state
    db.conn.execute("DROP TRIGGER full_disk")
    assert shopper(approved)[-1] == "basket_closed"
    assert len(sales.lane_sales(db, lane.LANE_ID)) == 1


def test_a_lane_whose_journal_is_locked_refuses_the_scan_and_stays_as_it_was(
        db_path: Path) -> None:
    shopper = new_lane(open_db(db_path, busy_timeout_s=0.05))
    shopper(c.Scan(lane.MILK))
    before = shopper.durable.checkout.snapshot()
    uploader = open_db(db_path)
    uploader.conn.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(JournalError, match="locked"):
            shopper(c.Scan(lane.BREAD))
    finally:
        uploader.conn.execute("ROLLBACK")
    assert shopper.durable.checkout.snapshot() == before
    assert shopper(c.Scan(lane.BREAD)) == ["lines_added"]


def test_a_refused_command_writes_nothing(db: Database) -> None:
    shopper = new_lane(db)
    count = basket_log.fact_count(db, lane.LANE_ID)
    with pytest.raises(FlowError):
        shopper(c.Pay())
    assert basket_log.fact_count(db, lane.LANE_ID) == count


def test_a_wrong_pin_is_refused_and_still_counted_after_a_restart(db: Database,
                                                                  db_path: Path) -> None:
    shopper = new_lane(db)
    with pytest.raises(AuthError):
        shopper(c.AttendantLogin("A1", "0000"))
    assert basket_log.load(db, lane.LANE_ID)[1][-1].kind == "pin_rejected"
    assert reopened(db_path).checkout.pins == shopper.durable.checkout.pins
    assert shopper.durable.checkout.pins.failures


def test_an_empty_journal_restores_a_closed_lane(db: Database) -> None:
    assert restore(db).checkout.state is FlowState.CLOSED


def test_a_checkout_for_another_lane_is_refused(db: Database) -> None:
    other = Checkout(lane_id="L9", policy=lane.POLICY, attendants=lane.attendants())
    with pytest.raises(JournalError, match="lane 'L9'"):
        DurableCheckout(db, other, lane.LANE_ID)


def test_a_sale_written_twice_by_a_retry_is_stored_once(db: Database) -> None:
    shopper = new_lane(db)
    shopper(c.Scan(lane.MILK))
    shopper.pay_all()
    sale = sales.lane_sales(db, lane.LANE_ID)[0]
    assert sales.record_sale(db, sale.sale) == sale
    assert sales.verify_chain(db, lane.LANE_ID).count == 1

"""Retention: the lane's file stays bounded, and only what the hub acknowledged is pruned.

Sales are copies of one real 15-line basket (facts, sale, outbox, checkpoint) made by the real
durable checkout (bench/offline_capacity.py builds it), written with the real journal functions.
"""

from __future__ import annotations

import importlib.util
import sqlite3
import sys
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlite_utils import Database

from kiosk.errors import JournalError
from kiosk.journal import retention, sales
from kiosk.journal.db import open_db

ROOT = Path(__file__).resolve().parents[2]
DAY_S = 86_400.0


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("offline_capacity",
                                                  ROOT / "bench" / "offline_capacity.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["offline_capacity"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


capacity = _bench()
T0 = capacity.T0
LANE = capacity.LANE


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return capacity.template_basket(tmp_path_factory.mktemp("template"), lines=15)


def ack(db: Database, sale_ids: list[str]) -> None:
    """What the uploader records when the hub accepted these sales."""
    outbox = sales.JournalOutbox(db)
    for start in range(0, len(sale_ids), 500):
        outbox.settle(sale_ids[start:start + 500], [], "2030-01-01T00:00:00.000Z")


def kept_seqs(db: Database) -> list[int]:
    return [r.seq for r in sales.lane_sales(db, LANE)]


def basket_fact_count(db: Database, n: int) -> int:
    return int(db.conn.execute("SELECT COUNT(*) FROM facts WHERE basket_id = ?",
                               (f"B-{LANE}-{n}",)).fetchone()[0])


def test_only_acknowledged_sales_past_the_retention_are_pruned_and_the_chain_still_verifies(
        db: Database, template: Any) -> None:
    ids = capacity.write_sales(db, template, 30, start=T0, spacing_s=DAY_S)  # sale n on day n
    ack(db, [i for i in ids if i not in ("S-L1-5", "S-L1-7")])
    sales.mark_quarantined(db, [("S-L1-7", "breaks the chain")], "2030-01-01T00:00:00Z")

    report = retention.prune(db, 14, T0 + timedelta(days=31))  # keeps day 17 onwards

    assert kept_seqs(db) == [5, 7, *range(17, 31)]  # pending and quarantined stay, any age
    assert report.sales == 14
    assert basket_fact_count(db, 4) == 0 and basket_fact_count(db, 5) > 0
    assert basket_fact_count(db, 17) == len(template.facts)
    chain = sales.verify_chain(db, LANE)
    assert chain.ok, str(chain)
    assert chain.count == 16 and chain.last_seq == 30


def test_a_damaged_sale_next_to_a_pruned_run_is_still_found(db: Database, template: Any
                                                            ) -> None:
    ids = capacity.write_sales(db, template, 10, start=T0, spacing_s=DAY_S)
    ack(db, ids)
    retention.prune(db, 14, T0 + timedelta(days=20))  # sales 1..5 go
    db.conn.execute("UPDATE pruned_sales SET last_hash = ?", ("f" * 64,))
    assert sales.verify_chain(db, LANE).broken_links == (6,)


def test_the_next_sale_continues_the_chain_from_the_kept_head(db: Database, template: Any
                                                              ) -> None:
    ids = capacity.write_sales(db, template, 12, start=T0, spacing_s=DAY_S)
    ack(db, ids)
    retention.prune(db, 1, T0 + timedelta(days=400))
    assert kept_seqs(db) == [12]  # the newest sale is the chain head: never pruned

    head = sales.get_sale(db, "S-L1-12")
    capacity.write_sales(db, template, 1, start=T0, spacing_s=DAY_S, first=13)
    new = sales.get_sale(db, "S-L1-13")
    assert head is not None and new is not None
    assert (new.seq, new.prev_hash) == (13, head.hash)
    assert sales.verify_chain(db, LANE).ok


def test_the_database_refuses_to_prune_what_the_hub_has_not_acknowledged(
        db: Database, template: Any) -> None:
    capacity.write_sales(db, template, 3, start=T0, spacing_s=DAY_S)
    ack(db, ["S-L1-1", "S-L1-2", "S-L1-3"])
    capacity.write_sales(db, template, 1, start=T0, spacing_s=DAY_S, first=4)
    with pytest.raises(sqlite3.IntegrityError, match="only sales the hub acknowledged"):
        db.conn.execute("DELETE FROM outbox WHERE sale_id = 'S-L1-4'")
    with pytest.raises(sqlite3.IntegrityError, match="chain head"):
        db.conn.execute("DELETE FROM sales WHERE seq = 4")
    with pytest.raises(sqlite3.IntegrityError, match="a kept sale needs them"):
        db.conn.execute("DELETE FROM facts WHERE basket_id = 'B-L1-1'")
    assert kept_seqs(db) == [1, 2, 3, 4]


def test_the_uploader_hook_prunes_at_most_every_ten_minutes(db: Database, template: Any
                                                            ) -> None:
    ids = capacity.write_sales(db, template, 6, start=T0, spacing_s=DAY_S)
    clock = iter([0.0, 300.0, 601.0, 601.0])
    pruner = retention.JournalPruner(db, 1, clock=lambda: next(clock),
                                     now=lambda: T0 + timedelta(days=100))
    ack(db, ids[:2])
    first = pruner.after_settle()
    ack(db, ids[2:4])
    assert first is not None and first.sales == 2
    assert pruner.after_settle() is None  # 5 minutes later: not due
    later = pruner.after_settle()
    assert later is not None and later.sales == 2
    assert kept_seqs(db) == [5, 6]


def test_a_full_disk_refuses_the_sale_and_writes_nothing(db: Database, template: Any) -> None:
    capacity.write_sales(db, template, 2, start=T0, spacing_s=DAY_S)
    pages = db.conn.execute("PRAGMA page_count").fetchone()[0]
    db.conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLITE_FULL on the next new page
    with pytest.raises(JournalError, match="nothing of this step was saved; check free disk"):
        capacity.write_sales(db, template, 50, start=T0, spacing_s=DAY_S, first=3)
    assert kept_seqs(db) == [1, 2]
    assert sales.outbox_status(db).pending == 2


def test_low_free_space_is_below_200_mb_or_5_percent() -> None:
    gb = 1_000_000_000
    assert retention.DiskStatus(10**6, 150 * 10**6, 100 * gb).low
    assert retention.DiskStatus(10**6, 3 * gb, 100 * gb).low
    assert not retention.DiskStatus(10**6, 6 * gb, 100 * gb).low


# 3,000 sales over a week keep this under ~25 s in make test; bench/offline_capacity.py
# writes 100,000 (docs/durability.md has its figures).
WEEK_SALES = 3_000


@pytest.mark.slow
def test_a_week_of_offline_sales_fits_and_pruning_keeps_only_the_retention_window(
        tmp_path: Path, template: Any) -> None:
    path = tmp_path / "lane.sqlite"
    db = open_db(path)
    try:
        empty = capacity.file_bytes(path, db)
        ids = capacity.write_sales(db, template, WEEK_SALES, start=T0,
                                   spacing_s=7 * DAY_S / WEEK_SALES)
        full = capacity.file_bytes(path, db)
        # 15-line sales measure about 28 kB each (facts 17.6, sale 10.2, outbox 0.1): 100,000 of
        # them are under 3 GB. The bound leaves room for a richer basket, not for a leak.
        assert (full - empty) / WEEK_SALES < 40_000
        assert sales.outbox_status(db).pending == WEEK_SALES
        assert retention.prune(db, 1, T0 + timedelta(days=8)).sales == 0  # nothing acked yet

        ack(db, ids)
        report = retention.prune(db, 1, T0 + timedelta(days=7))
        kept = kept_seqs(db)
        assert report.sales == len(ids) - len(kept)
        assert WEEK_SALES / 7 - 15 <= len(kept) <= WEEK_SALES / 7 + 15  # the last of 7 days
        assert sales.verify_chain(db, LANE).ok
        assert capacity.file_bytes(path, db) < full * 0.25  # pages went back to the disk
    finally:
        db.close()

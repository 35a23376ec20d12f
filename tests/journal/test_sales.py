"""Finished sales: one per basket, numbered 1, 2, 3 per lane, hash-chained, each queued."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from typing import Any

import pytest
from sqlite_utils import Database

from kiosk.errors import JournalError
from kiosk.journal import sales

ZEROS = "0" * 64


def sale(n: int, lane: str = "L1", total_cents: int = 199, **extra: Any) -> dict[str, Any]:
    return {
        "sale_id": f"S-{lane}-{n}", "basket_id": f"B-{lane}-{n}", "lane_id": lane,
        "finished_at": f"2025-03-01T10:{n:02d}:00.000Z",
        "totals": {"total_cents": total_cents, "vat": [{"rate": "B", "vat_cents": 13}]},
        "lines": [{"sku": "KAESE", "names": {"de": "Käse", "en": "Cheese"}}], **extra,
    }


def hand_hash(prev: str, payload: str, seq: int, sale_id: str) -> str:
    """The chain formula as documented for the hub, written out independently."""
    return hashlib.sha256(f"{prev}\n{payload}\n{seq}\n{sale_id}".encode()).hexdigest()


def test_sales_are_numbered_from_one_and_each_hash_links_to_the_one_before(db: Database) -> None:
    first = sales.record_sale(db, sale(1))
    second = sales.record_sale(db, sale(2, total_cents=1234))
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == ZEROS
    assert second.prev_hash == first.hash
    assert second.hash == hand_hash(first.hash, second.payload, 2, "S-L1-2")
    assert second.total_cents == 1234


def test_the_payload_is_canonical_utf8_json_of_the_sale(db: Database) -> None:
    record = sales.record_sale(db, sale(1))
    assert record.payload == json.dumps(sale(1), sort_keys=True, separators=(",", ":"),
                                        ensure_ascii=False)
    assert "Käse" in record.payload
    assert record.sale == sale(1)


def test_recording_the_same_sale_again_returns_it_and_adds_nothing(db: Database) -> None:
    first = sales.record_sale(db, sale(1))
    again = sales.record_sale(db, sale(1))
    assert again == first
    assert db.conn.execute("SELECT COUNT(*) FROM sales").fetchone()[0] == 1
    assert db.conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 1


def test_a_second_sale_for_an_already_sold_basket_is_never_created(db: Database) -> None:
    first = sales.record_sale(db, sale(1))
    retry = dict(sale(1), sale_id="S-other-id", finished_at="2025-03-01T11:00:00.000Z")
    assert sales.record_sale(db, retry) == first
    assert [s.sale_id for s in sales.lane_sales(db, "L1")] == ["S-L1-1"]


def test_every_sale_is_queued_for_upload_in_the_same_step(db: Database) -> None:
    sales.record_sale(db, sale(1))
    sales.record_sale(db, sale(2))
    queued = sales.pending(db)
    assert [(q.sale_id, q.seq) for q in queued] == [("S-L1-1", 1), ("S-L1-2", 2)]
    assert json.loads(queued[0].payload)["sale_id"] == "S-L1-1"
    assert sales.outbox_status(db) == sales.OutboxStatus(2, "2025-03-01T10:01:00.000Z", None)


def test_each_lane_has_its_own_sequence_and_chain(db: Database) -> None:
    sales.record_sale(db, sale(1, lane="L1"))
    other = sales.record_sale(db, sale(1, lane="L2"))
    assert (other.seq, other.prev_hash) == (1, ZEROS)
    assert sales.verify_chain(db, "L1").ok and sales.verify_chain(db, "L2").ok


@pytest.mark.parametrize("broken", [
    {"sale_id": ""},
    {"basket_id": None},
    {"totals": {"total_cents": "1,99"}},
    {"totals": {"total_cents": True}},
    {"finished_at": 20250301},
])
def test_a_malformed_sale_is_refused_and_nothing_is_written(db: Database, broken: dict[str, Any]
                                                            ) -> None:
    with pytest.raises(JournalError, match="was not recorded"):
        sales.record_sale(db, {**sale(1), **broken})
    assert db.conn.execute("SELECT COUNT(*) FROM sales").fetchone()[0] == 0
    assert db.conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0


def _three_sales(db: Database) -> None:
    for n in (1, 2, 3):
        sales.record_sale(db, sale(n))
    # What someone with the sqlite3 shell could do: lift the append-only guard.
    db.conn.execute("DROP TRIGGER sales_no_update")
    db.conn.execute("DROP TRIGGER sales_no_delete")
    db.conn.execute("DROP TRIGGER outbox_no_delete")


def test_an_intact_chain_verifies(db: Database) -> None:
    _three_sales(db)
    report = sales.verify_chain(db, "L1")
    assert report.ok and report.count == 3 and report.last_seq == 3
    assert report.first_bad_seq is None
    assert "intact" in str(report)


def test_an_edited_payload_is_found(db: Database) -> None:
    _three_sales(db)
    record = sales.get_sale(db, "S-L1-2")
    assert record is not None
    db.conn.execute("UPDATE sales SET payload = ? WHERE seq = 2",
                    (record.payload.replace("199", "19"),))
    report = sales.verify_chain(db, "L1")
    assert report.tampered == (2,) and report.first_bad_seq == 2
    assert "altered sales at seq 2" in str(report)


def test_an_edited_total_column_is_found_even_with_the_payload_intact(db: Database) -> None:
    _three_sales(db)
    db.conn.execute("UPDATE sales SET total_cents = 1 WHERE seq = 3")
    assert sales.verify_chain(db, "L1").tampered == (3,)


def test_a_deleted_sale_shows_as_a_gap_and_a_broken_link(db: Database) -> None:
    _three_sales(db)
    db.conn.execute("DELETE FROM outbox WHERE sale_id = 'S-L1-2'")
    db.conn.execute("DELETE FROM sales WHERE seq = 2")
    report = sales.verify_chain(db, "L1")
    assert report.gaps == ((2, 2),)
    assert report.broken_links == (3,)
    assert report.first_bad_seq == 2
    assert "missing seq 2" in str(report)


def test_a_rehashed_forgery_still_breaks_the_next_link(db: Database) -> None:
    _three_sales(db)
    record = sales.get_sale(db, "S-L1-2")
    assert record is not None
    forged = record.payload.replace("199", "1")
    db.conn.execute(
        "UPDATE sales SET payload = ?, total_cents = 1, hash = ? WHERE seq = 2",
        (forged, hand_hash(record.prev_hash, forged, 2, record.sale_id)),
    )
    report = sales.verify_chain(db, "L1")
    assert report.tampered == () and report.broken_links == (3,)


def test_a_sale_without_its_upload_row_is_reported(db: Database) -> None:
    _three_sales(db)
    db.conn.execute("DELETE FROM outbox WHERE sale_id = 'S-L1-1'")
    assert sales.verify_chain(db, "L1").missing_outbox == (1,)


def test_acknowledged_sales_leave_the_queue_and_failures_are_counted(db: Database) -> None:
    for n in (1, 2, 3):
        sales.record_sale(db, sale(n))
    sales.mark_failed(db, ["S-L1-1", "S-L1-2"], "hub unreachable: connection refused")
    assert sales.outbox_status(db).last_error == "hub unreachable: connection refused"
    assert sales.mark_acked(db, ["S-L1-1", "S-L1-1"], "2025-03-01T12:00:00Z") == 1
    left = sales.pending(db)
    assert [(q.sale_id, q.attempts) for q in left] == [("S-L1-2", 1), ("S-L1-3", 0)]
    assert sales.outbox_status(db).pending == 2
    assert sales.mark_acked(db, ["S-L1-1"], "2025-03-01T12:01:00Z") == 0


def test_sales_cannot_be_edited_through_normal_sql(db: Database) -> None:
    sales.record_sale(db, sale(1))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.conn.execute("UPDATE sales SET total_cents = 0")

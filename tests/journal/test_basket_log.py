"""The fact log: every fact durable in order, tied to its basket; replay from the checkpoint."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from kiosk.domain.facts import Fact
from kiosk.errors import JournalError
from kiosk.journal import basket_log
from kiosk.journal.db import open_db

AT = "2025-03-01T10:00:00.000Z"


def fact(kind: str, **data: Any) -> Fact:
    return Fact(kind=kind, data=data, at=AT)


def test_facts_come_back_in_order_after_reopening_the_file(db_path: Path) -> None:
    db = open_db(db_path)
    facts = [fact("basket_opened", basket_id="B1"), fact("item_added", sku="MILCH", name="Käse")]
    seqs = basket_log.append(db, "L1", facts)
    db.close()
    again = open_db(db_path)
    assert seqs == sorted(seqs)
    assert basket_log.load(again, "L1") == (None, facts)


def test_facts_inside_a_basket_carry_its_id_and_lane_facts_carry_none(db: Database) -> None:
    basket_log.append(db, "L1", [fact("lane_opened")])
    basket_log.append(db, "L1", [fact("basket_opened", basket_id="B1"), fact("item_added")])
    basket_log.append(db, "L1", [fact("basket_closed", basket_id="B1", outcome="paid")])
    basket_log.append(db, "L1", [fact("attendant_logged_out")])
    rows = db.conn.execute("SELECT kind, basket_id FROM facts ORDER BY seq").fetchall()
    assert rows == [("lane_opened", None), ("basket_opened", "B1"), ("item_added", "B1"),
                    ("basket_closed", "B1"), ("attendant_logged_out", None)]
    assert [f.kind for f in basket_log.basket_facts(db, "B1")] == [
        "basket_opened", "item_added", "basket_closed"]


def test_the_open_basket_is_known_until_it_is_closed(db: Database) -> None:
    assert basket_log.open_basket_id(db, "L1") is None
    basket_log.append(db, "L1", [fact("basket_opened", basket_id="B7")])
    assert basket_log.open_basket_id(db, "L1") == "B7"
    assert basket_log.open_basket_id(db, "L2") is None
    basket_log.append(db, "L1", [fact("basket_closed", basket_id="B7", outcome="cancelled")])
    assert basket_log.open_basket_id(db, "L1") is None


def test_a_batch_with_one_unstorable_fact_stores_none_of_it(db: Database) -> None:
    basket_log.append(db, "L1", [fact("basket_opened", basket_id="B1")])
    batch = [fact("item_added", sku="A"), fact("item_added", sku={"not", "json"})]
    with pytest.raises(JournalError, match=r"item_added.*not JSON"):
        basket_log.append(db, "L1", batch)
    assert basket_log.fact_count(db, "L1") == 1


def test_a_basket_opened_without_an_id_is_refused(db: Database) -> None:
    with pytest.raises(JournalError, match="basket_id None"):
        basket_log.append(db, "L1", [fact("basket_opened")])
    assert basket_log.fact_count(db, "L1") == 0


def test_replay_starts_after_the_latest_checkpoint(db: Database) -> None:
    first = [fact("basket_opened", basket_id="B1"), fact("item_added", sku="A"),
             fact("basket_closed", basket_id="B1", outcome="paid")]
    basket_log.append(db, "L1", first, checkpoint={"sales": 1, "state": "idle"})
    later = [fact("basket_opened", basket_id="B2"), fact("item_added", sku="Brötchen")]
    basket_log.append(db, "L1", later)
    snapshot, facts = basket_log.load(db, "L1")
    assert snapshot == {"sales": 1, "state": "idle"}
    assert facts == later


def test_a_newer_checkpoint_replaces_the_older_one(db: Database) -> None:
    basket_log.append(db, "L1", [fact("basket_closed", basket_id="B1")], checkpoint={"n": 1})
    basket_log.append(db, "L1", [fact("basket_closed", basket_id="B2")], checkpoint={"n": 2})
    assert basket_log.load(db, "L1") == ({"n": 2}, [])
    assert db.conn.execute("SELECT COUNT(*) FROM checkpoints").fetchone()[0] == 1


def test_lanes_sharing_a_file_replay_only_their_own_facts(db: Database) -> None:
    basket_log.append(db, "L1", [fact("basket_opened", basket_id="B1")])
    basket_log.append(db, "L2", [fact("basket_opened", basket_id="B2")])
    assert basket_log.load(db, "L2") == (None, [fact("basket_opened", basket_id="B2")])


def test_a_checkpoint_needs_a_fact_to_cover(db: Database) -> None:
    with pytest.raises(JournalError, match="checkpoint"):
        basket_log.append(db, "L1", [], checkpoint={"n": 1})


def test_journaled_facts_cannot_be_edited_or_deleted(db: Database) -> None:
    basket_log.append(db, "L1", [fact("item_added", sku="A")])
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.conn.execute("UPDATE facts SET data = '{}'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        db.conn.execute("DELETE FROM facts")
    assert basket_log.fact_count(db, "L1") == 1

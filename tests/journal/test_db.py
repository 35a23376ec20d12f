"""The lane's SQLite file: settings, migrations, refusing what it cannot use, atomic writes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database

from kiosk.errors import JournalError
from kiosk.journal.db import (
    SCHEMA_VERSION,
    integrity_ok,
    open_db,
    schema_version,
    write_transaction,
)


def test_a_new_journal_is_durable_wal_with_foreign_keys_and_a_busy_timeout(db: Database) -> None:
    conn = db.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000


def test_a_new_journal_gets_every_migration_once(db_path: Path) -> None:
    open_db(db_path).close()
    db = open_db(db_path)
    versions = [r[0] for r in db.conn.execute("SELECT version FROM schema_version ORDER BY 1")]
    assert versions == list(range(1, SCHEMA_VERSION + 1))
    assert schema_version(db) == SCHEMA_VERSION
    assert {"facts", "checkpoints", "sales", "outbox", "products", "promotions"} <= set(
        db.table_names())


def test_a_journal_from_newer_software_is_refused_and_left_untouched(db_path: Path) -> None:
    db = open_db(db_path)
    db.conn.execute("INSERT INTO schema_version VALUES (?, '2099-01-01')", (SCHEMA_VERSION + 1,))
    db.close()
    before = db_path.read_bytes()
    with pytest.raises(JournalError, match=rf"schema version {SCHEMA_VERSION + 1}, newer"):
        open_db(db_path)
    assert db_path.read_bytes() == before


def test_a_file_that_is_not_a_database_is_refused_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("this is a shopping list, not a journal\n" * 100)
    with pytest.raises(JournalError, match=r"notes\.db"):
        open_db(path)


def test_a_missing_folder_is_named_instead_of_created(tmp_path: Path) -> None:
    with pytest.raises(JournalError, match="does not exist"):
        open_db(tmp_path / "no-such-dir" / "lane.db")
    assert not (tmp_path / "no-such-dir").exists()


def test_a_failed_write_block_leaves_nothing_behind(db: Database) -> None:
    with pytest.raises(RuntimeError), write_transaction(db) as conn:
        conn.execute("INSERT INTO facts (lane_id, kind, data, at) VALUES ('L1', 'x', '{}', 't')")
        raise RuntimeError("power cut simulated by an exception")
    assert db.conn.execute("SELECT COUNT(*) FROM facts").fetchone()[0] == 0


def test_a_failed_inner_block_is_undone_but_the_outer_one_commits(db: Database) -> None:
    with write_transaction(db) as conn:
        conn.execute("INSERT INTO facts (lane_id, kind, data, at) VALUES ('L1', 'a', '{}', 't')")
        with pytest.raises(ValueError), write_transaction(db) as inner:
            inner.execute("INSERT INTO facts (lane_id, kind, data, at) "
                          "VALUES ('L1', 'b', '{}', 't')")
            raise ValueError("inner step refused")
    kinds = [r[0] for r in db.conn.execute("SELECT kind FROM facts")]
    assert kinds == ["a"]


def test_a_sqlite_failure_inside_a_write_is_a_journal_error(db: Database) -> None:
    with pytest.raises(JournalError, match="nothing of this step was saved"), \
            write_transaction(db) as conn:
        conn.execute("INSERT INTO facts (lane_id, kind, data, at) VALUES (NULL, 'a', '{}', 't')")


def test_a_write_lock_held_by_another_process_is_reported_not_hung(db_path: Path) -> None:
    writer = open_db(db_path)
    other = open_db(db_path, busy_timeout_s=0.05)
    writer.conn.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(JournalError, match=r"locked|busy"), write_transaction(other):
            pass
    finally:
        writer.conn.execute("ROLLBACK")


def test_a_fresh_journal_passes_the_integrity_check(db: Database) -> None:
    assert integrity_ok(db)


def test_a_damaged_file_fails_the_integrity_check(db_path: Path) -> None:
    db = open_db(db_path)
    with write_transaction(db) as conn:
        conn.executemany(
            "INSERT INTO facts (lane_id, kind, data, at) VALUES ('L1', 'scan', ?, 't')",
            [(f'{{"n": {i}, "pad": "{"x" * 200}"}}',) for i in range(2000)],
        )
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = db.conn.execute("PRAGMA page_size").fetchone()[0]
    db.close()
    raw = bytearray(db_path.read_bytes())
    # Scribble over the middle of the file: b-tree pages of facts and its indexes.
    middle = (len(raw) // page_size // 2) * page_size
    raw[middle + 8: middle + page_size] = b"\xa5" * (page_size - 8)
    db_path.write_bytes(bytes(raw))
    damaged = Database(sqlite3.connect(str(db_path)))
    assert not integrity_ok(damaged)

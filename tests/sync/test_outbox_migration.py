"""A lane's file from before quarantine keeps every queued and acknowledged sale on upgrade."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kiosk.journal import sales
from kiosk.journal.db import MIGRATIONS, open_db


def old_file(path: Path) -> None:
    """A journal as schema version 4 wrote it: one sale acked, one pending with an error."""
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, "
                       "applied_at TEXT NOT NULL);" + "".join(MIGRATIONS[:4]))
    conn.executemany("INSERT INTO schema_version VALUES (?, '2025-01-01')", [(v,) for v in
                                                                            range(1, 5)])
    for n in (1, 2):
        conn.execute("INSERT INTO sales VALUES (?, 'L1', ?, ?, 't', 100, '{}', ?, ?)",
                     (f"S{n}", n, f"B{n}", "0" * 64, str(n) * 64))
    conn.execute("INSERT INTO outbox VALUES ('S1', 'acked', 1, NULL, 't1', 't2')")
    conn.execute("INSERT INTO outbox VALUES ('S2', 'pending', 3, 'hub down', 't3', NULL)")
    conn.commit()
    conn.close()


def test_upgrading_keeps_every_outbox_row_and_allows_quarantine(tmp_path: Path) -> None:
    path = tmp_path / "lane.db"
    old_file(path)
    db = open_db(path)
    rows = db.conn.execute("SELECT rowid, sale_id, state, attempts, last_error, created_at, "
                           "acked_at, reason FROM outbox ORDER BY rowid").fetchall()
    assert rows == [(1, "S1", "acked", 1, None, "t1", "t2", None),
                    (2, "S2", "pending", 3, "hub down", "t3", None, None)]
    assert sales.outbox_status(db).last_error == "hub down"
    assert sales.mark_quarantined(db, [("S2", "forged lane")], "t4") == 1
    assert sales.outbox_status(db).quarantined == 1
    with pytest.raises(sqlite3.IntegrityError):
        db.conn.execute("UPDATE outbox SET state = 'lost' WHERE sale_id = 'S1'")
    db.close()

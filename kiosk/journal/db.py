"""The lane's SQLite file: connection settings, numbered schema migrations, write transactions.

One file holds the basket journal, finished sales with their outbox, and the catalog. The kiosk
writes it; the uploader process reads and acknowledges the outbox in the same file, so the file
runs in WAL mode with a busy timeout. `synchronous=FULL` makes every COMMIT durable (the WAL is
fsynced) before the caller goes on to show the shopper anything.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from kiosk.errors import JournalError

BUSY_TIMEOUT_S = 5.0

# Migrations are frozen SQL text, never generated from library calls: a migration must mean the
# same thing on a lane that runs it next year as on the lane that ran it today.
_JOURNAL = """
CREATE TABLE facts (
    seq INTEGER PRIMARY KEY,
    lane_id TEXT NOT NULL,
    basket_id TEXT,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX facts_by_lane ON facts (lane_id, seq);
CREATE INDEX facts_by_basket ON facts (basket_id, seq) WHERE basket_id IS NOT NULL;
CREATE INDEX facts_in_baskets_by_lane ON facts (lane_id, seq) WHERE basket_id IS NOT NULL;
CREATE TRIGGER facts_no_update BEFORE UPDATE ON facts
BEGIN SELECT RAISE(ABORT, 'facts are append-only'); END;
CREATE TRIGGER facts_no_delete BEFORE DELETE ON facts
BEGIN SELECT RAISE(ABORT, 'facts are append-only'); END;
CREATE TABLE checkpoints (
    lane_id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL REFERENCES facts (seq),
    snapshot TEXT NOT NULL,
    at TEXT NOT NULL
);
"""

_SALES = """
CREATE TABLE sales (
    sale_id TEXT PRIMARY KEY,
    lane_id TEXT NOT NULL,
    seq INTEGER NOT NULL CHECK (seq >= 1),
    basket_id TEXT NOT NULL UNIQUE,
    finished_at TEXT NOT NULL,
    total_cents INTEGER NOT NULL,
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (lane_id, seq)
);
CREATE TRIGGER sales_no_update BEFORE UPDATE ON sales
BEGIN SELECT RAISE(ABORT, 'sales are append-only'); END;
CREATE TRIGGER sales_no_delete BEFORE DELETE ON sales
BEGIN SELECT RAISE(ABORT, 'sales are append-only'); END;
CREATE TABLE outbox (
    sale_id TEXT PRIMARY KEY REFERENCES sales (sale_id),
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'acked')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    acked_at TEXT
);
CREATE INDEX outbox_by_state ON outbox (state, created_at);
"""

_CATALOG = """
CREATE TABLE products (
    sku TEXT PRIMARY KEY,
    gtin TEXT UNIQUE,
    plu_key TEXT UNIQUE,
    plu TEXT,
    names TEXT NOT NULL,
    price_cents INTEGER NOT NULL,
    vat_rate TEXT NOT NULL,
    unit TEXT NOT NULL,
    age_limit INTEGER,
    deposit_sku TEXT REFERENCES products (sku) DEFERRABLE INITIALLY DEFERRED,
    expected_weight_g INTEGER,
    weight_tolerance_g INTEGER,
    category TEXT NOT NULL DEFAULT '',
    image TEXT,
    is_deposit INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX products_by_deposit ON products (deposit_sku) WHERE deposit_sku IS NOT NULL;
CREATE TABLE promotions (
    position INTEGER PRIMARY KEY,
    offer_key TEXT NOT NULL UNIQUE,
    data TEXT NOT NULL
);
CREATE TABLE catalog_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL,
    updated_at TEXT,
    source TEXT
);
INSERT INTO catalog_state (id, version) VALUES (1, 0);
"""

# Learned item weights (kiosk.journal.weights): Welford running statistics per sku, written in
# the same transaction as the fact that accepted the placement.
_LEARNED = """
CREATE TABLE learned_weights (
    sku TEXT PRIMARY KEY,
    count INTEGER NOT NULL CHECK (count >= 1),
    mean REAL NOT NULL,
    m2 REAL NOT NULL CHECK (m2 >= 0),
    updated_at TEXT NOT NULL
);
"""

# The hub may refuse a sale for good (a broken chain, a forged lane): such a sale is
# 'quarantined' with the hub's reason, never retried and never dropped. SQLite cannot change a
# CHECK constraint, so the outbox is rebuilt with its rows (rowids kept: the newest error is
# found by rowid). `hub_sync` remembers the hub's catalog version the lane last applied.
_QUARANTINE = """
CREATE TABLE outbox_v5 (
    sale_id TEXT PRIMARY KEY REFERENCES sales (sale_id),
    state TEXT NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'acked', 'quarantined')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    acked_at TEXT,
    reason TEXT,
    quarantined_at TEXT
);
INSERT INTO outbox_v5 (rowid, sale_id, state, attempts, last_error, created_at, acked_at)
    SELECT rowid, sale_id, state, attempts, last_error, created_at, acked_at FROM outbox
    ORDER BY rowid;
DROP TABLE outbox;
ALTER TABLE outbox_v5 RENAME TO outbox;
CREATE INDEX outbox_by_state ON outbox (state, created_at);
CREATE TABLE hub_sync (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    catalog_version INTEGER NOT NULL DEFAULT 0 CHECK (catalog_version >= 0),
    catalog_pulled_at TEXT
);
INSERT INTO hub_sync (id, catalog_version) VALUES (1, 0);
"""

# Append only: a lane's file must stay readable by the next software version, so a shipped
# migration is never edited; changes come as a new, higher-numbered entry.
# The hub's store-wide learned weights (every lane's samples merged), as last pulled: the
# bagging check falls back to them while this lane's own weight is not yet trusted.
# weights_sent_samples: the total of this lane's own sample counts the hub last acknowledged
# (it only grows), so the uploader sends the lane's weights only when they changed.
_HUB_WEIGHTS = """
CREATE TABLE hub_weights (
    sku TEXT PRIMARY KEY,
    count INTEGER NOT NULL CHECK (count >= 1),
    mean REAL NOT NULL,
    m2 REAL NOT NULL CHECK (m2 >= 0),
    fetched_at TEXT NOT NULL
);
ALTER TABLE hub_sync ADD COLUMN weights_sent_samples INTEGER NOT NULL DEFAULT 0;
"""

# Retention (kiosk.journal.retention): sales the hub acknowledged may be pruned after a while,
# so the blanket DELETE triggers give way to narrower guards the database itself enforces
# (same names, so a lane's file keeps one guard per table): an outbox row goes only when
# 'acked' (the sale's foreign key makes its outbox row go first); a sale never when it is its
# lane's newest (the chain head the next sale links to); a fact never when a restart could need
# it (at or after the lane's checkpoint) nor while its basket's sale is kept. `pruned_sales`
# keeps, per pruned run of a lane's sales, the seqs and the run's last hash, so verify_chain
# still checks the link across the hole.
_RETENTION = """
DROP TRIGGER sales_no_delete;
CREATE TRIGGER sales_no_delete BEFORE DELETE ON sales
WHEN OLD.seq >= (SELECT MAX(seq) FROM sales WHERE lane_id = OLD.lane_id)
BEGIN SELECT RAISE(ABORT, 'sales are append-only: the chain head is never deleted'); END;
CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox
WHEN OLD.state <> 'acked'
BEGIN SELECT RAISE(ABORT, 'only sales the hub acknowledged may be pruned'); END;
DROP TRIGGER facts_no_delete;
CREATE TRIGGER facts_no_delete BEFORE DELETE ON facts
WHEN OLD.seq >= COALESCE((SELECT seq FROM checkpoints WHERE lane_id = OLD.lane_id), 0)
    OR (OLD.basket_id IS NOT NULL
        AND EXISTS (SELECT 1 FROM sales WHERE basket_id = OLD.basket_id))
BEGIN SELECT RAISE(ABORT, 'facts are append-only while a restart or a kept sale needs them');
END;
CREATE TABLE pruned_sales (
    lane_id TEXT NOT NULL,
    from_seq INTEGER NOT NULL CHECK (from_seq >= 1),
    to_seq INTEGER NOT NULL,
    last_hash TEXT NOT NULL,
    PRIMARY KEY (lane_id, from_seq),
    CHECK (to_seq >= from_seq)
);
"""

MIGRATIONS: tuple[str, ...] = (_JOURNAL, _SALES, _CATALOG, _LEARNED, _QUARANTINE, _HUB_WEIGHTS,
                               _RETENTION)
SCHEMA_VERSION = len(MIGRATIONS)

_savepoints = count(1)


def open_db(path: str | Path, *, busy_timeout_s: float = BUSY_TIMEOUT_S) -> Database:
    """Open (creating if needed) the lane's SQLite file and bring its schema up to date.

    Pragmas: WAL, synchronous=FULL, foreign_keys=ON, busy_timeout (`busy_timeout_s`, seconds);
    a new file also gets auto_vacuum=INCREMENTAL (kiosk.journal.retention returns freed pages).
    The connection runs in autocommit mode; writes go through `write_transaction`.
    Raises JournalError when the folder is missing, the file is not a database, or its schema
    is newer than this software.
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise JournalError(
            f"journal folder {str(path.parent)!r} does not exist; create it or fix the journal "
            "path in the lane config"
        )
    try:
        # isolation_level=None: no implicit transactions; every write transaction is an explicit
        # BEGIN IMMEDIATE so a writer never fails half-way on a lock upgrade.
        conn = sqlite3.connect(str(path), timeout=busy_timeout_s, isolation_level=None)
    except sqlite3.Error as e:
        raise JournalError(f"cannot open journal {str(path)!r}: {e}; check the path and "
                           "its permissions") from e
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        if conn.execute("PRAGMA page_count").fetchone()[0] == 0:
            # Only a new, empty file can take it (an existing one would need a full VACUUM):
            # pages freed by retention can then be handed back to the file system.
            conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise JournalError(
                f"journal {str(path)!r} cannot use WAL mode (got {mode!r}); put it on a local "
                "file system"
            )
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        db = Database(conn, execute_plugins=False)
        _migrate(db, str(path))
    except sqlite3.DatabaseError as e:
        conn.close()
        raise JournalError(
            f"journal {str(path)!r} cannot be used: {e}; if it is not the kiosk's database, "
            "move it away and start the lane again"
        ) from e
    except BaseException:
        conn.close()
        raise
    return db


def schema_version(db: Database) -> int:
    """The highest migration applied to `db` (0 for a new file)."""
    exists = db.conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if not exists:
        return 0
    row = db.conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def _migrate(db: Database, where: str) -> None:
    current = schema_version(db)
    if current > SCHEMA_VERSION:
        raise JournalError(
            f"journal {where!r} has schema version {current}, newer than this software "
            f"understands ({SCHEMA_VERSION}); install the newer kiosk software again or restore "
            "a backup; the file was not changed"
        )
    if current == SCHEMA_VERSION:
        return
    with write_transaction(db) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version "
            "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
        )
    for version in range(current + 1, SCHEMA_VERSION + 1):
        with write_transaction(db) as conn:
            # Another process may have migrated between our read and our lock.
            if schema_version(db) >= version:
                continue
            for statement in _statements(MIGRATIONS[version - 1]):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                (version, datetime.now(UTC).isoformat(timespec="seconds")),
            )


def _statements(script: str) -> Iterator[str]:
    """Split a migration into statements (executescript would COMMIT our transaction)."""
    buffer = ""
    for line in script.strip().splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
    if buffer.strip():
        raise ValueError(f"migration ends in an incomplete statement: {buffer.strip()[:60]!r}")


@contextmanager
def write_transaction(db: Database) -> Iterator[sqlite3.Connection]:
    """One atomic write: BEGIN IMMEDIATE ... COMMIT, or ROLLBACK when the block raises.

    Inside an enclosing write transaction it becomes a savepoint, so the outer COMMIT decides.
    A SQLite failure (disk full, lock held past the busy timeout, I/O error) is raised as
    JournalError; nothing of the block is kept.
    """
    conn = db.conn
    if conn.in_transaction:
        name = f"w{next(_savepoints)}"
        conn.execute(f"SAVEPOINT {name}")
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute(f"ROLLBACK TO {name}")
                conn.execute(f"RELEASE {name}")
            raise
        conn.execute(f"RELEASE {name}")
        return
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as e:
        raise _journal_error(db, "start a write", e) from e
    try:
        yield conn
    except BaseException as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            raise _journal_error(db, "write", exc) from exc
        raise
    try:
        conn.execute("COMMIT")
    except sqlite3.Error as e:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise _journal_error(db, "commit", e) from e


def _journal_error(db: Database, action: str, err: sqlite3.Error) -> JournalError:
    where = _filename(db)
    hint = "check free disk space and that no other program holds the file"
    if "locked" in str(err) or "busy" in str(err):
        hint = "another process held the journal too long; check the uploader and retry"
    return JournalError(f"journal {where!r}: could not {action} ({err}); nothing of this "
                        f"step was saved; {hint}")


def _filename(db: Database) -> str:
    row = db.conn.execute("PRAGMA database_list").fetchone()
    return str(row[2]) if row and row[2] else ":memory:"


def canonical_json(value: Any) -> str:
    """Compact, key-sorted JSON with text kept as text (ensure_ascii off): the one serialised
    form of a value, so equal values give equal text and equal hashes."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def integrity_ok(db: Database) -> bool:
    """True when `PRAGMA integrity_check` finds nothing wrong and no foreign key dangles.

    A file too damaged to run the check at all also gives False.
    """
    try:
        result = [r[0] for r in db.conn.execute("PRAGMA integrity_check").fetchall()]
        if result != ["ok"]:
            return False
        return not db.conn.execute("PRAGMA foreign_key_check").fetchall()
    except sqlite3.DatabaseError:
        return False

"""Retention: keep the lane's file bounded by pruning what the hub has acknowledged.

A sale leaves the lane's file only when the hub acknowledged it (outbox state 'acked') and it
finished more than `keep_acked_days` days ago; its outbox row and its basket's facts go with it.
Pending and quarantined sales are never pruned, whatever their age, and neither is a lane's
newest sale: the next sale's seq and prev_hash come from it. Facts outside any sale (lane-level
facts, cancelled baskets) go after the same period once the lane's checkpoint covers them.
The database enforces the same rules with triggers (kiosk.journal.db, migration 7), so a bug
here fails a transaction instead of losing an unacknowledged sale.

Each pruned run of a lane's seqs is remembered in `pruned_sales` (first, last seq and the last
hash), so `sales.verify_chain` still checks the link from the oldest kept sale back to it.

The candidates are read outside any write transaction (WAL readers never block the lane) and
deleted in transactions of `chunk` sales, so the kiosk's own writes wait at most one short
transaction. Freed pages go back to the file system with incremental vacuum when the file was
created with auto_vacuum=INCREMENTAL (every file made by this version); an older file keeps
them on its free list, where SQLite reuses them for new sales: bounded either way.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlite_utils import Database

from kiosk.errors import JournalError
from kiosk.journal.db import write_transaction

log = logging.getLogger("kiosk.journal")

KEEP_ACKED_DAYS = 14
PRUNE_CHUNK = 50  # sales per write transaction: about 1,000 rows with their facts, tens of ms
PRUNE_EVERY_S = 600.0  # the uploader prunes at most this often (seconds)
MAX_SALES_PER_PRUNE = 20_000  # one call's share; the next call carries on
VACUUM_STEP_PAGES = 1_000  # pages handed back per incremental-vacuum transaction
LOW_FREE_BYTES = 200 * 1024 * 1024
LOW_FREE_FRACTION = 0.05


@dataclass(frozen=True, slots=True)
class PruneReport:
    """What one `prune` removed: sales (with their outbox rows), facts, and file pages handed
    back to the file system (0 when the file reuses them instead)."""

    sales: int = 0
    facts: int = 0
    pages_freed: int = 0

    def __str__(self) -> str:
        return (f"pruned {self.sales} acknowledged sale(s) and {self.facts} fact(s); "
                f"{self.pages_freed} page(s) returned to the file system")


def cutoff_text(now: datetime, keep_acked_days: int) -> str:
    """The ISO-8601 UTC second before which sales may be pruned (compares as text with the
    journal's times, which all start YYYY-MM-DDTHH:MM:SS)."""
    return (now.astimezone(UTC) - timedelta(days=keep_acked_days)).strftime("%Y-%m-%dT%H:%M:%S")


def prune(db: Database, keep_acked_days: int, now: datetime, *, chunk: int = PRUNE_CHUNK,
          max_sales: int = MAX_SALES_PER_PRUNE) -> PruneReport:
    """Prune acknowledged sales older than `keep_acked_days` days before `now` (see module doc),
    at most `max_sales` of them, `chunk` per transaction. Raises JournalError when a write
    fails; what earlier transactions pruned stays pruned, consistently."""
    if keep_acked_days < 1:
        raise ValueError(f"keep_acked_days {keep_acked_days} must be at least 1")
    cutoff = cutoff_text(now, keep_acked_days)
    candidates = db.conn.execute(
        "SELECT s.lane_id, s.seq, s.sale_id, s.basket_id, s.hash FROM sales s "
        "JOIN outbox o ON o.sale_id = s.sale_id "
        "WHERE o.state = 'acked' AND s.finished_at < ? "
        "AND s.seq < (SELECT MAX(h.seq) FROM sales h WHERE h.lane_id = s.lane_id) "
        "ORDER BY s.lane_id, s.seq LIMIT ?",
        (cutoff, max_sales),
    ).fetchall()
    sales = facts = 0
    for start in range(0, len(candidates), chunk):
        part = candidates[start:start + chunk]
        with write_transaction(db) as conn:
            facts += _delete_sales(conn, part)
        sales += len(part)
    facts += _prune_loose_facts(db, cutoff, chunk)
    return PruneReport(sales=sales, facts=facts, pages_freed=_vacuum(db))


def _delete_sales(conn: sqlite3.Connection, rows: Sequence[tuple[str, int, str, str, str]]
                  ) -> int:
    """Delete these sales, their outbox rows and basket facts; record the pruned runs."""
    conn.executemany("DELETE FROM outbox WHERE sale_id = ?", [(r[2],) for r in rows])
    conn.executemany("DELETE FROM sales WHERE sale_id = ?", [(r[2],) for r in rows])
    before = conn.total_changes
    conn.executemany("DELETE FROM facts WHERE basket_id = ?", [(r[3],) for r in rows])
    facts = conn.total_changes - before
    run: list[tuple[str, int, str, str, str]] = []
    for row in rows:
        if run and (row[0] != run[-1][0] or row[1] != run[-1][1] + 1):
            _add_run(conn, run[0][0], run[0][1], run[-1][1], run[-1][4])
            run = []
        run.append(row)
    if run:
        _add_run(conn, run[0][0], run[0][1], run[-1][1], run[-1][4])
    return facts


def _add_run(conn: sqlite3.Connection, lane_id: str, first: int, last: int, last_hash: str
             ) -> None:
    """Record seqs first..last of `lane_id` as pruned, merged with the runs either side."""
    before = conn.execute("SELECT from_seq FROM pruned_sales WHERE lane_id = ? AND to_seq = ?",
                          (lane_id, first - 1)).fetchone()
    if before is not None:
        first = int(before[0])
        conn.execute("DELETE FROM pruned_sales WHERE lane_id = ? AND from_seq = ?",
                     (lane_id, first))
    after = conn.execute("SELECT to_seq, last_hash FROM pruned_sales WHERE lane_id = ? "
                         "AND from_seq = ?", (lane_id, last + 1)).fetchone()
    if after is not None:
        conn.execute("DELETE FROM pruned_sales WHERE lane_id = ? AND from_seq = ?",
                     (lane_id, last + 1))
        last, last_hash = int(after[0]), str(after[1])
    conn.execute("INSERT INTO pruned_sales (lane_id, from_seq, to_seq, last_hash) "
                 "VALUES (?, ?, ?, ?)", (lane_id, first, last, last_hash))


def _prune_loose_facts(db: Database, cutoff: str, chunk: int) -> int:
    """Facts of no kept sale (lane-level, cancelled baskets) older than `cutoff` that the
    lane's checkpoint already covers."""
    seqs = [r[0] for r in db.conn.execute(
        "SELECT f.seq FROM facts f WHERE f.at < ? "
        "AND f.seq < COALESCE((SELECT c.seq FROM checkpoints c WHERE c.lane_id = f.lane_id), 0) "
        "AND (f.basket_id IS NULL "
        "     OR NOT EXISTS (SELECT 1 FROM sales s WHERE s.basket_id = f.basket_id)) "
        "ORDER BY f.seq LIMIT ?", (cutoff, MAX_SALES_PER_PRUNE * 20)).fetchall()]
    for start in range(0, len(seqs), chunk * 10):
        with write_transaction(db) as conn:
            conn.executemany("DELETE FROM facts WHERE seq = ?",
                             [(s,) for s in seqs[start:start + chunk * 10]])
    return len(seqs)


def _vacuum(db: Database) -> int:
    """Hand free pages back to the file system when the file allows it; pages returned."""
    conn = db.conn
    if conn.in_transaction or conn.execute("PRAGMA auto_vacuum").fetchone()[0] != 2:
        return 0
    start = int(conn.execute("PRAGMA page_count").fetchone()[0])
    try:
        while (free := int(conn.execute("PRAGMA freelist_count").fetchone()[0])) > 0:
            # executescript steps the pragma to its end (execute would free one page only);
            # each step is its own short write transaction.
            conn.executescript(f"PRAGMA incremental_vacuum({min(free, VACUUM_STEP_PAGES)})")
    except sqlite3.Error as e:
        log.warning("journal: free pages not returned (%s); SQLite reuses them", e)
    return start - int(conn.execute("PRAGMA page_count").fetchone()[0])


class JournalPruner:
    """The uploader's hook (kiosk.sync.uploader.Housekeeping): after a settle that acknowledged
    sales, prune at most every `every_s` seconds (`clock`: monotonic seconds; `now`: the UTC
    time the retention period counts back from)."""

    def __init__(self, db: Database, keep_acked_days: int = KEEP_ACKED_DAYS, *,
                 every_s: float = PRUNE_EVERY_S,
                 clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.db = db
        self.keep_acked_days = keep_acked_days
        self.every_s = every_s
        self._clock = clock
        self._now = now
        self._last_s: float | None = None

    def after_settle(self) -> PruneReport | None:
        """Prune when due; None when not due or when the prune failed (logged, tried again
        next time: nothing is lost by pruning later)."""
        if self._last_s is not None and self._clock() - self._last_s < self.every_s:
            return None
        self._last_s = self._clock()
        try:
            report = prune(self.db, self.keep_acked_days, self._now())
        except (JournalError, sqlite3.Error) as err:  # a read outside a transaction failed
            log.warning("journal not pruned: %s", err)
            return None
        if report.sales or report.facts:
            log.info("%s", report)
        return report


@dataclass(frozen=True, slots=True)
class DiskStatus:
    """The journal's size (file, WAL and shared memory, bytes) and its file system's free and
    total bytes (as an unprivileged process may use them)."""

    journal_bytes: int
    free_bytes: int
    total_bytes: int

    @property
    def low(self) -> bool:
        """Free space below 200 MB or below 5 % of the file system."""
        return (self.free_bytes < LOW_FREE_BYTES
                or self.free_bytes < self.total_bytes * LOW_FREE_FRACTION)

    def __str__(self) -> str:
        return (f"journal {_mb(self.journal_bytes)}, {_mb(self.free_bytes)} free of "
                f"{_mb(self.total_bytes)}")


def _mb(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:.1f} MB"


def disk_status(journal: Path) -> DiskStatus:
    """Size and free disk of the journal file at `journal` (its folder must exist)."""
    size = sum(p.stat().st_size for p in
               (journal, journal.with_name(journal.name + "-wal"),
                journal.with_name(journal.name + "-shm")) if p.exists())
    fs = os.statvfs(journal.parent)
    return DiskStatus(journal_bytes=size, free_bytes=fs.f_bavail * fs.f_frsize,
                      total_bytes=fs.f_blocks * fs.f_frsize)


def journal_disk(db: Database) -> DiskStatus | None:
    """`disk_status` of the file `db` is open on; None for an in-memory database."""
    row = db.conn.execute("PRAGMA database_list").fetchone()
    return disk_status(Path(row[2])) if row and row[2] else None

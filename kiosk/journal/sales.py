"""Finished sales, hash-chained per lane, and their upload outbox, written in one transaction.

A sale is stored once, as canonical JSON (`canonical_json`: sorted keys, no spaces, text kept as
UTF-8), with a per-lane sequence number 1, 2, 3, ... and a chain hash:

    hash = sha256_hex(prev_hash + "\\n" + payload + "\\n" + str(seq) + "\\n" + sale_id)

where `prev_hash` is the previous sale's hash on the lane, or 64 zeros for the first sale.
Canonical JSON never contains a raw newline, so the fields cannot run into each other. A missing
sale, a reordered one or an edited payload breaks the chain; `verify_chain` says where.

Each sale gets an `outbox` row ('pending') in the same transaction; the uploader marks it
'acked' when the hub confirms it, or 'quarantined' with the hub's reason when the hub refuses it
for good (kept for the store's IT, never retried, never dropped).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from kiosk.errors import JournalError
from kiosk.journal.db import canonical_json, write_transaction

GENESIS_HASH = "0" * 64

_COLUMNS = "sale_id, lane_id, seq, basket_id, finished_at, total_cents, payload, prev_hash, hash"


def sale_hash(prev_hash: str, payload: str, seq: int, sale_id: str) -> str:
    """The chain hash of one sale (see the module docstring), as 64 lowercase hex digits."""
    text = "\n".join((prev_hash, payload, str(seq), sale_id))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class SaleRecord:
    """One stored sale; `payload` is the canonical JSON text the hash covers."""

    sale_id: str
    lane_id: str
    seq: int
    basket_id: str
    finished_at: str
    total_cents: int
    payload: str
    prev_hash: str
    hash: str

    @property
    def sale(self) -> dict[str, Any]:
        """The sale as the checkout produced it."""
        result: dict[str, Any] = json.loads(self.payload)
        return result


def record_sale(db: Database, sale: Mapping[str, Any]) -> SaleRecord:
    """Store a finished sale and its pending outbox row in one transaction.

    `sale` needs sale_id, basket_id, lane_id, finished_at and totals.total_cents (int cents).
    Idempotent: when the sale id or the basket id is already recorded, nothing is written and
    the stored sale is returned, so a retried step never makes a second sale.
    Raises JournalError for a malformed sale or a failed write (then nothing was written).
    """
    fields = _sale_fields(sale)
    try:
        payload = canonical_json(dict(sale))
    except (TypeError, ValueError) as e:
        raise JournalError(f"sale {fields['sale_id']!r} is not JSON ({e}); a checkout bug; "
                           "the sale was not recorded") from e
    with write_transaction(db) as conn:
        existing = conn.execute(
            f"SELECT {_COLUMNS} FROM sales WHERE sale_id = ? OR basket_id = ? LIMIT 1",
            (fields["sale_id"], fields["basket_id"]),
        ).fetchone()
        if existing is not None:
            return SaleRecord(*existing)
        last = conn.execute(
            "SELECT seq, hash FROM sales WHERE lane_id = ? ORDER BY seq DESC LIMIT 1",
            (fields["lane_id"],),
        ).fetchone()
        seq, prev_hash = (int(last[0]) + 1, str(last[1])) if last else (1, GENESIS_HASH)
        record = SaleRecord(
            sale_id=fields["sale_id"],
            lane_id=fields["lane_id"],
            seq=seq,
            basket_id=fields["basket_id"],
            finished_at=fields["finished_at"],
            total_cents=sale["totals"]["total_cents"],
            payload=payload,
            prev_hash=prev_hash,
            hash=sale_hash(prev_hash, payload, seq, fields["sale_id"]),
        )
        conn.execute(
            f"INSERT INTO sales ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (record.sale_id, record.lane_id, record.seq, record.basket_id, record.finished_at,
             record.total_cents, record.payload, record.prev_hash, record.hash),
        )
        conn.execute(
            "INSERT INTO outbox (sale_id, state, attempts, created_at) VALUES (?, 'pending', 0, ?)",
            (record.sale_id, record.finished_at),
        )
    return record


def _sale_fields(sale: Mapping[str, Any]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for key in ("sale_id", "basket_id", "lane_id", "finished_at"):
        value = sale.get(key)
        if not isinstance(value, str) or not value:
            raise JournalError(
                f"sale has {key} {value!r}; it must be a non-empty text (a checkout bug); "
                "the sale was not recorded"
            )
        fields[key] = value
    totals = sale.get("totals")
    total = totals.get("total_cents") if isinstance(totals, Mapping) else None
    if isinstance(total, bool) or not isinstance(total, int):
        raise JournalError(
            f"sale {fields['sale_id']!r} has totals.total_cents {total!r}; it must be whole "
            "cents (a checkout bug); the sale was not recorded"
        )
    return fields


def get_sale(db: Database, sale_id: str) -> SaleRecord | None:
    """The stored sale with this id, or None."""
    row = db.conn.execute(f"SELECT {_COLUMNS} FROM sales WHERE sale_id = ?", (sale_id,)).fetchone()
    return SaleRecord(*row) if row else None


def lane_sales(db: Database, lane_id: str) -> list[SaleRecord]:
    """Every sale of `lane_id`, in sequence order."""
    rows = db.conn.execute(
        f"SELECT {_COLUMNS} FROM sales WHERE lane_id = ? ORDER BY seq", (lane_id,)
    ).fetchall()
    return [SaleRecord(*row) for row in rows]


def latest_sales(db: Database, lane_id: str, count: int = 1) -> list[SaleRecord]:
    """The last `count` sales of `lane_id`, newest first (a reprint, a payment reconciliation)."""
    rows = db.conn.execute(
        f"SELECT {_COLUMNS} FROM sales WHERE lane_id = ? ORDER BY seq DESC LIMIT ?",
        (lane_id, count),
    ).fetchall()
    return [SaleRecord(*row) for row in rows]


@dataclass(frozen=True, slots=True)
class ChainReport:
    """What `verify_chain` found for one lane.

    `gaps`: missing seq ranges (first, last); `broken_links`: seqs whose prev_hash is not the
    hash of the sale before; `tampered`: seqs whose stored hash or columns do not match their
    payload; `missing_outbox`: seqs with no outbox row.
    """

    lane_id: str
    count: int
    last_seq: int
    gaps: tuple[tuple[int, int], ...] = ()
    broken_links: tuple[int, ...] = ()
    tampered: tuple[int, ...] = ()
    missing_outbox: tuple[int, ...] = ()

    @property
    def ok(self) -> bool:
        return not (self.gaps or self.broken_links or self.tampered or self.missing_outbox)

    @property
    def first_bad_seq(self) -> int | None:
        """The lowest seq where something is wrong (for a gap, its first missing seq)."""
        bad = [g[0] for g in self.gaps] + [*self.broken_links, *self.tampered,
                                           *self.missing_outbox]
        return min(bad, default=None)

    def __str__(self) -> str:
        if self.ok:
            return (f"lane {self.lane_id}: {self.count} sales, chain intact up to seq "
                    f"{self.last_seq}")
        parts = []
        if self.gaps:
            parts.append("missing seq " + ", ".join(
                str(a) if a == b else f"{a}-{b}" for a, b in self.gaps))
        if self.broken_links:
            parts.append(f"chain broken before seq {_seqs(self.broken_links)}")
        if self.tampered:
            parts.append(f"altered sales at seq {_seqs(self.tampered)}")
        if self.missing_outbox:
            parts.append(f"no upload record for seq {_seqs(self.missing_outbox)}")
        return (f"lane {self.lane_id}: sales journal damaged from seq {self.first_bad_seq}: "
                + "; ".join(parts) + "; keep the file and report it to the store's IT")


def _seqs(values: Iterable[int]) -> str:
    return ", ".join(str(v) for v in values)


def verify_chain(db: Database, lane_id: str) -> ChainReport:
    """Check the lane's sales: seqs 1..n without gaps, every hash link, every payload.

    Sales pruned by retention are no gap: their run (pruned_sales) stands in for them with its
    seqs and last hash, and the next kept sale must link to that hash. `count` is the kept
    sales."""
    rows = db.conn.execute(
        f"SELECT {_COLUMNS}, (SELECT 1 FROM outbox o WHERE o.sale_id = s.sale_id) "
        "FROM sales s WHERE lane_id = ? ORDER BY seq",
        (lane_id,),
    ).fetchall()
    gaps: list[tuple[int, int]] = []
    broken: list[int] = []
    tampered: list[int] = []
    missing_outbox: list[int] = []
    # Runs pruned by retention: (first seq) -> (last seq, last hash); the next kept sale must
    # link to the run's last hash, so a pruned hole is checked like a present sale.
    pruned = {int(a): (int(b), str(h)) for a, b, h in db.conn.execute(
        "SELECT from_seq, to_seq, last_hash FROM pruned_sales WHERE lane_id = ?", (lane_id,))}
    expected_seq, prev_hash = 1, GENESIS_HASH
    for row in rows:
        record, has_outbox = SaleRecord(*row[:9]), row[9] is not None
        while expected_seq < record.seq and expected_seq in pruned:
            last_seq, prev_hash = pruned[expected_seq]
            expected_seq = last_seq + 1
        if record.seq != expected_seq:
            gaps.append((expected_seq, record.seq - 1))
        if record.prev_hash != prev_hash:
            broken.append(record.seq)
        if not _record_matches_payload(record):
            tampered.append(record.seq)
        if not has_outbox:
            missing_outbox.append(record.seq)
        expected_seq, prev_hash = record.seq + 1, record.hash
    return ChainReport(
        lane_id=lane_id,
        count=len(rows),
        last_seq=expected_seq - 1,
        gaps=tuple(gaps),
        broken_links=tuple(broken),
        tampered=tuple(tampered),
        missing_outbox=tuple(missing_outbox),
    )


def _record_matches_payload(record: SaleRecord) -> bool:
    if sale_hash(record.prev_hash, record.payload, record.seq, record.sale_id) != record.hash:
        return False
    try:
        sale = json.loads(record.payload)
        return bool(
            sale.get("sale_id") == record.sale_id
            and sale.get("basket_id") == record.basket_id
            and sale.get("lane_id") == record.lane_id
            and sale.get("finished_at") == record.finished_at
            and sale.get("totals", {}).get("total_cents") == record.total_cents
        )
    except (ValueError, AttributeError):
        return False


# --- outbox: read and acknowledged by the uploader process --------------------------------


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A sale waiting for upload; `payload` is the canonical sale JSON to send as is."""

    sale_id: str
    lane_id: str
    seq: int
    payload: str
    hash: str
    attempts: int
    prev_hash: str = ""


@dataclass(frozen=True, slots=True)
class OutboxStatus:
    """The upload queue as the attendant sees it: how many, since when, the last problem, and
    the sales the hub refused for good (`quarantined`, with the newest one's reason)."""

    pending: int
    oldest_pending_at: str | None
    last_error: str | None
    quarantined: int = 0
    newest_quarantine_reason: str | None = None


def pending(db: Database, limit: int = 100) -> list[OutboxItem]:
    """Up to `limit` sales not yet acknowledged by the hub, oldest first."""
    rows = db.conn.execute(
        "SELECT s.sale_id, s.lane_id, s.seq, s.payload, s.hash, o.attempts, s.prev_hash "
        "FROM outbox o "
        "JOIN sales s ON s.sale_id = o.sale_id WHERE o.state = 'pending' "
        "ORDER BY o.created_at, s.seq LIMIT ?",
        (limit,),
    ).fetchall()
    return [OutboxItem(*row) for row in rows]


def mark_acked(db: Database, sale_ids: Iterable[str], at: str) -> int:
    """Mark sales as accepted by the hub at `at` (ISO-8601); returns how many changed."""
    with write_transaction(db) as conn:
        cur = conn.executemany(
            "UPDATE outbox SET state = 'acked', acked_at = ?, last_error = NULL "
            "WHERE sale_id = ? AND state = 'pending'",
            [(at, sale_id) for sale_id in sale_ids],
        )
        return int(cur.rowcount)


def mark_failed(db: Database, sale_ids: Iterable[str], error: str) -> None:
    """Count a failed upload attempt for each sale and keep `error` for the attendant."""
    with write_transaction(db) as conn:
        conn.executemany(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ? "
            "WHERE sale_id = ? AND state = 'pending'",
            [(error, sale_id) for sale_id in sale_ids],
        )


def outbox_status(db: Database) -> OutboxStatus:
    """How many sales wait for upload, the oldest one's time, and the error kept on the newest
    pending sale that has one."""
    count, oldest = db.conn.execute(
        "SELECT COUNT(*), MIN(created_at) FROM outbox WHERE state = 'pending'"
    ).fetchone()
    err = db.conn.execute(
        "SELECT last_error FROM outbox WHERE state = 'pending' AND last_error IS NOT NULL "
        "ORDER BY rowid DESC LIMIT 1"
    ).fetchone()
    quarantined, reason = db.conn.execute(
        "SELECT COUNT(*), (SELECT reason FROM outbox WHERE state = 'quarantined' "
        "ORDER BY quarantined_at DESC, rowid DESC LIMIT 1) FROM outbox "
        "WHERE state = 'quarantined'"
    ).fetchone()
    return OutboxStatus(pending=int(count), oldest_pending_at=oldest,
                        last_error=err[0] if err else None, quarantined=int(quarantined),
                        newest_quarantine_reason=reason)


def mark_quarantined(db: Database, refused: Iterable[tuple[str, str]], at: str) -> int:
    """Set aside sales the hub refused for good: (sale_id, the hub's reason) pairs, at `at`
    (ISO-8601). They leave the upload queue but stay in the journal; returns how many changed."""
    with write_transaction(db) as conn:
        cur = conn.executemany(
            "UPDATE outbox SET state = 'quarantined', reason = ?, quarantined_at = ?, "
            "attempts = attempts + 1 WHERE sale_id = ? AND state = 'pending'",
            [(reason, at, sale_id) for sale_id, reason in refused],
        )
        return int(cur.rowcount)


@dataclass(frozen=True, slots=True)
class QuarantinedSale:
    """A sale the hub refused, with its reason and when (ISO-8601)."""

    sale_id: str
    seq: int
    reason: str
    quarantined_at: str


def quarantined(db: Database, limit: int = 100) -> list[QuarantinedSale]:
    """Up to `limit` quarantined sales, newest first."""
    rows = db.conn.execute(
        "SELECT o.sale_id, s.seq, o.reason, o.quarantined_at FROM outbox o "
        "JOIN sales s ON s.sale_id = o.sale_id WHERE o.state = 'quarantined' "
        "ORDER BY o.quarantined_at DESC, o.rowid DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [QuarantinedSale(*row) for row in rows]


class JournalOutbox:
    """The outbox of the lane's file as the uploader (kiosk.sync) uses it.

    One short write transaction per call, so the kiosk's own writes never wait long.
    """

    def __init__(self, db: Database) -> None:
        self.db = db

    def pending(self, limit: int) -> list[OutboxItem]:
        return pending(self.db, limit)

    def settle(self, acked: Sequence[str], refused: Sequence[tuple[str, str]], at: str) -> None:
        """Mark `acked` sales acknowledged and `refused` (sale_id, reason) quarantined, in one
        transaction."""
        with write_transaction(self.db):
            mark_acked(self.db, acked, at)
            mark_quarantined(self.db, refused, at)

    def mark_failed(self, sale_ids: Sequence[str], error: str) -> None:
        mark_failed(self.db, sale_ids, error)


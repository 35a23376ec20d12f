"""Sales ingest: validate a batch, store each sale once, answer per sale, report gaps.

Idempotent by (lane, sale_id): a sale already held with the same hash is a "duplicate" and
nothing is written; re-sending a batch changes nothing. A batch is one transaction: its
look-ups are a few set queries, its sales one executemany, and the lane's row in
lane_progress (count and highest seq, for the gap report) is updated in it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiosk.hub.chain import GENESIS_HASH, sale_hash
from kiosk.hub.db import Tx
from kiosk.hub.errors import BadRequest
from kiosk.hub.store import HubStore, now_utc

MAX_BATCH = 500
MAX_SEQ = 2**53  # far beyond any lane's life; keeps every seq exact in JSON and SQLite
# Keys per IN (...) list of the batch's look-ups: far below SQLite's 32,766 and PostgreSQL's
# 65,535 parameters, and short enough for the planner to use the index.
IN_LIST_MAX = 200
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_FIELDS = ("sale_id", "lane_id", "seq", "payload", "prev_hash", "hash")


@dataclass(frozen=True, slots=True)
class IncomingSale:
    """One sale as a lane sends it; `payload` is the canonical JSON text the hash covers."""

    sale_id: str
    lane_id: str
    seq: int
    payload: str
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class SaleResult:
    sale_id: str
    status: str  # "accepted" | "duplicate" | "rejected"
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Gap:
    """Sequence numbers from_seq..to_seq (inclusive) of a lane the hub does not hold."""

    lane_id: str
    from_seq: int
    to_seq: int


def parse_batch(body: Any) -> list[IncomingSale]:
    """The sales of a request body {"sales": [...]}; BadRequest naming the first bad field."""
    if not isinstance(body, dict) or not isinstance(body.get("sales"), list):
        raise BadRequest('the body must be a JSON object {"sales": [...]} with a list of sales')
    items = body["sales"]
    if len(items) > MAX_BATCH:
        raise BadRequest(f"sales has {len(items)} entries; send at most {MAX_BATCH} per batch")
    return [_parse_sale(i, item) for i, item in enumerate(items)]


def _parse_sale(i: int, item: Any) -> IncomingSale:
    where = f"sales[{i}]"
    if not isinstance(item, dict):
        raise BadRequest(f"{where} must be an object with {', '.join(_FIELDS)}")
    for key in ("sale_id", "lane_id", "payload"):
        value = item.get(key)
        if not isinstance(value, str) or not value:
            raise BadRequest(f"{where}.{key} {_short(value)} must be a non-empty text")
        _check_encodable(f"{where}.{key}", value)
    seq = item.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= MAX_SEQ:
        raise BadRequest(f"{where}.seq {_short(seq)} must be a whole number from 1")
    for key in ("prev_hash", "hash"):
        value = item.get(key)
        if not isinstance(value, str) or not _HEX64.match(value):
            raise BadRequest(f"{where}.{key} {_short(value)} must be 64 lowercase hex digits")
    return IncomingSale(item["sale_id"], item["lane_id"], seq, item["payload"],
                        item["prev_hash"], item["hash"])


def _check_encodable(where: str, text: str) -> None:
    # JSON may carry lone surrogates ("\ud800"), which no UTF-8 column can hold.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BadRequest(f"{where} holds a lone surrogate escape; send valid Unicode") from None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def ingest(store: HubStore, device_id: str, batch: Sequence[IncomingSale], *,
           now: datetime | None = None) -> tuple[list[SaleResult], list[Gap]]:
    """Store the batch for `device_id` in one transaction; per-sale results in request order
    and the gaps in the device's lane afterwards."""
    received_at = (now or now_utc()).isoformat(timespec="seconds")
    # Hashes and payloads need no database: checked before the write lock is taken.
    checked = [(sale, *_own_refusal(device_id, sale)) for sale in batch]
    with store.transaction() as conn:
        held = _read_held(conn, device_id, [sale for sale, reason, _ in checked if not reason])
        results: list[SaleResult] = []
        rows: list[tuple[Any, ...]] = []
        for sale, own_reason, doc in checked:
            reason = own_reason or _held_refusal(held, device_id, sale)
            if reason == "duplicate":
                results.append(SaleResult(sale.sale_id, "duplicate"))
            elif reason:
                results.append(SaleResult(sale.sale_id, "rejected", reason))
            else:
                held.add(sale)  # later sales of this batch see it, as if it were stored
                rows.append(_row(sale, doc, received_at))
                results.append(SaleResult(sale.sale_id, "accepted"))
        if rows:
            conn.executemany(
                "INSERT INTO sales (lane_id, sale_id, seq, payload, prev_hash, hash, "
                "finished_at, total_cents, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows)
            _count_progress(conn, device_id, len(rows), max(int(r[2]) for r in rows))
        gaps = lane_gaps(conn, device_id)
    return results, gaps


def _row(sale: IncomingSale, doc: dict[str, Any], received_at: str) -> tuple[Any, ...]:
    """The `sales` row of an accepted sale: finished_at and total_cents copied from its
    payload when they have the expected types (else NULL)."""
    totals = doc.get("totals")
    total = totals.get("total_cents") if isinstance(totals, dict) else None
    finished = doc.get("finished_at")
    return (sale.lane_id, sale.sale_id, sale.seq, sale.payload, sale.prev_hash, sale.hash,
            finished if isinstance(finished, str) else None,
            total if isinstance(total, int) and not isinstance(total, bool)
            and abs(total) < 2**62 else None,
            received_at)


def _own_refusal(device_id: str, sale: IncomingSale) -> tuple[str, dict[str, Any]]:
    """(why the sale is refused on its own, "" if it is not; its payload as a JSON object)."""
    sid = sale.sale_id
    if sale.lane_id != device_id:
        return (f"sale {sid!r} is for lane {sale.lane_id!r} but was sent by {device_id!r}; "
                "a device can only upload its own sales"), {}
    if sale_hash(sale.prev_hash, sale.payload, sale.seq, sid) != sale.hash:
        return f"sale {sid!r}: its hash does not match its payload, seq and prev_hash", {}
    doc = _payload_doc(sale.payload)
    if doc is None or doc.get("sale_id") != sid:
        return f"sale {sid!r}: its payload is not a sale JSON object with sale_id {sid!r}", {}
    return "", doc


def _payload_doc(payload: str) -> dict[str, Any] | None:
    try:
        doc = json.loads(payload)
    except (ValueError, RecursionError):
        return None
    return doc if isinstance(doc, dict) else None


@dataclass(slots=True)
class _Held:
    """The lane's sales as far as this batch needs them: every stored sale whose id is in the
    batch or whose seq is one of the batch's seq-1, seq, seq+1, plus the batch's sales
    accepted so far. So each decision is the one a query per sale would have made."""

    hash_by_id: dict[str, str]
    by_seq: dict[int, tuple[str, str, str]]  # seq -> (sale_id, prev_hash, hash)

    def add(self, sale: IncomingSale) -> None:
        self.hash_by_id[sale.sale_id] = sale.hash
        self.by_seq[sale.seq] = (sale.sale_id, sale.prev_hash, sale.hash)


def _chunks(keys: Sequence[Any]) -> list[Sequence[Any]]:
    return [keys[i:i + IN_LIST_MAX] for i in range(0, len(keys), IN_LIST_MAX)]


def _read_held(conn: Tx, lane_id: str, sales: Sequence[IncomingSale]) -> _Held:
    """What the lane holds for these sales, in a few set queries (a round trip each on
    PostgreSQL) instead of four queries per sale."""
    held = _Held({}, {})
    ids = sorted({s.sale_id for s in sales})
    for chunk in _chunks(ids):
        marks = ", ".join("?" * len(chunk))
        for sale_id, digest in conn.execute(
                f"SELECT sale_id, hash FROM sales WHERE lane_id = ? AND sale_id IN ({marks})",
                (lane_id, *chunk)).fetchall():
            held.hash_by_id[str(sale_id)] = str(digest)
    seqs = sorted({n for s in sales for n in (s.seq - 1, s.seq, s.seq + 1) if n >= 1})
    for chunk in _chunks(seqs):
        marks = ", ".join("?" * len(chunk))
        for seq, sale_id, prev_hash, digest in conn.execute(
                f"SELECT seq, sale_id, prev_hash, hash FROM sales WHERE lane_id = ? "
                f"AND seq IN ({marks})", (lane_id, *chunk)).fetchall():
            held.by_seq[int(seq)] = (str(sale_id), str(prev_hash), str(digest))
    return held


def _held_refusal(held: _Held, lane_id: str, sale: IncomingSale) -> str:
    """Why the sale cannot be stored next to what the lane holds ("" if it can, "duplicate"
    if it is already held)."""
    sid = sale.sale_id
    known = held.hash_by_id.get(sid)
    if known is not None:
        if known == sale.hash:
            return "duplicate"
        return (f"sale {sid!r} was already received with different content; the hub keeps "
                "the first one")
    at_seq = held.by_seq.get(sale.seq)
    if at_seq is not None:
        return (f"sale {sid!r}: seq {sale.seq} of lane {lane_id!r} already holds sale "
                f"{at_seq[0]!r}")
    return _chain_refusal(held, sale)


def _chain_refusal(held: _Held, sale: IncomingSale) -> str:
    broken = f"sale {sale.sale_id!r} breaks the hash chain at seq {sale.seq}"
    if sale.seq == 1 and sale.prev_hash != GENESIS_HASH:
        return broken + ": the first sale's prev_hash must be 64 zeros"
    before = held.by_seq.get(sale.seq - 1)
    if before is not None and before[2] != sale.prev_hash:
        return broken + f": prev_hash is not the hash of the hub's sale at seq {sale.seq - 1}"
    # Filling a gap: the sale after it must already point at this one.
    after = held.by_seq.get(sale.seq + 1)
    if after is not None and after[1] != sale.hash:
        return broken + f": the hub's sale at seq {sale.seq + 1} follows another sale"
    return ""


def _count_progress(conn: Tx, lane_id: str, added: int, top_seq: int) -> None:
    """Count `added` new sales of the lane, the highest at `top_seq`, in lane_progress.

    On PostgreSQL two hubs counting the same lane at once update one row: SERIALIZABLE aborts
    one of them (WriteConflict), and HubStore runs its whole batch again, so no sale is
    counted twice or lost."""
    conn.execute(
        "INSERT INTO lane_progress (lane_id, sales, max_seq) VALUES (?, ?, ?) "
        "ON CONFLICT (lane_id) DO UPDATE SET sales = lane_progress.sales + excluded.sales, "
        "max_seq = CASE WHEN excluded.max_seq > lane_progress.max_seq "
        "THEN excluded.max_seq ELSE lane_progress.max_seq END",
        (lane_id, added, top_seq))


def lane_gaps(conn: Tx, lane_id: str) -> list[Gap]:
    """The missing seq ranges of `lane_id` between 1 and the highest seq the hub holds."""
    # Every batch asks this. seq is unique per lane and >= 1, so a lane holds no gap exactly
    # when it holds max_seq sales: one primary-key read of lane_progress, whatever the lane's
    # history (a COUNT(*) over the lane's sales took 8 ms at 20,000 sales on PostgreSQL,
    # docs/benchmarks.md). The scan below reads every sale of the lane and only runs while a
    # gap exists, when its answer is needed anyway.
    row = conn.execute("SELECT sales, max_seq FROM lane_progress WHERE lane_id = ?",
                       (lane_id,)).fetchone()
    if row is None:  # no sale of the lane was ever accepted by ingest: count what is there
        row = conn.execute(
            "SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM sales WHERE lane_id = ?", (lane_id,),
        ).fetchone()
    held, top = row
    if int(held) == int(top):
        return []
    rows = conn.execute(
        "SELECT prev_seq + 1, seq - 1 FROM (SELECT seq, COALESCE(LAG(seq) OVER (ORDER BY seq), "
        "0) AS prev_seq FROM sales WHERE lane_id = ?) AS s WHERE seq - prev_seq > 1 ORDER BY seq",
        (lane_id,),
    ).fetchall()
    return [Gap(lane_id, int(a), int(b)) for a, b in rows]

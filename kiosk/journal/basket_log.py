"""The lane's fact log: every checkout fact, committed before the shopper sees its effect.

`facts` is append-only (triggers refuse UPDATE and DELETE). Each fact is stored with the basket
it belongs to: the basket opened by the last `basket_opened` fact of the lane, up to and
including its `basket_closed`; facts outside a basket (lane-level) have no basket id.
`checkpoints` holds, per lane, the checkout's snapshot after its latest `basket_closed` and the
fact seq it covers, so a restart replays only the facts of the open basket.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from sqlite_utils import Database

from kiosk.domain.facts import Fact
from kiosk.errors import JournalError
from kiosk.journal.db import canonical_json, write_transaction

BASKET_OPENED = "basket_opened"
BASKET_CLOSED = "basket_closed"


def append(
    db: Database,
    lane_id: str,
    facts: Sequence[Fact],
    *,
    checkpoint: Mapping[str, Any] | None = None,
) -> list[int]:
    """Append `facts` for `lane_id` in one transaction; return their seqs, in order.

    `checkpoint`, when given, is the checkout's snapshot after these facts; it is stored as the
    lane's checkpoint covering the last of them, in the same transaction. Inside an enclosing
    `write_transaction` the append joins it. Raises JournalError when the write fails; then
    nothing was appended.
    """
    if not facts:
        if checkpoint is not None:
            raise JournalError("a checkpoint needs at least one fact to cover; none was given")
        return []
    with write_transaction(db) as conn:
        basket_id = open_basket_id(db, lane_id)
        seqs: list[int] = []
        for fact in facts:
            basket_id = _basket_of(fact, basket_id)
            try:
                data = canonical_json(fact.data)
            except (TypeError, ValueError) as e:
                raise JournalError(
                    f"fact {fact.kind!r} holds data that is not JSON ({e}); this is a bug in "
                    "the checkout; nothing was saved"
                ) from e
            cur = conn.execute(
                "INSERT INTO facts (lane_id, basket_id, kind, data, at) VALUES (?, ?, ?, ?, ?)",
                (lane_id, basket_id, fact.kind, data, fact.at),
            )
            seqs.append(int(cur.lastrowid or 0))
            if fact.kind == BASKET_CLOSED:
                basket_id = None
        if checkpoint is not None:
            _write_checkpoint(conn, lane_id, seqs[-1], checkpoint, facts[-1].at)
    return seqs


def _basket_of(fact: Fact, current: str | None) -> str | None:
    """The basket a new fact belongs to, given the basket open before it."""
    if fact.kind == BASKET_OPENED:
        basket_id = fact.data.get("basket_id")
        if not isinstance(basket_id, str) or not basket_id:
            raise JournalError(
                f"basket_opened fact has basket_id {basket_id!r}; it must be a non-empty text"
            )
        return basket_id
    named = fact.data.get("basket_id")
    if isinstance(named, str) and named:
        return named
    return current


def _write_checkpoint(
    conn: sqlite3.Connection, lane_id: str, seq: int, snapshot: Mapping[str, Any], at: str
) -> None:
    try:
        text = canonical_json(snapshot)
    except (TypeError, ValueError) as e:
        raise JournalError(f"checkout snapshot is not JSON ({e}); this is a bug in the checkout"
                           ) from e
    conn.execute(
        "INSERT INTO checkpoints (lane_id, seq, snapshot, at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (lane_id) DO UPDATE SET seq = excluded.seq, snapshot = excluded.snapshot, "
        "at = excluded.at",
        (lane_id, seq, text, at),
    )


def open_basket_id(db: Database, lane_id: str) -> str | None:
    """The basket of `lane_id` that has been opened and not yet closed, if any."""
    row = db.conn.execute(
        "SELECT basket_id, kind FROM facts WHERE lane_id = ? AND basket_id IS NOT NULL "
        "ORDER BY seq DESC LIMIT 1",
        (lane_id,),
    ).fetchone()
    if row is None or row[1] == BASKET_CLOSED:
        return None
    return str(row[0])


def load(db: Database, lane_id: str) -> tuple[dict[str, Any] | None, list[Fact]]:
    """What a restart needs: the lane's latest checkpoint snapshot (None if there is none yet)
    and every fact of the lane after the seq it covers, in order."""
    row = db.conn.execute(
        "SELECT seq, snapshot FROM checkpoints WHERE lane_id = ?", (lane_id,)
    ).fetchone()
    after = 0
    snapshot: dict[str, Any] | None = None
    if row is not None:
        after = int(row[0])
        snapshot = json.loads(row[1])
    return snapshot, facts_after(db, lane_id, after)


def facts_after(db: Database, lane_id: str, seq: int = 0) -> list[Fact]:
    """The facts of `lane_id` with a seq above `seq`, oldest first."""
    rows = db.conn.execute(
        "SELECT kind, data, at FROM facts WHERE lane_id = ? AND seq > ? ORDER BY seq",
        (lane_id, seq),
    ).fetchall()
    return [Fact(kind=k, data=json.loads(d), at=a) for k, d, a in rows]


def basket_facts(db: Database, basket_id: str) -> list[Fact]:
    """Every fact of one basket, oldest first (for audit and for the attendant's history)."""
    rows = db.conn.execute(
        "SELECT kind, data, at FROM facts WHERE basket_id = ? ORDER BY seq", (basket_id,)
    ).fetchall()
    return [Fact(kind=k, data=json.loads(d), at=a) for k, d, a in rows]


def fact_count(db: Database, lane_id: str) -> int:
    """How many facts `lane_id` has journaled."""
    return int(db.conn.execute("SELECT COUNT(*) FROM facts WHERE lane_id = ?",
                               (lane_id,)).fetchone()[0])

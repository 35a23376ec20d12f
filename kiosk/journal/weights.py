"""Learned item weights in the lane's SQLite file (table `learned_weights`, migration 4).

One row per sku: the Welford running statistics of `kiosk.domain.learned.LearnedWeight`
(sample count, mean grams, m2 in grams squared) and when it last changed. `record` is called
by `DurableCheckout` for each `weight_learned` fact inside the transaction that journals the
fact, so a power cut keeps both or neither. `WeightStore.get` is the lookup the checkout's
`Context.weights` uses at decide time.
"""

from __future__ import annotations

from sqlite_utils import Database

from kiosk.domain.learned import LearnedWeight
from kiosk.journal.db import write_transaction


def load(db: Database, sku: str) -> LearnedWeight | None:
    """The learned weight of `sku`, or None when nothing was learned yet."""
    row = db.conn.execute(
        "SELECT count, mean, m2 FROM learned_weights WHERE sku = ?", (sku,)
    ).fetchone()
    if row is None:
        return None
    return LearnedWeight(sku, int(row[0]), float(row[1]), float(row[2]))


def record(db: Database, sku: str, weight_g: int, at: str) -> LearnedWeight:
    """Add one sample of `weight_g` grams for `sku` (at ISO time `at`) and return the new
    statistics. Joins an enclosing write transaction (as a savepoint) when there is one."""
    with write_transaction(db) as conn:
        found = load(db, sku) or LearnedWeight(sku)
        new = found.update(weight_g)
        conn.execute(
            "INSERT INTO learned_weights (sku, count, mean, m2, updated_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (sku) DO UPDATE SET count = excluded.count, "
            "mean = excluded.mean, m2 = excluded.m2, updated_at = excluded.updated_at",
            (sku, new.count, new.mean_g, new.m2, at),
        )
    return new


def all_weights(db: Database) -> list[LearnedWeight]:
    """Every learned weight, by sku (for the attendant's diagnostics and the docs)."""
    rows = db.conn.execute("SELECT sku, count, mean, m2 FROM learned_weights ORDER BY sku")
    return [LearnedWeight(str(s), int(c), float(m), float(m2)) for s, c, m, m2 in rows]


class WeightStore:
    """The learned weights of one lane file, as the lookup `Context.weights` expects."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, sku: str) -> LearnedWeight | None:
        return load(self.db, sku)

    __call__ = get

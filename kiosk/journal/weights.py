"""Learned item weights in the lane's SQLite file (table `learned_weights`, migration 4).

One row per sku: the Welford running statistics of `kiosk.domain.learned.LearnedWeight`
(sample count, mean grams, m2 in grams squared) and when it last changed. `record` is called
by `DurableCheckout` for each `weight_learned` fact inside the transaction that journals the
fact, so a power cut keeps both or neither. `WeightStore.get` is the lookup the checkout's
`Context.weights` uses at decide time: the lane's own weight once trusted, else the hub's
store-wide merge (table `hub_weights`, migration 6) once trusted, else whatever is known (the
domain then falls back to the catalog). `HubWeights` is what the uploader (kiosk.sync) sends
from and pulls into.
"""

from __future__ import annotations

from collections.abc import Sequence

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


def load_hub(db: Database, sku: str) -> LearnedWeight | None:
    """The hub's store-wide weight of `sku` as last pulled, or None."""
    row = db.conn.execute(
        "SELECT count, mean, m2 FROM hub_weights WHERE sku = ?", (sku,)
    ).fetchone()
    if row is None:
        return None
    return LearnedWeight(sku, int(row[0]), float(row[1]), float(row[2]))


class WeightStore:
    """The learned weights of one lane file, as the lookup `Context.weights` expects.

    With `min_samples` (the policy's `learned_min_samples`) a product this lane has not yet
    learned well enough gets the hub's store-wide weight when that is trusted, so a new or reset
    lane starts trained; without it only the lane's own weights are used."""

    def __init__(self, db: Database, min_samples: int | None = None) -> None:
        self.db = db
        self.min_samples = min_samples

    def get(self, sku: str) -> LearnedWeight | None:
        own = load(self.db, sku)
        if self.min_samples is None or (own is not None and own.trusted(self.min_samples)):
            return own
        hub = load_hub(self.db, sku)
        return hub if hub is not None and hub.trusted(self.min_samples) else own

    __call__ = get


class HubWeights:
    """The lane's side of weight sharing for the uploader (kiosk.sync.weights.WeightSink)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def unsent(self) -> tuple[int, list[LearnedWeight]] | None:
        """(marker, every own weight) when they changed since the hub last acknowledged them,
        else None. The marker is the total of the sample counts: it grows with every sample."""
        row = self.db.conn.execute("SELECT COALESCE(SUM(count), 0) FROM learned_weights")
        total = int(row.fetchone()[0])
        sent = self.db.conn.execute(
            "SELECT weights_sent_samples FROM hub_sync WHERE id = 1").fetchone()
        if total == 0 or (sent is not None and int(sent[0]) == total):
            return None
        return total, all_weights(self.db)

    def sent(self, marker: int) -> None:
        """The hub acknowledged the weights of `marker` (from `unsent`)."""
        with write_transaction(self.db) as conn:
            conn.execute("UPDATE hub_sync SET weights_sent_samples = ? WHERE id = 1", (marker,))

    def replace_hub(self, merged: Sequence[LearnedWeight], at: str) -> None:
        """Replace the stored hub weights with `merged` (one transaction; at: ISO time)."""
        with write_transaction(self.db) as conn:
            conn.execute("DELETE FROM hub_weights")
            conn.executemany(
                "INSERT INTO hub_weights (sku, count, mean, m2, fetched_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [(w.sku, w.count, w.mean_g, w.m2, at) for w in merged if w.count >= 1],
            )

    def hub_weights(self) -> list[LearnedWeight]:
        """The hub weights as last pulled, by sku."""
        rows = self.db.conn.execute("SELECT sku, count, mean, m2 FROM hub_weights ORDER BY sku")
        return [LearnedWeight(str(s), int(c), float(m), float(m2)) for s, c, m, m2 in rows]

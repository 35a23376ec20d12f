"""Durable basket events per second, beside the ceiling of raw SQLite commits on the same disk.

    .venv/bin/python bench/basket_events.py [--events 3000] [--dir DIR]

Three measurements, each `--events` commits into its own file in DIR (default: a temporary
folder on the same disk), all WAL with synchronous=FULL:

- checkout: `DurableCheckout.handle` for a stream of shopper commands (scans of a 2,000-product
  catalog held in the same SQLite file, with Pfand, then pay, approve, finish; 20 scans per
  basket). Each handled command is one durable event: decide, one transaction (facts, and for
  a sale the sale row, outbox row and checkpoint), COMMIT, apply.
- fact_log: `basket_log.append` of one small fact per transaction (the journal without the
  checkout's decisions).
- raw_sqlite: the ceiling, plain `sqlite3` BEGIN; INSERT one row; COMMIT.
- checkout_in_memory: the same command stream through `Checkout.handle` with no journal, so
  `journal_ms_per_event` is what durability adds to each event.

Prints readable lines, then the figures as one JSON object on the last line.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# gen_catalog is a sibling script, not a package module.
sys.path.insert(0, str(Path(__file__).resolve().parent))

import gen_catalog

from kiosk.domain import commands as c
from kiosk.domain.attendants import Attendant
from kiosk.domain.catalog import product_from_dict
from kiosk.domain.checkout import Context
from kiosk.domain.facts import Fact
from kiosk.domain.policy import Policy, Role
from kiosk.journal import basket_log
from kiosk.journal.catalog import CatalogStore
from kiosk.journal.db import open_db
from kiosk.journal.durable import DurableCheckout

LANE = "BENCH-1"
PIN = "4711"
SCANS_PER_BASKET = 20


def raw_commits_per_s(path: Path, n: int) -> float:
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, lane TEXT, kind TEXT, data TEXT)")
    row = ("L1", "lines_added", json.dumps({"sku": "SYN-0000001", "quantity": 1}))
    started = time.perf_counter()
    for _ in range(n):
        conn.execute("BEGIN")
        conn.execute("INSERT INTO t (lane, kind, data) VALUES (?, ?, ?)", row)
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return n / elapsed


def fact_log_appends_per_s(path: Path, n: int) -> float:
    db = open_db(path)
    fact = Fact("lines_added", {"lines": [{"sku": "SYN-0000001", "quantity": 1}]},
                "2025-03-01T09:00:00.000Z")
    started = time.perf_counter()
    for _ in range(n):
        basket_log.append(db, LANE, [fact])
    elapsed = time.perf_counter() - started
    db.close()
    return n / elapsed


def _attendants() -> dict[str, Attendant]:
    salt = b"benchsalt"
    key = hashlib.scrypt(PIN.encode(), salt=salt, n=1024, r=8, p=1, dklen=32)
    return {"A1": Attendant("A1", "Bench", Role.ATTENDANT,
                            f"scrypt$1024$8$1${salt.hex()}${key.hex()}")}


def checkout_events(path: Path, n: int, seed: int, *, durable: bool) -> dict[str, Any]:
    """Handle shopper commands until `n` events; durable, or in memory only (same catalog
    reads, no journal writes) to show what the decisions themselves cost."""
    db = open_db(path)
    store = CatalogStore(db)
    records = gen_catalog.generate(2000, seed)["products"]
    store.replace([product_from_dict(r) for r in records])
    codes = [r["gtin"].lstrip("0") for r in records
             if r.get("gtin") and not r.get("age_limit")]
    lane = DurableCheckout.restore(db, LANE, Policy(), _attendants())
    checkout = lane.checkout
    run = lane.handle if durable else checkout.handle
    rng = random.Random(seed)
    t0 = datetime(2025, 3, 1, 9, tzinfo=UTC)
    counter = iter(range(10**9))

    def handle(command: c.Command) -> int:
        step = next(counter)
        ctx = Context(now=t0 + timedelta(seconds=step), catalog=store,
                      new_id=lambda: f"{LANE}-{step}-{rng.getrandbits(32):08x}")
        return len(run(command, ctx))

    handle(c.AttendantLogin("A1", PIN))
    handle(c.Open("A1"))
    events = facts = sales = 0
    started = time.perf_counter()
    while events < n:
        for _ in range(SCANS_PER_BASKET):
            facts += handle(c.Scan(rng.choice(codes)))
        facts += handle(c.Pay())
        due = checkout.amount_due_cents()
        facts += handle(c.PaymentResult(approved=True, amount_cents=due, reference="B"))
        facts += handle(c.Finish())
        events += SCANS_PER_BASKET + 3
        sales += 1
    elapsed = time.perf_counter() - started
    db.close()
    return {"events_per_s": round(events / elapsed), "facts_per_s": round(facts / elapsed),
            "events": events, "sales": sales, "ms_per_event": round(elapsed / events * 1000, 3)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=3000, help="commits per measurement")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", type=Path, help="folder on the disk to measure (default: temp)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = Path(tmp)
        raw = raw_commits_per_s(folder / "raw.db", args.events)
        print(f"raw sqlite3 single-row commits: {raw:8.0f} /s  (ceiling)")
        log = fact_log_appends_per_s(folder / "log.db", args.events)
        print(f"basket_log.append, 1 fact each: {log:8.0f} /s")
        co = checkout_events(folder / "lane.db", args.events, args.seed, durable=True)
        print(f"DurableCheckout.handle events:  {co['events_per_s']:8.0f} /s  "
              f"({co['facts_per_s']} facts/s, {co['sales']} sales)")
        mem = checkout_events(folder / "mem.db", args.events, args.seed, durable=False)
        print(f"Checkout.handle, no journal:    {mem['events_per_s']:8.0f} /s  "
              "(decisions alone)")
    result = {
        "bench": "basket_events", "synchronous": "FULL", "journal_mode": "WAL",
        "raw_commits_per_s": round(raw), "fact_log_appends_per_s": round(log),
        "checkout": co, "checkout_in_memory": mem,
        "journal_ms_per_event": round(co["ms_per_event"] - mem["ms_per_event"], 3),
        "fact_log_vs_raw": round(log / raw, 2),
        "checkout_vs_raw": round(co["events_per_s"] / raw, 2),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

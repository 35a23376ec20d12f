"""A lane offline for days: disk per sale, 100,000 pending sales, the catch-up, then pruning.

    .venv/bin/python bench/offline_capacity.py [--sales 100000] [--days 7] [--no-drain]

1. One realistic basket goes through the real `DurableCheckout` (a 200-product catalog,
   `--lines` scans with Pfand, pay, approve, finish): its facts, sale, outbox row and checkpoint
   are the template.
2. `--sales` copies of it (new ids, spread evenly over `--days`) are written with the real
   `basket_log.append` and `sales.record_sale`, 1,000 sales per transaction (the lane writes
   one per transaction; the bytes on disk are the same): the lane offline, nothing acked.
3. Unless `--no-drain`: a real hub (kiosk.hub on 127.0.0.1) receives them all through the
   `Uploader`, 200 per request (500 realistic sales exceed the hub's 4 MB body limit); the
   hub must hold each sale once.
4. Pruning with `keep_acked_days` 1 (keeps about the last day) and then 14 days later (keeps the
   chain head only); the file's size after each, and verify_chain on what is kept.

Baseline in the same run: the sale's canonical JSON bytes, so `bytes_per_sale_vs_payload` is
the journal's overhead factor. Prints readable lines, then one JSON object on the last line.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gen_catalog  # a sibling script module; bench/ is not a package

from kiosk.domain import commands as c
from kiosk.domain.attendants import Attendant
from kiosk.domain.catalog import product_from_dict
from kiosk.domain.checkout import Context
from kiosk.domain.facts import Fact
from kiosk.domain.policy import Policy, Role
from kiosk.journal import basket_log, retention, sales
from kiosk.journal.catalog import CatalogStore
from kiosk.journal.db import open_db, write_transaction

LANE = "L1"
PIN = "4711"
T0 = datetime(2026, 11, 1, 8, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Template:
    """One real basket: its facts (kind, data text, at), the sale JSON and the checkpoint."""

    basket_id: str
    sale_id: str
    facts: tuple[tuple[str, str], ...]
    payload: str
    snapshot: dict[str, Any]


def _attendants() -> dict[str, Attendant]:
    salt = b"benchsalt"
    key = hashlib.scrypt(PIN.encode(), salt=salt, n=1024, r=8, p=1, dklen=32)
    return {"A1": Attendant("A1", "Bench", Role.ATTENDANT,
                            f"scrypt$1024$8$1${salt.hex()}${key.hex()}")}


def template_basket(folder: Path, lines: int = 15, seed: int = 1) -> Template:
    """Run one basket of `lines` scans through the real durable checkout in `folder`."""
    from kiosk.journal.durable import DurableCheckout

    db = open_db(folder / "template.sqlite")
    try:
        store = CatalogStore(db)
        records = gen_catalog.generate(200, seed)["products"]
        store.replace([product_from_dict(r) for r in records])
        codes = [r["gtin"].lstrip("0") for r in records
                 if r.get("gtin") and not r.get("age_limit")]
        lane = DurableCheckout.restore(db, LANE, Policy(), _attendants())
        steps = iter(range(10**6))

        def handle(command: c.Command) -> None:
            step = next(steps)
            lane.handle(command, Context(now=T0 + timedelta(seconds=step), catalog=store,
                                         new_id=lambda: f"{LANE}-{step}-t"))

        handle(c.AttendantLogin("A1", PIN))
        handle(c.Open("A1"))
        for n in range(lines):
            handle(c.Scan(codes[(n * 7) % len(codes)]))
        handle(c.Pay())
        due = lane.checkout.amount_due_cents()
        handle(c.PaymentResult(approved=True, amount_cents=due, reference="T"))
        handle(c.Finish())
        record = sales.latest_sales(db, LANE)[0]
        facts = db.conn.execute("SELECT kind, data FROM facts WHERE basket_id = ? ORDER BY seq",
                                (record.basket_id,)).fetchall()
        snapshot = json.loads(db.conn.execute(
            "SELECT snapshot FROM checkpoints WHERE lane_id = ?", (LANE,)).fetchone()[0])
        return Template(record.basket_id, record.sale_id, tuple(facts), record.payload,
                        snapshot)
    finally:
        db.close()


def _ms(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def write_sales(db: Any, template: Template, count: int, *, start: datetime, spacing_s: float,
                first: int = 1, lane: str = LANE, per_transaction: int = 1000) -> list[str]:
    """Write `count` copies of `template` as sales first.. of `lane`, `spacing_s` apart from
    `start`, through the real journal functions; returns their sale ids in order.

    The fill runs with synchronous=OFF (restored to FULL after): it stands for days of the
    lane's own commits, and what is measured is the bytes on disk, not the fsyncs."""
    ids: list[str] = []
    db.conn.execute("PRAGMA synchronous = OFF")
    try:
        for chunk_start in range(first, first + count, per_transaction):
            with write_transaction(db):
                for n in range(chunk_start, min(chunk_start + per_transaction, first + count)):
                    ids.append(_one_sale(db, template, n,
                                         start + timedelta(seconds=n * spacing_s), lane))
    finally:
        db.conn.execute("PRAGMA synchronous = FULL")
    return ids


def _one_sale(db: Any, template: Template, n: int, at: datetime, lane: str) -> str:
    basket_id, sale_id, when = f"B-{lane}-{n}", f"S-{lane}-{n}", _ms(at)

    def fresh(text: str) -> str:
        return text.replace(template.basket_id, basket_id).replace(template.sale_id, sale_id)

    facts = [Fact(kind, json.loads(fresh(data)), when) for kind, data in template.facts]
    basket_log.append(db, lane, facts, checkpoint=template.snapshot)
    sale = json.loads(fresh(template.payload))
    sale["finished_at"] = when
    sales.record_sale(db, sale)
    return sale_id


def table_bytes(db: Any) -> dict[str, int]:
    """Bytes per table with its indexes (dbstat), for the tables a sale writes."""
    rows = db.conn.execute(
        "SELECT m.tbl_name, SUM(d.pgsize) FROM dbstat d JOIN sqlite_master m ON m.name = d.name "
        "GROUP BY m.tbl_name").fetchall()
    return {str(name): int(size) for name, size in rows}


def file_bytes(path: Path, db: Any) -> int:
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return retention.disk_status(path).journal_bytes


async def drain(db: Any, folder: Path) -> tuple[float, int]:
    """Upload every pending sale to a real hub; (seconds, rows the hub holds)."""
    from aiohttp import web

    from kiosk.hub.app import make_app
    from kiosk.hub.store import HubStore
    from kiosk.sync.uploader import Uploader

    store = HubStore.open(folder / "hub.sqlite", store_id="store-7")
    runner = web.AppRunner(make_app(store))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    token = store.enrol(store.create_enrol_code(LANE), LANE)
    try:
        uploader = Uploader(sales.JournalOutbox(db), f"http://127.0.0.1:{port}", token,
                            batch=200, timeout_s=120)
        started = time.perf_counter()
        while (report := await uploader.run_once()).sent:
            if report.error:
                raise SystemExit(f"upload failed: {report}")
        elapsed = time.perf_counter() - started
        held, distinct = (await store.call(
            store.query, "SELECT COUNT(*), COUNT(DISTINCT sale_id) FROM sales"))[0]
        if held != distinct:
            raise SystemExit(f"the hub holds {held} rows for {distinct} sales")
        return elapsed, int(held)
    finally:
        await runner.cleanup()
        store.close()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=100_000)
    parser.add_argument("--days", type=float, default=7.0, help="offline period they span")
    parser.add_argument("--lines", type=int, default=15, help="scans per basket")
    parser.add_argument("--no-drain", action="store_true", help="skip the upload to a hub")
    parser.add_argument("--dir", type=Path, help="folder on the disk to measure (default: temp)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = Path(tmp)
        template = template_basket(folder, args.lines)
        path = folder / "lane.sqlite"
        db = open_db(path)
        try:
            empty = file_bytes(path, db)
            started = time.perf_counter()
            spacing_s = args.days * 86400 / args.sales
            write_sales(db, template, args.sales, start=T0, spacing_s=spacing_s)
            write_s = time.perf_counter() - started
            full = file_bytes(path, db)
            per_sale = (full - empty) / args.sales
            tables = {k: round(v / args.sales) for k, v in table_bytes(db).items()
                      if k in ("facts", "sales", "outbox", "checkpoints")}
            payload = len(template.payload.encode())
            print(f"{args.sales} pending sales of {args.lines} lines in {write_s:.1f} s: "
                  f"{full / 1e6:.1f} MB, {per_sale:.0f} bytes/sale {tables} "
                  f"(sale JSON alone {payload} bytes)")
            figures: dict[str, Any] = {
                "bench": "offline_capacity", "sales": args.sales, "lines": args.lines,
                "facts_per_sale": len(template.facts), "write_s": round(write_s, 1),
                "file_mb_offline": round(full / 1e6, 1), "bytes_per_sale": round(per_sale),
                "bytes_per_sale_by_table": tables, "sale_json_bytes": payload,
                "bytes_per_sale_vs_payload": round(per_sale / payload, 2),
                "mb_per_100k_sales": round(per_sale * 100_000 / 1e6),
                "mb_per_7_days_at_1500_per_day": round(per_sale * 7 * 1500 / 1e6),
            }
            if not args.no_drain:
                drain_s, held = asyncio.run(drain(db, folder))
                print(f"drained to a real hub in {drain_s:.1f} s ({args.sales / drain_s:.0f} "
                      f"sales/s); the hub holds {held}, each once")
                figures.update(drain_s=round(drain_s, 1), hub_holds=held,
                               drain_sales_per_s=round(args.sales / drain_s))
                end = T0 + timedelta(days=args.days)
                for label, now in (("keep_1_day", end), ("after_14_days", end + timedelta(14))):
                    keep = 1 if label == "keep_1_day" else 14
                    t = time.perf_counter()
                    report = retention.prune(db, keep, now, max_sales=args.sales)
                    prune_s = time.perf_counter() - t
                    kept = len(sales.lane_sales(db, LANE))
                    size = file_bytes(path, db)
                    ok = sales.verify_chain(db, LANE).ok
                    print(f"prune {label}: {report.sales} sales in {prune_s:.1f} s, {kept} kept, "
                          f"file {size / 1e6:.1f} MB, chain {'intact' if ok else 'BROKEN'}")
                    figures[label] = {"pruned": report.sales, "kept": kept, "prune_s":
                                      round(prune_s, 1), "file_mb": round(size / 1e6, 1),
                                      "chain_ok": ok}
        finally:
            db.close()
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Catch-up of 10,000 queued sales: the real Uploader draining a lane's outbox into `kiosk hub`.

    .venv/bin/python bench/hub_catchup.py [--sales 10000] [--backend sqlite|postgresql|both]
                                          [--batches 200,100,500]

A lane journal (temporary SQLite, `kiosk.journal.sales.record_sale`) holds `--sales` pending
sales of 10-20 lines each (written with synchronous=OFF to make them quickly; the upload run
reopens the file with the journal's own settings). For each backend and batch size: a fresh hub
database, `kiosk hub` in a subprocess on 127.0.0.1, the lane enrolled over HTTP
(`kiosk.sync.enrol`), then `Uploader.run_once` until the outbox is empty, timed. The hub's CPU
seconds come from /proc/PID/stat of its process, the client's from this process.

Baselines in the same run, per backend and batch size, on a fresh hub database in this process:
- `direct_insert`: the same rows INSERTed straight into the hub's `sales` table, one
  transaction per batch (the floor the HTTP path is compared against; `vs_direct_insert`);
- `direct_ingest`: `kiosk.hub.ingest.ingest` per batch without HTTP (the hub's checks: hash,
  chain, duplicates, gaps), so the difference to the upload is HTTP, JSON and the client.

Every run ends by counting the hub's sales: it must hold exactly `--sales` distinct sales, or the
benchmark fails (a benchmark that loses sales is a bug). Prints readable lines, then the figures
as one JSON object on the last line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import hubbench

from kiosk.config import SyncConfig
from kiosk.hub.ingest import IncomingSale, ingest
from kiosk.hub.store import HubStore
from kiosk.journal import sales
from kiosk.journal.db import open_db
from kiosk.sync.enrol import enrol, read_token
from kiosk.sync.uploader import Uploader

LANE = "L1"
_ROW = ("sale_id", "lane_id", "seq", "payload", "prev_hash", "hash", "finished_at",
        "total_cents")


def make_lane(path: Path, count: int) -> float:
    """Record `count` realistic sales in a new lane journal at `path`; returns seconds taken."""
    start = time.perf_counter()
    db = open_db(path)
    db.conn.execute("PRAGMA synchronous = OFF")  # setup only: the upload reopens the file
    rng = random.Random(6)
    for n in range(1, count + 1):
        sales.record_sale(db, hubbench.realistic_sale(LANE, n, rng))
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return time.perf_counter() - start


def lane_rows(path: Path) -> list[tuple[Any, ...]]:
    db = open_db(path)
    try:
        return list(db.conn.execute(f"SELECT {', '.join(_ROW)} FROM sales ORDER BY seq"))
    finally:
        db.close()


def hub_holds(db: str) -> tuple[int, int]:
    """(rows, distinct sale ids) in the hub's sales table."""
    with HubStore.open(db) as store:
        rows, distinct = store.query("SELECT COUNT(*), COUNT(DISTINCT sale_id) FROM sales")[0]
    return int(rows), int(distinct)


def check_complete(db: str, count: int, what: str) -> None:
    rows, distinct = hub_holds(db)
    if (rows, distinct) != (count, count):
        raise SystemExit(f"{what}: the hub holds {rows} sales ({distinct} distinct), not "
                         f"{count}; the benchmark found a lost or doubled sale")


def upload_run(backend: hubbench.Backend, lane_file: Path, folder: Path, batch: int,
               count: int) -> dict[str, Any]:
    """Drain a copy of the lane's outbox into a fresh hub process with batches of `batch`."""
    run_lane = folder / f"lane-{backend.name}-{batch}.sqlite"
    shutil.copyfile(lane_file, run_lane)
    with HubStore.open(backend.db) as store:
        code = store.create_enrol_code(LANE)
    with hubbench.HubProcess(backend.db, folder) as hub:
        token_file = folder / f"token-{backend.name}-{batch}"
        asyncio.run(enrol(hub.url, code, LANE, token_file))
        db = open_db(run_lane)
        try:
            uploader = Uploader(sales.JournalOutbox(db), hub.url, read_token(token_file),
                                batch=batch)
            hub_cpu0, client_cpu0 = hub.cpu_s(), time.process_time()
            server_cpu0 = backend.server_cpu_s()
            start = time.perf_counter()
            acked, requests = asyncio.run(drain(uploader))
            seconds = time.perf_counter() - start
            hub_cpu_s, client_cpu_s = hub.cpu_s() - hub_cpu0, time.process_time() - client_cpu0
            server_cpu_s = backend.server_cpu_s() - server_cpu0
            left = sales.outbox_status(db)
        finally:
            db.close()
    if acked != count or left.pending or left.quarantined:
        raise SystemExit(f"upload with batch {batch}: {acked} acked, {left.pending} pending, "
                         f"{left.quarantined} quarantined; expected all {count} acked")
    check_complete(backend.db, count, f"upload with batch {batch}")
    return {"seconds": round(seconds, 2), "sales_per_s": round(count / seconds),
            "requests": requests, "hub_cpu_s": round(hub_cpu_s, 2),
            "client_cpu_s": round(client_cpu_s, 2), "db_server_cpu_s": round(server_cpu_s, 2)}


async def drain(uploader: Uploader) -> tuple[int, int]:
    """run_once until nothing is sent; (sales acked, requests). Any failure stops the bench."""
    acked = requests = 0
    while True:
        report = await uploader.run_once()
        if not report.sent:
            return acked, requests
        if report.error or report.quarantined:
            raise SystemExit(f"upload failed: {report}")
        acked += report.acked
        requests += 1


def direct_run(backend: hubbench.Backend, rows: Sequence[tuple[Any, ...]], batch: int,
               how: str) -> dict[str, Any]:
    """The rows into a fresh hub database in this process, one transaction per batch."""
    received_at = "2026-11-22T12:00:00+00:00"
    with HubStore.open(backend.db) as store:
        start = time.perf_counter()
        for first in range(0, len(rows), batch):
            chunk = rows[first:first + batch]
            if how == "insert":
                with store.transaction() as tx:
                    for row in chunk:
                        tx.execute(
                            "INSERT INTO sales (sale_id, lane_id, seq, payload, prev_hash, "
                            "hash, finished_at, total_cents, received_at) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", (*row, received_at))
            else:
                results, _ = ingest(store, LANE, [IncomingSale(*row[:6]) for row in chunk])
                if any(r.status != "accepted" for r in results):
                    raise SystemExit(f"direct ingest refused a sale: {results[0]}")
        seconds = time.perf_counter() - start
    check_complete(backend.db, len(rows), f"direct {how} with batch {batch}")
    return {"seconds": round(seconds, 2), "sales_per_s": round(len(rows) / seconds)}


def bench_backend(name: str, lane_file: Path, rows: Sequence[tuple[Any, ...]],
                  folder: Path, batches: Sequence[int]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for batch in batches:
        figures: dict[str, Any] = {}
        with hubbench.backend_db(name, folder, f"up-{batch}") as backend:
            figures["upload"] = upload_run(backend, lane_file, folder, batch, len(rows))
        for how in ("insert", "ingest"):
            with hubbench.backend_db(name, folder, f"{how}-{batch}") as backend:
                figures[f"direct_{how}"] = direct_run(backend, rows, batch, how)
        figures["vs_direct_insert"] = round(
            figures["upload"]["seconds"] / max(figures["direct_insert"]["seconds"], 0.001), 1)
        figures["vs_direct_ingest"] = round(
            figures["upload"]["seconds"] / max(figures["direct_ingest"]["seconds"], 0.001), 1)
        up = figures["upload"]
        print(f"{name} batch {batch}: upload {up['seconds']} s ({up['sales_per_s']} sales/s, "
              f"hub CPU {up['hub_cpu_s']} s, client CPU {up['client_cpu_s']} s, database server "
              f"CPU {up['db_server_cpu_s']} s); direct "
              f"insert {figures['direct_insert']['seconds']} s, direct ingest "
              f"{figures['direct_ingest']['seconds']} s; upload/insert "
              f"{figures['vs_direct_insert']}x", flush=True)
        out[f"batch_{batch}"] = figures
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sales", type=int, default=10_000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    default_batch = SyncConfig().batch
    parser.add_argument("--batches", default=f"{default_batch},100,500",
                        help="batch sizes to try, the first is the configured default")
    args = parser.parse_args(argv)
    batches = [int(b) for b in args.batches.split(",")]
    run, skipped = hubbench.chosen_backends(args.backend)
    result: dict[str, Any] = {"bench": "hub_catchup", "sales": args.sales,
                              "default_batch": default_batch}
    with hubbench.work_dir() as folder:
        lane_file = folder / "lane.sqlite"
        result["lane_fill_s"] = round(make_lane(lane_file, args.sales), 2)
        rows = lane_rows(lane_file)
        result["payload_bytes_mean"] = round(sum(len(r[3]) for r in rows) / len(rows))
        print(f"lane journal: {args.sales} sales recorded in {result['lane_fill_s']} s, "
              f"{result['payload_bytes_mean']} bytes of JSON each", flush=True)
        for name in run:
            result[name] = bench_backend(name, lane_file, rows, folder, batches)
    for skip in skipped:
        result[skip.name] = {"skipped": skip.note}
        print(f"{skip.name}: skipped: {skip.note}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Serial scan to committed basket line: p50/p99 latency over a pty, beside the wire time.

    .venv/bin/python bench/scan_to_line.py [--scans 400] [--dir DIR]

A scanner simulator writes a real scanner frame (`]E0` + EAN-13 + CR) on the master side of a
pty; the `BarcodeScanner` driver (pyserial, reader thread, framing) delivers it to the asyncio
loop; `DurableCheckout.handle(Scan)` decides, commits the line to the SQLite journal
(WAL, synchronous=FULL) and applies it. That is the moment the kiosk may show the line. Measured
per scan from the simulator's write to the return of `handle`, with the demo catalog in the
journal. Baselines measured in the same run:

- driver_only: write to the driver's DataEvent (the transport and framing alone);
- wire_ms_9600: the time the same frame takes on a real RS-232 line at 9600 8N1 (10 bits per
  byte), the physical floor a serial scanner cannot beat. USB-CDC scanners skip it.

Every 20 scans the basket is paid, so baskets stay shopper-sized. Prints readable lines, then the
figures as one JSON object on the last line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hardware.device import DataEvent
from hardware.scanner import BarcodeScanner, ScanData
from hardware.serial_port import LineSettings
from hardware.sim.scanner import ScannerSimulator, aim_for
from kiosk.config import DEMO_CATALOG
from kiosk.domain import commands as c
from kiosk.domain.checkout import Checkout, Context
from kiosk.domain.interventions import SYSTEM
from kiosk.domain.policy import Policy
from kiosk.journal.catalog import CatalogStore
from kiosk.journal.db import open_db
from kiosk.journal.durable import DurableCheckout

# Demo items without age limits or weighing, so every scan is one plain line.
CODES = ("4200200000015", "4200400000013", "4200200000084", "4201200000029", "40090023",
         "4200800000019", "4201500000019")
BASKET_SIZE = 20


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


async def next_scan(events: Any) -> ScanData:
    while True:
        event = await events.__anext__()
        if isinstance(event, DataEvent):
            return event.data  # type: ignore[no-any-return]


async def measure(folder: Path, scans: int) -> dict[str, Any]:
    db = open_db(folder / "journal.sqlite")
    store = CatalogStore(db)
    store.import_file(DEMO_CATALOG)
    checkout = Checkout(lane_id="bench", policy=Policy(open_on_start=True), attendants={},
                        promotions=store.promotions())
    durable = DurableCheckout(db, checkout, "bench")

    def ctx() -> Context:
        return Context(now=datetime.now(UTC), catalog=store, new_id=lambda: uuid.uuid4().hex)

    durable.handle(c.Open(SYSTEM), ctx())
    driver_ms: list[float] = []
    committed_ms: list[float] = []
    sim = ScannerSimulator(folder / "kiosk-scanner")
    sim.start()
    scanner = BarcodeScanner("scanner", sim.port, LineSettings())
    await scanner.open()
    events = scanner.events()
    try:
        for i in range(scans):
            code = CODES[i % len(CODES)]
            started = time.perf_counter()
            sim.scan(code, aim=aim_for(code))
            data = await asyncio.wait_for(next_scan(events), 5)
            arrived = time.perf_counter()
            durable.handle(c.Scan(text=(data.aim or "") + data.text, source="serial"), ctx())
            done = time.perf_counter()
            driver_ms.append((arrived - started) * 1000)
            committed_ms.append((done - started) * 1000)
            if (i + 1) % BASKET_SIZE == 0:
                total = durable.checkout.amount_due_cents()
                durable.handle(c.Pay(), ctx())
                durable.handle(c.PaymentResult(True, total, "BENCH"), ctx())
                durable.handle(c.Finish(), ctx())
    finally:
        await scanner.close()
        sim.close()
        db.conn.close()
    frame = sim.frame(CODES[0])
    wire_ms = len(frame) * LineSettings().frame_bits() / 9600 * 1000
    return {
        "bench": "scan_to_line",
        "scans": scans,
        "frame_bytes": len(frame),
        "wire_ms_9600": round(wire_ms, 2),
        "driver_only": {"p50_ms": round(statistics.median(driver_ms), 3),
                        "p99_ms": round(percentile(driver_ms, 99), 3)},
        "scan_to_committed_line": {"p50_ms": round(statistics.median(committed_ms), 3),
                                   "p99_ms": round(percentile(committed_ms, 99), 3)},
        "p99_vs_wire": round(percentile(committed_ms, 99) / wire_ms, 2),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=400)
    parser.add_argument("--dir", type=Path, default=None, help="folder on the disk to measure")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench-scan-") as tmp:
        result = asyncio.run(measure(Path(tmp), args.scans))
    print(f"frame {result['frame_bytes']} bytes: {result['wire_ms_9600']} ms on a 9600 8N1 line")
    print(f"pty + driver to DataEvent: p50 {result['driver_only']['p50_ms']} ms, "
          f"p99 {result['driver_only']['p99_ms']} ms")
    print(f"scan to committed line:    p50 {result['scan_to_committed_line']['p50_ms']} ms, "
          f"p99 {result['scan_to_committed_line']['p99_ms']} ms")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Pay to sale on record through the card terminal: p50/p95 per payment beside the bare protocol.

    .venv/bin/python bench/payment.py [--payments 100]

A whole lane without a window: the real LaneController and SQLite journal (WAL,
synchronous=FULL), the PaymentRunner, the ZVT driver over loopback TCP and the ZVT terminal
simulator answering at once (no think time, no card). Each payment is one bottle of milk scanned,
then Pay; it is measured from Pay to the moment the sale is committed (`FINISHING`), then the
shopper finishes and the next one scans. Baseline in the same run: the same approve flow
(authorisation, three statuses, status information, completion, each acknowledged) played by a
bare socket client against the same simulator, with no driver, no checkout and no journal. The
ratio is what the driver, the runner and the two journal commits cost per payment.

Prints readable lines, then the figures as one JSON object on the last line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hardware.sim.zvt import ZvtSimulator
from kiosk.app import build_controller, devices_of, load
from kiosk.app_devices import LaneDevices
from kiosk.domain.flow import FlowState
from kiosk.ui import intents as ui

MILK = "4200200000015"
AUTHORISE = bytes.fromhex("06 01 07 04 00 00 00 00 01 09")  # 1,09 €
ACK = bytes.fromhex("80 00 00")


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def figures(values_ms: Sequence[float]) -> dict[str, float]:
    return {"p50_ms": round(statistics.median(values_ms), 2),
            "p95_ms": round(percentile(values_ms, 95), 2), "max_ms": round(max(values_ms), 2)}


def read_apdu(sock: socket.socket, buffer: bytearray) -> bytes:
    """One APDU from the stream (CLASS INSTR LEN DATA, LEN < 255 in this flow)."""
    while len(buffer) < 3 or len(buffer) < 3 + buffer[2]:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("the simulator closed the connection")
        buffer.extend(chunk)
    size = 3 + buffer[2]
    apdu = bytes(buffer[:size])
    del buffer[:size]
    return apdu


def bare_protocol(address: str, payments: int) -> list[float]:
    """The approve flow by hand: send 06 01, ack everything, stop at 06 0F."""
    host, port = address.removeprefix("tcp://").rsplit(":", 1)
    times: list[float] = []
    with socket.create_connection((host, int(port))) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffer = bytearray()
        sock.sendall(bytes.fromhex("06 00 06 00 00 00 BE 09 78"))  # registration
        while read_apdu(sock, buffer)[:2] != b"\x06\x0f":
            pass
        sock.sendall(ACK)
        for _ in range(payments):
            start = time.perf_counter()
            sock.sendall(AUTHORISE)
            while True:
                apdu = read_apdu(sock, buffer)
                if apdu[:2] == b"\x80\x00":
                    continue  # the terminal's ack of our authorisation
                sock.sendall(ACK)
                if apdu[:2] == b"\x06\x0f":
                    break
            times.append((time.perf_counter() - start) * 1000)
    return times


def lane_payments(folder: Path, address: str, payments: int) -> list[float]:
    config_path = folder / "kiosk.toml"
    config_path.write_text(
        f'[paths]\ndata_dir = "{folder / "data"}"\n[policy]\nopen_on_start = true\n'
        f'[devices.terminal]\nurl = "{address}"\n', encoding="utf-8")
    config = load(config_path)
    controller = build_controller(config)
    times: list[float] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        devices = LaneDevices(devices_of(config), controller, refresh=lambda: None,
                              post=loop.call_soon_threadsafe)
        await devices.start()
        try:
            while not all(s.device.is_open for s in devices.supervisors):
                await asyncio.sleep(0.01)
            for _ in range(payments):
                controller.send(ui.CodeEntered(MILK))
                start = time.perf_counter()
                controller.send(ui.Pay())
                while controller.checkout.state is not FlowState.FINISHING:
                    await asyncio.sleep(0)
                times.append((time.perf_counter() - start) * 1000)
                controller.send(ui.Finish())
        finally:
            await devices.stop()

    try:
        asyncio.run(main())
    finally:
        controller.durable.db.conn.close()
    return times


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--payments", type=int, default=100)
    args = parser.parse_args(argv)
    with ZvtSimulator(think_s=0.0) as sim, tempfile.TemporaryDirectory() as tmp:
        bare = bare_protocol(sim.address, args.payments)
        booked_before = len(sim.booked)
        lane = lane_payments(Path(tmp), sim.address, args.payments)
        booked = len(sim.booked) - booked_before
    result: dict[str, Any] = {
        "bench": "payment", "payments": args.payments, "booked_by_lane": booked,
        "pay_to_sale_committed": figures(lane), "bare_protocol": figures(bare),
    }
    result["p50_vs_bare"] = round(result["pay_to_sale_committed"]["p50_ms"]
                                  / max(result["bare_protocol"]["p50_ms"], 0.001), 1)
    print(f"pay -> sale committed (lane, driver, journal): p50 "
          f"{result['pay_to_sale_committed']['p50_ms']} ms, p95 "
          f"{result['pay_to_sale_committed']['p95_ms']} ms")
    print(f"bare ZVT approve flow on the same simulator:   p50 "
          f"{result['bare_protocol']['p50_ms']} ms, p95 {result['bare_protocol']['p95_ms']} ms")
    print(f"terminal booked {booked} payments for {args.payments} sales")
    print(json.dumps(result))
    return 0 if booked == args.payments else 1


if __name__ == "__main__":
    sys.exit(main())

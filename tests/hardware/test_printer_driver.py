"""The receipt printer driver over the pty simulator: status, refusals, events, unplug."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from hardware.device import DeviceState, ErrorEvent, Event, StatusEvent, Supervisor
from hardware.errors import DeviceConfigError, DeviceOfflineError, ProtocolError
from hardware.printer import (
    Cut,
    PrinterNotReadyError,
    PrinterStatus,
    ReceiptPrinter,
    Text,
    render,
)
from hardware.sim.printer import PrinterSimulator

DOC = [Text("Käse", bold=True), Text("SUMME 1,99 €", size="double"), Cut()]


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[PrinterSimulator]:
    with PrinterSimulator(tmp_path / "kiosk-printer") as simulator:
        yield simulator


def printer_on(sim: PrinterSimulator, **options: float) -> ReceiptPrinter:
    return ReceiptPrinter("printer", str(sim.port), timeout_s=0.2, **options)  # type: ignore[arg-type]


async def next_event(printer: ReceiptPrinter, kind: type, timeout_s: float = 2.0) -> Event:
    """The next event of `kind` on the printer's stream."""
    async def wait() -> Event:
        async for event in printer.events():
            if isinstance(event, kind):
                return event
        raise AssertionError("unreachable")
    return await asyncio.wait_for(wait(), timeout_s)


@pytest.mark.parametrize(("flags", "expected"), [
    ({}, PrinterStatus(True, False, "ok")),
    ({"paper": "near_end"}, PrinterStatus(True, False, "near_end")),
    ({"paper": "out"}, PrinterStatus(False, False, "out")),
    ({"cover_open": True}, PrinterStatus(False, True, "ok")),
    ({"offline": True}, PrinterStatus(False, False, "ok")),
    ({"silent": True}, PrinterStatus(False, False, "ok")),
])
def test_the_printer_reports_each_condition_of_the_simulator(
        sim: PrinterSimulator, flags: dict[str, object], expected: PrinterStatus) -> None:
    async def main() -> PrinterStatus:
        async with printer_on(sim) as printer:
            for name, value in flags.items():
                setattr(sim, name, value)
            return await printer.status()
    assert asyncio.run(main()) == expected


def test_a_receipt_reaches_the_printer_byte_for_byte(sim: PrinterSimulator) -> None:
    async def main() -> None:
        async with printer_on(sim) as printer:
            await printer.print_items(DOC)
            assert printer.state is DeviceState.IDLE
    asyncio.run(main())
    assert sim.wait_for_receipts(1) == [render(DOC)]


def test_printing_with_paper_out_is_refused_and_says_what_to_do(sim: PrinterSimulator) -> None:
    async def main() -> None:
        async with printer_on(sim) as printer:
            sim.paper = "out"
            with pytest.raises(PrinterNotReadyError) as err:
                await printer.print_items(DOC)
            assert str(err.value) == (f"Printer 'printer' on {sim.port}: paper out; "
                                      "load a new roll")
            sim.paper, sim.cover_open = "ok", True
            with pytest.raises(PrinterNotReadyError, match="cover open; close the cover"):
                await printer.print_items(DOC)
    asyncio.run(main())
    assert sim.receipts() == []


def test_paper_near_the_end_still_prints(sim: PrinterSimulator) -> None:
    sim.paper = "near_end"

    async def main() -> None:
        async with printer_on(sim) as printer:
            await printer.print_items(DOC)
    asyncio.run(main())
    assert len(sim.wait_for_receipts(1)) == 1


def test_each_change_of_condition_is_one_status_event(sim: PrinterSimulator) -> None:
    async def main() -> list[str]:
        seen = []
        async with printer_on(sim, status_interval_s=0.05) as printer:
            for paper in ("near_end", "out", "ok"):
                sim.paper = paper
                event = await next_event(printer, StatusEvent)
                assert isinstance(event, StatusEvent)
                seen.append(event.status)
            sim.cover_open = True
            event = await next_event(printer, StatusEvent)
            assert isinstance(event, StatusEvent)
            seen.append(event.status)
        return seen
    assert asyncio.run(main()) == ["paper_near_end", "paper_out", "online", "cover_open"]


def test_a_printer_that_stops_answering_goes_offline(sim: PrinterSimulator) -> None:
    async def main() -> None:
        async with printer_on(sim, status_interval_s=0.05) as printer:
            sim.silent = True
            event = await next_event(printer, StatusEvent)
            assert isinstance(event, StatusEvent)
            assert event.status == "offline"
            assert printer.state is DeviceState.OFFLINE
    asyncio.run(main())


def test_a_silent_printer_does_not_open(sim: PrinterSimulator) -> None:
    sim.silent = True

    async def main() -> None:
        with pytest.raises(DeviceOfflineError, match="does not answer status queries"):
            await printer_on(sim).open()
    asyncio.run(main())


def test_line_noise_is_reported_and_the_status_still_read(sim: PrinterSimulator) -> None:
    async def main() -> None:
        async with printer_on(sim) as printer:
            sim.garbage, sim.paper = True, "near_end"
            assert (await printer.status()).paper == "near_end"
            event = await next_event(printer, ErrorEvent)
            assert isinstance(event, ErrorEvent)
            assert isinstance(event.error, ProtocolError)
            assert "0xff" in str(event.error)
    asyncio.run(main())


def test_the_supervisor_reopens_the_printer_after_unplug_and_it_prints_again(
        sim: PrinterSimulator) -> None:
    async def main() -> list[str]:
        told: list[str] = []
        printer = printer_on(sim, status_interval_s=0.05)
        supervisor = Supervisor(printer, on_event=lambda e: None,
                                on_lost=lambda n, d: told.append("lost"),
                                on_back=lambda n, d: told.append("back"),
                                backoff_s=(0.05,))
        supervisor.start()
        try:
            for _ in range(100):
                if printer.is_open:
                    break
                await asyncio.sleep(0.02)
            sim.unplug()
            await asyncio.sleep(0.3)
            sim.replug()
            for _ in range(100):
                if told == ["lost", "back"] and printer.is_open:
                    break
                await asyncio.sleep(0.02)
            await printer.print_items(DOC)
        finally:
            await supervisor.stop()
        return told
    assert asyncio.run(main()) == ["lost", "back"]
    assert sim.wait_for_receipts(1) == [render(DOC)]


def test_the_demo_printer_appends_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "receipts.bin"

    async def main() -> PrinterStatus:
        async with ReceiptPrinter("printer", f"file://{out}") as printer:
            await printer.print_items(DOC)
            await printer.print_items(DOC)
            return await printer.status()
    assert asyncio.run(main()).can_print
    assert out.read_bytes() == render(DOC) * 2


def test_a_network_printer_is_asked_for_its_status_over_tcp() -> None:
    """A raw-socket printer on port 9100 answers DLE EOT like a serial one."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    received = bytearray()

    def serve() -> None:
        conn, _ = server.accept()
        with conn:
            while data := conn.recv(4096):
                received.extend(data)
                for _ in range(data.count(b"\x10\x04")):
                    conn.sendall(b"\x12")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()

    async def main() -> PrinterStatus:
        async with ReceiptPrinter("printer", f"tcp://127.0.0.1:{port}") as printer:
            await printer.print_items(DOC)
            return await printer.status()
    try:
        assert asyncio.run(main()).can_print
        thread.join(timeout=2.0)
    finally:
        server.close()
    assert render(DOC) in bytes(received)


def test_an_unsupported_code_page_is_a_config_error() -> None:
    with pytest.raises(DeviceConfigError, match=r"'printer'.*CP999"):
        ReceiptPrinter("printer", "/dev/kiosk-printer", codepage="CP999")

"""The serial scanner driver, over the pty simulator with production line settings."""

from __future__ import annotations

import asyncio
import io
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import serial

from hardware.device import DataEvent, DeviceState, ErrorEvent, Event, StatusEvent, Supervisor
from hardware.errors import DeviceConfigError, DeviceOfflineError, ProtocolError
from hardware.scanner import BarcodeScanner, ScanData
from hardware.serial_port import LineSettings
from hardware.sim.scanner import DATASHEET_FRAMES, ScannerSimulator, aim_for, run_cli

TIMEOUT_S = 3.0


async def take(events: AsyncIterator[Event], timeout_s: float = TIMEOUT_S) -> Event:
    return await asyncio.wait_for(anext(events), timeout_s)


async def take_scan(events: AsyncIterator[Event]) -> ScanData:
    event = await take(events)
    assert isinstance(event, DataEvent), event
    assert isinstance(event.data, ScanData)
    return event.data


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[ScannerSimulator]:
    with ScannerSimulator(tmp_path / "kiosk-scanner") as simulator:
        yield simulator


def test_scans_arrive_as_data_events_with_label_and_aim(sim: ScannerSimulator) -> None:
    async def main() -> list[ScanData]:
        async with BarcodeScanner("scanner", sim.port, LineSettings()) as scanner:
            events = scanner.events()
            sim.scan("4006381333931")
            sim.scan("96385074", aim="]E4")
            sim.send_raw(DATASHEET_FRAMES["gs1_128"])
            got = [await take_scan(events) for _ in range(3)]
            await events.aclose()
            return got

    first, second, third = asyncio.run(main())
    assert (first.text, first.aim, first.source) == ("4006381333931", "]E0", "serial")
    assert (second.text, second.aim) == ("96385074", "]E4")
    assert third.aim == "]C1"
    assert third.text.endswith("10ABC123")


@pytest.mark.parametrize(("suffix", "stx"), [(b"\n", False), (b"\r\n", True)])
def test_scanners_programmed_for_lf_crlf_or_stx_read_the_same(
        tmp_path: Path, suffix: bytes, stx: bool) -> None:
    async def main(sim: ScannerSimulator) -> list[str]:
        async with BarcodeScanner("scanner", sim.port) as scanner:
            events = scanner.events()
            sim.scan("4006381333931")
            sim.scan("4006381333931")
            got = [(await take_scan(events)).text for _ in range(2)]
            await events.aclose()
            return got

    with ScannerSimulator(tmp_path / "scanner", suffix=suffix, stx=stx) as sim:
        assert asyncio.run(main(sim)) == ["4006381333931"] * 2


def test_garbage_gives_an_error_event_and_the_next_scan_still_arrives(
        sim: ScannerSimulator) -> None:
    async def main() -> tuple[Event, ScanData]:
        async with BarcodeScanner("scanner", sim.port) as scanner:
            events = scanner.events()
            sim.send_raw(b"\x00\xff\x13garbage\r")
            err = await take(events)
            sim.scan("4006381333931")
            scan = await take_scan(events)
            await events.aclose()
            return err, scan

    err, scan = asyncio.run(main())
    assert isinstance(err, ErrorEvent)
    assert isinstance(err.error, ProtocolError)
    assert "scanner on " + sim.port in str(err.error)
    assert scan.text == "4006381333931"


def test_silence_gives_nothing_and_does_not_spin_the_cpu(sim: ScannerSimulator) -> None:
    async def main() -> float:
        async with BarcodeScanner("scanner", sim.port) as scanner:
            events = scanner.events()
            cpu_before_s = time.process_time()
            with pytest.raises(TimeoutError):
                await take(events, timeout_s=1.0)
            return time.process_time() - cpu_before_s

    assert asyncio.run(main()) < 0.25


def test_unplugging_reports_the_scanner_offline(sim: ScannerSimulator) -> None:
    async def main() -> tuple[Event, DeviceState]:
        async with BarcodeScanner("scanner", sim.port) as scanner:
            events = scanner.events()
            sim.unplug()
            event = await take(events)
            await events.aclose()
            return event, scanner.state

    event, state = asyncio.run(main())
    assert isinstance(event, StatusEvent)
    assert event.status == "offline"
    assert state is DeviceState.OFFLINE


def test_opening_a_missing_port_says_which_port(tmp_path: Path) -> None:
    async def main() -> None:
        await BarcodeScanner("scanner", str(tmp_path / "nothing-here")).open()

    with pytest.raises(DeviceOfflineError, match="nothing-here"):
        asyncio.run(main())


@pytest.mark.slow
def test_a_hundred_unplug_replug_cycles_recover_every_time(sim: ScannerSimulator) -> None:
    cycles = 100

    async def main() -> tuple[int, int, list[str]]:
        lost: list[str] = []
        back: list[str] = []
        got: asyncio.Queue[Event] = asyncio.Queue()

        def on_lost(name: str, detail: str) -> None:
            lost.append(detail)

        def on_back(name: str, detail: str) -> None:
            back.append(detail)

        async def until(condition: Callable[[], bool]) -> None:
            async with asyncio.timeout(TIMEOUT_S):
                while not condition():
                    await asyncio.sleep(0.002)

        scanner = BarcodeScanner("scanner", sim.port)
        supervisor = Supervisor(scanner, on_event=got.put_nowait, on_lost=on_lost,
                                on_back=on_back, backoff_s=(0.005, 0.01))
        supervisor.start()
        texts: list[str] = []
        try:
            await until(lambda: scanner.is_open)
            for cycle in range(cycles):
                sim.unplug()
                await until(lambda c=cycle: len(lost) == c + 1)
                sim.replug()
                await until(lambda c=cycle: len(back) == c + 1)
                code = f"{4006381333931 + cycle}"
                sim.scan(code)
                event = await asyncio.wait_for(got.get(), TIMEOUT_S)
                assert isinstance(event, DataEvent)
                texts.append(event.data.text)
        finally:
            await supervisor.stop()
        return len(lost), len(back), texts

    started_s = time.monotonic()
    lost, back, texts = asyncio.run(main())
    assert (lost, back) == (cycles, cycles)
    assert texts == [f"{4006381333931 + c}" for c in range(cycles)]
    assert time.monotonic() - started_s < 20


def test_config_table_builds_a_scanner_with_its_line_settings() -> None:
    scanner = BarcodeScanner.from_config(
        "scanner", {"port": "/dev/kiosk-scanner", "baudrate": 19200, "parity": "e",
                    "bytesize": 7})
    assert scanner.url == "/dev/kiosk-scanner"
    assert scanner.settings == LineSettings(19200, 7, "E", 1)
    assert BarcodeScanner.from_config("s", {"port": "/dev/x"}).settings == LineSettings()


@pytest.mark.parametrize("cfg", [{}, {"port": "/dev/x", "baudrate": "fast"},
                                 {"port": "/dev/x", "parity": "X"}])
def test_a_bad_config_table_names_the_device_and_the_value(cfg: dict[str, object]) -> None:
    with pytest.raises(DeviceConfigError, match="scanner"):
        BarcodeScanner.from_config("scanner", cfg)


def test_simulator_frames_are_the_datasheet_bytes(tmp_path: Path) -> None:
    plain = ScannerSimulator(tmp_path / "a")
    assert plain.frame("4006381333931") == DATASHEET_FRAMES["ean13"]
    assert plain.frame("96385074", aim="]E4") == DATASHEET_FRAMES["ean8"]
    fancy = ScannerSimulator(tmp_path / "b", suffix=b"\r\n", stx=True, aim=False)
    assert fancy.frame("96385074", aim="]E4") == b"\x0296385074\r\n"
    assert [aim_for(c) for c in ("96385074", "4006381333931", "COUPON-5EUR")] == \
        ["]E4", "]E0", "]C0"]


def test_sim_cli_prints_the_port_and_sends_each_line_as_a_scan(tmp_path: Path) -> None:
    port = tmp_path / "kiosk-scanner"
    expected = b"]E04006381333931\r]E496385074\r"
    ready, done = threading.Event(), threading.Event()
    stdout = io.StringIO()

    class Stdin(io.StringIO):
        """Typed lines, released once the test has the port open; EOF once all was read."""

        def __iter__(self) -> Iterator[str]:
            ready.wait(TIMEOUT_S)
            yield from ["4006381333931\n", "\n", "]E496385074\n"]
            done.wait(TIMEOUT_S)

    thread = threading.Thread(target=run_cli, args=(["--port", str(port)],),
                              kwargs={"stdin": Stdin(), "stdout": stdout})
    thread.start()
    received = b""
    try:
        deadline_s = time.monotonic() + TIMEOUT_S
        while not port.exists() and time.monotonic() < deadline_s:
            time.sleep(0.01)
        with serial.serial_for_url(str(port), timeout=0.05) as reader:
            ready.set()
            while len(received) < len(expected) and time.monotonic() < deadline_s:
                received += reader.read(64)
    finally:
        ready.set()
        done.set()
        thread.join(TIMEOUT_S)
    assert stdout.getvalue().strip() == str(port)
    assert received == expected
    assert not port.exists()  # the simulator unplugged itself at the end of input

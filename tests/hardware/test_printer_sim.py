"""The printer simulator answers DLE EOT n with the datasheet's bytes (read raw, no driver)."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
import serial

from hardware.errors import DeviceConfigError
from hardware.sim.printer import PrinterSimulator, run


def ask(sim: PrinterSimulator, request: bytes, wait_s: float = 0.3) -> bytes:
    with serial.serial_for_url(str(sim.port), timeout=0.02) as port:
        port.write(request)
        deadline = time.monotonic() + wait_s
        reply = b""
        while time.monotonic() < deadline:
            chunk = port.read(16)
            if reply and not chunk:
                break
            reply += chunk
        return reply


@pytest.mark.parametrize(("flags", "replies"), [
    ({}, "12 12 12"),
    ({"paper": "near_end"}, "12 12 1E"),
    ({"paper": "out"}, "1A 32 72"),
    ({"cover_open": True}, "1A 16 12"),
    ({"offline": True}, "1A 12 12"),
])
def test_status_queries_get_the_literal_status_bytes(
        tmp_path: Path, flags: dict[str, object], replies: str) -> None:
    with PrinterSimulator(tmp_path / "kiosk-printer", **flags) as sim:  # type: ignore[arg-type]
        got = b"".join(ask(sim, b"\x10\x04" + bytes((n,))) for n in (1, 2, 4))
    assert got == bytes.fromhex(replies)


def test_a_silent_printer_answers_nothing(tmp_path: Path) -> None:
    with PrinterSimulator(tmp_path / "kiosk-printer", silent=True) as sim:
        assert ask(sim, b"\x10\x04\x01", wait_s=0.1) == b""


def test_printed_documents_are_split_at_cuts_without_status_queries(tmp_path: Path) -> None:
    with PrinterSimulator(tmp_path / "kiosk-printer") as sim:
        ask(sim, b"\x1b@one\n\x10\x04\x01\x1dV\x00\x1b@two\n\x1dV\x41\x03tail")
        assert sim.wait_for_receipts(2) == [b"\x1b@one\n\x1dV\x00", b"\x1b@two\n\x1dV\x41\x03"]
        assert sim.queries == [1]


def test_unplug_removes_the_port_and_replug_brings_it_back(tmp_path: Path) -> None:
    with PrinterSimulator(tmp_path / "kiosk-printer") as sim:
        sim.unplug()
        assert not sim.port.exists()
        sim.replug()
        assert ask(sim, b"\x10\x04\x04") == b"\x12"


def test_an_unknown_paper_state_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DeviceConfigError, match="near_end"):
        PrinterSimulator(tmp_path / "kiosk-printer", paper="low")


def test_the_cli_prints_its_port_and_applies_words(tmp_path: Path) -> None:
    out = io.StringIO()
    assert run(tmp_path / "kiosk-printer", stdin=io.StringIO("out\nopen\nreceipts\nquit\n"),
               stdout=out) == 0
    text = out.getvalue()
    assert f"receipt printer simulator on {tmp_path / 'kiosk-printer'}" in text
    assert "paper = out" in text and "cover_open = True" in text and "0 receipts" in text

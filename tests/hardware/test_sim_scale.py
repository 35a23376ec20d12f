"""The scale simulators speak the datasheet frames byte for byte (read raw, without our codecs)."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest
import serial

from hardware.errors import DeviceConfigError
from hardware.sim.scale import ScaleSimulator, run, start


def ask(sim: ScaleSimulator, request: bytes, *, wait_s: float = 0.5, streaming: bool = False
        ) -> bytes:
    """Send `request` to the simulator as the driver would and return the raw reply bytes."""
    with serial.serial_for_url(str(sim.port), timeout=0.02) as port:
        port.write(request)
        deadline = time.monotonic() + wait_s
        reply = b""
        while time.monotonic() < deadline:
            chunk = port.read(256)
            if reply and not chunk and not streaming:
                break  # a reply came and nothing follows it
            reply += chunk
        return reply


@pytest.mark.parametrize(("options", "reply"), [
    ({"weight_g": 1234}, b"\x0201.234\r"),
    ({"weight_g": 1234, "net": True}, b"\x0201.234N\r"),
    ({"stable": False}, b"\x02?A\r"),
    ({"stable": False, "net": True}, b"\x02?a\r"),
])
def test_toledo_simulator_answers_w_with_datasheet_frames(
        tmp_path: Path, options: dict[str, object], reply: bytes) -> None:
    with ScaleSimulator("toledo", tmp_path / "kiosk-scale", **options) as sim:  # type: ignore[arg-type]
        assert ask(sim, b"W") == reply


def test_toledo_simulator_reports_overload_and_under_zero(tmp_path: Path) -> None:
    with ScaleSimulator("toledo", tmp_path / "kiosk-scale") as sim:
        sim.overload = True
        assert ask(sim, b"W") == b"\x02?B\r"
        sim.overload, sim.under_zero = False, True
        assert ask(sim, b"W") == b"\x02?D\r"


@pytest.mark.parametrize(("variant", "reply"), [
    ("S", bytes.fromhex("0A 30 31 2E 32 33 34 4B 47 0D 0A 53 30 30 0D 03")),
    ("plain", b"\n01.234KG\r\n00\r\x03"),
    ("hh", b"\n01.234KG\r00\x03"),
])
def test_nci_simulator_answers_in_each_variant(tmp_path: Path, variant: str, reply: bytes) -> None:
    with ScaleSimulator("nci", tmp_path / "kiosk-scale", weight_g=1234,
                        nci_variant=variant) as sim:
        assert ask(sim, b"W\r") == reply


def test_nci_simulator_status_zero_and_unknown_commands(tmp_path: Path) -> None:
    with ScaleSimulator("nci", tmp_path / "kiosk-scale", weight_g=0) as sim:
        assert ask(sim, b"W\r") == b"\n00.000KG\r\nS20\r\x03"
        assert ask(sim, b"X\r") == b"\n?\r\x03"
        sim.weight_g, sim.stable = 100, False
        assert ask(sim, b"S\r") == b"\nS10\r\x03"
        sim.stable, sim.overload = True, True
        assert ask(sim, b"S\r") == b"\nS02\r\x03"


def test_mtsics_simulator_answers_s_si_and_errors(tmp_path: Path) -> None:
    with ScaleSimulator("mtsics", tmp_path / "kiosk-scale", weight_g=1234) as sim:
        assert ask(sim, b"S\r\n") == b"S S      1.234 kg\r\n"
        sim.stable = False
        assert ask(sim, b"SI\r\n") == b"S D      1.234 kg\r\n"
        assert ask(sim, b"S\r\n") == b"S I\r\n"
        assert ask(sim, b"Z\r\n") == b"Z I\r\n"
        sim.overload = True
        assert ask(sim, b"SI\r\n") == b"S +\r\n"
        assert ask(sim, b"XYZ\r\n") == b"ES\r\n"


def test_mtsics_simulator_streams_after_sir_until_reset(tmp_path: Path) -> None:
    with ScaleSimulator("mtsics", tmp_path / "kiosk-scale", weight_g=20,
                        stream_interval_s=0.01) as sim:
        stream = ask(sim, b"SIR\r\n", wait_s=0.2, streaming=True)
        assert stream.count(b"S S      0.020 kg\r\n") >= 5
        assert ask(sim, b"@\r\n", wait_s=0.1).endswith(b'I4 A "0123456789"\r\n')
        assert not sim.streaming


def test_silence_and_garbage_are_simulator_options(tmp_path: Path) -> None:
    with ScaleSimulator("toledo", tmp_path / "kiosk-scale", weight_g=5) as sim:
        sim.silent = True
        assert ask(sim, b"W", wait_s=0.1) == b""
        sim.silent, sim.garbage = False, True
        assert ask(sim, b"W") == b"\x7f#%&\r\x0200.005\r"


def test_unplug_removes_the_symlink_and_replug_points_it_at_a_new_pty(tmp_path: Path) -> None:
    with ScaleSimulator("toledo", tmp_path / "kiosk-scale", weight_g=7) as sim:
        first = os.path.realpath(sim.port)
        sim.unplug()
        assert not sim.port.exists()
        sim.replug()
        assert sim.port.exists()
        assert ask(sim, b"W") == b"\x0200.007\r"
        assert os.path.realpath(sim.port).startswith("/dev/pts/")
        assert first.startswith("/dev/pts/")


def test_unknown_protocol_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DeviceConfigError, match="unknown protocol"):
        ScaleSimulator("dialog06", tmp_path / "kiosk-scale")


def test_start_returns_a_running_simulator_on_a_temporary_port() -> None:
    sim = start("nci", weight_g=42)
    try:
        assert sim.port.name == "kiosk-scale"
        assert ask(sim, b"W\r").startswith(b"\n00.042KG")
    finally:
        sim.stop()
        sim.port.parent.rmdir()


def test_cli_prints_the_port_and_takes_grams_from_stdin(tmp_path: Path) -> None:
    out = io.StringIO()
    stdin = io.StringIO("1234\n~500\nover\nbanana\nok\nquit\n")
    assert run("mtsics", tmp_path / "kiosk-scale", stdin=stdin, stdout=out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0] == f"mtsics scale simulator on {tmp_path / 'kiosk-scale'}"
    assert "1234 g stable" in lines
    assert "500 g moving" in lines
    assert "overload = True" in lines
    assert "all faults cleared" in lines
    assert lines.count(lines[1]) == 2  # the help text, again after "banana"
    assert not (tmp_path / "kiosk-scale").exists()  # stopped and unplugged

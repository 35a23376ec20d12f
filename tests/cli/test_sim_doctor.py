"""`kiosk sim` and `kiosk doctor` as an integrator uses them: real processes, real ptys."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

KIOSK = [sys.executable, "-m", "kiosk"]


@pytest.fixture
def toledo_sim(tmp_path: Path) -> Iterator[Path]:
    """`kiosk sim scale` running in the background; yields the port it printed."""
    link = tmp_path / "kiosk-scale"
    proc = subprocess.Popen([*KIOSK, "sim", "scale", "--port", str(link)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert str(link) in first, first
        yield link
    finally:
        assert proc.stdin is not None
        proc.stdin.write("quit\n")
        proc.stdin.close()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*KIOSK, *args], capture_output=True, text=True, timeout=60,
                          check=False)


def test_doctor_probe_names_the_protocol_a_scale_speaks(toledo_sim: Path) -> None:
    result = run("doctor", "--probe", str(toledo_sim))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "toledo protocol" in result.stdout


def test_doctor_finds_a_scale_configured_with_the_wrong_protocol_and_a_missing_scanner(
    toledo_sim: Path, tmp_path: Path
) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(
        '[paths]\ndata_dir = "data"\n'
        f'[devices.scanner]\nport = "{tmp_path / "no-such-scanner"}"\n'
        f'[devices.scale]\nprotocol = "nci"\nport = "{toledo_sim}"\n',
        encoding="utf-8",
    )
    result = run("--config", str(config), "doctor")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    scanner = next(line for line in lines if "scanner" in line)
    scale = next(line for line in lines if line.split()[1:2] == ["scale"])
    assert scanner.startswith("FAIL") and "does not exist" in scanner and "udev" in scanner
    assert scale.startswith("FAIL") and "speaks toledo" in scale
    assert 'protocol = "toledo"' in scale


def test_doctor_reports_the_journal_the_chain_and_the_upload_queue(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('[paths]\ndata_dir = "data"\n', encoding="utf-8")
    assert run("--config", str(config), "catalog", "import",
               str(Path(__file__).parents[2] / "kiosk" / "data" / "demo_catalog.json")
               ).returncode == 0
    result = run("--config", str(config), "doctor")
    assert result.returncode == 0, result.stdout
    assert "0 sale(s) on lane lane-1; hash chain intact" in result.stdout
    assert "0 sale(s) waiting for upload" in result.stdout
    assert "218 products" in result.stdout


def test_kiosk_sim_terminal_is_a_zvt_terminal_a_socket_can_pay_at(tmp_path: Path) -> None:
    import socket

    proc = subprocess.Popen([*KIOSK, "sim", "terminal", "--port", "0"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdin is not None
        address = proc.stdout.readline().strip()
        assert address.startswith("tcp://127.0.0.1:"), address
        port = int(address.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as ecr:
            ecr.sendall(bytes.fromhex("06 00 06 00 00 00 BE 09 78"))  # registration
            got = b""
            while len(got) < 6:
                got += ecr.recv(64)
            assert got[:6] == bytes.fromhex("80 00 00 06 0F 00")  # ack, then completion
            ecr.sendall(bytes.fromhex("80 00 00"))
    finally:
        assert proc.stdin is not None
        proc.stdin.write("quit\n")
        proc.stdin.close()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def test_kiosk_sim_printer_prints_its_port(tmp_path: Path) -> None:
    link = tmp_path / "kiosk-printer"
    proc = subprocess.Popen([*KIOSK, "sim", "printer", "--port", str(link)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert str(link) in proc.stdout.readline()
        assert link.exists()
    finally:
        assert proc.stdin is not None
        proc.stdin.write("quit\n")
        proc.stdin.close()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def test_doctor_reaches_the_card_terminal_and_finds_a_missing_printer(tmp_path: Path) -> None:
    from hardware.sim.zvt import ZvtSimulator

    with ZvtSimulator() as terminal:
        config = tmp_path / "kiosk.toml"
        config.write_text(
            '[paths]\ndata_dir = "data"\n'
            f'[devices.terminal]\nurl = "{terminal.address}"\n'
            f'[devices.printer]\nurl = "{tmp_path / "no-such-printer"}"\n',
            encoding="utf-8",
        )
        result = run("--config", str(config), "doctor")
    lines = result.stdout.splitlines()
    found = {line.split()[1]: line for line in lines if len(line.split()) > 1}
    assert found["terminal"].startswith("OK") and "accepts connections" in found["terminal"]
    assert found["printer"].startswith("FAIL") and "does not exist" in found["printer"]
    assert result.returncode == 1


def test_doctor_says_when_the_card_terminal_does_not_answer(tmp_path: Path) -> None:
    import socket

    with socket.socket() as probe:  # a free port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = tmp_path / "kiosk.toml"
    config.write_text(f'[paths]\ndata_dir = "data"\n[devices.terminal]\n'
                      f'url = "tcp://127.0.0.1:{port}"\n', encoding="utf-8")
    result = run("--config", str(config), "doctor")
    terminal = next(line for line in result.stdout.splitlines() if " terminal " in line)
    assert terminal.startswith("FAIL") and "no connection" in terminal

"""`kiosk run` as systemd runs it (Type=notify, WatchdogSec=): a real process with a real
notify socket. READY=1 comes once the first screen is drawn, WATCHDOG=1 keeps coming from the UI
loop, and SIGTERM stops the kiosk cleanly.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.ui, pytest.mark.slow]

START_TIMEOUT_S = 60.0


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(tmp_path / "notify"))
    yield sock
    sock.close()


def receive(sock: socket.socket, timeout_s: float) -> str:
    """The next datagram that is not only a STATUS= line (those come whenever the lane's
    status text changes: "starting", devices, upload queue)."""
    sock.settimeout(timeout_s)
    while (text := sock.recv(4096).decode()).startswith("STATUS="):
        pass
    return text


def test_kiosk_run_tells_systemd_it_is_ready_keeps_the_watchdog_fed_and_stops_on_sigterm(
    tmp_path: Path, notify_socket: socket.socket
) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('[paths]\ndata_dir = "data"\n[lane]\nwindow_size = [800, 480]\n',
                      encoding="utf-8")
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "KIVY_GL_BACKEND", "KIVY_WINDOW")}
    # The environment kiosk.service gives it (no KIVY_NO_CONSOLELOG: what reaches the journal)
    env.update(NOTIFY_SOCKET=str(tmp_path / "notify"), WATCHDOG_USEC="1000000",
               KIVY_HOME=str(tmp_path / "kivy"))
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "--config", str(config), "run"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        first = receive(notify_socket, START_TIMEOUT_S)
        assert "READY=1" in first, first
        assert "STATUS=Lane " in first, first  # what `systemctl status kiosk` shows
        ready_s = time.monotonic() - started
        pings = [receive(notify_socket, 5.0) for _ in range(4)]
        assert all(p == "WATCHDOG=1" for p in pings), pings
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
        assert "STOPPING=1" in receive(notify_socket, 5.0)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        stderr = proc.stderr.read() if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
    assert "Traceback" not in stderr, stderr
    # What the journal gets: each line once, in our format (Kivy's own coloured console copy
    # doubled every line), and no log files of Kivy's own on the SD card.
    lines = stderr.splitlines()
    ready_lines = [line for line in lines if "first frame drawn" in line]
    assert len(ready_lines) == 1, stderr
    assert any(" INFO kivy: Window: Provider: " in line for line in lines), stderr
    assert not [line for line in lines if "\x1b[" in line or line.startswith("[INFO")], stderr
    assert not (tmp_path / "kivy" / "logs").exists()
    assert ready_s < START_TIMEOUT_S
    # the journal the kiosk opened holds the lane it opened (closed until an attendant opens it)
    assert (tmp_path / "data" / "journal.sqlite").exists()

"""The simulators' pty cable: a stable symlink that survives unplug and replug."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
import serial

from hardware.errors import DeviceOfflineError
from hardware.sim.pty import PtyLink


def test_replugging_points_the_same_path_at_a_new_pty(tmp_path: Path) -> None:
    with PtyLink(tmp_path / "kiosk-scanner") as link:
        first = link.slave_path
        assert os.path.realpath(link.link) == first
        link.unplug()
        assert not link.link.exists()
        link.plug()
        assert os.path.realpath(link.link) == link.slave_path
        with serial.serial_for_url(str(link.link), timeout=0.5) as port:
            link.write(b"]E496385074\r")
            assert port.read(12) == b"]E496385074\r"
            port.write(b"S\r")
            assert link.read(timeout_s=0.5) == b"S\r"


def test_an_unplugged_link_refuses_to_send_and_reads_nothing(tmp_path: Path) -> None:
    link = PtyLink(tmp_path / "kiosk-scale")
    with pytest.raises(DeviceOfflineError, match=r"kiosk-scale.*unplugged"):
        link.write(b"x")
    assert link.read(timeout_s=0.01) == b""
    link.close()
    link.close()


def test_unplugging_while_a_read_waits_ends_the_read_quietly(tmp_path: Path) -> None:
    link = PtyLink(tmp_path / "kiosk-scale")
    link.plug()
    results: list[bytes] = []
    reader = threading.Thread(target=lambda: results.append(link.read(timeout_s=0.3)))
    reader.start()
    link.unplug()
    reader.join(2.0)
    assert results == [b""]
    assert not link.plugged

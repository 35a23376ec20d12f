"""systemd's notify protocol against a real datagram socket, as the service manager binds it."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk import sdnotify


@pytest.fixture()
def manager(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    """A bound SOCK_DGRAM socket standing in for systemd, and its path."""
    path = str(tmp_path / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(2)
    yield sock, path
    sock.close()


def test_ready_and_watchdog_arrive_as_one_datagram_each(
    manager: tuple[socket.socket, str],
) -> None:
    sock, path = manager
    env = {"NOTIFY_SOCKET": path}
    assert sdnotify.notify("READY=1\nSTATUS=Lane open", env) is True
    assert sdnotify.notify("WATCHDOG=1", env) is True
    assert sock.recv(4096) == b"READY=1\nSTATUS=Lane open"
    assert sock.recv(4096) == b"WATCHDOG=1"


def test_status_text_is_sent_as_utf8(manager: tuple[socket.socket, str]) -> None:
    sock, path = manager
    assert sdnotify.notify("STATUS=Kasse geöffnet", {"NOTIFY_SOCKET": path})
    assert sock.recv(4096).decode("utf-8") == "STATUS=Kasse geöffnet"


def test_an_abstract_socket_name_starting_with_at_is_reached() -> None:
    name = f"kiosk-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2)
        assert sdnotify.notify("READY=1", {"NOTIFY_SOCKET": "@" + name}) is True
        assert sock.recv(4096) == b"READY=1"


def test_outside_systemd_notify_does_nothing_and_says_false() -> None:
    assert sdnotify.notify("READY=1", {}) is False
    assert sdnotify.notify("READY=1", {"NOTIFY_SOCKET": ""}) is False


def test_the_process_environment_is_used_by_default(
    manager: tuple[socket.socket, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sock, path = manager
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    assert sdnotify.notify("WATCHDOG=1") is True
    assert sock.recv(4096) == b"WATCHDOG=1"


def test_a_missing_socket_never_raises_and_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    env = {"NOTIFY_SOCKET": str(tmp_path / "gone")}
    with caplog.at_level(logging.WARNING, logger="kiosk.sdnotify"):
        results = [sdnotify.notify("WATCHDOG=1", env) for _ in range(5)]
    assert results == [False] * 5
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert str(tmp_path / "gone") in warnings[0].getMessage()


def test_a_notify_socket_that_is_no_address_is_refused_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="kiosk.sdnotify"):
        assert sdnotify.notify("READY=1", {"NOTIFY_SOCKET": "relative/path-x1"}) is False
        assert sdnotify.notify("READY=1", {"NOTIFY_SOCKET": "relative/path-x1"}) is False
    assert len(caplog.records) == 1


def test_the_watchdog_interval_is_half_the_period_in_seconds() -> None:
    assert sdnotify.watchdog_interval_s({"WATCHDOG_USEC": "20000000"}) == 10.0
    assert sdnotify.watchdog_interval_s({"WATCHDOG_USEC": "500000"}) == 0.25


def test_no_watchdog_when_unset_zero_or_garbage() -> None:
    assert sdnotify.watchdog_interval_s({}) is None
    assert sdnotify.watchdog_interval_s({"WATCHDOG_USEC": "0"}) is None
    assert sdnotify.watchdog_interval_s({"WATCHDOG_USEC": "soon"}) is None


def test_a_watchdog_meant_for_another_process_is_ignored() -> None:
    mine = str(os.getpid())
    other = str(os.getpid() + 1)
    assert sdnotify.watchdog_interval_s({"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": mine}) == 1.0
    assert sdnotify.watchdog_interval_s({"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": other}) is None

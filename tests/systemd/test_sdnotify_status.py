"""`kiosk run`'s STATUS= lines, as `systemctl status` shows them, on a real notify socket.

The service manager's side is a bound AF_UNIX datagram socket; "nothing was sent" is checked
with a non-blocking receive (a local datagram arrives before `sendto` returns). Clock values
are handed to `poll(now_s)`, so nothing here waits.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk import sdnotify
from kiosk.app import build_controller, lane_status, load
from kiosk.app_lane import LaneController
from kiosk.journal.sales import record_sale
from kiosk.ui.staff_status import DeviceStatus


@pytest.fixture()
def manager(tmp_path: Path) -> Iterator[tuple[socket.socket, dict[str, str]]]:
    path = str(tmp_path / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.setblocking(False)
    yield sock, {"NOTIFY_SOCKET": path}
    sock.close()


def received(sock: socket.socket) -> list[str]:
    """Every datagram waiting on the socket."""
    out = []
    while True:
        try:
            out.append(sock.recv(4096).decode("utf-8"))
        except BlockingIOError:
            return out


def test_a_status_is_sent_once_and_again_only_when_it_changes(
        manager: tuple[socket.socket, dict[str, str]]) -> None:
    sock, env = manager
    text = ["Lane 3 open, 0 sales waiting for upload"]
    status = sdnotify.StatusNotifier(lambda: text[0], min_interval_s=2.0, env=env)
    assert status.poll(0.0) is True
    assert status.poll(5.0) is False
    assert received(sock) == ["STATUS=Lane 3 open, 0 sales waiting for upload"]
    text[0] = "Lane 3 open, 0 sales waiting for upload; scanner offline"
    assert status.poll(10.0) is True
    assert received(sock) == ["STATUS=Lane 3 open, 0 sales waiting for upload; scanner offline"]


def test_a_lane_that_changes_every_moment_sends_at_most_one_status_per_interval(
        manager: tuple[socket.socket, dict[str, str]]) -> None:
    sock, env = manager
    counter = iter(range(1000))
    status = sdnotify.StatusNotifier(lambda: f"sale {next(counter)}", min_interval_s=2.0, env=env)
    sent = [status.poll(t / 10) for t in range(0, 50)]  # 5 s of 10 Hz ticks
    assert sent.count(True) == 3  # at 0, 2 and 4 s
    assert received(sock) == ["STATUS=sale 0", "STATUS=sale 1", "STATUS=sale 2"]


def test_ready_carries_the_status_and_a_newline_cannot_start_another_field(
        manager: tuple[socket.socket, dict[str, str]]) -> None:
    sock, env = manager
    status = sdnotify.StatusNotifier(lambda: "", env=env)
    assert status.send("Lane 3 open\nREADY=0", prefix="READY=1\n") is True
    assert received(sock) == ["READY=1\nSTATUS=Lane 3 open READY=0"]


def test_outside_systemd_the_status_goes_nowhere_and_nothing_fails() -> None:
    status = sdnotify.StatusNotifier(lambda: "Lane 3 open", env={})
    assert status.poll(0.0) is False
    assert status.sent == "Lane 3 open"


@pytest.fixture()
def controller(tmp_path: Path) -> Iterator[LaneController]:
    path = tmp_path / "kiosk.toml"
    path.write_text('[paths]\ndata_dir = "data"\n[lane]\nid = "lane-3"\n', encoding="utf-8")
    built = build_controller(load(path))
    try:
        yield built
    finally:
        built.durable.db.conn.close()


def test_the_status_names_the_lane_its_state_and_the_upload_queue(
        controller: LaneController) -> None:
    assert lane_status(controller) == "Lane lane-3 closed, 0 sales waiting for upload"
    record_sale(controller.durable.db, {
        "sale_id": "S1", "basket_id": "B1", "lane_id": "lane-3",
        "finished_at": "2026-11-22T10:00:00Z", "totals": {"total_cents": 199}})
    assert lane_status(controller) == "Lane lane-3 closed, 1 sale waiting for upload"


def test_the_status_names_each_device_that_needs_a_person(controller: LaneController) -> None:
    devices = [DeviceStatus("scanner", online=False), DeviceStatus("scale", online=True),
               DeviceStatus("printer", online=False, detail="paper_out")]
    controller.status_source = lambda: devices
    assert lane_status(controller) == ("Lane lane-3 closed, 0 sales waiting for upload; "
                                       "scanner offline; printer: paper_out")
    devices[0] = DeviceStatus("scanner", online=True)
    assert "scanner" not in lane_status(controller)

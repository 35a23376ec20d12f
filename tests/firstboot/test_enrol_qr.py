"""The QR path: a lane that could not enrol at first boot shows why, sells nothing, and enrols
when the hub's `KIOSK-ENROL:<hub_url>|<code>` code is shown to its scanner; then it sells.
A real hub on 127.0.0.1, the scanner simulator on a pty, the real drivers and journal."""

from __future__ import annotations

import asyncio
import stat
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from hardware.sim.scanner import ScannerSimulator
from kiosk.app import build_controller, devices_of, load
from kiosk.app_devices import LaneDevices
from kiosk.app_enrol_qr import parse_enrol_code
from kiosk.app_firstboot import Firstboot
from kiosk.app_link import link_after_enrolment
from kiosk.lane.link import LaneLink
from kiosk.ui import intents as ui
from tests.hub.hubtest import Hub, running_hub

from .lane import creds_tool, decrypt, kiosk_config

pytestmark = pytest.mark.slow

MILK = "4200200000015"


async def until(check: Callable[[], bool], what: str, timeout_s: float = 10.0) -> None:
    for _ in range(int(timeout_s / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting until {what}")


def run_unenrolled_lane(tmp: Path, body: Callable[[Any, ScannerSimulator, Hub, list[LaneLink]],
                                                  Awaitable[None]]) -> Path:
    """A lane whose first boot found no provisioning file (device id lane-5), with a serial
    scanner, beside a real hub, wired as `kiosk run` wires it (the hub link starts once a code
    enrols it); runs `body(controller, scanner, hub, links)`. Returns the state dir."""
    state = tmp / "state"
    state.mkdir()
    (state / "device-id").write_text("lane-5\n")  # as the provisioning file would name it
    assert Firstboot(state, (tmp / "boot",), creds_tool=creds_tool()).run() == 1
    scanner = ScannerSimulator(tmp / "kiosk-scanner")
    scanner.start()
    config = load(kiosk_config(tmp, state, f'[devices.scanner]\nport = "{scanner.port}"\n'))
    controller = build_controller(config)

    async def main() -> None:
        links = link_after_enrolment(config, controller)
        loop = asyncio.get_running_loop()
        devices = LaneDevices(devices_of(config), controller, refresh=lambda: None,
                              post=loop.call_soon_threadsafe, backoff_s=(0.05, 0.1))
        await devices.start()
        try:
            await until(lambda: all(s.device.is_open for s in devices.supervisors),
                        "the scanner is open")
            async with running_hub(tmp / "hub.sqlite") as hub:
                try:
                    await body(controller, scanner, hub, links)
                finally:
                    for link in links:
                        await link.stop()
        finally:
            await devices.stop()

    try:
        asyncio.run(main())
    finally:
        controller.durable.db.conn.close()
        scanner.close()
    return state


def test_a_scanned_enrolment_code_enrols_the_lane_and_it_starts_selling(tmp_path: Path) -> None:
    async def body(controller: Any, scanner: ScannerSimulator, hub: Hub,
                   links: list[LaneLink]) -> None:
        assert controller.config.lane.id == "lane-5"
        assert controller.view().screen == "not_enrolled"
        assert "no kiosk-provision.toml" in controller.view().notice_text
        scanner.scan(MILK)  # a product while not enrolled: not sold, told what to show
        await until(lambda: controller.view().message is not None, "the lane answers")
        assert controller.view().message.text == ("Das ist kein Anmelde-Code. Bitte den "
                                                  "Anmelde-QR-Code des Hubs zeigen.")
        assert len(controller.checkout.basket) == 0
        code = hub.store.create_enrol_code("lane-5")
        scanner.scan(f"KIOSK-ENROL:{hub.url}|{code}", aim="]Q1")
        await until(lambda: controller.view().screen != "not_enrolled", "the lane is enrolled")
        assert controller.view().screen == "attract"
        # The console sees the lane at once: its hub link starts without a restart.
        await until(lambda: bool(links) and links[0].connected, "the lane's hub link is up")
        assert links[0].lane_id == "lane-5"
        await asyncio.sleep(0.3)  # a hand needs longer than the scanner's double-read guard
        scanner.scan(MILK)
        await until(lambda: len(controller.checkout.basket) == 1, "the milk is sold")

    state = run_unenrolled_lane(tmp_path, body)
    token_file = state / "hub-token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert (state / "provisioned.toml").read_text().count("127.0.0.1") == 1
    # The next boot's `kiosk firstboot` (root) seals the token the lane got from the code.
    token = token_file.read_text().strip()
    assert Firstboot(state, (tmp_path / "boot",), creds_tool=creds_tool()).run() == 0
    assert (state / "enrolled").exists()
    if creds_tool() is not None:
        assert not token_file.exists()
        assert decrypt(state / "credstore" / "hub-token.cred") == token


def test_a_refused_enrolment_code_shows_the_hubs_reason(tmp_path: Path) -> None:
    async def body(controller: Any, scanner: ScannerSimulator, hub: Hub,
                   links: list[LaneLink]) -> None:
        code = hub.store.create_enrol_code("lane-7")  # made for another lane
        scanner.scan(f"KIOSK-ENROL:{hub.url}|{code}", aim="]Q1")
        await until(lambda: "another device" in controller.view().notice_text,
                    "the hub's reason is shown")
        assert controller.view().screen == "not_enrolled"
        assert "Kasse nicht angemeldet: enrolment of lane-5 failed" in \
            controller.view().notice_text
        assert links == []  # no link for a lane the hub refused

    state = run_unenrolled_lane(tmp_path, body)
    assert not (state / "hub-token").exists()


def test_only_the_hubs_enrolment_codes_are_taken() -> None:
    assert parse_enrol_code("]Q1KIOSK-ENROL:http://hub.local:8080/|ABCD-EFGH") == \
        ("http://hub.local:8080", "ABCD-EFGH")
    assert parse_enrol_code("KIOSK-ENROL:ftp://hub|ABCD") is None
    assert parse_enrol_code("KIOSK-ENROL:http://hub.local:8080|") is None
    assert parse_enrol_code("4200200000015") is None


def test_an_enrolled_lane_treats_an_enrolment_code_as_any_unknown_code(tmp_path: Path) -> None:
    controller = build_controller(load(kiosk_config(tmp_path, tmp_path / "state")))
    try:
        controller.send(ui.Start())
        view = controller.send(ui.CodeEntered("KIOSK-ENROL:http://127.0.0.1:9|ABCD"))
        assert view.screen == "basket" and view.message is not None  # refused like a bad code
        assert not (tmp_path / "state" / "hub-token").exists()
    finally:
        controller.durable.db.conn.close()

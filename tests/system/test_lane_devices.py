"""The lane with its hardware: simulators on ptys speaking the real protocols, the real drivers
under supervisors, the real controller, checkout and SQLite journal, on one asyncio loop (no
window: the UI is tested elsewhere). What a shopper and an attendant would notice at the lane.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from hardware.sim.scale import ScaleSimulator
from hardware.sim.scanner import ScannerSimulator
from kiosk.app import build_controller, devices_of, load
from kiosk.app_devices import LaneDevices
from kiosk.domain.flow import FlowState
from kiosk.domain.policy import Reason
from kiosk.lane.signals import FAULT, IDLE, IN_TRANSACTION
from kiosk.ui import intents as ui

pytestmark = pytest.mark.slow

MILK = "4200200000015"
BANANAS_PLU = "4011"  # 1,69 €/kg


def write_config(tmp: Path, scanner: str, scale: str, bagging: str) -> Path:
    path = tmp / "kiosk.toml"
    path.write_text(
        '[paths]\ndata_dir = "data"\n[policy]\nopen_on_start = true\n'
        f'[devices.scanner]\nport = "{scanner}"\n'
        f'[devices.scale]\nprotocol = "toledo"\nport = "{scale}"\nmin_weight_g = 40\n'
        f'[devices.bagging]\nprotocol = "mtsics"\nport = "{bagging}"\n'
        '[devices.gpio]\npin_factory = "mock"\nlight_green = 17\nlight_yellow = 27\n'
        "light_red = 22\nbuzzer = 18\nhelp_button = 23\n",
        encoding="utf-8",
    )
    return path


async def until(check: Callable[[], bool], what: str, timeout_s: float = 5.0) -> None:
    for _ in range(int(timeout_s / 0.02)):
        if check():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting until {what}")


def run_with_devices(config_path: Path, body: Callable[[Any, LaneDevices], Awaitable[None]],
                     ) -> Any:
    """The lane of `config_path` with its devices on one loop; runs `body(controller, devices)`
    once every device is open, and returns the controller (its journal closed)."""
    config = load(config_path)
    controller = build_controller(config)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        devices = LaneDevices(devices_of(config), controller, refresh=lambda: None,
                              post=loop.call_soon_threadsafe, backoff_s=(0.05, 0.1))
        await devices.start()
        try:
            await until(lambda: all(s.device.is_open for s in devices.supervisors),
                        "every device is open")
            await body(controller, devices)
        finally:
            await devices.stop()

    try:
        asyncio.run(main())
    finally:
        controller.durable.db.conn.close()
    return controller


def run_lane(tmp: Path, body: Callable[..., Awaitable[None]]) -> None:
    scanner = ScannerSimulator(tmp / "kiosk-scanner")
    scale = ScaleSimulator("toledo", tmp / "kiosk-scale")
    bagging = ScaleSimulator("mtsics", tmp / "kiosk-bagging")
    scanner.start()
    scale.start()
    bagging.start()
    try:
        run_with_devices(
            write_config(tmp, scanner.port, str(scale.port), str(bagging.port)),
            lambda controller, devices: body(controller, devices, scanner, scale, bagging))
    finally:
        scanner.close()
        scale.stop()
        bagging.stop()


def test_a_serial_scan_becomes_a_committed_line_and_the_light_starts_blinking(
    tmp_path: Path,
) -> None:
    async def body(controller: Any, devices: LaneDevices, scanner: ScannerSimulator,
                   scale: ScaleSimulator, bagging: ScaleSimulator) -> None:
        assert devices.peripherals.light.pattern == IDLE
        scanner.scan(MILK)
        await until(lambda: len(controller.checkout.basket) == 1, "the milk is in the basket")
        assert controller.checkout.basket.lines[0].sku == "MOLK-001"
        bagging.weight_g = 1060  # the shopper bags it
        assert devices.peripherals.light.pattern == IN_TRANSACTION
        scanner.send_raw(b"\x00\xff\xfe garbage \x07\r")  # line noise is logged, not scanned
        await asyncio.sleep(0.3)  # a hand needs longer than the 0.15 s double-read guard
        scanner.scan(MILK)  # a shopper scanning a second bottle
        await until(lambda: len(controller.checkout.basket) == 2, "the second bottle is added")
        bagging.weight_g = 2120
        await asyncio.sleep(0.5)
        assert not controller.checkout.interventions  # both bottles arrived as expected

    run_lane(tmp_path, body)
    with closing(sqlite3.connect(tmp_path / "data" / "journal.sqlite")) as db:
        added = db.execute("SELECT COUNT(*) FROM facts WHERE kind = 'lines_added'").fetchone()
    assert added == (2,)


def test_loose_bananas_are_priced_from_a_stable_legal_weight_only(tmp_path: Path) -> None:
    async def body(controller: Any, devices: LaneDevices, scanner: ScannerSimulator,
                   scale: ScaleSimulator, bagging: ScaleSimulator) -> None:
        controller.send(ui.Start())
        controller.send(ui.SelectItem(BANANAS_PLU))
        assert controller.checkout.state is FlowState.WEIGHING
        scale.weight_g, scale.stable = 1234, False  # still swinging: never priced
        await asyncio.sleep(0.6)
        assert controller.checkout.state is FlowState.WEIGHING
        weighing = controller.view().weighing  # a Toledo sends no moving weight: "wait"
        assert (weighing.amount_text, weighing.steady) == ("", False)
        scale.weight_g = 20  # below the scale's minimum of 40 g: not priced, and told why
        scale.stable = True
        await until(lambda: controller.message is not None, "the shopper is told why")
        assert controller.message.text == "Bitte mindestens 40 g auflegen."
        assert controller.checkout.state is FlowState.WEIGHING
        scale.weight_g = 1234
        await until(lambda: controller.checkout.state is FlowState.SCANNING, "it is weighed")
        line = controller.checkout.basket.lines[-1]
        assert (line.weight_g, line.amount_cents) == (1234, 209)  # 1,234 kg x 1,69 €/kg

    run_lane(tmp_path, body)


def test_an_unplugged_scanner_raises_a_device_fault_that_clears_when_it_returns(
    tmp_path: Path,
) -> None:
    async def body(controller: Any, devices: LaneDevices, scanner: ScannerSimulator,
                   scale: ScaleSimulator, bagging: ScaleSimulator) -> None:
        scanner.unplug()
        await until(lambda: any(i.reason is Reason.DEVICE_FAULT
                                for i in controller.checkout.interventions), "a device fault")
        assert controller.checkout.state is FlowState.OUT_OF_SERVICE
        assert devices.peripherals.light.pattern != IDLE
        scanner.replug()
        await until(lambda: not controller.checkout.interventions, "the fault clears")
        assert controller.checkout.state is FlowState.IDLE
        scanner.scan(MILK)
        await until(lambda: len(controller.checkout.basket) == 1, "scanning works again")

    run_lane(tmp_path, body)
    assert FAULT  # the fault pattern exists for the light (checked in tests/lane)


def test_an_item_put_in_the_bag_without_a_scan_stops_the_lane_for_an_attendant(
    tmp_path: Path,
) -> None:
    async def body(controller: Any, devices: LaneDevices, scanner: ScannerSimulator,
                   scale: ScaleSimulator, bagging: ScaleSimulator) -> None:
        scanner.scan(MILK)
        await until(lambda: len(controller.checkout.basket) == 1, "the milk is in the basket")
        bagging.weight_g = 1060
        await asyncio.sleep(0.5)
        assert not controller.checkout.interventions
        bagging.weight_g = 1060 + 450  # something unscanned goes into the bag
        await until(lambda: any(i.reason is Reason.UNEXPECTED_ITEM
                                for i in controller.checkout.interventions), "an alarm")
        [alarm] = controller.checkout.interventions
        assert alarm.evidence["delta_g"] == 450
        assert devices.peripherals.light.pattern == "intervention"
        assert controller.checkout.state is FlowState.SCANNING

    run_lane(tmp_path, body)


def test_a_code_held_in_front_of_the_camera_becomes_one_line(tmp_path: Path) -> None:
    import cv2
    import numpy as np
    import zxingcpp

    frames = tmp_path / "frames"
    frames.mkdir()
    label = zxingcpp.write_barcode_to_image(
        zxingcpp.create_barcode(MILK, zxingcpp.BarcodeFormat.EAN13), scale=4)
    scene = np.full((720, 1280), 235, np.uint8)  # a bright counter with the pack held up
    h, w = np.asarray(label).shape[:2]
    scene[200:200 + h, 400:400 + w] = np.asarray(label)
    cv2.imwrite(str(frames / "milk.png"), scene)
    config = tmp_path / "kiosk.toml"
    config.write_text(
        '[paths]\ndata_dir = "data"\n[policy]\nopen_on_start = true\n'
        f'[devices.camera]\nsource = "{frames}"\nfps = 10\nloop = true\n', encoding="utf-8")

    async def body(controller: Any, devices: LaneDevices) -> None:
        await until(lambda: len(controller.checkout.basket) == 1, "the milk is scanned")
        camera = next(s.device for s in devices.supervisors if s.device.name == "camera")
        seen = camera.stats.frames
        await asyncio.sleep(1.0)  # the pack stays in view, frame after frame
        assert camera.stats.frames >= seen + 5
        assert len(controller.checkout.basket) == 1  # ... and is scanned once

    controller = run_with_devices(config, body)
    assert controller.checkout.basket.lines[0].sku == "MOLK-001"


def test_in_the_demo_the_weighing_keypad_puts_the_grams_on_the_simulated_scale(
    tmp_path: Path,
) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(
        '[paths]\ndata_dir = "data"\n[policy]\nopen_on_start = true\n'
        '[devices]\nsimulate = true\n[devices.scale]\nprotocol = "nci"\nport = "simulated"\n',
        encoding="utf-8")

    async def body(controller: Any, devices: LaneDevices) -> None:
        assert controller.scale_entry == "simulated"
        controller.send(ui.Start())
        controller.send(ui.SelectItem(BANANAS_PLU))
        controller.send(ui.WeightEntered(weight_g=850))  # typed on the weighing screen
        # ... but priced from what the (simulated) scale then reports, stable and legal
        await until(lambda: controller.checkout.state is FlowState.SCANNING, "weighed")
        line = controller.checkout.basket.lines[-1]
        assert (line.weight_g, line.amount_cents) == (850, 144)  # 0,85 kg x 1,69 €/kg

    run_with_devices(config, body)

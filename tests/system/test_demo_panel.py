"""The demo panel's buttons on a simulated lane (no window: the window is tests/ui/test_demo_panel):
each Demo* intent goes through the controller to DemoControls, which drives the REAL simulators
on ptys and the mock GPIO pin; the drivers, rules and journal then do what they do on a real
lane. What a newcomer at `make run` would notice.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from test_lane_devices import run_with_devices, until

from kiosk.app_demo import DemoControls
from kiosk.app_devices import LaneDevices
from kiosk.domain.flow import FlowState
from kiosk.domain.policy import Reason
from kiosk.ui import intents as ui

pytestmark = pytest.mark.slow

WATER = "4200400000013"  # Mineralwasser 1,5 l + Pfand
BANANAS_PLU = "4011"  # 1,69 €/kg
GPIO = ('[devices.gpio]\npin_factory = "mock"\nlight_green = 17\nlight_yellow = 27\n'
        "light_red = 22\nbuzzer = 18\nhelp_button = 23\n")


def demo_config(tmp: Path, *, bagging: bool = False) -> Path:
    path = tmp / "kiosk.toml"
    path.write_text(
        '[paths]\ndata_dir = "data"\n[policy]\nopen_on_start = true\n'
        '[devices]\nsimulate = true\n'
        '[devices.scale]\nprotocol = "toledo"\nport = "simulated"\n'
        + ('[devices.bagging]\nprotocol = "mtsics"\nport = "simulated"\n' if bagging else "")
        + '[devices.terminal]\nurl = "simulated"\n' + GPIO, encoding="utf-8")
    return path


def with_demo(config: Path, body: Any) -> Any:
    async def run(controller: Any, devices: LaneDevices) -> None:
        controller.demo = DemoControls(devices, controller)
        await body(controller)

    return run_with_devices(config, run)


def test_a_demo_scan_goes_through_the_scanner_simulator_into_the_basket(tmp_path: Path) -> None:
    async def body(controller: Any) -> None:
        assert {"scan", "scale", "help"} <= controller.demo.features
        controller.send(ui.DemoScan(code=WATER))
        await until(lambda: len(controller.checkout.basket) >= 1, "the water is scanned")

    controller = with_demo(demo_config(tmp_path), body)
    water, deposit = controller.checkout.basket.lines  # the bottle and its deposit line
    assert deposit.deposit_of == water.line_id
    assert controller.checkout.amount_due_cents() == 50  # 0,25 € + 0,25 € Pfand


def test_a_demo_weight_is_read_by_the_scale_driver_and_prices_the_produce(
    tmp_path: Path,
) -> None:
    async def body(controller: Any) -> None:
        controller.send(ui.Start())
        controller.send(ui.SelectItem(BANANAS_PLU))
        assert controller.checkout.state is FlowState.WEIGHING
        controller.send(ui.DemoWeight(weight_g=0, stable=False))  # the item wobbles
        await asyncio.sleep(0.4)
        assert controller.checkout.state is FlowState.WEIGHING  # never priced while moving
        controller.send(ui.DemoWeight(weight_g=1000))
        await until(lambda: controller.checkout.state is FlowState.SCANNING, "weighed")

    controller = with_demo(demo_config(tmp_path), body)
    line = controller.checkout.basket.lines[-1]
    assert (line.weight_g, line.amount_cents) == (1000, 169)


def test_the_demo_help_button_presses_the_gpio_pin_and_calls_an_attendant(
    tmp_path: Path,
) -> None:
    async def body(controller: Any) -> None:
        controller.send(ui.Start())
        controller.send(ui.DemoHelp())
        await until(lambda: bool(controller.checkout.interventions), "help is called")

    controller = with_demo(demo_config(tmp_path), body)
    assert [iv.reason for iv in controller.checkout.interventions] == [Reason.HELP]


def test_the_demo_bagging_buttons_place_the_item_or_raise_an_unexpected_item(
    tmp_path: Path,
) -> None:
    async def body(controller: Any) -> None:
        assert "bagging" in controller.demo.features
        controller.send(ui.Start())
        await until(lambda: controller.checkout.bagging.baseline_g is not None, "a baseline")
        controller.send(ui.DemoScan(code="4200200000015"))  # milk, awaited in the bag
        await until(lambda: bool(controller.checkout.bagging.pending), "the milk is awaited")
        controller.send(ui.DemoBagging(action="expected"))
        await until(lambda: not controller.checkout.bagging.pending, "the milk is placed")
        assert not controller.checkout.interventions
        controller.send(ui.DemoBagging(action="unexpected"))
        await until(lambda: bool(controller.checkout.interventions), "an unexpected item")
        assert controller.checkout.interventions[0].reason is Reason.UNEXPECTED_ITEM
        controller.lang = "en"
        controller.send(ui.DemoBagging(action="expected"))  # nothing awaited: it says so
        assert controller.view().message.text == (
            "Demo: no scanned item is waiting for the bagging area.")

    with_demo(demo_config(tmp_path, bagging=True), body)


def test_the_terminal_buttons_set_how_the_terminal_simulator_answers_the_next_payment(
    tmp_path: Path,
) -> None:
    async def body(controller: Any) -> None:
        assert "terminal" in controller.demo.features
        assert controller.demo.terminal.address.startswith("tcp://127.0.0.1:")
        controller.lang = "en"
        view = controller.send(ui.DemoTerminal(behaviour="decline"))
        assert controller.demo.terminal.next_behaviour == "decline"
        assert view.message is not None
        assert view.message.text == "Demo: the terminal will decline the next payment."
        controller.send(ui.DemoScan(code=WATER))  # and the next payment is really declined
        await until(lambda: len(controller.checkout.basket) >= 1, "the water is scanned")
        controller.send(ui.Pay())
        await until(lambda: controller.checkout.state is FlowState.SCANNING
                    and controller.checkout.last_declined is not None, "declined at the terminal")
        assert controller.view().message.text.startswith("Your card was declined")
        assert controller.demo.terminal.booked == []

    with_demo(demo_config(tmp_path), body)


def test_a_button_for_a_simulator_this_demo_does_not_run_says_so(tmp_path: Path) -> None:
    async def body(controller: Any) -> None:
        assert "bagging" not in controller.demo.features
        controller.lang = "en"
        view = controller.send(ui.DemoBagging(action="unexpected"))
        assert view.message is not None
        assert view.message.text == ("Demo: the bagging scale simulator is not running in "
                                     "this configuration.")

    with_demo(demo_config(tmp_path), body)

"""Paying at the lane through the real ZVT driver and the ZVT terminal simulator on loopback TCP:
approve, decline then approve, the shopper cancelling at the terminal, a terminal falling
silent, a booking whose answer never arrived, and the kiosk killed mid-payment. After each, the
terminal booked exactly what the journal holds as sold: nothing charged twice, nothing lost.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from test_lane_devices import run_with_devices, until

from hardware.sim.zvt import ZvtSimulator
from kiosk.app_devices import LaneDevices
from kiosk.domain.attendants import hash_pin
from kiosk.domain.flow import FlowState
from kiosk.domain.policy import Reason
from kiosk.ui import intents as ui

pytestmark = pytest.mark.slow

MILK = "4200200000015"  # Vollmilch 1 l, 1,09 €
MILK_CENTS = 109
ROOT = Path(__file__).resolve().parents[2]
ANNA_PIN_HASH = hash_pin("1234", bytes(range(16)))


def write_config(tmp: Path, terminal: str, *, completion_timeout_s: int = 3) -> Path:
    path = tmp / "kiosk.toml"
    path.write_text(
        '[paths]\ndata_dir = "data"\n[policy]\nopen_on_start = true\n'
        f'[devices.terminal]\nurl = "{terminal}"\ncompletion_timeout_s = {completion_timeout_s}\n'
        '[[attendants]]\nid = "1001"\nname = "Anna"\nrole = "attendant"\n'
        f'pin_hash = "{ANNA_PIN_HASH}"\n',
        encoding="utf-8",
    )
    return path


def pay_lane(tmp: Path, sim: ZvtSimulator,
             body: Callable[[Any, LaneDevices], Awaitable[None]]) -> Any:
    return run_with_devices(write_config(tmp, sim.address), body)


def sales_in_journal(tmp: Path) -> list[dict[str, Any]]:
    with closing(sqlite3.connect(tmp / "data" / "journal.sqlite")) as db:
        rows = db.execute("SELECT payload FROM sales ORDER BY seq").fetchall()
    return [json.loads(row[0]) for row in rows]


async def scan_and_pay(controller: Any) -> None:
    controller.send(ui.CodeEntered(MILK))
    assert controller.checkout.amount_due_cents() == MILK_CENTS
    controller.send(ui.Pay())
    assert controller.checkout.state is FlowState.PAYING


def prompt(controller: Any) -> str:
    paying = controller.view().paying
    return "" if paying is None else str(paying.status_kind)


def test_an_approved_card_payment_sells_with_the_terminals_receipt_data(tmp_path: Path) -> None:
    prompts: list[str] = []

    async def body(controller: Any, devices: LaneDevices) -> None:
        await scan_and_pay(controller)
        for _ in range(200):
            view = controller.view()
            if view.paying is not None and view.paying.status_kind not in prompts:
                prompts.append(view.paying.status_kind)
            if controller.checkout.state is FlowState.FINISHING:
                break
            await asyncio.sleep(0.01)
        assert controller.checkout.state is FlowState.FINISHING

    with ZvtSimulator(behaviour="approve", think_s=0.1) as sim:
        pay_lane(tmp_path, sim, body)
        booked = list(sim.booked)
    assert "insert_card" in prompts  # the terminal's prompt reached the shopper's screen
    (sale,) = sales_in_journal(tmp_path)
    (payment,) = sale["payments"]
    assert [b["amount_cents"] for b in booked] == [MILK_CENTS] == [payment["amount_cents"]]
    assert payment["terminal"]["trace_number"] == booked[0]["trace_number"]
    assert payment["terminal"]["masked_pan"].endswith("0000")


def test_a_declined_card_shows_why_and_the_next_attempt_is_charged_once(tmp_path: Path) -> None:
    async def body(controller: Any, devices: LaneDevices) -> None:
        await scan_and_pay(controller)
        await until(lambda: controller.checkout.state is FlowState.SCANNING, "declined")
        assert controller.message is not None and "abgelehnt" in controller.message.text
        controller.send(ui.Pay())  # the shopper tries again
        await until(lambda: controller.checkout.state is FlowState.FINISHING, "approved")

    with ZvtSimulator(behaviour="approve", think_s=0.02) as sim:
        sim.next_behaviour = "decline"
        pay_lane(tmp_path, sim, body)
        booked = list(sim.booked)
    assert len(booked) == 1 and len(sales_in_journal(tmp_path)) == 1


def test_the_shopper_cancelling_at_the_card_prompt_aborts_at_the_terminal(tmp_path: Path) -> None:
    async def body(controller: Any, devices: LaneDevices) -> None:
        await scan_and_pay(controller)
        await until(lambda: prompt(controller) == "insert_card", "the card prompt")
        controller.send(ui.Cancel())
        assert prompt(controller) == "aborting"
        await until(lambda: controller.checkout.state is FlowState.SCANNING, "aborted")

    with ZvtSimulator(behaviour="hesitate", think_s=0.02) as sim:
        pay_lane(tmp_path, sim, body)
        assert sim.booked == []
    assert sales_in_journal(tmp_path) == []


def test_a_silent_terminal_is_never_guessed_and_the_attendant_settles_it(tmp_path: Path) -> None:
    async def body(controller: Any, devices: LaneDevices) -> None:
        await scan_and_pay(controller)
        await until(lambda: any(i.reason is Reason.PAYMENT_FAILED
                                for i in controller.checkout.interventions),
                    "the unknown payment goes to an attendant", timeout_s=15)
        assert controller.checkout.state is FlowState.PAYING  # neither sold nor dropped
        controller.send(ui.AttendantPin("1001", "1234"))
        (check,) = [i for i in controller.checkout.interventions
                    if i.reason is Reason.PAYMENT_FAILED]
        controller.send(ui.Reject(check.intervention_id))  # the terminal's journal: not booked
        assert controller.checkout.state is FlowState.SCANNING

    with ZvtSimulator(behaviour="silence", think_s=0.02) as sim:
        pay_lane(tmp_path, sim, body)
        assert sim.booked == []
    assert sales_in_journal(tmp_path) == []


def test_a_booking_whose_answer_was_lost_is_recovered_from_the_terminal(tmp_path: Path) -> None:
    async def body(controller: Any, devices: LaneDevices) -> None:
        await scan_and_pay(controller)
        await until(lambda: controller.checkout.state is FlowState.FINISHING,
                    "the terminal's last booking settles the payment", timeout_s=15)

    with ZvtSimulator(behaviour="approve", think_s=0.02) as sim:
        sim.next_behaviour = "lost_result"
        pay_lane(tmp_path, sim, body)
        booked = list(sim.booked)
    (sale,) = sales_in_journal(tmp_path)
    assert len(booked) == 1
    assert sale["payments"][0]["terminal"]["trace_number"] == booked[0]["trace_number"]


CHILD = r"""
import asyncio, sys
from pathlib import Path
from kiosk.app import build_controller, devices_of, load
from kiosk.app_devices import LaneDevices
from kiosk.domain.attendants import hash_pin
from kiosk.ui import intents as ui

config = load(Path(sys.argv[1]))
controller = build_controller(config)

async def main():
    loop = asyncio.get_running_loop()
    devices = LaneDevices(devices_of(config), controller, refresh=lambda: None,
                          post=loop.call_soon_threadsafe, backoff_s=(0.05, 0.1))
    await devices.start()
    while not all(s.device.is_open for s in devices.supervisors):
        await asyncio.sleep(0.02)
    controller.send(ui.CodeEntered(sys.argv[2]))
    controller.send(ui.Pay())
    print("paying", flush=True)
    await asyncio.sleep(60)

asyncio.run(main())
"""


@pytest.mark.parametrize("booked_before_kill", [True, False])
def test_the_kiosk_killed_mid_payment_settles_it_on_restart_without_charging_twice(
    tmp_path: Path, booked_before_kill: bool,
) -> None:
    with ZvtSimulator(behaviour="approve", think_s=0.02) as sim:
        # "lost_result": the terminal books, and the kiosk dies before it hears so;
        # "hesitate": the card was never presented when the kiosk died.
        sim.behaviour = "lost_result" if booked_before_kill else "hesitate"
        config = write_config(tmp_path, sim.address)
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(config), MILK], cwd=ROOT,
                                 stdout=subprocess.PIPE, text=True,
                                 env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            assert child.stdout is not None and child.stdout.readline().strip() == "paying"
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not any(
                    apdu[:2] == b"\x06\x01" for apdu in sim.received):
                time.sleep(0.01)
            if booked_before_kill:
                while time.monotonic() < deadline and not sim.booked:
                    time.sleep(0.01)
            child.send_signal(signal.SIGKILL)
        finally:
            child.wait(10)
            if child.stdout is not None:
                child.stdout.close()
        sim.behaviour = "approve"

        async def body(controller: Any, devices: LaneDevices) -> None:
            if booked_before_kill:
                await until(lambda: controller.checkout.state is FlowState.FINISHING,
                            "the booking is recovered from the terminal", timeout_s=15)
                return
            await until(lambda: any(i.reason is Reason.PAYMENT_FAILED
                                    for i in controller.checkout.interventions),
                        "the unknown payment goes to an attendant", timeout_s=15)
            controller.send(ui.AttendantPin("1001", "1234"))
            (check,) = [i for i in controller.checkout.interventions
                        if i.reason is Reason.PAYMENT_FAILED]
            controller.send(ui.Reject(check.intervention_id))
            controller.send(ui.AttendantLogout())
            controller.send(ui.Pay())  # the shopper pays again, now for real
            await until(lambda: controller.checkout.state is FlowState.FINISHING, "approved")

        run_with_devices(config, body)
        booked = list(sim.booked)
    sales = sales_in_journal(tmp_path)
    assert len(booked) == 1 and len(sales) == 1
    assert sales[0]["payments"][0]["terminal"]["trace_number"] == booked[0]["trace_number"]

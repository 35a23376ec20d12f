"""Receipts at the lane through the real ESC/POS driver and the printer simulator on a pty: the
shopper's choice on the thank-you screen, the e-receipt when the paper is out (the attendant
sees why and the light calls staff), and the attendant's reprint of the last receipt.
"""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from test_lane_devices import run_with_devices, until

from hardware.sim.printer import PrinterSimulator
from kiosk.app_devices import LaneDevices
from kiosk.domain.attendants import hash_pin
from kiosk.domain.flow import FlowState
from kiosk.lane.signals import HELP, IN_TRANSACTION
from kiosk.ui import intents as ui

pytestmark = pytest.mark.slow

MILK = "4200200000015"  # Vollmilch 1 l, 1,09 €


def write_config(tmp: Path, printer: Path) -> Path:
    path = tmp / "kiosk.toml"
    path.write_text(
        '[paths]\ndata_dir = "data"\n[policy]\nopen_on_start = true\n'
        '[payment]\nkind = "simulated"\n'
        f'[devices.printer]\nurl = "{printer}"\n'
        '[devices.gpio]\npin_factory = "mock"\nlight_green = 17\nlight_yellow = 27\n'
        'light_red = 22\nbuzzer = 18\nhelp_button = 23\n'
        '[[attendants]]\nid = "1001"\nname = "Anna"\nrole = "attendant"\n'
        f'pin_hash = "{hash_pin("1234", bytes(range(16)))}"\n',
        encoding="utf-8",
    )
    return path


async def sell_milk(controller: Any) -> None:
    controller.send(ui.CodeEntered(MILK))
    controller.send(ui.Pay())
    await until(lambda: controller.tick() is not None
                and controller.checkout.state is FlowState.FINISHING, "sold", timeout_s=10)


def test_a_printed_receipt_carries_the_sale_in_german_and_a_copy_is_marked(
    tmp_path: Path,
) -> None:
    async def body(controller: Any, devices: LaneDevices) -> None:
        await sell_milk(controller)
        view = controller.view()
        assert view.screen == "thanks"
        assert view.receipt_options == ("print", "qr", "none")
        view = controller.send(ui.ChooseReceipt("print"))
        assert view.receipt_note == "Ihr Beleg wird gedruckt …"
        await until(lambda: controller.view().receipt_note.startswith("Bitte entnehmen"),
                    "printed")
        controller.send(ui.Finish())
        controller.send(ui.StaffPanel(open=True))
        controller.send(ui.AttendantPin("1001", "1234"))
        assert "reprint_receipt" in controller.view().lane_actions
        controller.send(ui.ReprintReceipt())
        await until(lambda: controller.message is not None, "the reprint is done")
        assert controller.message.text == "Kopie des letzten Belegs gedruckt."

    with PrinterSimulator(tmp_path / "kiosk-printer") as printer:
        controller = run_with_devices(write_config(tmp_path, printer.port), body)
        receipt, copy = printer.wait_for_receipts(2)
    assert "Vollmilch".encode("cp858") in receipt and b"1,09" in receipt
    assert "Demo-Markt Berlin".encode("cp858") in receipt
    assert b"KOPIE" in copy and b"KOPIE" not in receipt
    with closing(sqlite3.connect(tmp_path / "data" / "journal.sqlite")) as db:
        (who,) = db.execute("SELECT json_extract(data, '$.by') FROM facts "
                            "WHERE kind = 'receipt_reprinted'").fetchone()
    assert who == "1001"  # the reprint is journaled with who asked for it
    assert controller.checkout.state is FlowState.IDLE


def test_paper_out_offers_the_e_receipt_tells_the_attendant_and_calls_staff(
    tmp_path: Path,
) -> None:
    async def body(controller: Any, devices: LaneDevices) -> None:
        controller.send(ui.CodeEntered(MILK))
        assert devices.peripherals.light.pattern == IN_TRANSACTION
        printer.paper = "out"
        await until(lambda: controller.receipts.problem == "paper_out", "paper out seen")
        assert devices.peripherals.light.pattern == HELP  # staff is called, the lane goes on
        controller.send(ui.Pay())
        await until(lambda: controller.tick() is not None
                    and controller.checkout.state is FlowState.FINISHING, "sold", timeout_s=10)
        view = controller.view()
        assert view.receipt_options == ("qr", "none")  # no dead end: the e-receipt
        view = controller.send(ui.ChooseReceipt("qr"))
        sale_id = controller.checkout.last_sale["sale_id"]
        assert view.receipt_qr == f"http://kiosk-hub.local:8080/receipts/{sale_id}"
        controller.send(ui.StaffPanel(open=True))
        controller.send(ui.AttendantPin("1001", "1234"))
        rows = {row.name: row.status_text for row in controller.view().device_rows}
        assert rows["Belegdrucker"] == "Papier leer"
        printer.paper = "ok"
        await until(lambda: controller.receipts.problem == "", "a new roll is in")
        await asyncio.sleep(0.1)

    with PrinterSimulator(tmp_path / "kiosk-printer") as printer:
        run_with_devices(write_config(tmp_path, printer.port), body)
        assert printer.receipts() == []

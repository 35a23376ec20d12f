"""The attendant panel: device status and the upload queue, drawn in a real window in German and
English, and the lane's controller turning a scanned staff badge into a login (never a product)
and logging an idle attendant out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kiosk.app import build_controller, load
from kiosk.app_lane import SIMULATED_PAYMENT_S, LaneController
from kiosk.domain import commands as c
from kiosk.ui import intents as ui
from kiosk.ui.staff_status import DeviceStatus, UploadStatus, age_text
from ui.conftest import KioskWindow
from ui.lane import BEER, Lane

pytestmark = pytest.mark.ui

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DEVICES = (DeviceStatus("scanner", True, 0), DeviceStatus("scale", False, 2),
           DeviceStatus("bagging", True, 1))
QUEUE = UploadStatus(3, "2026-03-02T08:48:00+00:00", "HTTP 503 from the store server")


def panel_lane() -> Lane:
    lane = Lane()
    lane.do(c.Scan(BEER))
    lane.do(c.AttendantLogin("1001", "1234"))
    return lane


# -- what present() puts on the panel -------------------------------------------------------------


def test_the_panel_lists_each_device_in_words_with_its_outages() -> None:
    view = panel_lane().view(devices=DEVICES, upload=QUEUE, now=T0)
    assert [(r.name, r.status_text, r.outages_text) for r in view.device_rows] == [
        ("Scanner", "in Betrieb", ""), ("Waage", "getrennt", "2 Ausfälle"),
        ("Ablagewaage", "in Betrieb", "1 Ausfall")]
    english = panel_lane().view("en", devices=DEVICES, upload=QUEUE, now=T0)
    assert [r.status_text for r in english.device_rows] == ["online", "offline", "online"]


def test_the_upload_queue_shows_how_many_how_old_and_the_last_error() -> None:
    view = panel_lane().view(devices=DEVICES, upload=QUEUE, now=T0)
    assert view.upload_text == ("3 Verkäufe warten, ältester seit 12\u00a0Min.\n"
                                "Letzter Fehler: HTTP 503 from the store server")
    done = panel_lane().view("en", upload=UploadStatus(0), now=T0)
    assert done.upload_text == "All sales uploaded"


def test_sales_the_hub_refused_are_shown_with_the_reason() -> None:
    refused = UploadStatus(0, quarantined=2,
                           quarantine_reason="sale 7 breaks the hash chain at seq 7")
    view = panel_lane().view("en", upload=refused, now=T0)
    assert view.upload_text == ("All sales uploaded\n2 refused by the hub (settle at the "
                                "office): sale 7 breaks the hash chain at seq 7")


def test_ages_read_in_seconds_minutes_and_hours() -> None:
    assert [age_text(s, "de").replace("\u00a0", " ") for s in (5, 61, 7500)] == [
        "5 s", "1 Min.", "2 Std. 5 Min."]
    assert age_text(7500, "en").replace("\u00a0", " ") == "2 h 5 min"


def test_nobody_logged_in_sees_no_device_or_upload_status() -> None:
    lane = Lane()  # the lane opened; opening ends the session
    view = lane.view(devices=DEVICES, upload=QUEUE, now=T0)
    assert view.device_rows == () and view.upload_text == ""


# -- in the window --------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize("size", [(1280, 800), (1024, 600)])
def test_the_attendant_panel_shows_devices_and_uploads_without_clipping(
    window: KioskWindow, lang: str, size: tuple[int, int]
) -> None:
    window.resize(*size)
    view = replace(panel_lane().view(lang, devices=DEVICES, upload=QUEUE, now=T0),
                   staff_panel=True)
    window.show(view)
    texts = window.texts()
    if lang == "de":
        expected = {"Geräte", "getrennt", "in Betrieb", "Waage  (2 Ausfälle)", "Upload",
                    "3 Verkäufe warten, ältester seit 12\u00a0Min.\n"
                    "Letzter Fehler: HTTP 503 from the store server"}
    else:
        expected = {"Devices", "offline", "online", "Scale  (2 outages)"}
    assert expected <= set(texts), set(texts)
    window.look(f"attendant_panel_{lang}_{size[0]}x{size[1]}")
    window.tap(key="logout")
    assert window.sent() == [ui.AttendantLogout()]


# -- the controller: badges and the idle logout ----------------------------------------------------

BADGE = "STAFF-7F3K9Q2M"
DEMO_MILK = "4200200000015"


def _cheap_hash(text: str) -> str:
    salt = bytes(range(16))
    key = hashlib.scrypt(text.encode(), salt=salt, n=1024, r=1, p=1, dklen=32)
    return f"scrypt$1024$1$1${salt.hex()}${key.hex()}"


@pytest.fixture()
def controller(tmp_path: Path) -> Iterator[LaneController]:
    path = tmp_path / "kiosk.toml"
    path.write_text(
        '[paths]\ndata_dir = "data"\n[policy]\nopen_on_start = true\nattendant_idle_s = 60\n'
        f'[[attendants]]\nid = "1001"\nname = "Anna"\nrole = "attendant"\n'
        f'pin_hash = "{_cheap_hash("1234")}"\nbadge_hash = "{_cheap_hash(BADGE)}"\n',
        encoding="utf-8")
    built = build_controller(load(path))
    now = [T0]

    def clock() -> datetime:
        return now[0]

    built.clock = clock
    built.now = now  # type: ignore[attr-defined]  # the test moves the clock through this
    try:
        yield built
    finally:
        built.durable.db.conn.close()


def _advance(controller: Any, seconds: float) -> None:
    controller.now[0] += timedelta(seconds=seconds)


def test_a_scanned_badge_logs_in_and_opens_the_panel_instead_of_adding_a_line(
    controller: LaneController,
) -> None:
    controller.perform(c.Scan(BADGE, source="scanner"))
    view = controller.view()
    assert view.attendant == "Anna" and view.staff_panel is True
    assert view.lines == () and view.message is None
    assert controller.checkout.basket_id is None  # no basket was opened for it


def test_a_wrong_badge_is_refused_and_never_reaches_the_basket(
    controller: LaneController,
) -> None:
    controller.send(ui.Start())
    view = controller.send(ui.CodeEntered("STAFF-UNKNOWN1"))
    assert view.lines == () and view.attendant is None
    assert view.message is not None and view.message.text == "Ausweis nicht erkannt."


def test_the_panel_shows_the_upload_queue_and_the_devices_from_the_status_source(
    controller: LaneController,
) -> None:
    controller.send(ui.CodeEntered(DEMO_MILK))
    controller.send(ui.Pay())
    controller.tick()  # the simulated terminal's timer starts with the first tick when paying
    _advance(controller, SIMULATED_PAYMENT_S)
    controller.tick()
    assert controller.checkout.state.value == "finishing"
    controller.send(ui.Finish())
    controller.status_source = lambda: DEVICES
    _advance(controller, 150)
    view = controller.send(ui.CodeEntered(BADGE))
    queue, disk = view.upload_text.splitlines()
    assert queue == "1 Verkauf wartet, seit 2\u00a0Min."
    assert disk.startswith(("Journal ", "SPEICHER FAST VOLL")) and " frei" in disk  # the disk
    assert [r.name for r in view.device_rows] == ["Scanner", "Waage", "Ablagewaage"]


def test_an_idle_attendant_is_logged_out_and_the_panel_closes(
    controller: LaneController,
) -> None:
    controller.send(ui.CodeEntered(BADGE))
    _advance(controller, 59)
    assert controller.tick() is None
    _advance(controller, 1)
    view = controller.tick()
    assert view is not None and view.attendant is None and view.staff_panel is False

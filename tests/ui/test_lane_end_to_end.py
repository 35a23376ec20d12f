"""The whole lane, as a shopper and an attendant meet it: a real window over the real controller,
checkout and SQLite journal built from a config file (kiosk.app), driven by key and touch events.
The journal is read back with plain sqlite3 beside the running kiosk, then the kiosk is killed
and restarted to show the open basket comes back exactly as it was.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from kiosk.domain.attendants import hash_pin
from ui.conftest import KioskWindow, start_window

pytestmark = [pytest.mark.ui, pytest.mark.slow]

MILK = "4200200000015"  # Frische Vollmilch 3,5 % 1 l, 1,09 €, 7 %
COLA = "4200400000051"  # Cola 1,25 l PET, 1,29 € + Pfand 0,25 €, 19 %
PILS = "4200500000012"  # Pils 0,5 l, 0,95 € + Pfand 0,08 €, age 16


@pytest.fixture
def lane_config(tmp_path: Path) -> Path:
    pin_hash = hash_pin("4711", bytes.fromhex("00112233445566778899aabbccddeeff"))
    path = tmp_path / "kiosk.toml"
    path.write_text(
        '[store]\nname = "Testmarkt Mitte"\n'
        '[lane]\nid = "lane-7"\n'
        '[paths]\ndata_dir = "data"\n'
        "[policy]\nopen_on_start = true\n"
        f'[[attendants]]\nid = "2001"\nname = "Mia"\nrole = "attendant"\npin_hash = "{pin_hash}"\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def lane(tmp_path: Path, lane_config: Path) -> Iterator[KioskWindow]:
    window = start_window(tmp_path / "first", lane_config)
    yield window
    window.close()


def query(config: Path, sql: str) -> list[tuple[object, ...]]:
    """Rows from the lane's journal, read beside the running kiosk as another process would."""
    with closing(sqlite3.connect(config.parent / "data" / "journal.sqlite")) as db:
        return db.execute(sql).fetchall()


def wait_for_screen(window: KioskWindow, screen: str, timeout_s: float = 10.0) -> None:
    waited = 0.0
    while window.state()["screen"] != screen:
        assert waited < timeout_s, f"still on {window.state()['screen']!r}, wanted {screen!r}"
        window.wait(0.25)
        waited += 0.25


def sign_in(window: KioskWindow, attendant_id: str, pin: str) -> None:
    for digit in attendant_id:
        window.tap(key=digit)
    window.tap(key="login")  # OK on the number moves to the PIN
    for digit in pin:
        window.tap(key=digit)
    window.tap(key="login")


def test_a_shopper_buys_milk_cola_and_beer_and_the_sale_is_journaled_once(
    lane: KioskWindow, lane_config: Path
) -> None:
    assert lane.state()["screen"] == "attract"  # the lane opened itself (policy.open_on_start)
    lane.look("e2e_attract")

    lane.type(MILK + "\n")
    wait_for_screen(lane, "basket")
    lane.type(COLA + "\n")
    texts = lane.texts()
    assert any("Vollmilch" in t for t in texts)
    assert any("Cola 1,25" in t for t in texts)
    assert any("Pfand" in t for t in texts)
    assert "2,63 €" in texts  # 1,09 + 1,29 + 0,25 deposit
    # committed before shown: the journal beside the running kiosk already holds both scans
    assert query(lane_config, "SELECT COUNT(*) FROM facts WHERE kind = 'lines_added'") == [(2,)]
    lane.look("e2e_basket")

    lane.type(PILS + "\n")  # beer: the lane asks for an age check before payment
    assert lane.state()["overlay"]
    assert any("16" in t for t in lane.texts())
    lane.look("e2e_age_check")
    sign_in(lane, "2001", "4711")
    assert "Personal: Mia" in lane.texts()
    lane.look("e2e_attendant")
    lane.tap(key="approve")
    assert not lane.state()["overlay"]  # the attendant is signed out once nothing is left open

    lane.tap(key="pay")
    wait_for_screen(lane, "paying")
    lane.look("e2e_paying")
    wait_for_screen(lane, "thanks")  # the simulated terminal approves
    assert any("3,66 €" in t for t in lane.texts())  # 2,63 + 0,95 + 0,08
    lane.look("e2e_thanks")

    assert query(lane_config, "SELECT seq, total_cents FROM sales") == [(1, 366)]
    assert query(lane_config, "SELECT state FROM outbox") == [("pending",)]
    [(cleared,)] = query(lane_config, "SELECT data FROM facts WHERE kind = 'intervention_cleared'")
    assert '"2001"' in str(cleared)  # who approved the age check is on record


def test_a_killed_kiosk_comes_back_with_the_open_basket_and_nothing_sold_twice(
    tmp_path: Path, lane_config: Path
) -> None:
    first = start_window(tmp_path / "first", lane_config)
    try:
        first.type(MILK + "\n")
        wait_for_screen(first, "basket")
        first.type(COLA + "\n")
        first.type(MILK + "\n")
        before = [t for t in first.texts() if "€" in t]
    finally:
        first.kill()  # pull the plug mid-basket

    second = start_window(tmp_path / "second", lane_config)
    try:
        assert second.state()["screen"] == "basket"
        after = [t for t in second.texts() if "€" in t]
        assert after == before
        second.look("e2e_restored_basket")
        second.tap(key="pay")
        wait_for_screen(second, "thanks")
    finally:
        second.close()
    assert query(lane_config, "SELECT seq, total_cents FROM sales") == [(1, 109 + 129 + 25 + 109)]


def test_an_attendant_opens_a_closed_lane_from_the_staff_panel(
    tmp_path: Path, lane_config: Path
) -> None:
    lane_config.write_text(lane_config.read_text(encoding="utf-8").replace(
        "open_on_start = true", "open_on_start = false"), encoding="utf-8")
    window = start_window(tmp_path / "closed", lane_config)
    try:
        assert window.state()["screen"] == "closed"
        window.type(MILK + "\n")  # a shopper scanning at a closed lane buys nothing
        assert window.state()["screen"] == "closed"
        window.tap(key="staff")
        assert window.state()["overlay"]
        assert "Keine offenen Meldungen." in window.texts()
        window.look("e2e_staff_panel")
        sign_in(window, "2001", "0000")  # a wrong PIN is refused and counted
        assert "Falsche PIN für 2001 (noch 4 von 5 Versuchen)." in window.texts()
        sign_in(window, "2001", "4711")
        window.look("e2e_staff_open_lane")
        window.tap(key="open_lane")
        assert window.state()["screen"] == "attract"
        assert not window.state()["overlay"]  # opening the lane ends the attendant's session
    finally:
        window.close()
    kinds = [k for (k,) in query(lane_config, "SELECT kind FROM facts ORDER BY seq")]
    assert kinds[:2] == ["pin_rejected", "attendant_logged_in"]
    assert "lane_opened" in kinds
    assert query(lane_config, "SELECT COUNT(*) FROM sales") == [(0,)]

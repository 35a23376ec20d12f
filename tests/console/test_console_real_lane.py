"""The console against real lanes (kiosk.app_link's headless lanes: controller, checkout,
journal and link, without a screen): an age check raised by a real scan is confirmed from the
page, and the lane itself clears it and goes on."""

from __future__ import annotations

from playwright.sync_api import expect

from kiosk.domain.policy import Reason
from tests.console.harness import ConsoleHub, OpenPage, login, shoot
from tests.console.test_console_page import tile


def test_age_check_at_a_real_lane_is_confirmed_from_the_console(
        hub: ConsoleHub, open_console: OpenPage) -> None:
    lane = hub.add_real_lane(3)
    hub.add_real_lane(4)
    page = open_console()
    login(page)
    expect(tile(page, 4)).to_contain_text("Kasse 4")
    expect(tile(page, 3)).to_contain_text("Frei")

    async def scan_vodka() -> str:
        return lane.raise_age_check()

    hub.run(scan_vodka())
    card = tile(page, 3).locator(".iv-card")
    expect(tile(page, 3)).to_contain_text("Eingriff nötig")
    expect(card).to_contain_text("ab 18 Jahren")
    shoot(page, "real-lane-age-check")
    card.get_by_role("button", name="Alter bestätigt").click()
    expect(tile(page, 3).locator(".tile-result")).to_have_text("Alter bestätigt: erledigt")
    expect(tile(page, 3)).to_contain_text("Kauf läuft")

    async def open_reasons() -> list[Reason]:
        return [i.reason for i in lane.controller.checkout.interventions]

    assert hub.run(open_reasons()) == []

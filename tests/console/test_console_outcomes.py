"""What the page says after a click when the lane refuses or does not answer, and the small
ways in: the queue's jump to a card, badge login, reduced motion."""

from __future__ import annotations

from playwright.sync_api import expect

from kiosk.hub.console_auth import add_attendant
from tests.console.harness import PIN, ConsoleHub, OpenPage, login
from tests.console.test_console_page import raise_age_check, tile


def test_a_refusal_by_the_lane_is_shown_with_its_reason(hub: ConsoleHub,
                                                        open_console: OpenPage) -> None:
    lane = hub.add_lane(2)
    page = open_console()
    login(page)
    tile(page, 2).get_by_role("button", name="Kasse schließen").click()
    expect(tile(page, 2).locator(".tile-result")).to_have_text(
        "Kasse schließen: von der Kasse abgelehnt – this test lane does not close_lane")
    assert [c["action"] for c in lane.commands] == ["close_lane"]


def test_a_lane_that_does_not_answer_is_named_with_what_to_do(hub: ConsoleHub,
                                                              open_console: OpenPage) -> None:
    lane = hub.add_lane(3)
    page = open_console()
    login(page)
    raise_age_check(hub, 3)
    lane.silent = True
    button = tile(page, 3).get_by_role("button", name="Alter bestätigt")
    button.click()
    expect(button).to_have_attribute("aria-busy", "true")
    expect(button).to_contain_text("wird gesendet")
    expect(tile(page, 3).locator(".tile-result")).to_have_text(  # the hub waits 5 s
        "Alter bestätigt: keine Antwort – bitte an der Kasse prüfen", timeout=20_000)
    expect(tile(page, 3).locator(".iv-card")).to_have_count(1)


def test_the_queue_jumps_to_the_card_oldest_first(hub: ConsoleHub,
                                                  open_console: OpenPage) -> None:
    hub.add_lane(1)
    hub.add_lane(2)
    page = open_console()
    login(page)
    raise_age_check(hub, 2, "iv-older")
    raise_age_check(hub, 1, "iv-newer")
    items = page.locator("#queue .queue-lane")
    expect(items).to_have_text(["Kasse 2", "Kasse 1"])
    page.locator("#queue .queue-link").first.click()
    expect(tile(page, 2).get_by_role("button", name="Alter bestätigt")).to_be_focused()
    expect(page).to_have_title("(2) Konsole")


def test_badge_scanner_logs_in(hub: ConsoleHub, open_console: OpenPage) -> None:
    hub.run(hub.store.call(add_attendant, hub.store, "3001", "Jo", "attendant", PIN,
                           "STAFF-JO-0001"))
    page = open_console()
    page.fill("#badge", "STAFF-JO-0001")
    page.keyboard.press("Enter")  # a badge scanner types the code and Enter
    expect(page.locator("#who")).to_have_text("Jo (Personal)")


def test_reduced_motion_gets_a_steady_frame_instead_of_a_flash(
        hub: ConsoleHub, open_console: OpenPage) -> None:
    hub.add_lane(3)
    page = open_console(reduced_motion="reduce")
    login(page)
    expect(tile(page, 3)).to_contain_text("Frei")
    raise_age_check(hub, 3)
    expect(tile(page, 3)).to_have_class("tile st-intervention flash")
    assert tile(page, 3).evaluate("t => getComputedStyle(t).animationName") == "none"

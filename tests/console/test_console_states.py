"""What a lane tile says besides interventions (faults, upload queue, closed, offline), the
English switch, roles, and a hub that goes away and comes back."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.console.harness import ConsoleHub, OpenPage, login, shoot
from tests.console.test_console_page import CHEESE, raise_age_check, tile


def test_tiles_name_faults_upload_queue_and_closed_lanes_in_words(
        hub: ConsoleHub, open_console: OpenPage) -> None:
    faulty, queued, closed, _idle = (hub.add_lane(n) for n in (1, 2, 3, 4))
    hub.run(faulty.update(light="fault", devices=[
        {"device": "scale", "state": "offline", "detail": "keine Antwort"},
        {"device": "scanner", "state": "online", "detail": ""}]))
    hub.run(faulty.raise_intervention("iv-dev", "device_fault",
                                      {"device": "scale", "detail": "keine Antwort"},
                                      "Gerätestörung: Waage", "Device fault: scale",
                                      needs_role="supervisor"))
    hub.run(faulty.update(light="fault"))
    hub.run(queued.start_basket([CHEESE]))
    hub.run(queued.raise_intervention("iv-w", "weight_mismatch", {
        "line_id": 2, "expected_g": 500, "delta_g": 740, "observed_g": 1900,
        "baseline_g": 1160}, "Gewicht passt nicht", "Weight mismatch"))
    hub.run(queued.update(upload={"pending": 12, "oldest_pending_at": "2026-11-22T09:00:00Z",
                                  "last_error": "", "quarantined": 0}))
    hub.run(closed.update(flow="closed", light="closed"))
    page = open_console(1280, 1000)
    login(page)
    expect(tile(page, 1)).to_contain_text("Störung")
    expect(tile(page, 1)).to_contain_text("Gestört: Waage (keine Antwort)")
    expect(tile(page, 1)).to_contain_text("Freigabe nur durch die Aufsicht.")
    expect(tile(page, 1).get_by_role("button", name="Freigeben")).to_have_count(0)
    expect(tile(page, 2)).to_contain_text("Bergkäse am Stück erwartet 500 g, gewogen 740 g")
    expect(tile(page, 2)).to_contain_text("12 Verkäufe warten auf den Hub, ältester seit")
    expect(tile(page, 3)).to_contain_text("Geschlossen")
    expect(tile(page, 3).get_by_role("button", name="Kasse öffnen")).to_be_visible()
    expect(tile(page, 4)).to_contain_text("Frei")
    expect(page).to_have_title("(2) Konsole")
    hub.run(hub.lanes["lane-4"].disconnect())
    expect(tile(page, 4)).to_contain_text("Offline seit")
    assert page.js_errors == []
    shoot(page, "lane-states")


def test_supervisor_may_clear_what_an_attendant_may_not(hub: ConsoleHub,
                                                        open_console: OpenPage) -> None:
    lane = hub.add_lane(1)
    hub.run(lane.raise_intervention("iv-dev", "device_fault", {"device": "printer"},
                                    "Gerätestörung: Drucker", "Device fault: printer",
                                    needs_role="supervisor"))
    page = open_console()
    login(page, "2001")
    expect(page.locator("#who")).to_have_text("Sven (Aufsicht)")
    tile(page, 1).get_by_role("button", name="Freigeben").click()
    expect(tile(page, 1).locator(".tile-result")).to_have_text("Freigeben: erledigt")
    assert [c["attendant"]["role"] for c in lane.commands] == ["supervisor"]


def test_english_switch_translates_the_page_and_the_lane_reasons(
        hub: ConsoleHub, open_console: OpenPage) -> None:
    hub.add_lane(3)
    page = open_console()
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    login(page)
    raise_age_check(hub, 3)
    expect(tile(page, 3)).to_contain_text("Intervention needed")
    expect(tile(page, 3)).to_contain_text("Age check (18)")
    expect(tile(page, 3).get_by_role("button", name="Age confirmed")).to_be_visible()
    expect(page).to_have_title("(1) Console")


def test_hub_restart_shows_the_lost_connection_then_reconnects_by_itself(
        hub: ConsoleHub, open_console: OpenPage) -> None:
    hub.add_lane(1)
    page = open_console()
    login(page)
    expect(tile(page, 1)).to_contain_text("Frei")
    hub.stop_serving()
    banner = page.locator("#conn")
    expect(banner).to_have_text("Verbindung zum Hub verloren – neu verbinden …")
    expect(page.locator("#console-view")).to_have_class("console is-stale")  # greyed: may be old
    shoot(page, "connection-lost", full_page=False)
    hub.serve_again()
    expect(banner).to_be_hidden(timeout=20_000)  # backoff with jitter: up to a few seconds
    expect(page.locator("#console-view")).to_have_class("console")
    hub.add_lane(2)
    expect(tile(page, 2)).to_contain_text("Frei")
    expect(page.locator("#console-view")).to_be_visible()


def test_repeated_wrong_pins_lock_the_login_until_a_time(hub: ConsoleHub,
                                                         open_console: OpenPage) -> None:
    page = open_console()
    error = page.locator("#login-error")
    for attempt in range(5):
        login(page, pin=f"000{attempt}")
        expect(error).not_to_have_text("")
        if "gesperrt" in error.inner_text():
            break
        page.evaluate("document.getElementById('login-error').textContent = ''")
    login(page)  # the right PIN, but too late
    expect(error).to_have_text(re.compile(r"^Zu viele Fehlversuche: gesperrt bis \d\d:\d\d\.$"))
    expect(page.locator("#console-view")).to_be_hidden()
    shoot(page, "login-locked", full_page=False)


def test_logout_returns_to_the_login_and_ends_the_session(hub: ConsoleHub,
                                                          open_console: OpenPage) -> None:
    hub.add_lane(1)
    page = open_console()
    login(page)
    expect(tile(page, 1)).to_contain_text("Frei")
    page.get_by_role("button", name="Abmelden").click()
    expect(page.locator("#login-view")).to_be_visible()
    status = page.evaluate("async () => (await fetch('/console/api/me')).status")
    assert status == 401

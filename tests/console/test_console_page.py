"""The attendant console in headless Chromium against a real hub with fake lanes: what an
attendant sees and does (login, interventions with their evidence, approve, offline lanes),
and that a request without the session or its CSRF token changes nothing."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.console.harness import ConsoleHub, OpenPage, login, shoot

BEER = {"line_id": 1, "name": "Pils 0,5 l", "quantity": 6, "weight_g": None,
        "amount_cents": 594}
CHEESE = {"line_id": 2, "name": "Bergkäse am Stück", "quantity": 1, "weight_g": 740,
          "amount_cents": 1332}


def tile(page: Any, number: int) -> Any:
    return page.locator(f"#lane-lane-{number}")


def boxes(page: Any, selector: str) -> list[dict[str, float]]:
    """The boxes of everything `selector` matches, read in one go (a re-render between two
    reads would leave a detached element)."""
    return page.evaluate("""s => [...document.querySelectorAll(s)].map(e => {
        const r = e.getBoundingClientRect();
        return {x: r.x, y: r.y, width: r.width, height: r.height}; })""", selector)


def raise_age_check(hub: ConsoleHub, number: int, iid: str = "iv-age-1") -> None:
    lane = hub.lanes[f"lane-{number}"]
    hub.run(lane.start_basket([BEER, CHEESE]))
    hub.run(lane.raise_intervention(iid, "age_check", {"age": 18, "line_id": 1, "sku": "pils",
                                                        "code": "4000001"},
                                    "Alterskontrolle (18)", "Age check (18)"))


def test_attendant_logs_in_and_sees_every_lane_in_words(hub: ConsoleHub,
                                                         open_console: OpenPage) -> None:
    hub.add_lane(1)
    busy = hub.add_lane(2)
    hub.run(busy.start_basket([BEER, CHEESE]))
    page = open_console()
    login(page)
    expect(page.locator("#who")).to_have_text("Anna (Personal)")
    expect(tile(page, 1)).to_contain_text("Frei")
    expect(tile(page, 1)).to_contain_text("Kasse 1")
    expect(tile(page, 2)).to_contain_text("Kauf läuft")
    expect(tile(page, 2)).to_contain_text("7 Artikel · 19,26 €")
    expect(tile(page, 2)).to_contain_text("Bergkäse am Stück")
    expect(page).to_have_title("Konsole")
    assert page.js_errors == []


def test_wrong_pin_says_so_and_keeps_the_login(hub: ConsoleHub, open_console: OpenPage) -> None:
    page = open_console()
    login(page, pin="0000")
    expect(page.locator("#login-error")).to_have_text("Falsche Personalnummer oder PIN.")
    expect(page.locator("#login-view")).to_be_visible()
    expect(page.locator("#console-view")).to_be_hidden()
    shoot(page, "login-wrong-pin")


def test_new_intervention_shows_reason_evidence_age_title_count_and_is_announced(
        hub: ConsoleHub, open_console: OpenPage) -> None:
    hub.add_lane(1)
    hub.add_lane(3)
    page = open_console()
    login(page)
    expect(tile(page, 3)).to_contain_text("Frei")
    raise_age_check(hub, 3)
    card = tile(page, 3).locator(".iv-card")
    expect(tile(page, 3)).to_contain_text("Eingriff nötig")
    expect(card).to_contain_text("Alterskontrolle (18)")
    expect(card).to_contain_text("ab 18 Jahren: Pils 0,5 l")
    expect(card.locator(".iv-age")).to_contain_text("seit 0:")
    expect(card.get_by_role("button", name="Alter bestätigt")).to_be_visible()
    expect(page).to_have_title("(1) Konsole")
    expect(page.locator("#announce")).to_have_text(
        "Neuer Eingriff: Kasse 3 – Alterskontrolle (18)")
    expect(page.locator("body")).to_have_attribute("data-chimes", "1")
    expect(page.locator("#queue")).to_contain_text("Kasse 3")
    shoot(page, "intervention-desktop")


def test_approve_clears_the_intervention_and_the_lane_resumes(hub: ConsoleHub,
                                                              open_console: OpenPage) -> None:
    lane = hub.add_lane(3)
    page = open_console()
    login(page)
    raise_age_check(hub, 3)
    tile(page, 3).get_by_role("button", name="Alter bestätigt").click()
    expect(tile(page, 3)).to_contain_text("Kauf läuft")
    expect(tile(page, 3).locator(".tile-result")).to_have_text("Alter bestätigt: erledigt")
    expect(tile(page, 3).locator(".iv-card")).to_have_count(0)
    expect(page).to_have_title("Konsole")
    [command] = lane.commands
    assert command["action"] == "approve"
    assert command["intervention_id"] == "iv-age-1"
    assert command["attendant"] == {"id": "1001", "name": "Anna", "role": "attendant"}
    assert page.js_errors == []
    shoot(page, "approved")


def test_reject_asks_first_and_escape_sends_nothing(hub: ConsoleHub,
                                                    open_console: OpenPage) -> None:
    lane = hub.add_lane(3)
    page = open_console()
    login(page)
    raise_age_check(hub, 3)
    tile(page, 3).get_by_role("button", name="Ablehnen").click()
    dialog = page.locator("#confirm")
    expect(dialog).to_contain_text("Kasse 3: „Alterskontrolle (18)“ ablehnen?")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(tile(page, 3).locator(".iv-card")).to_have_count(1)
    assert lane.commands == []
    tile(page, 3).get_by_role("button", name="Ablehnen").click()
    page.get_by_role("button", name="Ja, ablehnen").click()
    expect(tile(page, 3).locator(".tile-result")).to_have_text("Ablehnen: erledigt")
    assert [c["action"] for c in lane.commands] == ["reject"]


def test_commands_without_session_or_csrf_are_refused_and_reach_no_lane(
        hub: ConsoleHub, open_console: OpenPage) -> None:
    lane = hub.add_lane(3)
    raise_age_check(hub, 3)
    post = """async ([csrf]) => {
        const headers = {"Content-Type": "application/json"};
        if (csrf) headers["X-CSRF-Token"] = csrf;
        const r = await fetch("/console/api/lanes/lane-3/commands", {method: "POST", headers,
            body: JSON.stringify({action: "approve", intervention_id: "iv-age-1"})});
        return r.status; }"""
    stranger = open_console()  # never logged in: no session cookie
    expect(stranger.locator("#login-view")).to_be_visible()
    assert stranger.evaluate(post, ["guessed-token"]) == 401
    page = open_console()
    login(page)
    expect(tile(page, 3).locator(".iv-card")).to_have_count(1)
    assert page.evaluate(post, [None]) == 403  # the session cookie alone is not enough
    assert page.evaluate(post, ["not-the-token"]) == 403
    assert lane.commands == []
    expect(tile(page, 3).locator(".iv-card")).to_have_count(1)


def test_a_lane_going_offline_shows_offline_since_when(hub: ConsoleHub,
                                                       open_console: OpenPage) -> None:
    lane = hub.add_lane(4)
    page = open_console()
    login(page)
    expect(tile(page, 4)).to_contain_text("Frei")
    hub.run(lane.disconnect())
    expect(tile(page, 4)).to_contain_text("Offline seit ")
    expect(tile(page, 4)).to_have_attribute("data-state", "offline")
    expect(tile(page, 4).get_by_role("button")).to_have_count(0)


def test_keyboard_only_attendant_logs_in_and_approves(hub: ConsoleHub,
                                                     open_console: OpenPage) -> None:
    lane = hub.add_lane(3)
    page = open_console()
    expect(page.locator("#attendant-id")).to_be_focused()
    page.keyboard.type("1001")
    page.keyboard.press("Tab")
    page.keyboard.type("4711")
    page.keyboard.press("Enter")
    expect(page.locator("#who")).to_have_text("Anna (Personal)")
    raise_age_check(hub, 3)
    approve = tile(page, 3).get_by_role("button", name="Alter bestätigt")
    expect(approve).to_be_visible()
    for _ in range(40):  # Tab through the page until the approve button has the focus
        page.keyboard.press("Tab")
        if approve.evaluate("b => b === document.activeElement"):
            break
    expect(approve).to_be_focused()
    shoot(page, "keyboard-focus", full_page=False)
    page.keyboard.press("Enter")
    expect(tile(page, 3)).to_contain_text("Kauf läuft")
    assert [c["action"] for c in lane.commands] == ["approve"]


def test_phone_shows_one_column_with_finger_sized_buttons(hub: ConsoleHub,
                                                         open_console: OpenPage) -> None:
    for number in (1, 2, 3):
        hub.add_lane(number)
    raise_age_check(hub, 3)
    page = open_console(390, 844, is_mobile=True, has_touch=True)
    login(page)
    expect(tile(page, 3).locator(".iv-card")).to_have_count(1)
    lefts = {round(box["x"]) for box in boxes(page, ".tile")}
    assert len(lefts) == 1, f"tiles are not in one column: x = {lefts}"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    small = page.evaluate("""() => [...document.querySelectorAll('button')]
        .filter(b => b.offsetParent !== null)
        .map(b => b.getBoundingClientRect())
        .filter(r => r.width < 44 || r.height < 44).length""")
    assert small == 0
    shoot(page, "phone-390x844")


def test_desktop_shows_lanes_side_by_side_beside_the_queue(hub: ConsoleHub,
                                                          open_console: OpenPage) -> None:
    for number in range(1, 7):
        hub.add_lane(number)
    raise_age_check(hub, 2)
    page = open_console(1920, 1080)
    login(page)
    expect(tile(page, 2).locator(".iv-card")).to_have_count(1)
    tiles = boxes(page, ".tile")
    tops = [box["y"] for box in tiles[:3]]
    assert max(tops) - min(tops) < 1, "the first three lanes are not in one row"
    [queue] = boxes(page, ".queue")
    assert queue["x"] + queue["width"] <= tiles[0]["x"]
    shoot(page, "desktop-1920x1080", full_page=False)

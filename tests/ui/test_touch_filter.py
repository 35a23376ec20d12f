"""One finger is one press, even when a Raspberry Pi touchscreen reaches Kivy twice (kivy issue
8494: SDL's emulated mouse and probesysfs' hidinput/mtdev provider both report the same touch).
Touches are synthesized MotionEvents played through the real window (see conftest.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.ui.app import DUPLICATE_TOUCH_PX, DUPLICATE_TOUCH_S
from kiosk.ui.intents import ChangeQuantity
from ui import views
from ui.conftest import KioskWindow

pytestmark = pytest.mark.ui

MORE_MILK = ChangeQuantity(1, 3)  # "+" on Vollmilch (2 pieces) in views.BASKET
MOUSE, HID = "mouse", "hid_event2"  # the two providers one finger reaches Kivy through


@pytest.fixture(autouse=True)
def previous_touches_forgotten(window: KioskWindow) -> None:
    """The filter remembers touch-downs for DUPLICATE_TOUCH_S: start each test after that."""
    window.wait(DUPLICATE_TOUCH_S * 2)


def touch_more(window: KioskWindow, steps: list[list[Any]]) -> int:
    """Play `steps` ([etype, finger, dx_px, dy_px, t_ms, device]) on the "+" of the first line;
    returns how many duplicates the window has dropped so far."""
    return int(window.call("touches", key="more", index=0, steps=steps))


def test_one_finger_reported_by_two_providers_presses_the_button_once(
    window: KioskWindow,
) -> None:
    window.show(views.BASKET)
    before = touch_more(window, [])
    # the second provider's copy is a few pixels off and 8 ms later, while the first is down
    dropped = touch_more(window, [
        ["begin", 1, 0, 0, 0, MOUSE], ["begin", 2, 3, -2, 8, HID],
        ["update", 1, 0, 0, 0, MOUSE], ["update", 2, 3, -2, 0, HID],
        ["end", 1, 0, 0, 0, MOUSE], ["end", 2, 3, -2, 0, HID],
    ])
    assert window.sent() == [MORE_MILK]
    assert dropped == before + 1


def test_the_second_providers_copy_arriving_after_the_first_ended_is_the_same_tap(
    window: KioskWindow,
) -> None:
    window.show(views.BASKET)
    touch_more(window, [
        ["begin", 1, 0, 0, 0, HID], ["end", 1, 0, 0, 0, HID],
        ["begin", 2, 0, 0, 4, MOUSE], ["end", 2, 0, 0, 0, MOUSE],
    ])
    assert window.sent() == [MORE_MILK]


def test_one_provider_reporting_a_held_finger_twice_presses_once(window: KioskWindow) -> None:
    window.show(views.BASKET)
    before = touch_more(window, [])
    dropped = touch_more(window, [
        ["begin", 1, 0, 0, 0, HID], ["begin", 2, 1, 1, 2, HID],
        ["end", 2, 1, 1, 0, HID], ["end", 1, 0, 0, 0, HID],
    ])
    assert window.sent() == [MORE_MILK]
    assert dropped == before + 1  # not left to the button's own handling of a second finger


def test_two_deliberate_taps_a_fifth_of_a_second_apart_both_count(window: KioskWindow) -> None:
    window.show(views.BASKET)
    touch_more(window, [
        ["begin", 1, 0, 0, 0, HID], ["end", 1, 0, 0, 0, HID],
        ["begin", 2, 0, 0, 200, MOUSE], ["end", 2, 0, 0, 0, MOUSE],
    ])
    assert window.sent() == [MORE_MILK, MORE_MILK]


def test_a_quick_retap_on_one_provider_counts_twice(window: KioskWindow) -> None:
    window.show(views.BASKET)
    touch_more(window, [
        ["begin", 1, 0, 0, 0, HID], ["end", 1, 0, 0, 0, HID],
        ["begin", 2, 0, 0, 30, HID], ["end", 2, 0, 0, 0, HID],
    ])
    assert window.sent() == [MORE_MILK, MORE_MILK]


def test_two_fingers_at_the_same_moment_far_apart_are_not_taken_for_one(
    window: KioskWindow,
) -> None:
    window.show(views.BASKET)
    before = touch_more(window, [])
    far = DUPLICATE_TOUCH_PX * 4  # a second finger elsewhere on the screen, 2 ms later
    after = touch_more(window, [
        ["begin", 1, 0, 0, 0, MOUSE], ["end", 1, 0, 0, 0, MOUSE],
        ["begin", 2, -far, far, 2, HID], ["end", 2, -far, far, 0, HID],
    ])
    assert after == before
    assert window.sent()[0] == MORE_MILK


def test_a_plain_tap_still_presses_after_a_dropped_duplicate(window: KioskWindow) -> None:
    window.show(views.BASKET)
    before = touch_more(window, [])
    dropped = touch_more(window, [["begin", 1, 0, 0, 0, MOUSE], ["begin", 2, 1, 1, 1, HID],
                                  ["end", 2, 1, 1, 0, HID], ["end", 1, 0, 0, 0, MOUSE]])
    assert dropped == before + 1
    window.wait(DUPLICATE_TOUCH_S * 2)
    window.tap(key="more", index=0)
    assert window.sent() == [MORE_MILK, MORE_MILK]

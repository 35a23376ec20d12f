"""Keyboard-wedge scanning, line buttons, language, the 2 Hz redraw and the app's callbacks,
in a real window (see conftest.py).
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from kiosk.ui.intents import (
    ChangeQuantity,
    CodeEntered,
    RequestVoid,
    Start,
    ToggleLanguage,
)
from ui import views
from ui.conftest import KioskWindow

pytestmark = pytest.mark.ui

ENTER, BACKSPACE, ESCAPE, F1 = 13, 8, 27, 282


def test_typing_a_code_and_enter_anywhere_is_a_scan(window: KioskWindow) -> None:
    window.show(views.BASKET)
    window.type("40063813")
    assert window.state()["typed"] == "40063813"
    assert "Eingabe: 40063813" in window.texts()  # the header echoes what is being typed
    window.type("33931\n")
    assert window.sent() == [CodeEntered("4006381333931")]
    assert window.state()["typed"] == ""


def test_gs1_and_aim_test_input_keeps_brackets_and_prefix(window: KioskWindow) -> None:
    window.show(views.BASKET)
    window.type("]C1(01)04006381333931(3103)000456\n")
    assert window.sent() == [CodeEntered("]C1(01)04006381333931(3103)000456")]


def test_spaces_and_umlauts_never_become_part_of_a_code(window: KioskWindow) -> None:
    window.show(views.BASKET)
    window.type("40 06ä\n")
    assert window.sent() == [CodeEntered("4006")]


def test_backspace_edits_escape_clears_and_neither_closes_the_kiosk(window: KioskWindow) -> None:
    window.show(views.BASKET)
    window.type("1234")
    assert window.key(BACKSPACE) is True
    assert window.state()["typed"] == "123"
    assert window.key(ESCAPE) is True
    window.key(F1)
    window.type("\n")  # Enter with nothing typed is no scan
    assert window.sent() == []
    state = window.state()
    assert state["screen"] == "basket"  # still running, still the basket
    assert state["window_children"] == 1  # and no Kivy settings panel opened over it


def test_a_scan_on_the_attract_screen_is_sent_as_a_scan(window: KioskWindow) -> None:
    window.show(views.ATTRACT, views.BASKET)
    window.type("4006381333931\n")
    assert window.sent() == [CodeEntered("4006381333931")]
    assert window.state()["screen"] == "basket"  # the view send() returned is drawn


def test_the_view_returned_for_an_intent_is_drawn_at_once(window: KioskWindow) -> None:
    window.show(views.ATTRACT, views.EMPTY_BASKET)
    window.tap(text="Einkauf starten")
    assert window.sent() == [Start()]
    assert window.state()["screen"] == "basket"
    assert "Bitte scannen Sie Ihren ersten Artikel." in window.texts()


def test_a_refused_scan_shows_the_shopper_text_until_the_next_intent(window: KioskWindow) -> None:
    window.show(views.BASKET)
    window.call("queue_code_error", message="no product 123", de="Artikel nicht gefunden.",
                en="Item not found.")
    window.type("123\n")
    assert window.state()["message"] == "Artikel nicht gefunden."
    window.wait(0.7)  # a redraw from the clock keeps it
    assert window.state()["message"] == "Artikel nicht gefunden."
    window.tap(key="help")
    assert window.state()["message"] == ""


def test_quantity_buttons_and_remove_send_the_line_they_belong_to(window: KioskWindow) -> None:
    window.show(views.BASKET)
    window.tap(key="more", index=0)  # Vollmilch, 2 pieces
    window.tap(key="remove", index=2)  # Äpfel (the deposit line has none)
    assert window.sent() == [ChangeQuantity(1, 3), RequestVoid(4)]


def test_a_shopper_gets_no_minus_button_because_fewer_pieces_count_as_a_void(
    window: KioskWindow,
) -> None:
    window.show(views.BASKET)
    assert "less" not in window.buttons()
    window.show(views.with_decrease(views.BASKET))  # what an attendant's view offers
    window.tap(key="less", index=0)
    window.tap(key="less", index=1)  # Mineralwasser has 1 piece: "-" is disabled
    assert window.sent() == [ChangeQuantity(1, 1)]


def test_the_language_button_asks_and_the_answer_is_drawn_in_english(
    window: KioskWindow,
) -> None:
    window.show(views.BASKET, views.english(views.BASKET))
    assert window.widget(key="language")["text"] == "English"
    window.tap(key="language")
    assert window.sent() == [ToggleLanguage()]
    assert {"Pay", "Help", "Deutsch"} <= set(window.texts())


def test_the_clock_redraws_the_controllers_view_twice_a_second(window: KioskWindow) -> None:
    window.show(views.BASKET)
    before = window.state()["ticks"]
    # The checkout moved on by itself (a timeout): no intent, yet the screen follows.
    window.set_view(replace(views.BASKET, screen="thanks"))
    window.wait(1.1)
    state = window.state()
    assert state["screen"] == "thanks"
    assert state["ticks"] - before >= 2  # on_tick ran on the UI thread each time
    assert state["first_frames"] == 1  # on_first_frame ran once, after the first frame

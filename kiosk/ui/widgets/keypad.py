"""An on-screen number pad for PLUs, grams and PINs (rules in keypad.kv).

The shopper never needs a focused text field: the pad edits `value`, and the screen that owns
it decides what OK means.
"""

from __future__ import annotations

from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label

CLEAR = "clear"
BACK = "back"


class Keypad(GridLayout):
    """Digits 0-9, C (clear) and ⌫ (delete last); `value` holds at most `max_digits` digits."""

    value = StringProperty("")
    max_digits = NumericProperty(6)

    def press(self, key: str) -> None:
        """Apply one key: a digit, CLEAR or BACK."""
        if key == CLEAR:
            self.value = ""
        elif key == BACK:
            self.value = self.value[:-1]
        elif key.isdigit() and len(key) == 1 and len(self.value) < self.max_digits:
            self.value += key


class EntryBox(ButtonBehavior, Label):
    """Shows what a keypad holds, framed; `active` highlights the field the pad is editing
    (tap it to make it active).

    `masked` shows one dot per character (for PINs); `caption` is the small label above.
    """

    caption = StringProperty("")
    key = StringProperty("")
    active = BooleanProperty(False)
    masked = BooleanProperty(False)
    raw = StringProperty("")

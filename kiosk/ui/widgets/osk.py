"""An on-screen keyboard for searching by name or PLU (rules in osk.kv).

A self-checkout has no physical keyboard for the shopper: this one edits `value` like the
number pad does. German gets QWERTZ with Ä, Ö and Ü, English QWERTY; both have a digits row.
Keys are 1/11 of the keyboard's width, so at the basket's 780 px they stay above 60 px.
"""

from __future__ import annotations

from collections.abc import Callable

from kivy.properties import NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from kiosk.ui import theme
from kiosk.ui.widgets.buttons import ICON_FONT, KButton

# Special keys (their `key` is "osk_" + the name).
BACK = "back"
SPACE = "space"
DONE = "done"

DIGITS = "1234567890"
LETTERS: dict[str, tuple[str, str, str]] = {
    "de": ("qwertzuiopü", "asdfghjklöä", "yxcvbnm"),
    "en": ("qwertyuiop", "asdfghjkl", "zxcvbnm"),
}
UNITS_PER_ROW = 11  # the widest row (German letters, digits plus ⌫) sets the key width


class OskKey(KButton):
    """One key; `key` is "osk_" + the character (lower case) or a special key's name."""


class OnScreenKeyboard(BoxLayout):
    """Letters, digits, space (␣), ⌫ and done (✓) for `lang` ("de" QWERTZ, "en" QWERTY).

    `value` holds what was typed (letters lower case, at most `max_chars`); `done` is called
    when the shopper presses ✓ (to hide the keyboard).
    """

    value = StringProperty("")
    lang = StringProperty("de")
    max_chars = NumericProperty(24)
    done = ObjectProperty(None, allownone=True)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._built_for = ""
        self.build_keys()

    def on_lang(self, _instance: object, _lang: str) -> None:
        self.build_keys()

    def build_keys(self) -> None:
        """(Re)build the rows for `lang`; unknown languages get the German layout."""
        lang = self.lang if self.lang in LETTERS else "de"
        if lang == self._built_for:
            return
        self._built_for = lang
        self.clear_widgets()
        top, middle, bottom = LETTERS[lang]
        self._row([*DIGITS, BACK])
        self._row(list(top))
        self._row(list(middle))
        self._row([*bottom, SPACE, DONE])

    def _row(self, keys: list[str]) -> None:
        widths = {SPACE: 2.0, DONE: 2.0}
        units = sum(widths.get(k, 1.0) for k in keys)
        row = BoxLayout(spacing=self.spacing)
        # A shorter row is centred, like on a real keyboard.
        if units < UNITS_PER_ROW:
            row.add_widget(Widget(size_hint_x=(UNITS_PER_ROW - units) / 2))
        for k in keys:
            key = OskKey(key=f"osk_{k}", size_hint_x=widths.get(k, 1.0))
            if k == BACK:
                key.text, key.font_name = "⌫", ICON_FONT
            elif k in (SPACE, DONE):
                # Symbols, not words: "Leerzeichen" would not fit a key on a 7" panel.
                key.text, key.font_name = ("␣" if k == SPACE else "✓"), ICON_FONT
                if k == DONE:
                    key.bg = theme.ACCENT
            else:
                key.text = k.upper()
            key.bind(on_release=lambda button, k=k: self.press(k))
            row.add_widget(key)
        if units < UNITS_PER_ROW:
            row.add_widget(Widget(size_hint_x=(UNITS_PER_ROW - units) / 2))
        self.add_widget(row)

    def press(self, key: str) -> None:
        """Apply one key: a character, or BACK, SPACE, DONE."""
        if key == BACK:
            self.value = self.value[:-1]
        elif key == SPACE:
            # A leading or doubled space finds nothing new; ignore it.
            if self.value and not self.value.endswith(" ") and len(self.value) < self.max_chars:
                self.value += " "
        elif key == DONE:
            if self.done is not None:
                done: Callable[[], None] = self.done
                done()
        elif len(key) == 1 and len(self.value) < self.max_chars:
            self.value += key

"""The attract screen (rules in attract.kv): the store's welcome, the loyalty card prompt and a
button per language; a touch anywhere else starts.
"""

from __future__ import annotations

from typing import Any

from kivy.properties import BooleanProperty, StringProperty

from kiosk.ui import strings
from kiosk.ui.intents import ChooseLanguage, Start
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.viewmodel import LaneView
from kiosk.ui.widgets.buttons import KButton


class LanguageButton(KButton):
    """A language in its own words; the current one is `chosen`: ticked and bold."""

    chosen = BooleanProperty(False)


class AttractScreen(KioskScreen):
    store_name = StringProperty("")
    _languages_for: tuple[str, ...] | None = None

    def show(self, view: LaneView) -> None:
        self.store_name = view.store_name
        self._show_languages(view.lang)

    def _show_languages(self, current: str) -> None:
        """A button per offered language, named in its own words; the current one says so with a
        tick and bold type (never by colour alone)."""
        names = strings.language_names()
        key = (current, *names)
        if key == self._languages_for:
            return
        self._languages_for = key
        box = self.ids.languages
        box.clear_widgets()
        for code, name in names.items():
            button = LanguageButton(key=f"lang_{code}", text=name, chosen=code == current)
            button.bind(on_release=lambda _b, c=code: self.emit(ChooseLanguage(c)))
            box.add_widget(button)

    def on_touch_down(self, touch: Any) -> bool:
        if super().on_touch_down(touch):
            touch.ud["attract_button"] = True  # a language button took it: no start
            return True
        return False

    def on_touch_up(self, touch: Any) -> bool:
        # Start on release, like a button, so a touch that began elsewhere does not start.
        if touch.ud.get("attract_button"):
            return bool(super().on_touch_up(touch))
        if self.collide_point(*touch.pos) and touch.grab_current is None:
            self.emit(Start())
            return True
        return bool(super().on_touch_up(touch))

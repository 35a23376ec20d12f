"""The attract screen (rules in attract.kv): the store's welcome; a touch anywhere starts."""

from __future__ import annotations

from typing import Any

from kivy.properties import StringProperty

from kiosk.ui.intents import Start
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.viewmodel import LaneView


class AttractScreen(KioskScreen):
    store_name = StringProperty("")

    def show(self, view: LaneView) -> None:
        self.store_name = view.store_name

    def on_touch_up(self, touch: Any) -> bool:
        # Start on release, like a button, so a touch that began elsewhere does not start.
        if self.collide_point(*touch.pos) and touch.grab_current is None:
            self.emit(Start())
            return True
        return bool(super().on_touch_up(touch))

"""The paying screen (rules in paying.kv): the amount, and what the card terminal wants."""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty

from kiosk.ui.intents import Cancel
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.viewmodel import LaneView


class PayingScreen(KioskScreen):
    amount_text = StringProperty("")
    status_text = StringProperty("")
    approved = BooleanProperty(False)
    can_cancel = BooleanProperty(False)

    def show(self, view: LaneView) -> None:
        p = view.paying
        self.amount_text = p.amount_text if p else view.total_text
        self.status_text = p.status_text if p else ""
        self.approved = p.approved if p else False
        self.can_cancel = p.can_cancel if p else False

    def cancel(self) -> None:
        self.emit(Cancel())

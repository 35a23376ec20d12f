"""The closed, out-of-service and not-enrolled screens (rules in notice.kv): one big sentence
and a hint.

One class serves them all; the screen's `name` picks the texts.
"""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.viewmodel import LaneView

TITLE_KEYS = {
    "closed": ("closed_title", "closed_hint"),
    "out_of_service": ("oos_title", "oos_hint"),
    "not_enrolled": ("enrol_title", "enrol_hint"),
}


class NoticeScreen(KioskScreen):
    notice_text = StringProperty("")

    def show(self, view: LaneView) -> None:
        self.notice_text = view.notice_text

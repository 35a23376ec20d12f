"""What every kiosk screen has: a name, an `emit` for intents, and `show(view)`."""

from __future__ import annotations

from collections.abc import Callable

from kivy.uix.screenmanager import Screen

from kiosk.ui.intents import Intent
from kiosk.ui.viewmodel import LaneView

Emit = Callable[[Intent], None]


class KioskScreen(Screen):
    """A screen renders a LaneView and hands what the user asks for to `emit`."""

    def __init__(self, emit: Emit, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.emit = emit

    def show(self, view: LaneView) -> None:
        """Copy the view's texts into the widgets. Called only when the view changed."""
        raise NotImplementedError

    def forget(self) -> None:
        """Drop what the last shopper typed or opened here (the next shopper starts clean)."""

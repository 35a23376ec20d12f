"""The window's root (rules in root.kv): header, message banner, the screens, the overlay.

`KioskRoot.show(view)` is the one place a LaneView meets the widget tree: it fills the header,
switches to the view's screen, lets that screen copy its texts, and lays the intervention
overlay over everything but the header while interventions are open, an attendant is logged in,
or the staff panel was asked for.
"""

from __future__ import annotations

from collections.abc import Callable

from kivy.properties import BooleanProperty, ObjectProperty, StringProperty
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.screenmanager import NoTransition

from kiosk.ui.intents import (
    AttendantLogout,
    Intent,
    StaffPanel,
    ToggleContrast,
    ToggleLanguage,
)
from kiosk.ui.screens.attract import AttractScreen
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.screens.basket import BasketScreen
from kiosk.ui.screens.notice import NoticeScreen
from kiosk.ui.screens.paying import PayingScreen
from kiosk.ui.screens.thanks import ThanksScreen
from kiosk.ui.screens.weighing import WeighingScreen
from kiosk.ui.viewmodel import LaneView
from kiosk.ui.widgets import buttons, keypad  # noqa: F401  (kv rules name their classes)
from kiosk.ui.widgets.overlay import InterventionOverlay

Emit = Callable[[Intent], None]

SCREEN_CLASSES: dict[str, type[KioskScreen]] = {
    "closed": NoticeScreen,
    "attract": AttractScreen,
    "basket": BasketScreen,
    "weighing": WeighingScreen,
    "paying": PayingScreen,
    "thanks": ThanksScreen,
    "out_of_service": NoticeScreen,
    "not_enrolled": NoticeScreen,  # first boot could not enrol the lane (app_enrol_qr)
}

FRESH_START_SCREENS = frozenset({"attract", "closed", "out_of_service", "not_enrolled"})
# Where a shopper may switch high contrast on (the header elsewhere keeps its choice).
CONTRAST_SCREENS = frozenset({"attract", "basket"})


class KioskRoot(FloatLayout):
    store_name = StringProperty("")
    lane_name = StringProperty("")
    attendant = StringProperty("")
    message_text = StringProperty("")
    message_level = StringProperty("info")
    typed_text = StringProperty("")
    has_preview = BooleanProperty(False)  # a camera is fitted and has sent a frame
    preview_texture = ObjectProperty(None, allownone=True)
    screen_name = StringProperty("")  # the view's screen (the header differs per screen)
    high_contrast = BooleanProperty(False)  # the palette this tree was built with
    offers_contrast = BooleanProperty(False)  # the header shows the high-contrast switch
    loyalty_text = StringProperty("")

    def __init__(self, emit: Emit, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.emit = emit
        sm = self.ids.sm
        sm.transition = NoTransition()  # a kiosk snaps; slides only delay the shopper
        for name, cls in SCREEN_CLASSES.items():
            sm.add_widget(cls(emit, name=name))
        self.overlay = InterventionOverlay(emit, pos_hint={"x": 0, "y": 0})

    def show(self, view: LaneView) -> None:
        """Draw `view`. Arriving at a screen without a shopper forgets what the last one typed."""
        if view.screen in FRESH_START_SCREENS and view.screen != self.ids.sm.current:
            self.forget_local_state()
        self.store_name = view.store_name
        self.lane_name = view.lane_name
        self.attendant = view.attendant or ""
        self.screen_name = view.screen
        self.high_contrast = view.high_contrast
        self.offers_contrast = view.screen in CONTRAST_SCREENS
        self.loyalty_text = view.loyalty_text
        sm = self.ids.sm
        screen = sm.get_screen(view.screen)
        screen.show(view)
        sm.current = view.screen
        layer = self.ids.layer
        staffed = bool(view.interventions or view.staff_panel or view.attendant)
        if staffed:
            self.overlay.show(view)
            if self.overlay.parent is None:
                layer.add_widget(self.overlay)
        elif self.overlay.parent is not None:
            layer.remove_widget(self.overlay)
            self.overlay.hide()
        # Under the overlay the banner would be hidden; the overlay shows the message itself.
        message = view.message if not staffed else None
        self.message_text = message.text if message else ""
        self.message_level = message.level if message else "info"

    def forget_local_state(self) -> None:
        """Close the produce picker, empty keypads and the PIN pad."""
        for screen in self.ids.sm.screens:
            screen.forget()
        self.overlay.pin_pad.reset()

    def screen(self, name: str) -> KioskScreen:
        """The screen widget called `name` (for tests)."""
        screen: KioskScreen = self.ids.sm.get_screen(name)
        return screen

    def toggle_contrast(self) -> None:
        self.emit(ToggleContrast())

    def toggle_language(self) -> None:
        self.emit(ToggleLanguage())

    def logout(self) -> None:
        self.emit(AttendantLogout())

    def open_staff_panel(self) -> None:
        self.emit(StaffPanel(open=True))

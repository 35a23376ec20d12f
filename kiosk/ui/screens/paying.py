"""The paying screen (rules in paying.kv): the amount, what the card terminal wants in big
words with a picture of it, the terminal's own text small, and Cancel while that still works.
"""

from __future__ import annotations

from kivy.clock import Clock
from kivy.graphics import Color, Ellipse, Line, Rectangle, RoundedRectangle, Triangle
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.widget import Widget

from kiosk.ui import theme
from kiosk.ui.intents import Cancel
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.viewmodel import LaneView

# Which picture each terminal status gets: the shape tells it apart, never the colour alone.
ICON_FOR_KIND = {
    "insert_card": "card_in",
    "enter_pin": "keypad",
    "pin_wrong": "keypad_cross",
    "wait": "hourglass",
    "connecting": "hourglass",
    "aborting": "hourglass",
    "remove_card": "card_out",
    "approved": "tick",
    "declined": "cross",
    "card_unreadable": "cross",
    "other": "card_in",
}


class PaymentIcon(Widget):
    """A picture of what the terminal asks for (`kind` is a PayingView.status_kind), drawn
    with canvas shapes in a square that fills the widget's shorter side."""

    kind = StringProperty("insert_card")
    icon = StringProperty("card_in")  # the picture drawn (for tests)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        # Drawn once per frame after the layout settled: pos and size change in steps while a
        # screen is first laid out, and a picture drawn at a step in between stays there.
        self._trigger = Clock.create_trigger(self._redraw, -1)
        self.bind(pos=self._trigger, size=self._trigger, kind=self._trigger)
        self._trigger()

    def _redraw(self, *_args: object) -> None:
        self.icon = ICON_FOR_KIND.get(self.kind, "card_in")
        self.canvas.clear()
        side = min(self.width, self.height)
        if side <= 0:
            return
        x0, y0 = self.center_x - side / 2, self.center_y - side / 2
        draw = getattr(self, f"_draw_{self.icon}")
        with self.canvas:
            draw(x0, y0, side)

    # Each _draw_* draws inside the square (x0, y0, side); u is one hundredth of the side.

    # Colours come from the palette at drawing time (the window rebuilds its widgets when the
    # shopper switches to high contrast): the body in the text colour stands out on both grounds.

    def _terminal(self, x0: float, y0: float, u: float) -> None:
        """The card terminal: a body in the text colour with a small screen."""
        Color(*theme.TEXT)
        RoundedRectangle(pos=(x0 + 22 * u, y0 + 4 * u), size=(56 * u, 54 * u), radius=[6 * u])
        Color(*theme.SURFACE)
        Rectangle(pos=(x0 + 30 * u, y0 + 34 * u), size=(40 * u, 16 * u))

    def _card(self, x: float, y: float, u: float) -> None:
        """A bank card standing upright (its chip shows), bottom-left corner at (x, y)."""
        Color(*theme.ACCENT)
        RoundedRectangle(pos=(x, y), size=(36 * u, 40 * u), radius=[4 * u])
        # A gold chip; where the palette's accent is that yellow already, a dark one.
        Color(*(theme.HELP if theme.HELP != theme.ACCENT else theme.text_on(theme.ACCENT)))
        RoundedRectangle(pos=(x + 8 * u, y + 22 * u), size=(12 * u, 10 * u), radius=[2 * u])

    def _arrow(self, x: float, y_from: float, y_to: float, u: float) -> None:
        """A thick vertical arrow from y_from to y_to at x."""
        Color(*theme.TEXT)
        Line(points=[x, y_from, x, y_to], width=max(1.0, 2.5 * u))
        head = 7 * u if y_to > y_from else -7 * u
        Triangle(points=[x - 7 * u, y_to, x + 7 * u, y_to, x, y_to + head])

    def _draw_card_in(self, x0: float, y0: float, side: float) -> None:
        u = side / 100
        self._card(x0 + 32 * u, y0 + 52 * u, u)
        self._terminal(x0, y0, u)
        self._arrow(x0 + 84 * u, y0 + 96 * u, y0 + 66 * u, u)

    def _draw_card_out(self, x0: float, y0: float, side: float) -> None:
        u = side / 100
        self._card(x0 + 32 * u, y0 + 50 * u, u)
        self._terminal(x0, y0, u)
        self._arrow(x0 + 84 * u, y0 + 60 * u, y0 + 94 * u, u)
        # A fist holding the card's top edge (above the chip): the back of the hand and four
        # fingers curled over the card.
        Color(*theme.TEXT_MUTED)
        RoundedRectangle(pos=(x0 + 29 * u, y0 + 91 * u), size=(42 * u, 9 * u), radius=[4 * u])
        for i in range(4):
            RoundedRectangle(pos=(x0 + (31 + 10 * i) * u, y0 + 84 * u), size=(8 * u, 12 * u),
                             radius=[4 * u])

    def _draw_keypad(self, x0: float, y0: float, side: float) -> None:
        u = side / 100
        Color(*theme.TEXT)
        RoundedRectangle(pos=(x0 + 18 * u, y0 + 2 * u), size=(64 * u, 96 * u), radius=[8 * u])
        Color(*theme.SURFACE)
        for row in range(4):
            for col in range(3):
                RoundedRectangle(pos=(x0 + (25 + 18 * col) * u, y0 + (8 + 20 * row) * u),
                                 size=(14 * u, 14 * u), radius=[3 * u])
        Color(*theme.PAY)
        Ellipse(pos=(x0 + 45 * u, y0 + 10 * u), size=(10 * u, 10 * u))

    def _draw_keypad_cross(self, x0: float, y0: float, side: float) -> None:
        self._draw_keypad(x0, y0, side)
        u = side / 100
        self._badge(x0 + 58 * u, y0 + 58 * u, 40 * u, tick=False)

    def _badge(self, x: float, y: float, size: float, *, tick: bool) -> None:
        """A round badge with a tick or a cross (on green or red; the shape says it)."""
        ground = theme.PAY if tick else theme.DANGER
        Color(*ground)
        Ellipse(pos=(x, y), size=(size, size))
        Color(*theme.text_on(ground))
        s, w = size / 100, max(1.5, size / 14)
        if tick:
            Line(points=[x + 24 * s, y + 50 * s, x + 43 * s, y + 30 * s, x + 76 * s, y + 70 * s],
                 width=w, joint="round", cap="round")
        else:
            Line(points=[x + 30 * s, y + 30 * s, x + 70 * s, y + 70 * s], width=w, cap="round")
            Line(points=[x + 30 * s, y + 70 * s, x + 70 * s, y + 30 * s], width=w, cap="round")

    def _draw_tick(self, x0: float, y0: float, side: float) -> None:
        self._badge(x0 + 4, y0 + 4, side - 8, tick=True)

    def _draw_cross(self, x0: float, y0: float, side: float) -> None:
        self._badge(x0 + 4, y0 + 4, side - 8, tick=False)

    def _draw_hourglass(self, x0: float, y0: float, side: float) -> None:
        u = side / 100
        left, right, mid = x0 + 24 * u, x0 + 76 * u, x0 + 50 * u
        top, bottom, waist = y0 + 90 * u, y0 + 10 * u, y0 + 50 * u
        Color(*theme.TEXT)
        Rectangle(pos=(left - 6 * u, top), size=(64 * u, 6 * u))
        Rectangle(pos=(left - 6 * u, bottom - 6 * u), size=(64 * u, 6 * u))
        Line(points=[left, top, mid - 3 * u, waist, left, bottom], width=max(1.0, 2 * u))
        Line(points=[right, top, mid + 3 * u, waist, right, bottom], width=max(1.0, 2 * u))
        Color(*theme.HELP)  # sand: a little left above, a heap below
        Triangle(points=[left + 14 * u, top - 22 * u, right - 14 * u, top - 22 * u,
                         mid, waist + 4 * u])
        Triangle(points=[left + 4 * u, bottom + 2 * u, right - 4 * u, bottom + 2 * u,
                         mid, bottom + 26 * u])


class PayingScreen(KioskScreen):
    amount_text = StringProperty("")
    status_text = StringProperty("")
    status_kind = StringProperty("insert_card")
    terminal_text = StringProperty("")
    approved = BooleanProperty(False)
    can_cancel = BooleanProperty(False)

    def show(self, view: LaneView) -> None:
        p = view.paying
        self.amount_text = p.amount_text if p else view.total_text
        self.approved = p.approved if p else False
        # An older controller says only `approved`: the tick follows it.
        self.status_kind = "approved" if self.approved else (p.status_kind if p else "connecting")
        self.status_text = p.status_text if p else ""
        self.terminal_text = p.terminal_text if p else ""
        self.can_cancel = p.can_cancel if p else False

    def cancel(self) -> None:
        self.emit(Cancel())

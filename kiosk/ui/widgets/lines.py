"""The basket's line list (rules in lines.kv): one row per line, deposit rows indented.

The list is rebuilt from the view only when the lines changed; after a line is added it
scrolls to the newest line, which is the one the shopper is looking for.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from kivy.clock import Clock
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.scrollview import ScrollView

from kiosk.ui.intents import ChangeQuantity, Intent, RequestVoid
from kiosk.ui.lookup import initials
from kiosk.ui.strings import t
from kiosk.ui.viewmodel import LineView

Emit = Callable[[Intent], None]


class LineRow(BoxLayout):
    """One line. `editable` rows get - / + and Remove buttons (the basket, not the receipt)."""

    line_id = NumericProperty(0)
    name = StringProperty("")
    detail = StringProperty("")
    amount = StringProperty("")
    age_text = StringProperty("")
    quantity = NumericProperty(1)
    is_deposit = BooleanProperty(False)
    voided = BooleanProperty(False)
    can_change_quantity = BooleanProperty(False)
    can_decrease = BooleanProperty(False)
    can_remove = BooleanProperty(False)
    picture = StringProperty("")  # an existing image file, or "" for the initials tile
    initials = StringProperty("")
    emit = ObjectProperty(None, allownone=True)

    def change_quantity(self, delta: int) -> None:
        quantity = int(self.quantity) + delta
        if self.emit is not None and quantity >= 1:
            self.emit(ChangeQuantity(int(self.line_id), quantity))

    def remove(self) -> None:
        if self.emit is not None:
            self.emit(RequestVoid(int(self.line_id)))


def row_for(line: LineView, lang: str, emit: Emit | None) -> LineRow:
    """A row widget for `line`; `emit` None makes it read-only (receipt)."""
    editable = emit is not None and not line.voided
    detail = t("voided", lang) if line.voided else line.qty_text
    return LineRow(
        line_id=line.line_id,
        name=line.name,
        detail=detail,
        amount=line.amount_text,
        age_text=t("age_badge", lang, n=line.age_limit) if line.age_limit else "",
        quantity=line.quantity,
        is_deposit=line.is_deposit,
        voided=line.voided,
        can_change_quantity=editable and line.can_change_quantity,
        can_decrease=editable and line.can_decrease,
        can_remove=editable and not line.is_deposit,
        # A missing picture file is a catalog slip, not a reason to show a broken image.
        picture=line.image if line.image and os.path.isfile(line.image) else "",
        initials=initials(line.name),
        emit=emit,
    )


class LineList(ScrollView):
    """A scrolling column of LineRows; `show()` builds rows only for new or changed lines.

    A row costs tens of milliseconds to build on a software renderer, so rebuilding a 20-line
    basket for every scan kept the shopper waiting a second (bench/ui_scan_to_frame.py); rows
    are kept by line id and a scan adds one.
    """

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._shown: tuple[tuple[LineView, ...], str, bool] | None = None
        self._rows: dict[int, tuple[LineView, LineRow]] = {}
        # A list shorter than the view starts at the top, whenever layout settles (a basket
        # restored at start-up is shown before the window has its final size).
        self.bind(height=self._top_when_short)

    def on_kv_post(self, base_widget: object) -> None:
        self.ids.column.bind(height=self._top_when_short)

    def _top_when_short(self, *_args: object) -> None:
        if self.ids.column.height <= self.height:
            self.scroll_y = 1

    def show(self, lines: tuple[LineView, ...], lang: str, emit: Emit | None) -> None:
        """Display `lines` in `lang`; rows get buttons when `emit` is given."""
        key = (lines, lang, emit is not None)
        if key == self._shown:
            return
        grew = self._shown is None or len(lines) > len(self._shown[0])
        if self._shown is None or self._shown[1:] != key[1:]:
            self._rows = {}  # another language or mode: every row's text changes
        self._shown = key
        kept = self._rows
        self._rows = {}
        target: list[LineRow] = []
        for line in lines:
            old = kept.get(line.line_id)
            row = old[1] if old is not None and old[0] == line else row_for(line, lang, emit)
            self._rows[line.line_id] = (line, row)
            target.append(row)
        self._place(target)
        if grew:
            # After layout: the newest line (at the bottom) in view once the list overflows.
            Clock.schedule_once(lambda _dt: self._scroll_to_end(), 0)

    def _place(self, target: list[LineRow]) -> None:
        """Make the column hold exactly `target`, top to bottom, touching only what moved."""
        column = self.ids.column
        if list(reversed(column.children)) == target:
            return
        wanted = set(map(id, target))
        for widget in list(column.children):
            if id(widget) not in wanted:
                column.remove_widget(widget)
        for position, row in enumerate(target):
            current = list(reversed(column.children))
            if position < len(current) and current[position] is row:
                continue
            if row.parent is not None:
                column.remove_widget(row)
            # GridLayout lays children out last-first: index len - position puts `row` there.
            column.add_widget(row, index=len(column.children) - position)

    def _scroll_to_end(self) -> None:
        column = self.ids.column
        self.scroll_y = 0 if column.height > self.height else 1

    def rows(self) -> list[LineRow]:
        """The row widgets, top to bottom (for tests and the attendant's void)."""
        return list(reversed(self.ids.column.children))

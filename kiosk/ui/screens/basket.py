"""The basket screen (rules in basket.kv): lines on the left, totals and actions on the right.

The left side shows either the basket's lines or the "Obst & Gemüse" picker; which one is the
screen's own state (looking at produce commits nothing), and it returns to the lines whenever
the basket changes.
"""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.label import Label

from kiosk.ui.intents import Help, Pay, SkipBagging
from kiosk.ui.screens.base import Emit, KioskScreen
from kiosk.ui.strings import t
from kiosk.ui.viewmodel import LaneView
from kiosk.ui.widgets.lines import LineList
from kiosk.ui.widgets.produce import ProducePicker


class SmallRow(Label):
    """A row in the totals panel's small print (VAT, discounts): left text, right amount."""

    amount = StringProperty("")


class BasketScreen(KioskScreen):
    items_text = StringProperty("")
    total_text = StringProperty("")
    deposit_text = StringProperty("")
    can_pay = BooleanProperty(False)
    has_produce = BooleanProperty(False)
    can_skip_bagging = BooleanProperty(False)
    empty = BooleanProperty(True)
    picking = BooleanProperty(False)
    # The picker's keyboard is up: the left column widens so its keys stay at least 9 mm wide
    # on a 7" panel, and the right column keeps only Pay and Help.
    typing = BooleanProperty(False)

    def __init__(self, emit: Emit, **kwargs: object) -> None:
        # Built before super().__init__, whose kv rule calls on_kv_post to place them.
        self.line_list = LineList()
        self.picker = ProducePicker(emit=emit, leave=self.show_lines)
        self._lines_key: object = None
        self._bag_line_id: int | None = None
        self._small_key: object = None
        super().__init__(emit, **kwargs)
        self.picker.bind(typing=self._follow_typing)
        self.bind(picking=self._follow_typing)

    def _follow_typing(self, *_args: object) -> None:
        self.typing = self.picking and self.picker.typing

    def on_kv_post(self, base_widget: object) -> None:
        self.ids.left.add_widget(self.line_list)

    def show(self, view: LaneView) -> None:
        lang = view.lang
        n = view.item_count
        self.items_text = t("items_one", lang) if n == 1 else t("items_many", lang, n=n)
        self.total_text = view.total_text
        self.deposit_text = view.deposit_text
        self.can_pay = view.can_pay
        self.has_produce = bool(view.produce)
        self.can_skip_bagging = view.can_skip_bagging
        self._bag_line_id = view.bag_line_id
        self.empty = not view.lines
        self.line_list.show(view.lines, lang, self.emit)
        self.picker.show(view.produce)
        if view.lines != self._lines_key:
            self._lines_key = view.lines
            self.show_lines()
        self._show_small_print(view)

    def _show_small_print(self, view: LaneView) -> None:
        key = (view.discount_rows, view.vat_rows, view.lang)
        if key == self._small_key:
            return
        self._small_key = key
        box = self.ids.small_print
        box.clear_widgets()
        for d in view.discount_rows:
            box.add_widget(SmallRow(text=d.label, amount=d.amount_text))
        vat = t("vat_title", view.lang)
        for v in view.vat_rows:
            box.add_widget(SmallRow(text=f"{vat} {v.label}", amount=v.vat_text))

    def forget(self) -> None:
        self.picker.ids.pad.value = ""
        self.show_lines()

    def show_produce(self) -> None:
        """Swap the lines for the produce picker (no intent: nothing changes in the basket)."""
        if not self.picking:
            self.picking = True
            self.ids.left.clear_widgets()
            self.ids.left.add_widget(self.picker)

    def show_lines(self) -> None:
        if self.picking:
            self.picking = False
            self.ids.left.clear_widgets()
            self.ids.left.add_widget(self.line_list)

    def pay(self) -> None:
        self.emit(Pay())

    def skip_bagging(self) -> None:
        if self._bag_line_id is not None:
            self.emit(SkipBagging(self._bag_line_id))

    def help(self) -> None:
        self.emit(Help())

"""The weighing screen (rules in weighing.kv): loose produce waiting for its weight.

With a scale fitted the screen shows its live weight and the lane prices the first stable legal
reading by itself: nothing is typed. Without one (or with the demo's simulated scale) an
on-screen keypad takes grams, previewing the price with the checkout's rounding.
"""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk.domain.money import format_eur, price_for_weight
from kiosk.ui.intents import Cancel, WeightEntered
from kiosk.ui.screens.base import Emit, KioskScreen
from kiosk.ui.strings import t
from kiosk.ui.viewmodel import LaneView, WeighingView

MAX_DEMO_WEIGHT_G = 99_999  # the pad takes five digits; a shop scale tops out well below


class WeighingScreen(KioskScreen):
    product_name = StringProperty("")
    price_text = StringProperty("")
    plu_text = StringProperty("")
    preview_text = StringProperty("")
    entry = StringProperty("manual")  # WeighingView.entry: manual | simulated | scale
    live_text = StringProperty("")
    steady_text = StringProperty("")  # "wait, weighing" while the scale's weight still moves

    def __init__(self, emit: Emit, **kwargs: object) -> None:
        self._weighing: WeighingView | None = None
        self._lang = "de"
        super().__init__(emit, **kwargs)

    def on_kv_post(self, base_widget: object) -> None:
        self.ids.pad.bind(value=lambda _pad, _value: self._preview())

    def show(self, view: LaneView) -> None:
        if view.weighing != self._weighing:
            self.ids.pad.value = ""  # a new product starts with an empty entry
        self._weighing = view.weighing
        self._lang = view.lang
        w = view.weighing
        self.product_name = w.product_name if w else ""
        self.price_text = w.price_per_kg_text if w else ""
        self.plu_text = f"PLU {w.plu}" if w and w.plu else ""
        self.entry = w.entry if w else "manual"
        if w and w.weight_text:
            self.live_text = f"{w.weight_text} = {w.amount_text}" if w.steady else w.weight_text
        else:
            self.live_text = ""
        self.steady_text = t("weigh_wait", view.lang) if w and not w.steady else ""
        self._preview()

    def forget(self) -> None:
        self.ids.pad.value = ""

    def _preview(self) -> None:
        w = self._weighing
        grams = self.grams()
        if w is None or grams is None:
            self.preview_text = ""
            return
        amount = price_for_weight(w.price_per_kg_cents, grams)
        kg = f"{grams / 1000:.3f}".replace(".", "," if self._lang == "de" else ".")
        self.preview_text = f"{kg} kg = {format_eur(amount, self._lang)}"

    def grams(self) -> int | None:
        """The grams typed so far, None when nothing (or zero) was typed."""
        value = self.ids.pad.value
        grams = int(value) if value.isdigit() else 0
        return grams if 0 < grams <= MAX_DEMO_WEIGHT_G else None

    def confirm(self) -> None:
        grams = self.grams()
        if grams is not None:
            self.emit(WeightEntered(grams))

    def cancel(self) -> None:
        self.ids.pad.value = ""
        self.emit(Cancel())

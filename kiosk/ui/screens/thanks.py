"""The thanks screen (rules in thanks.kv): the receipt summary, the total, and Done."""

from __future__ import annotations

from kivy.properties import StringProperty

from kiosk.ui.intents import Finish
from kiosk.ui.screens.base import Emit, KioskScreen
from kiosk.ui.strings import t
from kiosk.ui.viewmodel import LaneView
from kiosk.ui.widgets.lines import LineList


class ThanksScreen(KioskScreen):
    total_text = StringProperty("")
    thanks_text = StringProperty("")
    receipt_text = StringProperty("")
    vat_text = StringProperty("")

    def __init__(self, emit: Emit, **kwargs: object) -> None:
        self.receipt = LineList()  # before super().__init__, whose kv rule places it
        super().__init__(emit, **kwargs)

    def on_kv_post(self, base_widget: object) -> None:
        self.ids.receipt_box.add_widget(self.receipt)

    def show(self, view: LaneView) -> None:
        self.total_text = view.total_text
        self.thanks_text = view.thanks_text
        self.receipt_text = view.receipt_text
        net, vat, gross = (t(k, view.lang) for k in ("vat_net", "vat_title", "vat_gross"))
        self.vat_text = "\n".join(
            f"{v.label}    {net} {v.net_text}    {vat} {v.vat_text}    {gross} {v.gross_text}"
            for v in view.vat_rows
        )
        # Read-only rows: no emit, so no - / + / Remove on a finished sale.
        self.receipt.show(tuple(x for x in view.lines if not x.voided), view.lang, None)

    def finish(self) -> None:
        self.emit(Finish())

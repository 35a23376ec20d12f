"""The thanks screen (rules in thanks.kv): the receipt summary, the total, the receipt choice
(print / e-receipt / none) and Done.

Once the shopper chose, the choice's outcome shows instead of the buttons: the note ("Ihr Beleg
wird gedruckt.") and, for an e-receipt, its QR code big in the left panel, where the receipt
summary was (the e-receipt is that summary), so a phone can read it at arm's length.
"""

from __future__ import annotations

from kivy.properties import BooleanProperty, ListProperty, StringProperty

from kiosk.ui.intents import ChooseReceipt, Finish
from kiosk.ui.screens.base import Emit, KioskScreen
from kiosk.ui.strings import t
from kiosk.ui.viewmodel import LaneView
from kiosk.ui.widgets.lines import LineList
from kiosk.ui.widgets.qr import QrCode  # noqa: F401  (thanks.kv places one)

RECEIPT_KINDS = ("print", "qr", "none")  # the order the buttons stand in


class ThanksScreen(KioskScreen):
    total_text = StringProperty("")
    thanks_text = StringProperty("")
    receipt_text = StringProperty("")
    vat_text = StringProperty("")
    receipt_options = ListProperty([])  # offered now, in RECEIPT_KINDS order
    receipt_choice = StringProperty("")
    receipt_qr = StringProperty("")
    receipt_note = StringProperty("")
    choosing = BooleanProperty(False)  # the receipt buttons show

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
        self.receipt_options = [k for k in RECEIPT_KINDS if k in view.receipt_options]
        self.receipt_choice = view.receipt_choice
        self.receipt_qr = view.receipt_qr
        self.receipt_note = view.receipt_note
        self.choosing = bool(self.receipt_options) and not view.receipt_choice

    def choose(self, kind: str) -> None:
        self.emit(ChooseReceipt(kind))

    def finish(self) -> None:
        self.emit(Finish())

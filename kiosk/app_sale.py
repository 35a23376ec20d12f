"""The lane's view of paying and of the receipt, beyond what the checkout itself holds: the
terminal's live prompt, the thank-you screen's receipt choice, the loyalty card line, and the
attendant's reprint of the last receipt. Functions over a kiosk.app_lane.LaneController, so the
composition root stays a wiring module.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from kiosk.domain import commands as cmd
from kiosk.journal.sales import SaleRecord, get_sale, latest_sales
from kiosk.ui.present import image_path, paying_view, payment_failure_text
from kiosk.ui.strings import t
from kiosk.ui.viewmodel import LaneView, MessageView


def sale_extras(lane: Any, view: LaneView) -> LaneView:
    """`view` with the terminal's prompt while paying, the receipt choice on the thanks screen,
    the loyalty card on the basket, and "reprint" among the attendant's lane actions."""
    co = lane.checkout
    if view.lines:
        view = replace(view, lines=tuple(replace(x, image=_picture(lane, x.line_id))
                                         for x in view.lines))
    prompt = lane.payments.prompt if lane.payments is not None else None
    if view.paying is not None and prompt is not None:
        view = replace(view, paying=paying_view(co.pending_payment, lane.lang, kind=prompt[0],
                                                terminal_text=prompt[1]))
    if view.screen == "thanks" and co.last_sale:
        fields = lane.receipts.fields(co.last_sale)
        note = fields.pop("note_key")
        view = replace(view, receipt_note=t(note, lane.lang) if note else "", **fields)
    if co.loyalty_card:
        view = replace(view, loyalty_text=t("loyalty_on_basket", lane.lang,
                                            last=co.loyalty_card[-4:]))
    if co.session is not None and lane.receipts.can_print and last_sale(lane) is not None:
        view = replace(view, lane_actions=(*view.lane_actions, "reprint_receipt"))
    return view


def _picture(lane: Any, line_id: int) -> str:
    """The catalog picture of a basket line's product (remembered per sku: the catalog does
    not change under an open basket, and a basket redraws on every scan)."""
    sku = _sku_of(lane.checkout, line_id)
    if not sku:
        return ""
    pictures: dict[str, str] = lane.pictures
    if sku not in pictures:
        product = lane.catalog.by_sku(sku)
        pictures[sku] = image_path(product.image) if product is not None else ""
    return pictures[sku]


def _sku_of(co: Any, line_id: int) -> str:
    """The sku of a shown line: the open basket's, or the sale's on the thanks screen."""
    for line in co.basket.lines:
        if line.line_id == line_id:
            return str(line.sku)
    for line in (co.last_sale or {}).get("lines") or ():
        if line.get("line_id") == line_id:
            return str(line.get("sku") or "")
    return ""


def payment_failure(outcome: str, result_code: int | None, lang: str) -> str:
    """The basket's banner after a payment that did not go through ("unreachable": the
    terminal could not even be asked)."""
    if outcome == "unreachable":
        return t("pay_fail_unreachable", lang)
    return payment_failure_text(outcome, result_code, lang)


def choose_receipt(lane: Any, kind: str) -> None:
    """The shopper's receipt choice on the thanks screen: print, QR e-receipt or none."""
    sale = lane.checkout.last_sale
    if sale is None:
        return
    record = get_sale(lane.durable.db, str(sale.get("sale_id", "")))
    lane.receipts.choose(kind, sale, record.seq if record else None, lane.lang)


def last_sale(lane: Any) -> SaleRecord | None:
    records = latest_sales(lane.durable.db, lane.checkout.lane_id, 1)
    return records[0] if records else None


def reprint_last(lane: Any) -> None:
    """The attendant's reprint: journaled (who, which sale) first, then printed as a copy."""
    record = last_sale(lane)
    lane._execute(cmd.ReprintReceipt(sale_id=record.sale_id if record else ""))
    if record is None or lane.message is not None:
        return  # refused (not logged in, nothing sold yet): the message says why
    lang = lane.lang

    def done(problem: str) -> None:
        lane.message = MessageView(
            level="error" if problem else "info",
            text=t("reprint_failed", lang, reason=problem) if problem
            else t("reprint_printed", lang))

    lane.receipts.reprint(record.sale, record.seq, lang, done)

"""The customer receipt as lines for a receipt printer: a German store receipt (or English).

`layout_receipt(sale, ...)` lays out a finished sale (`checkout_sale.sale_record`) for a printer
of `columns` characters (42 or 48): store header, one line per item with its amount and VAT
letter (A 19 %, B 7 %), quantity and weight details beneath, deposit (Pfand) lines, promotions
and coupons as negative lines, the total in double size, the VAT table per rate (net, VAT,
gross), the payments with the card terminal's data, lane, receipt number and time, the space for
the fiscal (TSE) QR code that KassenSichV requires on every receipt, an e-receipt QR, footer, cut.

Voided lines are not printed: they were corrected in the open basket before payment, so they
were never sold; the journal and the audit keep them. Amounts on item lines are euros without
the sign (as on German receipts); the total carries the currency. Pure: no clock, no I/O; the
time printed is the sale's own `finished_at`, shown in `tz` when given.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from kiosk.domain.money import format_eur, price_for_weight

KINDS = ("text", "rule", "qr", "feed", "cut")


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    """One printer line. `kind` is text, rule (`text` = its char), qr (`text` = the data), feed
    (`text` = how many lines) or cut; `size` is "normal" or "double" (half the columns);
    `align` left, center or right."""

    kind: str
    text: str = ""
    bold: bool = False
    align: str = "left"
    size: str = "normal"


@dataclass(frozen=True, slots=True)
class StoreHeader:
    """The store's lines at the top (name, address, VAT id) and the footer's lines."""

    name: str
    address: tuple[str, ...] = ()
    vat_id: str = ""
    footer: tuple[str, ...] = ()


TEXTS: dict[str, dict[str, str]] = {
    "copy": {"de": "KOPIE / COPY", "en": "KOPIE / COPY"},
    "vat_id": {"de": "USt-IdNr. {id}", "en": "VAT ID {id}"},
    "currency": {"de": "EUR", "en": "EUR"},
    "deposit": {"de": "Pfand", "en": "Deposit"},
    "discount": {"de": "Rabatt", "en": "Discount"},
    "total": {"de": "SUMME", "en": "TOTAL"},
    "vat_head": {"de": "MwSt", "en": "VAT"},
    "net": {"de": "Netto", "en": "Net"},
    "vat": {"de": "MwSt", "en": "VAT"},
    "gross": {"de": "Brutto", "en": "Gross"},
    "paid": {"de": "Gegeben {method}", "en": "Paid {method}"},
    "method_card": {"de": "Karte", "en": "Card"},
    "method_cash": {"de": "Bar", "en": "Cash"},
    "terminal": {"de": "Terminal-ID {id}", "en": "Terminal ID {id}"},
    "trace": {"de": "Trace-Nr. {no}", "en": "Trace no. {no}"},
    "card_receipt": {"de": "Beleg-Nr. {no}", "en": "Receipt no. {no}"},
    "lane": {"de": "Kasse {lane}", "en": "Lane {lane}"},
    "seq": {"de": "Bon-Nr. {seq}", "en": "Receipt {seq}"},
    "sale": {"de": "Vorgang {id}", "en": "Sale {id}"},
    "loyalty": {"de": "Kundenkarte ···{last}", "en": "Loyalty card ···{last}"},
    "items": {"de": "{count} Artikel", "en": "{count} items"},
    "tse": {"de": "TSE-Signatur", "en": "TSE signature"},
    "tse_pending": {"de": "TSE-Daten folgen (KassenSichV)",
                    "en": "TSE data follows (KassenSichV)"},
    "e_receipt": {"de": "Ihr E-Bon:", "en": "Your e-receipt:"},
    "thanks": {"de": "Vielen Dank für Ihren Einkauf!", "en": "Thank you for shopping with us!"},
}


def _t(key: str, lang: str, **values: object) -> str:
    texts = TEXTS[key]
    return (texts.get(lang) or texts["de"]).format(**values)


def _amount(cents: int, lang: str) -> str:
    """Euros without the sign: "1,29" (de), "1.29" (en); negative with a minus."""
    return format_eur(cents, lang).replace("€", "").strip()


def _kg(weight_g: int, lang: str) -> str:
    whole, grams = divmod(weight_g, 1000)
    return f"{whole}{',' if lang == 'de' else '.'}{grams:03d}"


def _name(names: Any, lang: str) -> str:
    if not isinstance(names, Mapping) or not names:
        return ""
    return str(names.get(lang) or names.get("de") or next(iter(names.values())))


def _fit(text: str, width: int) -> list[str]:
    """`text` wrapped to `width`, a word longer than that broken; never empty."""
    return textwrap.wrap(text, max(1, width), break_long_words=True) or [""]


def two_columns(left: str, right: str, width: int) -> list[str]:
    """`left` wrapped, with `right` flush right on its last line (or on a line of its own)."""
    rows = _fit(left, width)
    if len(rows[-1]) + 1 + len(right) <= width:
        rows[-1] = rows[-1] + " " * (width - len(rows[-1]) - len(right)) + right
    else:
        rows.append(right[:width].rjust(width))
    return rows


def _format_time(at: Any, tz: tzinfo | None, lang: str, seconds: bool = True) -> str:
    try:
        when = datetime.fromisoformat(str(at))
    except ValueError:
        return str(at)  # a malformed time is printed as stored rather than hiding the receipt
    if tz is not None:
        when = when.astimezone(tz)
    clock = "%H:%M:%S" if seconds else "%H:%M"
    return when.strftime(("%d.%m.%Y " if lang == "de" else "%Y-%m-%d ") + clock)


class _Doc:
    """Collects ReceiptLines for a printer `columns` wide."""

    def __init__(self, columns: int) -> None:
        self.columns = columns
        self.lines: list[ReceiptLine] = []

    def text(self, text: str, *, bold: bool = False, align: str = "left",
             size: str = "normal") -> None:
        width = self.columns // 2 if size == "double" else self.columns
        for row in _fit(text, width):
            self.lines.append(ReceiptLine("text", row, bold, align, size))

    def pair(self, left: str, right: str, *, bold: bool = False, size: str = "normal") -> None:
        width = self.columns // 2 if size == "double" else self.columns
        for row in two_columns(left, right, width):
            self.lines.append(ReceiptLine("text", row, bold, "left", size))

    def add(self, kind: str, text: str = "") -> None:
        self.lines.append(ReceiptLine(kind, text, align="center" if kind == "qr" else "left"))


def _item_lines(doc: _Doc, line: Mapping[str, Any], lang: str) -> None:
    """One basket line: name and amount with its VAT letter, then quantity or weight."""
    name = _name(line.get("names"), lang) or str(line.get("sku", ""))
    if line.get("deposit_of") is not None and _t("deposit", lang).lower() not in name.lower():
        name = f"{_t('deposit', lang)} {name}"
    unit = int(line.get("unit_price_cents") or 0)
    quantity = int(line.get("quantity") or 1)
    weight_g, override = line.get("weight_g"), line.get("price_override_cents")
    if override is not None:
        amount = int(override) * quantity
    elif weight_g is not None:
        amount = price_for_weight(unit, int(weight_g))
    else:
        amount = unit * quantity
    doc.pair(name, f"{_amount(amount, lang)} {line.get('vat_rate', '')}".rstrip())
    if weight_g is not None:
        per_kg = format_eur(unit, lang) + "/kg"
        doc.text(f"  {_kg(int(weight_g), lang)} kg x {per_kg}")
    elif quantity > 1:
        each = _amount(int(override) if override is not None else unit, lang)
        doc.text(f"  {quantity} x {each}")


def _vat_table(doc: _Doc, rows: Sequence[Mapping[str, Any]], lang: str) -> None:
    """MwSt / Netto / MwSt / Brutto, one row per rate, amounts right-aligned in equal columns."""
    label_w = 8
    col_w = (doc.columns - label_w) // 3

    def row(label: str, cells: Sequence[str]) -> str:
        return label[:label_w].ljust(label_w) + "".join(c[:col_w].rjust(col_w) for c in cells)

    doc.text(row(_t("vat_head", lang), [_t("net", lang), _t("vat", lang), _t("gross", lang)]))
    for r in rows:
        label = f"{r.get('rate', '')} {r.get('percent', '')} %"
        doc.text(row(label, [_amount(int(r.get(k) or 0), lang)
                             for k in ("net_cents", "vat_cents", "gross_cents")]))


def _payment_lines(doc: _Doc, payment: Mapping[str, Any], tz: tzinfo | None,
                   lang: str) -> None:
    method = str(payment.get("method") or "")
    key = f"method_{method}"
    shown = _t(key, lang) if key in TEXTS else method
    doc.pair(_t("paid", lang, method=shown), format_eur(int(payment.get("amount_cents") or 0),
                                                        lang))
    terminal = payment.get("terminal")
    if not isinstance(terminal, Mapping):
        return
    card = " ".join(str(terminal[k]) for k in ("card_name", "masked_pan") if terminal.get(k))
    if card:
        doc.text(f"  {card}")
    ids = [_t(key, lang, **{arg: terminal[field]}) for key, field, arg in (
        ("terminal", "terminal_id", "id"), ("trace", "trace_number", "no"),
        ("card_receipt", "receipt_number", "no")) if terminal.get(field) not in (None, "")]
    for text in ids:
        doc.text(f"  {text}")
    if terminal.get("booked_at"):
        doc.text(f"  {_format_time(terminal['booked_at'], tz, lang)}")


def _identity(doc: _Doc, sale: Mapping[str, Any], lane_name: str, seq: int | None,
              tz: tzinfo | None, lang: str) -> None:
    """Lane and receipt number, the sale's time and the start of its id."""
    doc.pair(_t("lane", lang, lane=lane_name), _t("seq", lang, seq=seq) if seq is not None else "")
    if sale.get("finished_at"):
        doc.text(_format_time(sale["finished_at"], tz, lang))
    if sale.get("sale_id"):
        doc.text(_t("sale", lang, id=str(sale["sale_id"])[:8].upper()))
    if sale.get("loyalty_card"):  # only its last digits: a receipt is often left behind
        doc.text(_t("loyalty", lang, last=str(sale["loyalty_card"])[-4:]))


def layout_receipt(sale: Mapping[str, Any], *, store: StoreHeader, lane_name: str,
                   seq: int | None, tz: tzinfo | None = None, lang: str = "de",
                   columns: int = 48, fiscal_qr: str | None = None,
                   e_receipt_url: str | None = None, copy: bool = False
                   ) -> tuple[ReceiptLine, ...]:
    """The receipt for `sale` (a `sale_record` dict) as printer lines, none longer than
    `columns` (`columns // 2` for double size). `seq` is the lane's sale sequence number;
    `fiscal_qr` the TSE QR data (without it a line says the TSE data follows);
    `copy` marks a reprint."""
    doc = _Doc(columns)
    if copy:
        doc.text(_t("copy", lang), bold=True, align="center", size="double")
    doc.text(store.name, bold=True, align="center", size="double")
    for row in store.address:
        doc.text(row, align="center")
    if store.vat_id:
        doc.text(_t("vat_id", lang, id=store.vat_id), align="center")
    doc.add("feed", "1")
    doc.text(_t("currency", lang), align="right")
    lines = [x for x in sale.get("lines") or () if not x.get("voided_by")]
    for line in lines:
        _item_lines(doc, line, lang)
    totals = sale.get("totals") or {}
    for discount in totals.get("discounts") or ():
        label = _name(discount.get("names"), lang) or _t("discount", lang)
        doc.pair(label, f"{_amount(-int(discount.get('amount_cents') or 0), lang)} "
                        f"{discount.get('vat_rate', '')}".rstrip())
    doc.add("rule", "-")
    doc.pair(_t("total", lang), format_eur(int(totals.get("total_cents") or 0), lang),
             bold=True, size="double")
    if totals.get("item_count") is not None:
        doc.text(_t("items", lang, count=totals["item_count"]))
    doc.add("rule", "-")
    for payment in sale.get("payments") or ():
        _payment_lines(doc, payment, tz, lang)
    doc.add("rule", "-")
    _vat_table(doc, totals.get("vat") or (), lang)
    doc.add("rule", "-")
    _identity(doc, sale, lane_name, seq, tz, lang)
    doc.add("feed", "1")
    if fiscal_qr:
        doc.text(_t("tse", lang), align="center")
        doc.add("qr", fiscal_qr)
    else:  # KassenSichV: every receipt carries the TSE data; its space stays reserved here
        doc.text(_t("tse_pending", lang), align="center")
    if e_receipt_url:
        doc.add("feed", "1")
        doc.text(_t("e_receipt", lang), align="center")
        doc.add("qr", e_receipt_url)
    doc.add("feed", "1")
    for row in store.footer or (_t("thanks", lang),):
        doc.text(row, align="center")
    doc.add("cut")
    return tuple(doc.lines)

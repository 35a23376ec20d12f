"""From the checkout to what the window shows: `present(checkout, ...) -> LaneView`.

Pure (no Kivy, no clock): every amount is formatted here, once, in the shopper's language, so
the screens only copy text. German formats: "2 x 1,29 €", "0,456 kg x 2,99 €/kg", VAT rows
"A 19 %". The thanks screen reads the finished sale record (the basket is already closed then).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from kiosk.domain.basket import Line
from kiosk.domain.catalog import Product
from kiosk.domain.checkout import Checkout
from kiosk.domain.flow import FlowState
from kiosk.domain.interventions import Block, Intervention, blocking
from kiosk.domain.money import format_eur, price_for_weight
from kiosk.domain.policy import Reason
from kiosk.domain.pricing import Totals
from kiosk.ui.staff_status import DeviceStatus, UploadStatus, device_rows, upload_text
from kiosk.ui.strings import has, t
from kiosk.ui.viewmodel import (
    DiscountRowView,
    InterventionView,
    LaneView,
    LineView,
    MessageView,
    PayingView,
    ProduceView,
    ScreenName,
    VatRowView,
    WeighingView,
)

# Where the catalog's relative picture names live (the package's data folder).
IMAGES_DIR = Path(__file__).resolve().parent.parent / "data" / "images"

SCREEN_FOR_STATE: Mapping[FlowState, ScreenName] = {
    FlowState.CLOSED: "closed",
    FlowState.IDLE: "attract",
    FlowState.SCANNING: "basket",
    FlowState.WEIGHING: "weighing",
    FlowState.PAYING: "paying",
    FlowState.FINISHING: "thanks",
    FlowState.OUT_OF_SERVICE: "out_of_service",
}


def present(
    checkout: Checkout,
    *,
    lang: str,
    message: MessageView | None = None,
    store_name: str,
    lane_name: str,
    produce: Sequence[Product] = (),
    tz: tzinfo | None = None,
    staff_panel: bool = False,
    scale_entry: str = "manual",
    live_weight_g: int | None = None,
    live_steady: bool = True,
    devices: Sequence[DeviceStatus] = (),
    upload: UploadStatus | None = None,
    now: datetime | None = None,
) -> LaneView:
    """The view of `checkout` in `lang` ("de" or "en").

    `devices` and `upload` fill the attendant panel's status (only while an attendant is
    logged in); `now` (aware UTC, default the clock) ages the oldest unsent sale.

    `produce` are the loose items offered on the "Obst & Gemüse" picker (products with a PLU;
    others are skipped); `tz` is the time zone for the receipt's time (default: the system's).
    """
    state = checkout.state
    sale = checkout.last_sale if state is FlowState.FINISHING else None
    if sale is not None:
        lines = tuple(Line.from_dict(x) for x in sale["lines"])
        totals = Totals.from_dict(sale["totals"])
    else:
        lines = checkout.basket.lines
        totals = checkout.totals()
    names = {line.line_id: line.name(lang) for line in lines}
    can_pay = (
        state is FlowState.SCANNING
        and not checkout.basket.is_empty
        and not blocking(checkout.interventions, Block.PAY)
    )
    who = checkout.attendant
    waiting = checkout.bagging.pending[0] if checkout.policy.bagging and \
        checkout.bagging.pending and state is FlowState.SCANNING else None
    if waiting is not None and message is None and not checkout.interventions:
        message = MessageView(level="info", text=t(
            "bag_item", lang, name=names.get(waiting.line_id, "")))
    return LaneView(
        bag_line_id=waiting.line_id if waiting else None,
        can_skip_bagging=waiting is not None
        and checkout.bagging.skipped < checkout.policy.skip_bagging_max,
        staff_panel=staff_panel,
        lane_actions=lane_actions(checkout) if who is not None else (),
        screen=SCREEN_FOR_STATE[state],
        lang=lang,
        store_name=store_name,
        lane_name=lane_name,
        lines=tuple(line_view(line, lang, attendant=who is not None) for line in lines),
        total_text=format_eur(totals.total_cents, lang),
        item_count=totals.item_count,
        vat_rows=vat_rows(totals, lang),
        discount_rows=discount_rows(totals, lang),
        deposit_text=format_eur(totals.deposit_cents, lang) if totals.deposit_cents else "",
        message=message,
        interventions=tuple(
            intervention_view(checkout, iv, lang, names) for iv in checkout.interventions
        ),
        attendant=who.name if who is not None else None,
        can_pay=can_pay,
        weighing=weighing_view(checkout.weighing_item, lang, entry=scale_entry,
                               live_weight_g=live_weight_g, live_steady=live_steady)
        if state is FlowState.WEIGHING else None,
        produce=produce_views(produce, lang),
        paying=paying_view(checkout.pending_payment, lang) if state is FlowState.PAYING else None,
        notice_text=notice_text(checkout.interventions, lang),
        thanks_text=t("thanks_title", lang) if sale is not None else "",
        receipt_text=receipt_text(sale, lang, tz) if sale is not None else "",
        device_rows=device_rows(devices, lang) if who is not None else (),
        upload_text=upload_text(upload, now or datetime.now(UTC), lang)
        if who is not None else "",
    )


def kg_text(weight_g: int, lang: str) -> str:
    """Grams as kilograms with three decimals: "0,456" in German, "0.456" in English."""
    whole, grams = divmod(weight_g, 1000)
    return f"{whole}{',' if lang == 'de' else '.'}{grams:03d}"


def line_view(line: Line, lang: str, *, attendant: bool = False) -> LineView:
    """One basket line; the amount is the list amount, so a voided line shows what it was.
    Fewer pieces count as a void, so only a logged-in `attendant` gets the - button."""
    unit = format_eur(line.unit_price_cents, lang)
    if line.weight_g is not None:
        unit_text = t("per_kg", lang, price=unit)
        qty_text = f"{kg_text(line.weight_g, lang)} kg x {unit_text}"
    elif line.price_override_cents is not None:
        unit_text = format_eur(line.price_override_cents, lang)
        qty_text = f"{line.quantity} x {unit_text}" if line.quantity > 1 else ""
    else:
        unit_text = unit
        qty_text = f"{line.quantity} x {unit}" if line.quantity > 1 else ""
    changeable = (not line.voided and not line.is_deposit and line.weight_g is None
                  and line.price_override_cents is None)
    return LineView(
        line_id=line.line_id,
        name=line.name(lang),
        qty_text=qty_text,
        unit_price_text=unit_text,
        amount_text=format_eur(line.list_amount_cents, lang),
        is_deposit=line.is_deposit,
        voided=line.voided,
        age_limit=line.age_limit,
        quantity=line.quantity,
        can_change_quantity=changeable,
        can_decrease=changeable and attendant,
    )


def lane_actions(checkout: Checkout) -> tuple[str, ...]:
    """What a logged-in attendant may do to the lane in its current state."""
    state = checkout.state
    if state is FlowState.CLOSED:
        return ("open_lane",)
    if state in (FlowState.IDLE, FlowState.OUT_OF_SERVICE):
        return ("close_lane",)
    if state in (FlowState.SCANNING, FlowState.WEIGHING) and not checkout.paid_cents():
        return ("cancel_basket",)
    return ()


def vat_rows(totals: Totals, lang: str) -> tuple[VatRowView, ...]:
    return tuple(
        VatRowView(
            label=t("vat_label", lang, letter=v.rate.value, percent=v.rate.percent),
            net_text=format_eur(v.net_cents, lang),
            vat_text=format_eur(v.vat_cents, lang),
            gross_text=format_eur(v.gross_cents, lang),
        )
        for v in totals.vat
    )


def discount_rows(totals: Totals, lang: str) -> tuple[DiscountRowView, ...]:
    """One row per promotion or coupon (a percent-off over several lines is one row)."""
    summed: dict[str, tuple[str, int]] = {}
    for d in totals.discounts:
        label, cents = summed.get(d.promo_id, (d.name(lang), 0))
        summed[d.promo_id] = (label, cents + d.amount_cents)
    return tuple(
        DiscountRowView(label or t("discount", lang), format_eur(-cents, lang))
        for label, cents in summed.values()
    )


def intervention_view(
    checkout: Checkout, iv: Intervention, lang: str, names: Mapping[int, str]
) -> InterventionView:
    """The overlay's entry: the shopper reads what to do; a logged-in attendant reads the
    evidence (which item, how many) and may clear it when their role allows.
    """
    who = checkout.attendant
    title = iv.title(lang)
    age = iv.evidence.get("age")
    if iv.reason is Reason.AGE_CHECK and age:
        title = f"{title} ({t('age_badge', lang, n=age)})"
    detail = evidence_text(iv, lang, names) if who is not None else ""
    if not detail:
        key = f"iv_{iv.reason.value}_detail"
        detail = t(key, lang) if has(key) else t("wait_staff", lang)
    return InterventionView(
        intervention_id=iv.intervention_id,
        title=title,
        detail=detail,
        blocks_text=blocks_text(iv.blocks, lang),
        can_clear=who is not None and checkout.policy.may_clear(who.role, iv.reason),
    )


def evidence_text(iv: Intervention, lang: str, names: Mapping[int, str]) -> str:
    """What the attendant needs to decide, from the intervention's evidence ("" if nothing)."""
    e = iv.evidence
    line_id = e.get("line_id")
    name = names.get(line_id, str(e.get("name") or e.get("sku") or "")) if line_id else ""
    if iv.reason is Reason.VOID_APPROVAL and "amount_cents" in e:
        return f"{name} – {format_eur(int(e['amount_cents']), lang)}"
    if iv.reason is Reason.QUANTITY_LIMIT:
        return t("iv_quantity_evidence", lang, name=name, quantity=e.get("quantity"),
                 limit=e.get("limit"))
    if iv.reason is Reason.DEVICE_FAULT:
        return " – ".join(str(x) for x in (e.get("device"), e.get("detail")) if x)
    if iv.reason in _BAGGING and "observed_g" in e:
        return _bagging_text(e, lang, name)
    return name


_BAGGING = (Reason.UNEXPECTED_ITEM, Reason.ITEM_REMOVED, Reason.WEIGHT_NOT_PLACED,
            Reason.WEIGHT_MISMATCH)


def _bagging_text(e: Mapping[str, Any], lang: str, name: str) -> str:
    """Bagging-area evidence in grams for the attendant (expected band, observed, change)."""
    values = {"observed": int(e["observed_g"]), "delta": int(e.get("delta_g", 0)),
              "baseline": int(e.get("baseline_g", 0))}
    if "low_g" in e:
        expected = e.get("expected_g")
        return t("iv_bagging_evidence", lang, name=name, low=e["low_g"], high=e["high_g"],
                 expected="?" if expected is None else expected, **values)
    return t("iv_bagging_change", lang, **values)


def blocks_text(blocks: Iterable[Block], lang: str) -> str:
    """ "Gesperrt: Scannen, Bezahlen" ("" when the intervention blocks nothing, like help)."""
    found = set(blocks)
    what = [t(f"blocks_{b.value}", lang) for b in (Block.SCAN, Block.PAY) if b in found]
    return t("blocks_prefix", lang, what=", ".join(what)) if what else ""


def weighing_view(item: Mapping[str, Any] | None, lang: str, *, entry: str = "manual",
                  live_weight_g: int | None = None, live_steady: bool = True,
                  ) -> WeighingView | None:
    if not item:
        return None
    item_names = item.get("names") or {}
    name = item_names.get(lang) or item_names.get("de") or str(item.get("sku", ""))
    cents = int(item.get("price_per_kg_cents") or 0)
    live = live_weight_g if live_weight_g is not None and live_weight_g > 0 else None
    return WeighingView(
        plu=str(item.get("plu") or ""),
        product_name=name,
        price_per_kg_text=t("per_kg", lang, price=format_eur(cents, lang)),
        price_per_kg_cents=cents,
        weight_text=f"{kg_text(live, lang)} kg" if live is not None else "",
        # A moving weight is shown but never priced: the price appears once it is steady.
        amount_text=format_eur(price_for_weight(cents, live), lang)
        if live is not None and live_steady else "",
        entry=entry,
        steady=live_steady,
    )


def produce_views(products: Iterable[Product], lang: str) -> tuple[ProduceView, ...]:
    """The tiles of the "item without barcode" lookup: products with a PLU, in catalog order,
    with their category in `lang` and their picture's path (see `image_path`)."""
    views = []
    for p in products:
        if p.plu is None:
            continue
        price = format_eur(p.price_cents, lang)
        views.append(ProduceView(
            plu=p.plu,
            name=p.name(lang),
            price_text=t("per_kg", lang, price=price) if p.sold_by_weight else price,
            category=category_text(p.category, lang),
            image=image_path(p.image),
        ))
    return tuple(views)


def category_text(category: str, lang: str) -> str:
    """A catalog category as shown: translated when strings.py knows it, "Sonstiges" when empty."""
    if not category.strip():
        return t("lookup_other", lang)
    key = f"category:{category}"
    return t(key, lang) if has(key) else category


def image_path(image: str | None) -> str:
    """The catalog's picture as a path: a bare or relative name is looked up in IMAGES_DIR
    (no disk access here: the tile shows initials when the file does not exist)."""
    if not image or not image.strip():
        return ""
    path = Path(image.strip())
    return str(path if path.is_absolute() else IMAGES_DIR / path)


# What the card terminal can report (hardware.payment STATUS_KINDS) plus our own "connecting"
# (the terminal has not answered yet) and "aborting" (the shopper pressed cancel).
PAYMENT_STATUS_KINDS = (
    "connecting", "insert_card", "enter_pin", "pin_wrong", "wait", "remove_card", "approved",
    "declined", "card_unreadable", "aborting", "other",
)
# While these show, no authorisation is under way yet, so the shopper may still back out; once
# the terminal waits for the host (or is done) a cancel would only confuse.
CANCELLABLE_PAYMENT_KINDS = frozenset(
    {"connecting", "insert_card", "enter_pin", "pin_wrong", "card_unreadable", "other"}
)
# ZVT result codes (BMP 27) that the shopper can act on differently from a plain decline.
RESULT_CARD_UNREADABLE = 0x64
RESULT_CARD_EXPIRED = 0x78


def paying_view(
    pending: Mapping[str, Any] | None,
    lang: str,
    *,
    kind: str | None = None,
    terminal_text: str = "",
    can_cancel: bool | None = None,
) -> PayingView | None:
    """The paying screen while the terminal reports `kind` (see PAYMENT_STATUS_KINDS), with
    the terminal's own display text; `can_cancel` defaults to whether `kind` still allows it.
    Without a `kind` (no terminal status yet) the general prompt shows: tap, insert or phone.
    """
    if not pending:
        return None
    text = payment_status_text(kind, lang) if kind is not None else t("pay_prompt", lang)
    kind = kind or "insert_card"
    return PayingView(
        status_text=text,
        amount_text=format_eur(int(pending.get("amount_cents") or 0), lang),
        approved=kind == "approved",
        can_cancel=kind in CANCELLABLE_PAYMENT_KINDS if can_cancel is None else can_cancel,
        status_kind=kind,
        terminal_text=terminal_text,
    )


def payment_status_text(kind: str, lang: str) -> str:
    """The big prompt on the paying screen for a terminal status `kind` ("Bitte PIN eingeben");
    a kind this window does not know reads "follow the terminal's instructions"."""
    return t(f"pay_status_{kind if kind in PAYMENT_STATUS_KINDS else 'other'}", lang)


def payment_failure_text(outcome: str, result_code: int | None, lang: str) -> str:
    """The banner on the basket after a payment that did not go through ("" for "approved").

    `outcome` is a PaymentOutcome value ("declined", "aborted", "unknown"); `result_code` the
    terminal's ZVT result code, which tells an unreadable (0x64) or expired (0x78) card from a
    plain decline. The Pay button is the retry, so the text says what to do next.
    """
    if outcome == "approved":
        return ""
    if outcome == "declined":
        if result_code == RESULT_CARD_UNREADABLE:
            return t("pay_fail_card_unreadable", lang)
        if result_code == RESULT_CARD_EXPIRED:
            return t("pay_fail_expired", lang)
        return t("pay_fail_declined", lang)
    if outcome == "aborted":
        return t("pay_fail_aborted", lang)
    if outcome == "unknown":
        return t("pay_fail_unknown", lang)
    return t("error_generic", lang)  # a new outcome must still tell the shopper something


def notice_text(interventions: Iterable[Intervention], lang: str) -> str:
    """For the out-of-service screen: which devices are faulty ("" when none)."""
    devices = [str(iv.evidence.get("device") or "") for iv in interventions
               if iv.reason is Reason.DEVICE_FAULT]
    devices = [d for d in devices if d]
    return t("device_faults", lang, devices=", ".join(devices)) if devices else ""


def receipt_text(sale: Mapping[str, Any], lang: str, tz: tzinfo | None) -> str:
    """ "Beleg 1A2B3C4D · 02.03.2026 10:00 · Karte": the sale id's start, local time, payment."""
    parts = [t("receipt_no", lang, number=str(sale.get("sale_id", ""))[:8].upper())]
    finished = str(sale.get("finished_at") or "")
    if finished:
        try:
            at = datetime.fromisoformat(finished).astimezone(tz)
        except ValueError:
            at = None  # a malformed time must not hide the thanks screen
        if at is not None:
            parts.append(at.strftime("%d.%m.%Y %H:%M" if lang == "de" else "%Y-%m-%d %H:%M"))
    methods = dict.fromkeys(str(p.get("method", "")) for p in sale.get("payments") or ())
    shown = [t(f"method_{m}", lang) if has(f"method_{m}") else m for m in methods if m]
    if shown:
        parts.append(", ".join(shown))
    return " · ".join(parts)

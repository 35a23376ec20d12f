"""Decisions on the shopper's basket: start, scan, pick, weigh, quantities, voids, coupons.

Each function reads a `Checkout` without changing it and returns the facts a command implies,
or raises a typed error with German and English texts. `kiosk.domain.checkout` dispatches to
them after checking the flow table; `checkout_sale` holds pay, cancel and timeouts, and
`checkout_staff` the attendant and device decisions. `Draft` collects one decision's facts.

Rules decided here:

- A basket opens with the first Start, scan or PLU pick (also straight from the receipt screen);
  an attendant session ends then, so the next shopper never finds the lane in attendant mode.
- Scanning, picking, weighing, quantities and coupons are refused while an open intervention
  blocks scan; pay is refused while one blocks pay (`kiosk.domain.interventions`).
- An item with an age limit the basket has not verified raises an age check for that limit,
  unless one for the same limit is open. A line above `policy.max_quantity_per_line` raises a
  quantity-limit check, unless a logged-in attendant may clear that reason.
- Fewer pieces (`SetQuantity` down) is a partial void: only a logged-in attendant may do it, or
  the shopper while that line's quantity-limit check is open (correcting the entry withdraws it).
- A void request raises a void approval; a logged-in attendant who may clear it voids at once.
- With `policy.bagging`, every item line is followed by `bagging_expected`: the weight and band
  the bagging area must see by the deadline (`kiosk.domain.security`, `checkout_bagging`).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from kiosk.domain import codes, lookup
from kiosk.domain.basket import Line, make_lines
from kiosk.domain.catalog import Catalog, Product
from kiosk.domain.commands import (
    ApplyCoupon,
    RequestVoid,
    Scan,
    SelectItem,
    SetQuantity,
    Start,
    Weigh,
)
from kiosk.domain.facts import Fact, iso
from kiosk.domain.flow import Event, FlowState
from kiosk.domain.interventions import (
    SYSTEM,
    Block,
    Intervention,
    blocked_error,
    blocking,
    raise_intervention,
)
from kiosk.domain.policy import Reason
from kiosk.domain.pricing import coupon_rejection, promotion_to_dict
from kiosk.domain.security import expectation_for
from kiosk.errors import CodeError, FlowError

if TYPE_CHECKING:
    from kiosk.domain.checkout import Checkout, Context


def refuse(message: str, de: str, en: str) -> FlowError:
    """A FlowError with its technical message and the shopper's texts."""
    return FlowError(message, {"de": de, "en": en})


_NOT_NOW: Mapping[FlowState, tuple[str, str]] = {
    FlowState.CLOSED: ("Diese Kasse ist geschlossen.", "This lane is closed."),
    FlowState.OUT_OF_SERVICE: ("Diese Kasse ist außer Betrieb. Bitte nutzen Sie eine andere.",
                               "This lane is out of service. Please use another one."),
    FlowState.IDLE: ("Bitte scannen Sie zuerst einen Artikel.", "Please scan an item first."),
    FlowState.PAYING: ("Bitte schließen Sie zuerst die Zahlung ab.", "Please finish paying first."),
    FlowState.WEIGHING: ("Bitte legen Sie zuerst den Artikel auf die Waage oder brechen Sie ab.",
                         "Please weigh the item first, or cancel."),
    FlowState.FINISHING: ("Ihr Einkauf ist abgeschlossen.", "Your purchase is complete."),
    FlowState.SCANNING: ("Das ist gerade nicht möglich.", "That is not possible right now."),
}


def not_now(state: FlowState, event: Event) -> FlowError:
    """The refusal for an event the flow table does not allow in `state`."""
    de, en = _NOT_NOW[state]
    return refuse(f"{event.value} is not allowed while the lane is {state.value}", de, en)


class Draft:
    """The facts of one decision, all stamped with the decision's time."""

    def __init__(self, co: Checkout, ctx: Context) -> None:
        self.co = co
        self.ctx = ctx
        self.at = iso(ctx.now)
        self.facts: list[Fact] = []
        self._raised = 0
        self._next_line_id = co.basket.next_line_id()

    def add(self, kind: str, **data: Any) -> None:
        self.facts.append(Fact(kind, data, self.at))

    def raise_(self, reason: Reason, evidence: Mapping[str, Any]) -> str:
        self._raised += 1
        iid = f"{self.co.lane_id}-{self.co.intervention_seq + self._raised}"
        self.add("intervention_raised",
                 intervention=raise_intervention(iid, reason, evidence, self.at).to_dict())
        return iid

    def clear(self, found: Intervention, by: str, outcome: str) -> None:
        self.add("intervention_cleared", intervention_id=found.intervention_id, cleared_by=by,
                 outcome=outcome)

    def take_line_ids(self, count: int) -> int:
        first = self._next_line_id
        self._next_line_id += count
        return first

    def end_session(self, cause: str) -> None:
        if self.co.session is not None:
            self.add("attendant_logged_out", attendant_id=self.co.session["attendant_id"],
                     cause=cause)


# -- helpers ------------------------------------------------------------------------------------


def check_not_blocked(co: Checkout, block: Block) -> None:
    found = blocking(co.interventions, block)
    if found:
        raise blocked_error(block, found)


def clearing_attendant(co: Checkout, reason: Reason) -> str | None:
    """The logged-in attendant's id when they may clear `reason`, else None."""
    if co.session is None:
        return None
    who = co.attendant
    if who is None or not co.policy.may_clear(who.role, reason):
        return None
    return who.attendant_id


def open_basket_if_needed(co: Checkout, draft: Draft) -> None:
    if co.basket_id is None:
        draft.end_session("basket_opened")
        draft.add("basket_opened", basket_id=draft.ctx.new_id())


def open_of(co: Checkout, reason: Reason) -> list[Intervention]:
    return [i for i in co.interventions if i.reason is reason]


def _unknown_product(text: str) -> CodeError:
    return CodeError(
        f"no product with PLU or sku {text!r} in the catalog; check the number",
        {"de": "Artikel nicht gefunden. Bitte wenden Sie sich an das Personal.",
         "en": "Item not found. Please ask a member of staff."},
        code=text, reason="unknown_product",
    )


def _deposit_of(product: Product, catalog: Catalog) -> Product | None:
    if product.deposit_sku is None:
        return None
    deposit = catalog.by_sku(product.deposit_sku)
    if deposit is None:
        raise refuse(
            f"product {product.sku!r} names deposit {product.deposit_sku!r}, which is not in the "
            "catalog; fix the catalog",
            "Dieser Artikel kann gerade nicht verkauft werden. Bitte wenden Sie sich an das "
            "Personal.",
            "This item cannot be sold right now. Please ask a member of staff.",
        )
    return deposit


def add_product(
    co: Checkout, draft: Draft, product: Product, *, quantity: int = 1,
    weight_g: int | None = None, price_override_cents: int | None = None,
    code: str | None = None,
) -> None:
    """lines_added for `product` (with its deposit line), then any age or quantity check."""
    if len(co.basket) >= co.policy.max_lines:
        raise refuse(f"the basket already has {len(co.basket)} lines, the most allowed "
                     f"({co.policy.max_lines}); pay or ask staff to split the purchase",
                     "Ihr Warenkorb ist voll. Bitte bezahlen Sie zuerst.",
                     "Your basket is full. Please pay first.")
    deposit = _deposit_of(product, draft.ctx.catalog)
    first = draft.take_line_ids(2 if deposit else 1)
    lines = make_lines(product, first, quantity=quantity, weight_g=weight_g,
                       price_override_cents=price_override_cents, code=code, deposit=deposit)
    draft.add("lines_added", lines=[line.to_dict() for line in lines])
    main = lines[0]
    if co.policy.bagging:  # the band goes into the fact, so replay needs no catalog
        deadline = iso(draft.ctx.now + timedelta(seconds=co.policy.bagging_timeout_s))
        found = expectation_for(main, product, draft.ctx.learned(product.sku), co.policy,
                                deadline)
        draft.add("bagging_expected", expectation=found.to_dict())
    _check_age(co, draft, main)
    if main.quantity > co.policy.max_quantity_per_line:
        _raise_quantity_check(co, draft, main.line_id, main.quantity)


def _check_age(co: Checkout, draft: Draft, line: Line) -> None:
    limit = line.age_limit
    if not limit or co.verified_age >= limit:
        return
    raised_now = [f for f in draft.facts if f.kind == "intervention_raised"]
    pending = [*(i.evidence for i in open_of(co, Reason.AGE_CHECK)),
               *(f.data["intervention"]["evidence"] for f in raised_now
                 if f.data["intervention"]["reason"] == Reason.AGE_CHECK.value)]
    if any(e.get("age") == limit for e in pending):
        return
    draft.raise_(Reason.AGE_CHECK, {"age": limit, "line_id": line.line_id, "sku": line.sku,
                                    "code": line.code})


def _raise_quantity_check(co: Checkout, draft: Draft, line_id: int, quantity: int) -> None:
    if clearing_attendant(co, Reason.QUANTITY_LIMIT) is not None:
        return  # the attendant entered it; no one else to ask
    draft.raise_(Reason.QUANTITY_LIMIT, {"line_id": line_id, "quantity": quantity,
                                         "limit": co.policy.max_quantity_per_line})


_LINE_CHECKS = (Reason.VOID_APPROVAL, Reason.QUANTITY_LIMIT, Reason.WEIGHT_NOT_PLACED,
                Reason.WEIGHT_MISMATCH)


def withdraw_orphans(co: Checkout, draft: Draft, voided: set[int], by: str) -> None:
    """After voiding `voided` lines: withdraw the checks that no longer have a line to check."""
    active = [x for x in co.basket.active_lines() if x.line_id not in voided]
    done = {f.data["intervention_id"] for f in draft.facts if f.kind == "intervention_cleared"}
    for found in co.interventions:
        if found.intervention_id in done:
            continue
        ev = found.evidence
        orphan = (
            (found.reason is Reason.AGE_CHECK
             and not any(x.age_limit == ev.get("age") for x in active))
            or (found.reason in _LINE_CHECKS and ev.get("line_id") in voided)
        )
        if orphan:
            draft.clear(found, by, "withdrawn")


# -- deciders -----------------------------------------------------------------------------------


def decide_start(co: Checkout, cmd: Start, ctx: Context) -> list[Fact]:
    check_not_blocked(co, Block.SCAN)
    draft = Draft(co, ctx)
    open_basket_if_needed(co, draft)
    return draft.facts


def decide_scan(co: Checkout, cmd: Scan, ctx: Context) -> list[Fact]:
    check_not_blocked(co, Block.SCAN)
    text = cmd.text.strip(" \t\r\n")
    prefix = co.policy.loyalty_prefix
    if prefix and text.startswith(prefix) and len(text) > len(prefix):
        # The shopper's loyalty card: kept on the basket and the sale (a second one replaces it).
        draft = Draft(co, ctx)
        open_basket_if_needed(co, draft)
        draft.add("loyalty_card_added", card=text)
        return draft.facts
    if text in co.known_coupons:
        return _coupon(co, Draft(co, ctx), text)
    try:
        symbology = codes.Symbology(cmd.symbology) if cmd.symbology else None
    except ValueError:
        symbology = None  # an unknown name from a driver must not lose the scan; parse guesses
    scanned = codes.parse(cmd.text, symbology, today=ctx.now.date())
    draft = Draft(co, ctx)
    try:
        found = lookup.resolve(scanned, ctx.catalog)
    except CodeError as err:
        if err.reason != "needs_weighing" or scanned.gtin is None:
            raise
        product = ctx.catalog.by_gtin(scanned.gtin)
        if product is None:
            raise
        open_basket_if_needed(co, draft)
        _select_for_weighing(draft, product, code=scanned.raw)
        return draft.facts
    open_basket_if_needed(co, draft)
    add_product(co, draft, found.product, quantity=found.quantity, weight_g=found.weight_g,
                price_override_cents=found.price_override_cents, code=scanned.raw)
    return draft.facts


def _select_for_weighing(draft: Draft, product: Product, code: str | None) -> None:
    draft.add("item_selected", sku=product.sku, names=dict(product.names),
              price_per_kg_cents=product.price_cents, plu=product.plu, code=code)


def decide_select_item(co: Checkout, cmd: SelectItem, ctx: Context) -> list[Fact]:
    check_not_blocked(co, Block.SCAN)
    key = cmd.plu_or_sku.strip()
    product = (ctx.catalog.by_plu(key) if key.isdigit() else None) or ctx.catalog.by_sku(key)
    if product is None:
        raise _unknown_product(key)
    if isinstance(cmd.quantity, bool) or not isinstance(cmd.quantity, int) or cmd.quantity < 1:
        raise refuse(f"quantity {cmd.quantity!r} must be a whole number of at least 1",
                     "Bitte geben Sie eine Stückzahl ab 1 ein.", "Please enter at least 1 piece.")
    draft = Draft(co, ctx)
    open_basket_if_needed(co, draft)
    if product.sold_by_weight:
        if cmd.quantity != 1:
            raise refuse(f"{product.sku!r} is sold by weight; it is weighed, not counted "
                         f"(quantity {cmd.quantity})",
                         "Lose Ware wird gewogen, nicht gezählt.",
                         "Loose items are weighed, not counted.")
        _select_for_weighing(draft, product, code=None)
    else:
        add_product(co, draft, product, quantity=cmd.quantity)
    return draft.facts


def decide_weigh(co: Checkout, cmd: Weigh, ctx: Context) -> list[Fact]:
    check_not_blocked(co, Block.SCAN)
    if not cmd.stable:
        raise refuse(f"the weight {cmd.weight_g} g is not stable yet; wait for the scale",
                     "Bitte warten Sie, bis die Waage ruhig ist.",
                     "Please wait until the scale settles.")
    if isinstance(cmd.weight_g, bool) or not isinstance(cmd.weight_g, int) or cmd.weight_g <= 0:
        raise refuse(f"the weight {cmd.weight_g!r} g is not above 0; put the item on the scale",
                     "Bitte legen Sie den Artikel auf die Waage.",
                     "Please put the item on the scale.")
    item = co.weighing_item or {}
    product = ctx.catalog.by_sku(str(item.get("sku")))
    if product is None:
        raise _unknown_product(str(item.get("sku")))
    draft = Draft(co, ctx)
    add_product(co, draft, product, weight_g=cmd.weight_g, code=item.get("code"))
    return draft.facts


def decide_set_quantity(co: Checkout, cmd: SetQuantity, ctx: Context) -> list[Fact]:
    check_not_blocked(co, Block.SCAN)
    line = co.basket.line(cmd.line_id)
    if line.voided or line.is_deposit or line.weight_g is not None:
        raise refuse(f"line {line.line_id} is voided, a deposit or weighed; its quantity is fixed",
                     "Die Menge dieser Position kann nicht geändert werden.",
                     "The quantity of this line cannot be changed.")
    q = cmd.quantity
    if isinstance(q, bool) or not isinstance(q, int) or not 1 <= q <= 9999:
        raise refuse(f"quantity {q!r} must be a whole number from 1 to 9999",
                     "Bitte geben Sie eine Menge von 1 bis 9999 ein.",
                     "Please enter a quantity from 1 to 9999.")
    if q == line.quantity:
        return []
    draft = Draft(co, ctx)
    checks = [i for i in open_of(co, Reason.QUANTITY_LIMIT)
              if i.evidence["line_id"] == line.line_id]
    attendant = clearing_attendant(co, Reason.VOID_APPROVAL)
    if q < line.quantity and attendant is None and not checks:
        raise refuse(f"fewer pieces on line {line.line_id} ({line.quantity} -> {q}) need an "
                     "attendant",
                     "Zum Verringern der Menge rufen Sie bitte das Personal.",
                     "Please call a member of staff to reduce the quantity.")
    draft.add("quantity_set", line_id=line.line_id, quantity=q, by=attendant)
    for found in checks:
        draft.clear(found, attendant or SYSTEM, "withdrawn")
    if q > co.policy.max_quantity_per_line:
        _raise_quantity_check(co, draft, line.line_id, q)
    return draft.facts


def voidable_line(co: Checkout, line_id: int) -> Line:
    """Line `line_id` of the basket when it may be voided; refuses a voided or deposit line."""
    line = co.basket.line(line_id)
    if line.voided:
        raise refuse(f"line {line.line_id} is already voided",
                     "Diese Position ist bereits storniert.", "This line is already voided.")
    if line.is_deposit:
        raise refuse(f"line {line.line_id} is a deposit; void line {line.deposit_of} instead",
                     "Das Pfand wird mit seinem Artikel storniert.",
                     "The deposit is voided together with its item.")
    return line


def void_as(co: Checkout, draft: Draft, line: Line, by: str) -> None:
    """Void `line` (and its deposit line) in attendant `by`'s name, withdrawing its checks."""
    draft.add("line_voided", line_id=line.line_id, by=by)
    withdraw_orphans(co, draft, {line.line_id}, by)


def decide_request_void(co: Checkout, cmd: RequestVoid, ctx: Context) -> list[Fact]:
    line = voidable_line(co, cmd.line_id)
    draft = Draft(co, ctx)
    attendant = clearing_attendant(co, Reason.VOID_APPROVAL)
    if attendant is not None:
        void_as(co, draft, line, attendant)
        return draft.facts
    if any(i.evidence["line_id"] == line.line_id for i in open_of(co, Reason.VOID_APPROVAL)):
        raise refuse(f"a void of line {line.line_id} is already waiting for an attendant",
                     "Das Storno wartet bereits auf das Personal.",
                     "The void is already waiting for a member of staff.")
    draft.raise_(Reason.VOID_APPROVAL, {
        "line_id": line.line_id, "sku": line.sku, "name": line.name("de"),
        "amount_cents": line.amount_cents, "code": line.code,
    })
    return draft.facts


def decide_apply_coupon(co: Checkout, cmd: ApplyCoupon, ctx: Context) -> list[Fact]:
    check_not_blocked(co, Block.SCAN)
    return _coupon(co, Draft(co, ctx), cmd.code.strip())


def _coupon(co: Checkout, draft: Draft, code: str) -> list[Fact]:
    coupon = co.known_coupons.get(code)
    if coupon is None:
        raise CodeError(f"coupon code {code!r} is not known; check the store's promotions",
                        {"de": "Dieser Gutschein ist nicht gültig.",
                         "en": "This coupon is not valid."},
                        code=code, reason="unknown_coupon")
    if any(c.get("coupon_code") == code for c in co.coupons):
        raise refuse(f"coupon {code!r} is already redeemed in this basket",
                     "Dieser Gutschein wurde bereits eingelöst.",
                     "This coupon has already been redeemed.")
    totals = co.totals()
    why_de = coupon_rejection(coupon, totals, "de")
    if why_de is not None:
        why_en = coupon_rejection(coupon, totals, "en") or why_de
        raise refuse(f"coupon {code!r} does not apply: {why_en}", why_de, why_en)
    open_basket_if_needed(co, draft)
    draft.add("coupon_applied", coupon_code=code, coupon=promotion_to_dict(coupon))
    return draft.facts


DECIDERS: dict[type, Callable[[Any, Any, Any], list[Fact]]] = {
    Start: decide_start,
    Scan: decide_scan,
    SelectItem: decide_select_item,
    Weigh: decide_weigh,
    SetQuantity: decide_set_quantity,
    RequestVoid: decide_request_void,
    ApplyCoupon: decide_apply_coupon,
}

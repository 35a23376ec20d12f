"""Decisions about the card terminal's answers, reconciling unknown payments, and receipt
reprints.

A payment attempt is journaled (`payment_started` with its `attempt_id`) before the terminal is
asked, so a crash at any instant leaves a trace. The terminal's answer then arrives as a
`PaymentResult`:

- approved: always recorded (refusing it would lose money already taken); once payments cover
  the total the sale follows in the same decision (`checkout_sale.finish_sale`).
- declined / aborted: `payment_declined` / `payment_aborted`, back to the basket; the shopper may
  pay again.
- unknown (the link died or the terminal went silent after it got the request, or the kiosk
  restarted mid-payment): nothing is guessed. `payment_unknown` is journaled and a
  payment-failed intervention blocks pay, with the attempt, amount and cause as evidence. When
  the terminal later reports the attempt's outcome (its last transaction), that answer is
  recorded like any other and the intervention is cleared by the system. Otherwise an attendant
  checks the terminal's journal: approving says "it was booked" (a `payment_approved` naming the
  attendant; the sale follows), rejecting says "it was not" (`payment_declined`, back to the
  basket).

Reprint: only a logged-in attendant may reprint a receipt; the request is journaled with who.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kiosk.domain.checkout_basket import Draft, open_of, refuse
from kiosk.domain.checkout_sale import finish_sale
from kiosk.domain.commands import PaymentResult, ReprintReceipt
from kiosk.domain.facts import Fact
from kiosk.domain.flow import FlowState
from kiosk.domain.interventions import SYSTEM, Intervention
from kiosk.domain.policy import Reason

if TYPE_CHECKING:
    from kiosk.domain.checkout import Checkout, Context

OUTCOMES = ("approved", "declined", "aborted", "unknown")
_UNREADABLE = ("Die Zahlung konnte nicht verarbeitet werden. Bitte Personal rufen.",
               "The payment could not be processed. Please call a member of staff.")


def decide_payment_result(co: Checkout, cmd: PaymentResult, ctx: Context) -> list[Fact]:
    amount = cmd.amount_cents
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise refuse(f"payment amount {amount!r} must be whole cents >= 0", *_UNREADABLE)
    outcome = cmd.resolved_outcome
    if outcome not in OUTCOMES:
        raise refuse(f"payment outcome {outcome!r} is not one of {', '.join(OUTCOMES)}",
                     *_UNREADABLE)
    pending = co.pending_payment or {}
    attempt_id = cmd.attempt_id or str(pending.get("attempt_id") or "")
    data: dict[str, Any] = {"method": pending.get("method", "card"), "amount_cents": amount,
                            "reference": cmd.reference, "detail": cmd.detail,
                            "attempt_id": attempt_id}
    if cmd.terminal:
        data["terminal"] = dict(cmd.terminal)
    draft = Draft(co, ctx)
    _settle_unknown(co, draft, attempt_id, outcome)
    if outcome == "approved":
        _approved(co, draft, data)
    elif outcome == "unknown":
        _unknown(co, draft, data)
    elif co.state is not FlowState.PAYING or (attempt_id and attempt_id != pending.get(
            "attempt_id")):
        # A late "no" for an attempt that is over changes nothing; it is still on record.
        draft.add("payment_result_ignored", outcome=outcome, **data)
    else:
        draft.add("payment_declined" if outcome == "declined" else "payment_aborted",
                  outcome=outcome, **data)
    return draft.facts


def _approved(co: Checkout, draft: Draft, data: dict[str, Any]) -> None:
    if _already_recorded(co, data):
        draft.add("payment_result_ignored", outcome="approved", cause="already recorded",
                  **data)
        return
    draft.add("payment_approved", **data)
    # A late approval (the lane gave up on the attempt) is only recorded: the basket's checks
    # still apply, and the next Pay finds nothing due and completes the sale.
    if co.state is not FlowState.PAYING:
        return
    due = co.totals().total_cents - co.paid_cents() - int(data["amount_cents"])
    if due <= 0:
        finish_sale(co, draft, extra_payment={**data, "approved_at": draft.at})
    else:  # approved for part of the amount: the rest is a new attempt of its own
        draft.add("payment_started", method=data["method"], amount_cents=due,
                  attempt_id=draft.ctx.new_id())


def _already_recorded(co: Checkout, data: dict[str, Any]) -> bool:
    """The same booking reported twice (a reconciliation after the answer did arrive)."""
    attempt = data.get("attempt_id")
    return bool(attempt) and any(p.get("attempt_id") == attempt for p in co.payments)


def _unknown(co: Checkout, draft: Draft, data: dict[str, Any]) -> None:
    if co.state is not FlowState.PAYING:
        draft.add("payment_result_ignored", outcome="unknown", **data)
        return
    draft.add("payment_unknown", **data)
    if not _open_unknown(co, str(data["attempt_id"])):
        draft.raise_(Reason.PAYMENT_FAILED, {
            "cause": "unknown_outcome", "attempt_id": data["attempt_id"],
            "amount_cents": data["amount_cents"], "detail": data["detail"],
            "basket_id": co.basket_id})


def _open_unknown(co: Checkout, attempt_id: str) -> list[Intervention]:
    return [i for i in open_of(co, Reason.PAYMENT_FAILED)
            if str(i.evidence.get("attempt_id") or "") == attempt_id]


def _settle_unknown(co: Checkout, draft: Draft, attempt_id: str, outcome: str) -> None:
    """The terminal told us what happened to an unknown attempt: its check is done."""
    if outcome == "unknown" or not attempt_id:
        return
    for found in _open_unknown(co, attempt_id):
        draft.clear(found, SYSTEM, f"terminal reported {outcome}")


def reconcile(co: Checkout, draft: Draft, found: Intervention, by: str, approve: bool) -> None:
    """An attendant settles an unknown payment: approve = it was booked, reject = it was not."""
    draft.clear(found, by, "booked" if approve else "not booked")
    pending = co.pending_payment or {}
    attempt_id = str(found.evidence.get("attempt_id") or "")
    if co.state is not FlowState.PAYING or attempt_id != str(pending.get("attempt_id") or ""):
        return  # the attempt was settled another way meanwhile; only the check closes
    data = {"method": pending.get("method", "card"),
            "amount_cents": int(found.evidence.get("amount_cents") or 0),
            "reference": f"reconciled by {by}", "detail": "confirmed at the terminal by staff",
            "attempt_id": attempt_id, "reconciled_by": by}
    if approve:
        _approved(co, draft, data)
    else:
        draft.add("payment_declined", outcome="not booked", **data)


def decide_reprint(co: Checkout, cmd: ReprintReceipt, ctx: Context) -> list[Fact]:
    from kiosk.domain.checkout_staff import logged_in  # staff imports this module's reconcile

    who = logged_in(co)
    sale_id = cmd.sale_id.strip()
    if not sale_id:
        raise refuse("no sale to reprint: this lane has not sold anything yet",
                     "Es gibt noch keinen Beleg zum Nachdrucken.",
                     "There is no receipt to reprint yet.")
    draft = Draft(co, ctx)
    draft.add("receipt_reprinted", sale_id=sale_id, by=who.attendant_id)
    return draft.facts


DECIDERS: dict[type, Callable[[Any, Any, Any], list[Fact]]] = {
    PaymentResult: decide_payment_result,
    ReprintReceipt: decide_reprint,
}

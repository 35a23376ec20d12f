"""Decisions that end things: pay, the terminal's answer, the sale record, cancel, timeouts,
and leaving the receipt screen.

Like `checkout_basket`, each function reads a `Checkout` without changing it and returns facts
or raises a typed error.

- Pay needs a basket with something on it and no open intervention that blocks pay; it asks
  the terminal for what is due. A basket fully covered (coupons, earlier payments) is sold at
  once.
- The terminal's answers (approved, declined, aborted, unknown) are decided in
  `checkout_payment`. Once payments cover the total, `sale_finished` (the complete sale record)
  and `basket_closed` "sold" follow in the same decision (`finish_sale`), and the lane shows the
  receipt (`finishing`) until `Finish` or `Timeout`.
- Cancel steps back from weighing or paying (not while an unknown payment waits to be settled);
  on the basket it abandons it: with items only by a logged-in attendant, and never once a
  payment was approved.
- Pay also waits until every scanned item is in the bagging area or skipped (`policy.bagging`).
- Timeout: an item not placed in the bagging area by its deadline raises "weight not placed";
  the receipt screen ends (`timeout_due` says when: after `FINISHING_TIMEOUT_S`);
  weighing stops after `policy.idle_timeout_s` without activity; an empty basket left that long
  is closed; a basket with items calls for help instead (it is never thrown away).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from kiosk.domain.checkout_bagging import check_all_placed, placement_overdue, raise_not_placed
from kiosk.domain.checkout_basket import (
    Draft,
    check_not_blocked,
    clearing_attendant,
    open_of,
    refuse,
)
from kiosk.domain.commands import Cancel, Finish, Pay, Timeout
from kiosk.domain.facts import Fact
from kiosk.domain.flow import FlowState
from kiosk.domain.interventions import SYSTEM, Block
from kiosk.domain.policy import Reason

if TYPE_CHECKING:
    from kiosk.domain.checkout import Checkout, Context

FINISHING_TIMEOUT_S = 15  # how long the receipt screen stays before `timeout_due` says so


def decide_pay(co: Checkout, cmd: Pay, ctx: Context) -> list[Fact]:
    if co.basket.is_empty:
        raise refuse("the basket is empty; scan an item before paying",
                     "Ihr Warenkorb ist leer.", "Your basket is empty.")
    check_not_blocked(co, Block.PAY)
    check_all_placed(co)
    method = cmd.method.strip()
    if not method:
        raise refuse("no payment method given; use e.g. 'card'",
                     "Bitte wählen Sie eine Zahlungsart.", "Please choose how to pay.")
    draft = Draft(co, ctx)
    due = co.amount_due_cents()
    if due == 0:  # fully covered by coupons or earlier payments: nothing to collect
        finish_sale(co, draft)
        return draft.facts
    # Journaled before the terminal is asked: a crash from here on leaves an attempt to settle.
    draft.add("payment_started", method=method, amount_cents=due, attempt_id=ctx.new_id())
    return draft.facts


def sale_record(co: Checkout, draft: Draft, payments: list[dict[str, Any]]) -> dict[str, Any]:
    """The complete sale as the journal stores and uploads it (JSON-able)."""
    totals = co.totals()
    return {
        "sale_id": draft.ctx.new_id(),
        "basket_id": co.basket_id,
        "lane_id": co.lane_id,
        "opened_at": co.opened_at,
        "finished_at": draft.at,
        "lines": [line.to_dict() for line in co.basket.lines],
        "totals": totals.to_dict(),
        "payments": payments,
        "interventions": _cleared_interventions(co, draft),
        "coupons": [c["coupon_code"] for c in co.coupons],
        "verified_age": co.verified_age,
        **({"loyalty_card": co.loyalty_card} if co.loyalty_card else {}),
    }


def _cleared_interventions(co: Checkout, draft: Draft) -> list[dict[str, Any]]:
    """The basket's cleared checks, including those cleared in this very decision (an attendant
    confirming an unknown payment clears its check and completes the sale at once)."""
    done = [i.to_dict() for i in co.cleared_interventions]
    for fact in draft.facts:
        found = co.open_interventions.get(str(fact.data.get("intervention_id", "")))
        if fact.kind == "intervention_cleared" and found is not None:
            done.append(found.cleared(by=str(fact.data["cleared_by"]), at=fact.at,
                                      outcome=str(fact.data["outcome"])).to_dict())
    return done


def finish_sale(co: Checkout, draft: Draft, extra_payment: dict[str, Any] | None = None) -> None:
    """sale_finished + basket_closed "sold" (+ the attendant's logout)."""
    payments = [dict(p) for p in co.payments] + ([extra_payment] if extra_payment else [])
    draft.add("sale_finished", sale=sale_record(co, draft, payments))
    close_basket(co, draft, "sold", SYSTEM)


def close_basket(co: Checkout, draft: Draft, outcome: str, by: str) -> None:
    """Withdraw the basket's own open checks, then basket_closed, then end any session."""
    lane_level = (Reason.HELP, Reason.DEVICE_FAULT)
    done = {f.data["intervention_id"] for f in draft.facts if f.kind == "intervention_cleared"}
    for found in co.interventions:
        if found.reason not in lane_level and found.intervention_id not in done:
            draft.clear(found, by, "basket_closed")
    draft.add("basket_closed", basket_id=co.basket_id, outcome=outcome)
    draft.end_session("basket_closed")


def decide_cancel(co: Checkout, cmd: Cancel, ctx: Context) -> list[Fact]:
    draft = Draft(co, ctx)
    if co.state is FlowState.WEIGHING:
        draft.add("weighing_cancelled", cause="cancel")
        return draft.facts
    if co.state is FlowState.PAYING:
        pending = co.pending_payment or {}
        if pending.get("unknown"):
            raise refuse(f"payment attempt {pending.get('attempt_id')} has an unknown outcome; "
                         "an attendant must settle it at the terminal first",
                         "Die Zahlung wird geprüft. Bitte warten Sie auf das Personal.",
                         "The payment is being checked. Please wait for a member of staff.")
        draft.add("payment_aborted", cause="cancel")
        return draft.facts
    check_no_payments(co)
    attendant = clearing_attendant(co, Reason.VOID_APPROVAL)
    if not co.basket.is_empty and attendant is None:
        raise refuse(f"basket {co.basket_id} has items; only an attendant may cancel it",
                     "Zum Abbrechen des Einkaufs rufen Sie bitte das Personal (Hilfe).",
                     "To cancel the purchase, please call a member of staff (Help).")
    close_basket(co, draft, "cancelled", attendant or SYSTEM)
    return draft.facts


def check_no_payments(co: Checkout) -> None:
    """Refuses to abandon a basket once a payment in it was approved."""
    if co.payments:
        raise refuse(f"basket {co.basket_id} has approved payments ({co.paid_cents()} cents); "
                     "it cannot be cancelled, finish the sale or refund at the office",
                     "Es wurde bereits bezahlt. Bitte wenden Sie sich an das Personal.",
                     "A payment was already made. Please ask a member of staff.")


def timeout_due(co: Checkout, now: datetime) -> bool:
    """True when a Timeout command would do something at `now`."""
    return _idle_due(co, now) or bool(placement_overdue(co, now))


def _idle_due(co: Checkout, now: datetime) -> bool:
    if co.state is FlowState.FINISHING:
        finished = (co.last_sale or {}).get("finished_at")
        return finished is None or _elapsed_s(str(finished), now) >= FINISHING_TIMEOUT_S
    if co.state not in (FlowState.SCANNING, FlowState.WEIGHING) or co.last_activity_at is None:
        return False
    if _elapsed_s(co.last_activity_at, now) < co.policy.idle_timeout_s:
        return False
    if co.state is FlowState.WEIGHING or (co.basket.is_empty and not co.payments):
        return True
    return not open_of(co, Reason.HELP)


def _elapsed_s(at: str, now: datetime) -> float:
    return (now - datetime.fromisoformat(at)).total_seconds()


def decide_timeout(co: Checkout, cmd: Timeout, ctx: Context) -> list[Fact]:
    draft = Draft(co, ctx)
    if co.state is FlowState.FINISHING:
        draft.add("finishing_done", cause="timeout")
        return draft.facts
    overdue = placement_overdue(co, ctx.now)
    idle = _idle_due(co, ctx.now)
    if not overdue and not idle:
        raise refuse(f"no timeout is due in state {co.state.value} (last activity "
                     f"{co.last_activity_at}, limit {co.policy.idle_timeout_s} s)",
                     "Das ist gerade nicht möglich.", "That is not possible right now.")
    raise_not_placed(co, draft, overdue)
    if idle:
        _idle_timeout(co, draft)
    return draft.facts


def _idle_timeout(co: Checkout, draft: Draft) -> None:
    if co.state is FlowState.WEIGHING:
        draft.add("weighing_cancelled", cause="timeout")
    elif co.basket.is_empty and not co.payments:
        close_basket(co, draft, "cancelled", SYSTEM)
    else:
        idle_s = int(_elapsed_s(co.last_activity_at or draft.at, draft.ctx.now))
        draft.raise_(Reason.HELP, {"cause": "idle_timeout", "idle_s": idle_s,
                                   "basket_id": co.basket_id})


def decide_finish(co: Checkout, cmd: Finish, ctx: Context) -> list[Fact]:
    draft = Draft(co, ctx)
    draft.add("finishing_done", cause="finish")
    return draft.facts



DECIDERS: dict[type, Callable[[Any, Any, Any], list[Fact]]] = {
    Pay: decide_pay,
    Cancel: decide_cancel,
    Timeout: decide_timeout,
    Finish: decide_finish,
}

"""Decisions on the bagging area: scale readings, skipping, placement timeouts, and what an
attendant's approval of a bagging alarm does. The rules themselves are in
`kiosk.domain.security`; this module turns their outcomes into facts.

Facts (all replayed by `Checkout.apply` from their data alone):

- `bagging_settled` {weight_g}: with no basket open (or before the first reading), the
  settled weight becomes the baseline (a shopper's own bag, bags lifted after the sale).
- `bagging_expected` {expectation}: written with the line it belongs to (see
  `checkout_basket.add_product`); carries the band used, so replay needs no catalog.
- `bagging_placed` {line_ids, weight_g, delta_g, by}: the placement is accepted; the baseline
  becomes `weight_g`.
- `bagging_accepted` {weight_g, by, intervention_id}: an attendant accepts the weight as it is.
- `bagging_skipped` {line_id, by}: the line needs no placement ("shopper" counts toward
  `policy.skip_bagging_max`; an attendant's approval of "weight not placed" does not).
- `weight_learned` {sku, weight_g}: one sample for the product's learned weight; the journal
  stores it in the same transaction (`kiosk.journal.weights`); the checkout ignores it.

Attendants: approving "unexpected item" or "item removed" accepts the observed weight as the
new baseline; approving "weight mismatch" accepts the item as placed with the observed weight
and teaches it (one learned sample); approving "weight not placed" lets the item go unbagged,
rejecting it voids the line. Rejecting the other three is refused with a note: the shopper must
put things right, and the alarm ends by itself once the scale reads the baseline again (or the
expected item fits).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from kiosk.domain.checkout_basket import Draft, open_of, refuse, withdraw_orphans
from kiosk.domain.commands import BaggingWeight, SkipBagging
from kiosk.domain.facts import Fact
from kiosk.domain.flow import FlowState
from kiosk.domain.interventions import SYSTEM, Intervention
from kiosk.domain.policy import Reason
from kiosk.domain.security import Expectation, Outcome, evidence

if TYPE_CHECKING:
    from kiosk.domain.checkout import Checkout, Context

ALARMS = (Reason.UNEXPECTED_ITEM, Reason.ITEM_REMOVED, Reason.WEIGHT_MISMATCH)
SHOPPER = "shopper"  # `by` of a skip the shopper chose

_RAISES = {Outcome.UNEXPECTED: Reason.UNEXPECTED_ITEM, Outcome.REMOVED: Reason.ITEM_REMOVED,
           Outcome.MISMATCH: Reason.WEIGHT_MISMATCH}


def _alarms(co: Checkout) -> list[Intervention]:
    return [i for i in co.interventions if i.reason in ALARMS]


def decide_bagging_weight(co: Checkout, cmd: BaggingWeight, ctx: Context) -> list[Fact]:
    weight = cmd.weight_g
    if isinstance(weight, bool) or not isinstance(weight, int):
        raise refuse(f"bagging scale reading {weight!r} is not whole grams; a driver bug",
                     "Gerätestörung.", "Device fault.")
    if not co.policy.bagging or not cmd.stable:
        return []  # unstable readings never decide anything
    alarms = _alarms(co)
    judged = co.bagging.judge(weight, co.policy.bagging_noise_g,
                              basket_open=co.basket_id is not None, alarm_open=bool(alarms))
    draft = Draft(co, ctx)
    if judged.outcome is Outcome.SETTLED:
        draft.add("bagging_settled", weight_g=weight)
    elif judged.outcome is Outcome.CORRECTED:
        for found in alarms:
            draft.clear(found, SYSTEM, "corrected")
    elif judged.outcome is Outcome.PLACED:
        for found in alarms:
            draft.clear(found, SYSTEM, "corrected")
        _place(co, draft, judged.placed, weight, judged.delta_g, SYSTEM)
    elif judged.outcome in _RAISES:
        first = co.bagging.pending[0] if judged.outcome is Outcome.MISMATCH else None
        draft.raise_(_RAISES[judged.outcome], evidence(co.bagging, weight, draft.at, first))
    return draft.facts


def _place(co: Checkout, draft: Draft, placed: tuple[Expectation, ...], weight_g: int,
           delta_g: int, by: str) -> None:
    line_ids = [e.line_id for e in placed]
    draft.add("bagging_placed", line_ids=line_ids, weight_g=weight_g, delta_g=delta_g, by=by)
    only = placed[0]
    # Learn only from one item placed alone: a combined placement cannot say who weighed what.
    if len(placed) == 1 and only.source != "weighed" and only.quantity == 1 and delta_g > 0:
        draft.add("weight_learned", sku=only.sku, weight_g=delta_g)
    for found in open_of(co, Reason.WEIGHT_NOT_PLACED):
        if found.evidence.get("line_id") in line_ids:
            draft.clear(found, by, "placed")


def decide_skip_bagging(co: Checkout, cmd: SkipBagging, ctx: Context) -> list[Fact]:
    if not co.policy.bagging or co.policy.skip_bagging_max <= 0:
        raise refuse("skipping the bagging area is not allowed at this store "
                     "(policy.skip_bagging_max is 0)",
                     "Bitte legen Sie den Artikel in den Ablagebereich.",
                     "Please place the item in the bagging area.")
    if co.bagging.skipped >= co.policy.skip_bagging_max:
        raise refuse(f"the shopper already skipped bagging {co.bagging.skipped} item(s), the "
                     f"most allowed ({co.policy.skip_bagging_max}); an attendant can approve more",
                     "Bitte rufen Sie das Personal, um weitere Artikel nicht abzulegen.",
                     "Please call a member of staff to skip bagging more items.")
    if not any(e.line_id == cmd.line_id for e in co.bagging.pending):
        raise refuse(f"line {cmd.line_id} is not waiting to be bagged",
                     "Dieser Artikel muss nicht abgelegt werden.",
                     "This item does not need to be bagged.")
    draft = Draft(co, ctx)
    draft.add("bagging_skipped", line_id=cmd.line_id, by=SHOPPER)
    for found in open_of(co, Reason.WEIGHT_NOT_PLACED):
        if found.evidence.get("line_id") == cmd.line_id:
            draft.clear(found, SYSTEM, "skipped")
    return draft.facts


def check_all_placed(co: Checkout) -> None:
    """Refuse to pay while a scanned item still waits for the bagging area."""
    if co.policy.bagging and co.bagging.pending:
        waiting = ", ".join(str(e.line_id) for e in co.bagging.pending)
        raise refuse(f"line(s) {waiting} are not in the bagging area yet; place them first",
                     "Bitte legen Sie zuerst alle Artikel in den Ablagebereich.",
                     "Please place all items in the bagging area first.")


def placement_overdue(co: Checkout, now: datetime) -> list[Expectation]:
    """Expectations past their deadline that have no open "weight not placed" yet."""
    if not co.policy.bagging or co.state not in (FlowState.SCANNING, FlowState.WEIGHING):
        return []
    raised = {i.evidence.get("line_id") for i in open_of(co, Reason.WEIGHT_NOT_PLACED)}
    return [e for e in co.bagging.overdue(now) if e.line_id not in raised]


def raise_not_placed(co: Checkout, draft: Draft, overdue: list[Expectation]) -> None:
    for exp in overdue:
        ev = evidence(co.bagging, co.bagging.baseline_g or 0, draft.at, exp)
        draft.raise_(Reason.WEIGHT_NOT_PLACED, {**ev, "deadline": exp.deadline})


# -- attendants -----------------------------------------------------------------------------


def alarm_consequence(co: Checkout, draft: Draft, found: Intervention, by: str,
                      approve: bool) -> None:
    """Approve (or refuse to reject) an unexpected item, item removed or weight mismatch."""
    if not approve:
        raise refuse(f"{found.reason.value} {found.intervention_id} cannot be rejected; have the "
                     "shopper put the bagging area right (it clears itself) or approve the "
                     "weight as it is",
                     "Bitte lassen Sie den Kunden die Ablage korrigieren; die Meldung endet "
                     "dann von selbst. Oder genehmigen Sie das Gewicht.",
                     "Have the shopper correct the bagging area; the alert then ends by "
                     "itself. Or approve the weight.")
    ev = found.evidence
    observed = int(ev["observed_g"])
    draft.clear(found, by, "approved")
    pending = [e for e in co.bagging.pending if e.line_id == ev.get("line_id")]
    if found.reason is Reason.WEIGHT_MISMATCH and pending:
        _place(co, draft, (pending[0],), observed, int(ev["delta_g"]), by)
    else:
        draft.add("bagging_accepted", weight_g=observed, by=by,
                  intervention_id=found.intervention_id)


def not_placed_consequence(co: Checkout, draft: Draft, found: Intervention, by: str,
                           approve: bool) -> None:
    """Approve: the item goes unbagged. Reject: the line is voided (the shopper left it)."""
    line_id = int(found.evidence["line_id"])
    draft.clear(found, by, "approved" if approve else "rejected")
    if approve:
        draft.add("bagging_skipped", line_id=line_id, by=by)
        return
    if not co.basket.line(line_id).voided:
        draft.add("line_voided", line_id=line_id, by=by)
        withdraw_orphans(co, draft, {line_id}, by)


CONSEQUENCES: dict[Reason, Callable[[Any, Draft, Intervention, str, bool], None]] = {
    Reason.UNEXPECTED_ITEM: alarm_consequence,
    Reason.ITEM_REMOVED: alarm_consequence,
    Reason.WEIGHT_MISMATCH: alarm_consequence,
    Reason.WEIGHT_NOT_PLACED: not_placed_consequence,
}

DECIDERS: dict[type, Callable[[Any, Any, Any], list[Fact]]] = {
    BaggingWeight: decide_bagging_weight,
    SkipBagging: decide_skip_bagging,
}


# -- applying -------------------------------------------------------------------------------

FACT_KINDS = frozenset({"bagging_settled", "bagging_expected", "bagging_placed",
                        "bagging_accepted", "bagging_skipped", "weight_learned"})


def apply_fact(co: Checkout, fact: Fact) -> None:
    """Change `co.bagging` by one bagging fact; uses nothing but the fact."""
    d = fact.data
    area = co.bagging
    if fact.kind in ("bagging_settled", "bagging_accepted"):
        area = area.settled(int(d["weight_g"]))
    elif fact.kind == "bagging_expected":
        area = area.expect(Expectation.from_dict(d["expectation"]))
    elif fact.kind == "bagging_placed":
        area = area.placed([int(i) for i in d["line_ids"]], int(d["weight_g"]))
    elif fact.kind == "bagging_skipped":
        line_id = int(d["line_id"])
        area = area.skipped_by_shopper(line_id) if d["by"] == SHOPPER else area.dropped(line_id)
    # weight_learned changes nothing here: the journal keeps learned weights (same transaction).
    co.bagging = area

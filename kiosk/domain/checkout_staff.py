"""Decisions for attendants, devices and the lane: log in/out, open/close, clear interventions,
help, device faults.

Like `checkout_basket`, each function reads a `Checkout` without changing it and returns facts
or raises a typed error. What approving or rejecting does, per reason:

- age check for L: approve verifies L for the basket and clears every open age check up to L;
  reject voids the lines that need L or more and clears those checks (a 16 check stays open).
- void approval: approve voids the line (and its deposit line) in the attendant's name;
  reject keeps it.
- quantity limit: approve keeps the quantity; reject sets the line back to the limit.
- bagging area: see `checkout_bagging` (approve accepts the weight, or lets an item go
  unbagged; rejecting "weight not placed" voids the line).
- help, device fault and the reasons of later issues: approve or reject just clears them.

A void or age rejection also withdraws checks that no longer have a line to check.

Badge login (`AttendantBadge`) works like a PIN login; unknown badges are `pin_rejected` facts
under the guard key "badge" (see `attendants`). Idle sessions: every applied fact made by the
logged-in attendant (`by`, `cleared_by` or `attendant_id` naming them) moves the session's
"last_seen" (`note_activity`, called by `Checkout.apply`, so replay is exact). A `Timeout` after
`policy.attendant_idle_s` without one ends the session (`attendant_logged_out`, cause "idle");
the other timeouts (`checkout_sale`) run in the same decision when they are due too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from kiosk.domain import checkout_sale as sale_rules
from kiosk.domain.attendants import (
    BADGE_KEY,
    Attendant,
    AttendantAuthError,
    PinGuard,
    authenticate,
    authenticate_badge,
    badge_locked_error,
    badge_rejection_error,
    is_valid_pin,
)
from kiosk.domain.checkout_bagging import CONSEQUENCES as BAGGING_CONSEQUENCES
from kiosk.domain.checkout_basket import Draft, refuse, withdraw_orphans
from kiosk.domain.checkout_payment import reconcile
from kiosk.domain.commands import (
    Approve,
    AttendantBadge,
    AttendantLogin,
    AttendantLogout,
    Close,
    DeviceBack,
    DeviceLost,
    Help,
    Open,
    Reject,
    Timeout,
)
from kiosk.domain.facts import Fact
from kiosk.domain.flow import FlowState
from kiosk.domain.interventions import SYSTEM, Intervention
from kiosk.domain.policy import Reason, Role

if TYPE_CHECKING:
    from kiosk.domain.checkout import Checkout, Context


def _auth_error(message: str, de: str, en: str) -> AttendantAuthError:
    return AttendantAuthError(message, {"de": de, "en": en})


def logged_in(co: Checkout) -> Attendant:
    """The attendant of the current session; refuses when nobody (known) is logged in."""
    who = co.attendant
    if who is None:
        raise _auth_error("no attendant is logged in at this lane; log in with id and PIN first",
                          "Bitte melden Sie sich zuerst mit Nummer und PIN an.",
                          "Please log in with your number and PIN first.")
    return who


def decide_login(co: Checkout, cmd: AttendantLogin, ctx: Context) -> list[Fact]:
    who_id = cmd.attendant_id.strip()
    if not who_id:
        raise _auth_error("no attendant id given; enter your attendant number",
                          "Bitte geben Sie Ihre Personalnummer ein.",
                          "Please enter your staff number.")
    co.pins.check_not_locked(who_id, ctx.now, co.policy)
    if not is_valid_pin(cmd.pin):
        # Not counted as a wrong PIN: no PIN of this shape exists, so nothing was guessed.
        raise _auth_error(f"a PIN has 4 to 8 digits; the one entered had {len(cmd.pin)} "
                          "characters", "Eine PIN hat 4 bis 8 Ziffern.",
                          "A PIN has 4 to 8 digits.")
    draft = Draft(co, ctx)
    found = authenticate(co.attendants, who_id, cmd.pin)
    if found is None:
        data = co.pins.rejection(who_id, ctx.now, co.policy)
        draft.add("pin_rejected", **data)
        raise PinGuard.rejection_error(data, co.policy, tuple(draft.facts))
    draft.end_session("replaced")
    draft.add("attendant_logged_in", attendant_id=found.attendant_id, name=found.name,
              role=found.role.value)
    return draft.facts


def decide_badge(co: Checkout, cmd: AttendantBadge, ctx: Context) -> list[Fact]:
    until = co.pins.locked_until.get(BADGE_KEY)
    if until is not None:
        left_s = (datetime.fromisoformat(until) - ctx.now).total_seconds()
        if left_s > 0:
            raise badge_locked_error(left_s)
    draft = Draft(co, ctx)
    found = authenticate_badge(co.attendants, cmd.code.strip())
    if found is None:
        data = co.pins.rejection(BADGE_KEY, ctx.now, co.policy)
        draft.add("pin_rejected", **data)
        raise badge_rejection_error(data, co.policy, tuple(draft.facts))
    draft.end_session("replaced")
    draft.add("attendant_logged_in", attendant_id=found.attendant_id, name=found.name,
              role=found.role.value, method="badge")
    return draft.facts


# Facts whose data names the attendant who made them (and so keep the session alive).
_ACTOR_KEYS = ("by", "cleared_by", "attendant_id")
_NOT_ACTIVITY = frozenset({"pin_rejected", "attendant_logged_out"})


def note_activity(session: dict[str, Any], kind: str, data: Mapping[str, Any], at: str) -> None:
    """Move `session["last_seen"]` to `at` when the fact was made by the session's attendant."""
    if kind in _NOT_ACTIVITY:
        return
    who = session.get("attendant_id")
    if any(data.get(key) == who for key in _ACTOR_KEYS):
        session["last_seen"] = at


def session_idle_due(co: Checkout, now: datetime) -> bool:
    """True when the logged-in attendant sent no command for `policy.attendant_idle_s`."""
    if co.session is None:
        return False
    last = co.session.get("last_seen") or co.session.get("since")
    if last is None:
        return False
    return (now - datetime.fromisoformat(str(last))).total_seconds() >= co.policy.attendant_idle_s


def timeout_due(co: Checkout, now: datetime) -> bool:
    """True when a Timeout would do something at `now`: an idle session or a sale timer."""
    return session_idle_due(co, now) or sale_rules.timeout_due(co, now)


def decide_timeout(co: Checkout, cmd: Timeout, ctx: Context) -> list[Fact]:
    """End an idle attendant session, then whatever timer of the sale is due."""
    if not session_idle_due(co, ctx.now):
        return sale_rules.decide_timeout(co, cmd, ctx)
    draft = Draft(co, ctx)
    draft.end_session("idle")
    if sale_rules.timeout_due(co, ctx.now):
        # The sale's own decision still sees the session; its logout is already in `draft`.
        draft.facts.extend(f for f in sale_rules.decide_timeout(co, cmd, ctx)
                           if f.kind != "attendant_logged_out")
    return draft.facts


def decide_logout(co: Checkout, cmd: AttendantLogout, ctx: Context) -> list[Fact]:
    if co.session is None:
        raise refuse("no attendant is logged in, so nobody can log out",
                     "Es ist niemand angemeldet.", "Nobody is logged in.")
    draft = Draft(co, ctx)
    draft.end_session("logout")
    return draft.facts


def _check_session_is(co: Checkout, attendant_id: str, what: str) -> None:
    who = logged_in(co)
    if who.attendant_id != attendant_id.strip():
        raise _auth_error(f"attendant {attendant_id!r} asked to {what} the lane, but "
                          f"{who.attendant_id!r} is logged in; log in as {attendant_id!r}",
                          "Bitte melden Sie sich mit Ihrer eigenen Nummer an.",
                          "Please log in with your own number.")


def decide_open(co: Checkout, cmd: Open, ctx: Context) -> list[Fact]:
    if cmd.attendant_id == SYSTEM:
        if not co.policy.open_on_start:
            raise _auth_error("the lane may open itself only when policy.open_on_start is set",
                              "Bitte melden Sie sich an, um die Kasse zu öffnen.",
                              "Please log in to open the lane.")
    else:
        _check_session_is(co, cmd.attendant_id, "open")
    draft = Draft(co, ctx)
    draft.add("lane_opened", attendant_id=cmd.attendant_id.strip())
    draft.end_session("lane_opened")
    return draft.facts


def decide_close(co: Checkout, cmd: Close, ctx: Context) -> list[Fact]:
    _check_session_is(co, cmd.attendant_id, "close")
    draft = Draft(co, ctx)
    draft.add("lane_closed", attendant_id=cmd.attendant_id.strip())
    draft.end_session("lane_closed")
    return draft.facts


def decide_help(co: Checkout, cmd: Help, ctx: Context) -> list[Fact]:
    if any(i.reason is Reason.HELP for i in co.interventions):
        raise refuse("help is already called at this lane",
                     "Das Personal ist bereits gerufen und kommt gleich.",
                     "A member of staff has been called and is on the way.")
    draft = Draft(co, ctx)
    draft.raise_(Reason.HELP, {"cause": "button", "state": co.state.value,
                               "basket_id": co.basket_id})
    return draft.facts


def decide_device_lost(co: Checkout, cmd: DeviceLost, ctx: Context) -> list[Fact]:
    device = cmd.device.strip()
    if not device:
        raise refuse("a lost device must be named (its name in the config)",
                     "Gerätestörung.", "Device fault.")
    draft = Draft(co, ctx)
    draft.add("device_lost", device=device, detail=cmd.detail)
    if not _faults_of(co, device):
        draft.raise_(Reason.DEVICE_FAULT, {"device": device, "detail": cmd.detail})
    return draft.facts


def decide_device_back(co: Checkout, cmd: DeviceBack, ctx: Context) -> list[Fact]:
    device = cmd.device.strip()
    draft = Draft(co, ctx)
    draft.add("device_back", device=device)
    for found in _faults_of(co, device):
        draft.clear(found, SYSTEM, "device_back")
    return draft.facts


def _faults_of(co: Checkout, device: str) -> list[Intervention]:
    return [i for i in co.interventions
            if i.reason is Reason.DEVICE_FAULT and i.evidence.get("device") == device]


def decide_approve(co: Checkout, cmd: Approve, ctx: Context) -> list[Fact]:
    return _clear(co, cmd.intervention_id, ctx, approve=True)


def decide_reject(co: Checkout, cmd: Reject, ctx: Context) -> list[Fact]:
    return _clear(co, cmd.intervention_id, ctx, approve=False)


def _clear(co: Checkout, intervention_id: str, ctx: Context, *, approve: bool) -> list[Fact]:
    who = logged_in(co)
    draft = clear_as(co, who.attendant_id, who.role, intervention_id, ctx, approve=approve)
    if not _still_open(co, draft) and co.state is not FlowState.CLOSED:
        draft.end_session("all_cleared")
    return draft.facts


def clear_as(co: Checkout, actor_id: str, role: Role, intervention_id: str, ctx: Context, *,
             approve: bool) -> Draft:
    """Approve or reject an open intervention as attendant `actor_id` with `role` (logged in
    at the lane, or acting from the console); the lane's session is not touched here."""
    found = co.open_interventions.get(intervention_id)
    if found is None:
        raise refuse(f"intervention {intervention_id!r} is not open at this lane "
                     "(already cleared or never raised)",
                     "Dieser Vorgang ist bereits erledigt.", "This has already been dealt with.")
    if not co.policy.may_clear(role, found.reason):
        raise _auth_error(f"attendant {actor_id} ({role.value}) may not clear "
                          f"{found.reason.value}; ask a supervisor",
                          "Dafür ist eine Aufsicht nötig.", "This needs a supervisor.")
    draft = Draft(co, ctx)
    _CONSEQUENCES.get(found.reason, _just_clear)(co, draft, found, actor_id, approve)
    return draft


def _still_open(co: Checkout, draft: Draft) -> set[str]:
    ids = set(co.open_interventions)
    for fact in draft.facts:
        if fact.kind == "intervention_cleared":
            ids.discard(fact.data["intervention_id"])
        elif fact.kind == "intervention_raised":
            ids.add(fact.data["intervention"]["intervention_id"])
    return ids


def _outcome(approve: bool) -> str:
    return "approved" if approve else "rejected"


def _just_clear(co: Checkout, draft: Draft, found: Intervention, by: str, approve: bool) -> None:
    draft.clear(found, by, _outcome(approve))


def _age_check(co: Checkout, draft: Draft, found: Intervention, by: str, approve: bool) -> None:
    age = int(found.evidence["age"])
    checks = [i for i in co.interventions if i.reason is Reason.AGE_CHECK]
    if approve:
        draft.add("age_verified", age=age, by=by)
        for check in checks:
            if int(check.evidence["age"]) <= age:
                draft.clear(check, by, "approved")
        return
    for check in checks:
        if int(check.evidence["age"]) >= age:
            draft.clear(check, by, "rejected")
    voided = {x.line_id for x in co.basket.active_lines() if (x.age_limit or 0) >= age}
    for line_id in sorted(voided):
        draft.add("line_voided", line_id=line_id, by=by)
    withdraw_orphans(co, draft, voided, by)


def _void_approval(co: Checkout, draft: Draft, found: Intervention, by: str,
                   approve: bool) -> None:
    draft.clear(found, by, _outcome(approve))
    line_id = int(found.evidence["line_id"])
    if approve and not co.basket.line(line_id).voided:
        draft.add("line_voided", line_id=line_id, by=by)
        withdraw_orphans(co, draft, {line_id}, by)


def _quantity_limit(co: Checkout, draft: Draft, found: Intervention, by: str,
                    approve: bool) -> None:
    draft.clear(found, by, _outcome(approve))
    line = co.basket.line(int(found.evidence["line_id"]))
    limit = co.policy.max_quantity_per_line
    if not approve and not line.voided and line.quantity > limit:
        draft.add("quantity_set", line_id=line.line_id, quantity=limit, by=by)


_CONSEQUENCES: dict[Reason, Callable[[Any, Draft, Intervention, str, bool], None]] = {
    Reason.AGE_CHECK: _age_check,
    Reason.VOID_APPROVAL: _void_approval,
    Reason.QUANTITY_LIMIT: _quantity_limit,
    **BAGGING_CONSEQUENCES,
    Reason.PAYMENT_FAILED: reconcile,
}

DECIDERS: dict[type, Callable[[Any, Any, Any], list[Fact]]] = {
    AttendantLogin: decide_login,
    AttendantBadge: decide_badge,
    AttendantLogout: decide_logout,
    Open: decide_open,
    Close: decide_close,
    Help: decide_help,
    DeviceLost: decide_device_lost,
    DeviceBack: decide_device_back,
    Approve: decide_approve,
    Reject: decide_reject,
    # Overrides checkout_sale's entry (merged after it in checkout._DECIDERS): see decide_timeout.
    Timeout: decide_timeout,
}

"""Decisions on an attendant's action sent from the store's console (`ConsoleCommand`).

The console (served by the hub) lets an attendant approve, reject, void a line, cancel a
basket, or close and open a lane from anywhere in the store. The hub authenticated them and
checked their role against what the lane published; the lane decides again here, with its own
policy, exactly as for the same action by an attendant logged in at the lane:

1. a `command_id` this lane already applied -> `DuplicateCommand` (no facts): a command
   delivered twice applies once;
2. an unknown action or role, or a role the lane's policy does not allow for it -> refused;
3. the flow table must allow the lane event of the same action in the lane's state;
4. targets: the intervention must be open, `basket_id` must be the current basket and the
   line must be in it and not voided -> else refused: never act on the next shopper's basket;
5. otherwise the same facts as at the lane (`checkout_staff.clear_as`,
   `checkout_basket.void_as`, `checkout_sale.close_basket`, lane_opened / lane_closed), each
   fact that names the attendant stamped with `via: "console"` and the `command_id`, after a
   `console_command` fact that records who asked for what.

The lane's own session (someone logged in at the lane) is not touched by a console action,
except that cancelling the basket ends it like every closed basket does (the next shopper must
never find the lane in attendant mode).

Applied command ids are kept in the checkout (`Checkout.applied_commands`, rebuilt by replay
from `console_command` facts), the newest `APPLIED_COMMANDS_KEPT`. That bound suffices: the hub
redelivers a command only within seconds (a reconnect while it waits for the answer), and every
action but open/close names a target that is unique (an intervention id, a basket id), so an
older command coming back is refused for its target anyway.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kiosk.domain import flow
from kiosk.domain.attendants import AttendantAuthError
from kiosk.domain.checkout_basket import Draft, not_now, refuse, void_as, voidable_line
from kiosk.domain.checkout_sale import check_no_payments, close_basket
from kiosk.domain.checkout_staff import clear_as
from kiosk.domain.commands import CONSOLE_ACTIONS, ConsoleCommand
from kiosk.domain.facts import Fact
from kiosk.domain.flow import FlowState
from kiosk.domain.policy import Policy, Reason, Role
from kiosk.errors import KioskError

if TYPE_CHECKING:
    from kiosk.domain.checkout import Checkout, Context

APPLIED_COMMANDS_KEPT = 500
VIA = "console"
CONSOLE_COMMAND = "console_command"  # the fact kind that records an applied console command

# Facts whose data names the acting attendant under one of these keys get the console stamp.
_ACTOR_KEYS = ("by", "cleared_by", "attendant_id")


class DuplicateCommand(KioskError):
    """The console command's id was already applied at this lane; nothing changes."""


def action_roles(policy: Policy) -> dict[str, list[str]]:
    """Which roles the lane's policy allows for each lane action (not approve/reject: those
    follow each intervention's reason, see `needs_role`). Voiding a line and cancelling a
    basket follow the void-approval rule, as at the lane; any attendant opens or closes."""
    every = [r.value for r in Role]
    may_void = [r.value for r in Role if policy.may_clear(r, Reason.VOID_APPROVAL)]
    return {"void_line": may_void, "cancel_basket": list(may_void),
            "close_lane": every, "open_lane": list(every)}


def needs_role(policy: Policy, reason: Reason) -> str:
    """The least role that may clear `reason` here: "attendant" or "supervisor"."""
    return Role.ATTENDANT.value if policy.may_clear(Role.ATTENDANT, reason) \
        else Role.SUPERVISOR.value


def _refuse(message: str) -> KioskError:
    return refuse(message, "Das ist gerade nicht möglich.", "That is not possible right now.")


def _role_of(cmd: ConsoleCommand) -> Role:
    try:
        return Role(cmd.role)
    except ValueError:
        raise AttendantAuthError(
            f"role {cmd.role!r} of attendant {cmd.attendant_id} is not known at this lane; "
            f"use one of {', '.join(r.value for r in Role)}",
            {"de": "Unbekannte Rolle.", "en": "Unknown role."}) from None


def decide_console(co: Checkout, cmd: ConsoleCommand, ctx: Context) -> list[Fact]:
    """The facts of a console command, or a typed refusal (see the module docstring)."""
    if cmd.command_id in co.applied_commands:
        raise DuplicateCommand(f"command {cmd.command_id} was already applied at this lane; "
                               "nothing changed")
    event = cmd.event()
    if event is None or cmd.action not in CONSOLE_ACTIONS:
        raise _refuse(f"action {cmd.action!r} is unknown; use one of "
                      f"{', '.join(CONSOLE_ACTIONS)}")
    role = _role_of(cmd)
    allowed = action_roles(co.policy).get(cmd.action)
    if allowed is not None and role.value not in allowed:
        raise AttendantAuthError(
            f"attendant {cmd.attendant_id} ({role.value}) may not {cmd.action} at this lane; "
            "ask a supervisor", {"de": "Dafür ist eine Aufsicht nötig.",
                                 "en": "This needs a supervisor."})
    if not flow.allows(co.state, event):
        raise not_now(co.state, event)
    draft = _decide_action(co, cmd, role, ctx)
    return _stamped(cmd, draft)


def _decide_action(co: Checkout, cmd: ConsoleCommand, role: Role, ctx: Context) -> Draft:
    actor = cmd.attendant_id
    if cmd.action in ("approve", "reject"):
        if not cmd.intervention_id:
            raise _refuse(f"{cmd.action} needs an intervention_id")
        return clear_as(co, actor, role, cmd.intervention_id, ctx,
                        approve=cmd.action == "approve")
    draft = Draft(co, ctx)
    if cmd.action == "void_line":
        _check_basket(co, cmd)
        if cmd.line_id is None:
            raise _refuse("void_line needs a line_id")
        void_as(co, draft, voidable_line(co, cmd.line_id), actor)
    elif cmd.action == "cancel_basket":
        _check_basket(co, cmd)
        if co.state is not FlowState.SCANNING:
            raise _refuse(f"basket {co.basket_id} is {co.state.value}, not scanning; "
                          "finish or stop that at the lane first")
        check_no_payments(co)
        close_basket(co, draft, "cancelled", actor)
    elif cmd.action == "close_lane":
        draft.add("lane_closed", attendant_id=actor)
    else:
        draft.add("lane_opened", attendant_id=actor)
    return draft


def _check_basket(co: Checkout, cmd: ConsoleCommand) -> None:
    if not cmd.basket_id or cmd.basket_id != co.basket_id:
        raise _refuse(f"basket {cmd.basket_id!r} is not the lane's current basket "
                      f"({co.basket_id!r}); nothing was changed")


def _stamped(cmd: ConsoleCommand, draft: Draft) -> list[Fact]:
    record = Fact(CONSOLE_COMMAND, {
        "command_id": cmd.command_id, "action": cmd.action, "attendant_id": cmd.attendant_id,
        "attendant_name": cmd.attendant_name, "role": cmd.role, "via": VIA,
        **{k: v for k, v in (("intervention_id", cmd.intervention_id),
                             ("line_id", cmd.line_id), ("basket_id", cmd.basket_id))
           if v is not None},
    }, draft.at)
    out = [record]
    for fact in draft.facts:
        if any(fact.data.get(key) == cmd.attendant_id for key in _ACTOR_KEYS):
            fact = Fact(fact.kind, {**fact.data, "via": VIA, "command_id": cmd.command_id},
                        fact.at)
        out.append(fact)
    return out


def remember(applied: dict[str, None], command_id: str) -> None:
    """Note `command_id` as applied, keeping the newest `APPLIED_COMMANDS_KEPT` ids."""
    applied[command_id] = None
    while len(applied) > APPLIED_COMMANDS_KEPT:
        del applied[next(iter(applied))]

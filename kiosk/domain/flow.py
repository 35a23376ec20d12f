"""The checkout flow as data: states, events and the declared transitions, checked at import.

The table below is the one place that says which event may happen in which state and where it
leads. `Checkout` refuses an event the table does not allow in the current state, and the tests
drive random command sequences and assert that every move the checkout makes is a declared row.
An event may have more than one row from a state (the note says which condition picks it); a
row whose target is its source is an event that is allowed but does not move the lane.

At import, `validate_flow()` checks the table (every state reachable from `closed`, none a trap:
every state can get back to `idle`; every event known and used) and raises `FlowDefinitionError`
when it is wrong, so a bad edit fails every test and the app at start, not on a shopper.

Open interventions (age check, void approval, ...) are an overlay, not states: they block scan,
pay or both until an authorised person clears them (see `kiosk.domain.interventions`).

`render_markdown()` renders the table, a mermaid diagram and the intervention overlay into
docs/flow.md: `python -m kiosk.domain.flow > docs/flow.md`.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from kiosk.domain.interventions import BLOCKS, Block
from kiosk.domain.policy import Reason
from kiosk.errors import KioskError


class FlowDefinitionError(KioskError, ValueError):
    """The declared flow table is inconsistent (unreachable or trap state, unknown event)."""


class FlowState(StrEnum):
    """Where the lane is. Values are journaled and shown in the docs."""

    CLOSED = "closed"  # lane closed by an attendant
    IDLE = "idle"  # attract screen, no basket
    SCANNING = "scanning"  # a basket is open
    WEIGHING = "weighing"  # a loose item is selected and waits for its weight
    PAYING = "paying"  # a payment is under way; the basket is frozen
    FINISHING = "finishing"  # receipt and thanks; the basket is closed
    OUT_OF_SERVICE = "out_of_service"  # a device fault with no basket open


class Event(StrEnum):
    """What can happen to the lane: one per command (`kiosk.domain.commands`)."""

    OPEN = "open"
    CLOSE = "close"
    START = "start"
    SCAN = "scan"
    SELECT_ITEM = "select_item"
    WEIGH = "weigh"
    SET_QUANTITY = "set_quantity"
    VOID = "void"
    APPLY_COUPON = "apply_coupon"
    PAY = "pay"
    PAYMENT_RESULT = "payment_result"
    HELP = "help"
    ATTENDANT_LOGIN = "attendant_login"
    ATTENDANT_LOGOUT = "attendant_logout"
    ATTENDANT_BADGE = "attendant_badge"
    APPROVE = "approve"
    REJECT = "reject"
    CANCEL = "cancel"
    TIMEOUT = "timeout"
    FINISH = "finish"
    DEVICE_LOST = "device_lost"
    DEVICE_BACK = "device_back"
    BAGGING_WEIGHT = "bagging_weight"
    SKIP_BAGGING = "skip_bagging"
    REPRINT = "reprint"


@dataclass(frozen=True, slots=True)
class Transition:
    """One declared move: `event` in `source` may lead to `target`; `note` says when and why."""

    source: FlowState
    event: Event
    target: FlowState
    note: str = ""


S = FlowState
E = Event

# Events an attendant or the devices may cause in (almost) any state without moving the lane.
_OVERLAY_EVENTS = (
    (E.HELP, "the shopper calls for help (an intervention that blocks nothing)"),
    (E.ATTENDANT_LOGIN, "an attendant logs in with id and PIN"),
    (E.ATTENDANT_BADGE, "an attendant logs in by scanning their badge"),
    (E.ATTENDANT_LOGOUT, "the attendant logs out"),
    (E.APPROVE, "an attendant approves an open intervention"),
    (E.REJECT, "an attendant rejects an open intervention"),
    (E.DEVICE_BACK, "a lost device is back; its fault clears by itself"),
    (E.BAGGING_WEIGHT, "a bagging-scale reading (it may place an item or raise an alarm)"),
    (E.REPRINT, "the logged-in attendant reprints the last receipt"),
)


def _stay(state: FlowState, *, skip: Iterable[Event] = (),
          extra: Sequence[tuple[Event, str]] = ()) -> tuple[Transition, ...]:
    skipped = set(skip)
    rows = [Transition(state, ev, state, note) for ev, note in _OVERLAY_EVENTS if ev not in skipped]
    rows += [Transition(state, ev, state, note) for ev, note in extra]
    return tuple(rows)


# In states without a timer of their own, a Timeout only ends an idle attendant session.
_IDLE_LOGOUT = (E.TIMEOUT, "an idle attendant session ends (policy.attendant_idle_s)")

TRANSITIONS: tuple[Transition, ...] = (
    # closed
    Transition(S.CLOSED, E.OPEN, S.IDLE, "the logged-in attendant opens the lane"),
    Transition(S.CLOSED, E.OPEN, S.OUT_OF_SERVICE, "... while a device fault is still open"),
    *_stay(S.CLOSED, skip=[E.HELP], extra=[
        (E.DEVICE_LOST, "a device is lost; the fault waits for the lane to open"),
        _IDLE_LOGOUT,
    ]),
    # idle
    Transition(S.IDLE, E.START, S.SCANNING, "a touch on the attract screen opens a basket"),
    Transition(S.IDLE, E.SCAN, S.SCANNING, "the first scan opens a basket"),
    Transition(S.IDLE, E.SCAN, S.WEIGHING, "the first scan is an item sold by weight"),
    Transition(S.IDLE, E.SELECT_ITEM, S.SCANNING, "a piece item picked by PLU opens a basket"),
    Transition(S.IDLE, E.SELECT_ITEM, S.WEIGHING, "a loose item picked by PLU opens a basket"),
    Transition(S.IDLE, E.CLOSE, S.CLOSED, "the logged-in attendant closes the lane"),
    Transition(S.IDLE, E.DEVICE_LOST, S.OUT_OF_SERVICE, "a device is lost with no basket open"),
    *_stay(S.IDLE, extra=[_IDLE_LOGOUT]),
    # scanning
    Transition(S.SCANNING, E.SCAN, S.SCANNING, "an item (with its deposit line) or a coupon"),
    Transition(S.SCANNING, E.SCAN, S.WEIGHING, "the item is sold by weight: weigh it first"),
    Transition(S.SCANNING, E.SELECT_ITEM, S.SCANNING, "a piece item picked by PLU or sku"),
    Transition(S.SCANNING, E.SELECT_ITEM, S.WEIGHING, "a loose item picked by PLU: weigh it"),
    Transition(S.SCANNING, E.SET_QUANTITY, S.SCANNING, "more pieces (fewer need an attendant)"),
    Transition(S.SCANNING, E.VOID, S.SCANNING,
               "the shopper asks to void a line (an attendant voids at once)"),
    Transition(S.SCANNING, E.APPLY_COUPON, S.SCANNING, "a coupon code typed or scanned"),
    Transition(S.SCANNING, E.PAY, S.PAYING, "a non-empty basket and nothing blocks pay"),
    Transition(S.SCANNING, E.PAY, S.FINISHING,
               "nothing is due (coupons, earlier payments): sold at once"),
    Transition(S.SCANNING, E.CANCEL, S.IDLE,
               "the basket is abandoned (with items only by an attendant)"),
    Transition(S.SCANNING, E.CANCEL, S.OUT_OF_SERVICE, "... while a device fault is open"),
    Transition(S.SCANNING, E.TIMEOUT, S.SCANNING,
               "a basket with items left idle calls for help"),
    Transition(S.SCANNING, E.TIMEOUT, S.IDLE, "an empty basket left idle is closed"),
    Transition(S.SCANNING, E.TIMEOUT, S.OUT_OF_SERVICE, "... while a device fault is open"),
    Transition(S.SCANNING, E.SKIP_BAGGING, S.SCANNING,
               "the shopper takes an item without bagging it (if policy allows)"),
    Transition(S.SCANNING, E.PAYMENT_RESULT, S.SCANNING,
               "a late answer for an attempt the lane gave up on is recorded (an approval "
               "counts as paid: the next pay completes the sale)"),
    *_stay(S.SCANNING, extra=[(E.DEVICE_LOST, "a device fault blocks scan and pay")]),
    # weighing
    Transition(S.WEIGHING, E.WEIGH, S.SCANNING, "a stable weight above 0 g makes the line"),
    Transition(S.WEIGHING, E.SELECT_ITEM, S.WEIGHING, "another loose item is picked instead"),
    Transition(S.WEIGHING, E.SELECT_ITEM, S.SCANNING, "a piece item is picked instead"),
    Transition(S.WEIGHING, E.CANCEL, S.SCANNING, "the shopper does not weigh the item"),
    Transition(S.WEIGHING, E.TIMEOUT, S.SCANNING, "nothing was weighed in time"),
    Transition(S.WEIGHING, E.TIMEOUT, S.WEIGHING,
               "an item scanned earlier was not placed in the bagging area in time"),
    Transition(S.WEIGHING, E.SKIP_BAGGING, S.WEIGHING,
               "the shopper takes an item without bagging it (if policy allows)"),
    *_stay(S.WEIGHING, extra=[(E.DEVICE_LOST, "a device fault blocks scan and pay")]),
    # paying
    Transition(S.PAYING, E.PAYMENT_RESULT, S.FINISHING, "approved and fully paid: the sale"),
    Transition(S.PAYING, E.PAYMENT_RESULT, S.PAYING,
               "approved for part of the amount; or unknown (link lost, terminal silent): pay "
               "waits until the terminal or an attendant settles it"),
    Transition(S.PAYING, E.PAYMENT_RESULT, S.SCANNING,
               "declined or aborted: back to the basket, the shopper may pay again"),
    Transition(S.PAYING, E.CANCEL, S.SCANNING, "the shopper stops paying"),
    Transition(S.PAYING, E.APPROVE, S.FINISHING,
               "the attendant confirms an unknown payment was booked: the sale"),
    Transition(S.PAYING, E.REJECT, S.SCANNING,
               "the attendant finds an unknown payment was not booked: back to the basket"),
    *_stay(S.PAYING, extra=[(E.DEVICE_LOST, "a device fault blocks further payments"),
                            _IDLE_LOGOUT]),
    # finishing
    Transition(S.FINISHING, E.FINISH, S.IDLE, "the shopper is done"),
    Transition(S.FINISHING, E.FINISH, S.OUT_OF_SERVICE, "... while a device fault is open"),
    Transition(S.FINISHING, E.TIMEOUT, S.IDLE, "the receipt screen times out"),
    Transition(S.FINISHING, E.TIMEOUT, S.OUT_OF_SERVICE, "... while a device fault is open"),
    Transition(S.FINISHING, E.START, S.SCANNING, "the next shopper starts: a new basket"),
    Transition(S.FINISHING, E.SCAN, S.SCANNING, "the next shopper scans: a new basket"),
    Transition(S.FINISHING, E.SCAN, S.WEIGHING, "... with an item sold by weight"),
    Transition(S.FINISHING, E.SELECT_ITEM, S.SCANNING, "the next shopper picks a piece item"),
    Transition(S.FINISHING, E.SELECT_ITEM, S.WEIGHING, "the next shopper picks a loose item"),
    *_stay(S.FINISHING, extra=[(E.DEVICE_LOST, "the lane goes out of service after the receipt"),
                               _IDLE_LOGOUT]),
    # out of service
    Transition(S.OUT_OF_SERVICE, E.DEVICE_BACK, S.IDLE, "the last lost device is back"),
    Transition(S.OUT_OF_SERVICE, E.APPROVE, S.IDLE, "an attendant clears the last device fault"),
    Transition(S.OUT_OF_SERVICE, E.REJECT, S.IDLE, "an attendant dismisses the last device fault"),
    Transition(S.OUT_OF_SERVICE, E.CLOSE, S.CLOSED, "the logged-in attendant closes the lane"),
    *_stay(S.OUT_OF_SERVICE, extra=[(E.DEVICE_LOST, "another device is lost"), _IDLE_LOGOUT]),
)

INITIAL = FlowState.CLOSED
REST = FlowState.IDLE


def validate_flow(
    transitions: Sequence[Transition] = TRANSITIONS,
    *,
    states: Iterable[str] = tuple(FlowState),
    events: Iterable[str] = tuple(Event),
    initial: str = INITIAL,
    rest: str = REST,
) -> None:
    """Check a flow table; raise FlowDefinitionError naming every problem found.

    Checks: every source/target is a known state and every event a known event; no row twice;
    every state is reachable from `initial`; every state can reach `rest` (no trap); every
    known event appears in some row.
    """
    known_states = {str(s) for s in states}
    known_events = {str(e) for e in events}
    initial, rest = str(initial), str(rest)
    problems: list[str] = []
    seen: set[tuple[str, str, str]] = set()
    for row in transitions:
        key = (str(row.source), str(row.event), str(row.target))
        for what, value in (("source", key[0]), ("target", key[2])):
            if value not in known_states:
                problems.append(f"row {key}: {what} {value!r} is not a known state")
        if key[1] not in known_events:
            problems.append(f"row {key}: event {key[1]!r} is not a known event")
        if key in seen:
            problems.append(f"row {key} is declared twice")
        seen.add(key)
    edges = {(s, t) for s, _, t in seen}
    reachable = _closure({initial}, edges)
    for state in sorted(known_states - reachable):
        problems.append(f"state {state!r} cannot be reached from {initial!r}")
    back = _closure({rest}, {(t, s) for s, t in edges})
    for state in sorted(known_states - back):
        problems.append(f"state {state!r} is a trap: there is no way from it back to {rest!r}")
    used = {e for _, e, _ in seen}
    for event in sorted(known_events - used):
        problems.append(f"event {event!r} has no transition")
    if problems:
        raise FlowDefinitionError("the checkout flow table is wrong: " + "; ".join(problems))


def _closure(start: set[str], edges: set[tuple[str, str]]) -> set[str]:
    found = set(start)
    todo = list(start)
    while todo:
        here = todo.pop()
        for src, dst in edges:
            if src == here and dst not in found:
                found.add(dst)
                todo.append(dst)
    return found


_TARGETS: dict[tuple[FlowState, Event], frozenset[FlowState]] = {}
for _row in TRANSITIONS:
    _key = (_row.source, _row.event)
    _TARGETS[_key] = _TARGETS.get(_key, frozenset()) | {_row.target}


def allows(state: FlowState, event: Event) -> bool:
    """True when `event` is declared in `state` (whatever its target)."""
    return (state, event) in _TARGETS


def targets(state: FlowState, event: Event) -> frozenset[FlowState]:
    """The states `event` may lead to from `state` (empty when not allowed)."""
    return _TARGETS.get((state, event), frozenset())


def events_in(state: FlowState) -> tuple[Event, ...]:
    """The events allowed in `state`, in declaration order (for the UI and the docs)."""
    return tuple(e for e in Event if (state, e) in _TARGETS)


def render_markdown(transitions: Sequence[Transition] = TRANSITIONS) -> str:
    """docs/flow.md: states, a mermaid state diagram, the table per state and the overlay."""
    out = [
        "# The checkout flow",
        "",
        "<!-- Generated from kiosk/domain/flow.py; do not edit by hand. Regenerate with",
        "     python -m kiosk.domain.flow > docs/flow.md",
        "     (tests/domain/test_flow.py fails when this file is out of date). -->",
        "",
        "The lane is always in exactly one state. Events are the commands of",
        "`kiosk/domain/commands.py`. An event not listed for a state is refused with a",
        "message for the shopper; an event may lead to different states (the note says when).",
        "The table is checked when the code is imported: every state is reachable from",
        "`closed` and every state can get back to `idle`.",
        "",
        "## Diagram",
        "",
        "Events that leave the state unchanged (help, attendant login, approvals, device",
        "events) are in the tables below, not in the diagram.",
        "",
        "```mermaid",
        "stateDiagram-v2",
        f"    [*] --> {INITIAL}",
    ]
    arrows: dict[tuple[str, str], list[str]] = {}
    for row in transitions:
        if row.source != row.target:
            arrows.setdefault((row.source, row.target), [])
            if row.event not in arrows[(row.source, row.target)]:
                arrows[(row.source, row.target)].append(row.event)
    out += [f"    {s} --> {t} : {', '.join(evs)}" for (s, t), evs in arrows.items()]
    out += ["```", "", "## Transitions", ""]
    for state in FlowState:
        rows = [r for r in transitions if r.source == state]
        out += [f"### `{state}`", "", "| Event | Next state | When |", "|---|---|---|"]
        out += [f"| `{r.event}` | `{r.target}` | {r.note} |" for r in rows]
        out.append("")
    out += [
        "## Interventions (the overlay)",
        "",
        "An open intervention does not change the state. It blocks what it names until an",
        "attendant whose role may clear that reason approves or rejects it (a device fault",
        "also clears itself when the device is back).",
        "",
        "| Reason | Blocks |",
        "|---|---|",
    ]
    for reason in Reason:
        blocks = BLOCKS[reason]
        names = " and ".join(b.value for b in Block if b in blocks) or "nothing"
        out.append(f"| `{reason}` | {names} |")
    out += ["", "## Rules the table does not show", "", *_RULES, ""]
    return "\n".join(out)


_RULES = [
    "- **Age check** (16/18): one per age limit and basket; approving 18 also covers 16 and",
    "  every later item of the basket. Rejecting voids the items that need that age or more.",
    "- **Void**: the shopper asks, an attendant approves (the line and its deposit line are",
    "  voided in the attendant's name) or rejects (the line stays). A logged-in attendant",
    "  voids at once. Fewer pieces on a line count as a void.",
    "- **Quantity limit**: a line above `max_quantity_per_line` waits for an attendant;",
    "  approve keeps it, reject sets it back to the limit.",
    "- **Cancel** on the basket: an empty basket by the shopper, a basket with items only by",
    "  an attendant, never after a payment was approved.",
    "- **Timeout**: the receipt screen ends; weighing stops after `idle_timeout_s`; an empty",
    "  basket left that long is closed, a basket with items calls for help instead.",
    "- **Payment**: an approved payment is always recorded; the sale (`sale_finished`, then",
    "  `basket_closed` \"sold\") follows as soon as payments cover the total.",
    "- **Attendant sessions** end on logout, when the lane opens or closes, when a basket",
    "  opens or closes, and when the attendant clears the last open intervention (unless",
    "  the lane is closed).",
    "- **Bagging area** (when `policy.bagging` is on; see docs/security.md): each scanned",
    "  item must be placed within `bagging_timeout_s` (else *weight not placed*); weight with",
    "  nothing expected is an *unexpected item*, weight taken away an *item removed*, weight",
    "  outside the item's band a *weight mismatch*. Pay waits until every item is placed or",
    "  skipped. The three alarms end by themselves when the scale reads the accepted weight",
    "  again; an attendant's approval accepts the weight (and teaches a mismatched item).",
    "- **Console** (docs/console.md): an attendant's approve, reject, void line, cancel",
    "  basket, close or open lane sent from the store's console is the same event as at the",
    "  lane, checked again with this lane's policy; a command id already applied changes",
    "  nothing, and a target that is gone (cleared, another basket) is refused. Cancelling",
    "  from the console needs the basket in `scanning`.",
    "- **Wrong PINs**: `pin_max_failures` within `pin_failure_window_s` lock that id for",
    "  `pin_lockout_s`; unknown ids count the same. Failures are journaled facts, so a",
    "  restart keeps a lockout.",
]


validate_flow()

if __name__ == "__main__":
    sys.stdout.write(render_markdown())

"""The checkout aggregate: one lane's state, changed only by facts.

Two steps, so the journal can commit before anything changes (see `kiosk.domain.facts`):

- `decide(command, ctx)` checks the command against the flow table (`kiosk.domain.flow`), the
  open interventions and the basket, and returns the facts it implies. It changes nothing. A
  refusal is a typed error with German and English texts for the screen (`FlowError`,
  `CodeError`, `AttendantAuthError`).
- `apply(fact)` is the only mutator. It uses nothing but the fact (no catalog, clock or ids),
  so replaying the journal rebuilds the lane exactly, open basket, interventions and PIN
  lockouts included.

Contract the journal relies on: the first fact of every basket is `basket_opened`
{"basket_id"}; the last is `basket_closed` {"basket_id", "outcome": "sold" | "cancelled"}. A sale
is `sale_finished` {"sale": {...}} (the complete sale record, see `checkout_sale.sale_record`),
followed by `basket_closed` "sold" in the same decision; the lane then shows the receipt
(`finishing`) until `Finish` or `Timeout`.

One refusal still records something: a wrong PIN raises `AttendantAuthError` whose `facts`
(a `pin_rejected` fact) must be journaled and applied like any others, so a restart keeps a
lockout. `facts_to_record(err)` gives them for any error; `handle` does this for you.

Attendant sessions are short on purpose: a session ends on logout, when the lane opens or
closes, when a basket opens or closes, when the attendant clears the last open intervention
(outside a closed lane), and on a `Timeout` after `policy.attendant_idle_s` without an attendant
command (`checkout_staff`). An attendant who walks away never leaves the lane in attendant mode.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiosk.domain import checkout_bagging as bagging_rules
from kiosk.domain import checkout_basket as basket_rules
from kiosk.domain import checkout_console as console_rules
from kiosk.domain import checkout_payment as payment_rules
from kiosk.domain import checkout_sale as sale_rules
from kiosk.domain import checkout_snapshot, flow
from kiosk.domain import checkout_staff as staff_rules
from kiosk.domain.attendants import Attendant, PinGuard
from kiosk.domain.basket import Basket, Line
from kiosk.domain.catalog import Catalog
from kiosk.domain.checkout_snapshot import SNAPSHOT_VERSION
from kiosk.domain.commands import Command, ConsoleCommand
from kiosk.domain.facts import Fact
from kiosk.domain.flow import FlowState
from kiosk.domain.interventions import Intervention
from kiosk.domain.learned import LearnedWeight
from kiosk.domain.policy import Policy, Reason
from kiosk.domain.pricing import Coupon, Promotion, Totals, price_basket, promotion_from_dict
from kiosk.domain.security import BaggingArea
from kiosk.errors import JournalError

__all__ = ["FACT_KINDS", "SNAPSHOT_VERSION", "Checkout", "Context", "FlowState",
           "facts_to_record"]



@dataclass(frozen=True, slots=True)
class Context:
    """What the shell hands to `decide`: the time (aware UTC), the catalog, a source of
    unique ids (uuid4 hex in production) for basket and sale ids, and the learned item weights
    (a lookup by sku or a mapping; None: nothing learned). The bagging facts carry the band
    that was used, so replay never needs `weights`."""

    now: datetime
    catalog: Catalog
    new_id: Callable[[], str]
    weights: Callable[[str], LearnedWeight | None] | Mapping[str, LearnedWeight] | None = None

    def learned(self, sku: str) -> LearnedWeight | None:
        """The learned weight of `sku`, if any."""
        if self.weights is None:
            return None
        if isinstance(self.weights, Mapping):
            return self.weights.get(sku)
        return self.weights(sku)

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError(f"Context.now {self.now!r} has no time zone; pass an aware UTC time")


def facts_to_record(error: BaseException) -> tuple[Fact, ...]:
    """Facts a refused command still needs journaled and applied (a wrong PIN), else ()."""
    facts = getattr(error, "facts", ())
    return tuple(f for f in facts if isinstance(f, Fact))


class Checkout:
    """One lane. Read the public attributes freely; only `apply` changes them."""

    def __init__(
        self,
        *,
        lane_id: str,
        policy: Policy,
        attendants: Mapping[str, Attendant],
        promotions: Sequence[Promotion | Coupon] = (),
    ) -> None:
        self.lane_id = lane_id
        self.policy = policy
        self.attendants = dict(attendants)
        self.promotions: tuple[Promotion, ...] = tuple(
            p for p in promotions if not isinstance(p, Coupon))
        self.known_coupons: dict[str, Coupon] = {
            p.coupon_code: p for p in promotions if isinstance(p, Coupon)}
        self.state = FlowState.CLOSED
        self.pins = PinGuard()
        self.session: dict[str, Any] | None = None  # {"attendant_id", "name", "role", "since"}
        self.intervention_seq = 0
        self.open_interventions: dict[str, Intervention] = {}
        self.last_sale: dict[str, Any] | None = None
        self.bagging = BaggingArea()  # the baseline outlives baskets; expectations do not
        # Console command ids applied here, oldest first (checkout_console.remember bounds it).
        self.applied_commands: dict[str, None] = {}
        self._reset_basket()

    def _reset_basket(self) -> None:
        self.basket = Basket()
        self.basket_id: str | None = None
        self.opened_at: str | None = None
        self.last_activity_at: str | None = None
        self.verified_age = 0
        self.weighing_item: dict[str, Any] | None = None
        self.payments: list[dict[str, Any]] = []
        self.pending_payment: dict[str, Any] | None = None
        self.last_declined: dict[str, Any] | None = None
        self.coupons: list[dict[str, Any]] = []
        self.loyalty_card: str | None = None
        self.cleared_interventions: list[Intervention] = []
        self.bagging = self.bagging.new_basket()

    # -- reading -------------------------------------------------------------------------------

    @property
    def interventions(self) -> tuple[Intervention, ...]:
        """The open interventions, oldest first."""
        return tuple(self.open_interventions.values())

    @property
    def attendant(self) -> Attendant | None:
        """The attendant logged in at the lane, if any."""
        if self.session is None:
            return None
        return self.attendants.get(self.session["attendant_id"])

    def totals(self) -> Totals:
        """The current basket priced with the store's promotions and the redeemed coupons."""
        coupons = [promotion_from_dict(c, "redeemed coupon") for c in self.coupons]
        return price_basket(self.basket.lines, self.promotions,
                            [c for c in coupons if isinstance(c, Coupon)])

    def paid_cents(self) -> int:
        """What approved payments in this basket add up to."""
        return sum(int(p["amount_cents"]) for p in self.payments)

    def amount_due_cents(self) -> int:
        """Total less what is already paid (never below 0)."""
        return max(0, self.totals().total_cents - self.paid_cents())

    def timeout_due(self, now: datetime) -> bool:
        """True when a `Timeout` command would do something at `now` (ask before sending one)."""
        return staff_rules.timeout_due(self, now)

    # -- deciding ------------------------------------------------------------------------------

    def decide(self, command: Command, ctx: Context) -> list[Fact]:
        """The facts `command` implies now; raises a typed error when it is refused."""
        return _decide(self, command, ctx)

    def handle(self, command: Command, ctx: Context) -> list[Fact]:
        """decide + apply, for tests and non-durable use. A wrong PIN's facts are applied
        before its error is raised again."""
        try:
            facts = self.decide(command, ctx)
        except Exception as err:
            for fact in facts_to_record(err):
                self.apply(fact)
            raise
        for fact in facts:
            self.apply(fact)
        return facts

    # -- applying ------------------------------------------------------------------------------

    def apply(self, fact: Fact) -> None:
        """Change the lane by one fact; deterministic; uses nothing but the fact."""
        handler = _APPLY.get(fact.kind)
        if handler is None:
            raise JournalError(
                f"fact kind {fact.kind!r} is unknown to this kiosk version; "
                "the journal was written by a newer version, update the kiosk"
            )
        if self.basket_id is not None:
            self.last_activity_at = fact.at
        if self.session is not None:
            staff_rules.note_activity(self.session, fact.kind, fact.data, fact.at)
        handler(self, fact)

    def rest_state(self) -> FlowState:
        """Where the lane goes when nothing is happening: out of service while a device fault
        is open, else idle."""
        faults = [i for i in self.interventions if i.reason is Reason.DEVICE_FAULT]
        return FlowState.OUT_OF_SERVICE if faults else FlowState.IDLE

    def _lane_opened(self, fact: Fact) -> None:
        self.state = self.rest_state()

    def _lane_closed(self, fact: Fact) -> None:
        self.state = FlowState.CLOSED

    def _basket_opened(self, fact: Fact) -> None:
        self._reset_basket()
        self.basket_id = str(fact.data["basket_id"])
        self.opened_at = self.last_activity_at = fact.at
        self.last_sale = None
        self.state = FlowState.SCANNING

    def _lines_added(self, fact: Fact) -> None:
        for line in fact.data["lines"]:
            self.basket.insert(Line.from_dict(line))
        self.weighing_item = None
        self.state = FlowState.SCANNING

    def _item_selected(self, fact: Fact) -> None:
        self.weighing_item = dict(fact.data)
        self.state = FlowState.WEIGHING

    def _weighing_cancelled(self, fact: Fact) -> None:
        self.weighing_item = None
        self.state = FlowState.SCANNING

    def _quantity_set(self, fact: Fact) -> None:
        self.basket.set_quantity(int(fact.data["line_id"]), int(fact.data["quantity"]))

    def _line_voided(self, fact: Fact) -> None:
        self.basket.void(int(fact.data["line_id"]), str(fact.data["by"]))
        self.bagging = self.bagging.dropped(int(fact.data["line_id"]))

    def _coupon_applied(self, fact: Fact) -> None:
        self.coupons.append(dict(fact.data["coupon"]))

    def _age_verified(self, fact: Fact) -> None:
        self.verified_age = max(self.verified_age, int(fact.data["age"]))

    def _intervention_raised(self, fact: Fact) -> None:
        raised = Intervention.from_dict(fact.data["intervention"])
        self.open_interventions[raised.intervention_id] = raised
        self.intervention_seq += 1

    def _intervention_cleared(self, fact: Fact) -> None:
        found = self.open_interventions.pop(str(fact.data["intervention_id"]))
        done = found.cleared(by=str(fact.data["cleared_by"]), at=fact.at,
                             outcome=str(fact.data["outcome"]))
        if self.basket_id is not None:
            self.cleared_interventions.append(done)
        if self.state is FlowState.OUT_OF_SERVICE:
            self.state = self.rest_state()

    def _payment_started(self, fact: Fact) -> None:
        self.pending_payment = dict(fact.data)
        self.last_declined = None
        self.state = FlowState.PAYING

    def _payment_approved(self, fact: Fact) -> None:
        self.payments.append({**fact.data, "approved_at": fact.at})

    def _payment_declined(self, fact: Fact) -> None:
        self.pending_payment = None
        self.last_declined = dict(fact.data)
        self.state = FlowState.SCANNING

    def _payment_aborted(self, fact: Fact) -> None:
        self.pending_payment = None
        self.state = FlowState.SCANNING

    def _payment_unknown(self, fact: Fact) -> None:
        """The attempt stays pending (and pay blocked) until the terminal or staff settle it."""
        if self.pending_payment is not None:
            self.pending_payment = {**self.pending_payment, "unknown": True}

    def _loyalty_card_added(self, fact: Fact) -> None:
        self.loyalty_card = str(fact.data["card"])

    def _on_record(self, fact: Fact) -> None:
        """Facts kept for the audit that change nothing here (reprints, ignored late answers)."""

    def _sale_finished(self, fact: Fact) -> None:
        self.last_sale = dict(fact.data["sale"])
        self.pending_payment = None
        self.state = FlowState.FINISHING

    def _basket_closed(self, fact: Fact) -> None:
        self._reset_basket()
        if fact.data["outcome"] != "sold":
            self.state = self.rest_state()

    def _finishing_done(self, fact: Fact) -> None:
        self.last_sale = None
        self.state = self.rest_state()

    def _attendant_logged_in(self, fact: Fact) -> None:
        self.session = {**fact.data, "since": fact.at}
        self.pins.record_success(str(fact.data["attendant_id"]))

    def _attendant_logged_out(self, fact: Fact) -> None:
        self.session = None

    def _pin_rejected(self, fact: Fact) -> None:
        self.pins.record_rejection(fact.data)

    def _device_lost(self, fact: Fact) -> None:
        if self.state is FlowState.IDLE:
            self.state = FlowState.OUT_OF_SERVICE

    def _console_command(self, fact: Fact) -> None:
        console_rules.remember(self.applied_commands, str(fact.data["command_id"]))

    def _device_back(self, fact: Fact) -> None:
        """Recorded for the audit; the faults it ends are cleared by their own facts."""

    # -- snapshots -----------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The complete state as JSON-able data (`from_snapshot` restores it exactly)."""
        return checkout_snapshot.to_dict(self)

    @classmethod
    def from_snapshot(
        cls,
        snap: Mapping[str, Any],
        *,
        policy: Policy,
        attendants: Mapping[str, Attendant],
        promotions: Sequence[Promotion | Coupon] = (),
    ) -> Checkout:
        """A checkout in the state `snap` describes, with today's policy and attendants."""
        co = cls(lane_id=str(snap["lane_id"]), policy=policy, attendants=attendants,
                 promotions=promotions)
        checkout_snapshot.restore(co, snap)
        return co


_APPLY: dict[str, Callable[[Checkout, Fact], None]] = {
    "lane_opened": Checkout._lane_opened,
    "lane_closed": Checkout._lane_closed,
    "basket_opened": Checkout._basket_opened,
    "lines_added": Checkout._lines_added,
    "item_selected": Checkout._item_selected,
    "weighing_cancelled": Checkout._weighing_cancelled,
    "quantity_set": Checkout._quantity_set,
    "line_voided": Checkout._line_voided,
    "coupon_applied": Checkout._coupon_applied,
    "age_verified": Checkout._age_verified,
    "intervention_raised": Checkout._intervention_raised,
    "intervention_cleared": Checkout._intervention_cleared,
    "payment_started": Checkout._payment_started,
    "payment_approved": Checkout._payment_approved,
    "payment_declined": Checkout._payment_declined,
    "payment_aborted": Checkout._payment_aborted,
    "payment_unknown": Checkout._payment_unknown,
    "payment_result_ignored": Checkout._on_record,
    "receipt_reprinted": Checkout._on_record,
    "loyalty_card_added": Checkout._loyalty_card_added,
    "sale_finished": Checkout._sale_finished,
    "basket_closed": Checkout._basket_closed,
    "finishing_done": Checkout._finishing_done,
    "attendant_logged_in": Checkout._attendant_logged_in,
    "attendant_logged_out": Checkout._attendant_logged_out,
    "pin_rejected": Checkout._pin_rejected,
    "device_lost": Checkout._device_lost,
    "device_back": Checkout._device_back,
    console_rules.CONSOLE_COMMAND: Checkout._console_command,
    **{kind: bagging_rules.apply_fact for kind in bagging_rules.FACT_KINDS},
}

FACT_KINDS = frozenset(_APPLY)


def _decide(co: Checkout, command: Command, ctx: Context) -> list[Fact]:
    if isinstance(command, ConsoleCommand):  # checks its own flow event after duplicates
        return console_rules.decide_console(co, command, ctx)
    event = command.EVENT
    if not flow.allows(co.state, event):
        raise basket_rules.not_now(co.state, event)
    decider = _DECIDERS.get(type(command))
    if decider is None:
        raise TypeError(f"{command!r} is not a checkout command")
    return decider(co, command, ctx)


_DECIDERS: dict[type, Callable[[Any, Any, Context], list[Fact]]] = {
    **basket_rules.DECIDERS,
    **sale_rules.DECIDERS,
    **payment_rules.DECIDERS,
    **staff_rules.DECIDERS,
    **bagging_rules.DECIDERS,
}

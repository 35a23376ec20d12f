"""The terminal's answers, unknown payments settled by the terminal or by staff, loyalty cards
and receipt reprints."""

from __future__ import annotations

import pytest

from kiosk.domain import commands as c
from kiosk.domain.flow import FlowState
from kiosk.domain.policy import Policy, Reason
from kiosk.errors import AuthError, CodeError, FlowError

from .checkout_helpers import MILK, VODKA, Lane

S = FlowState
CARD = {"masked_pan": "6726********0000", "terminal_id": "52500001", "trace_number": "000001",
        "receipt_number": "0001", "card_name": "girocard"}


def _paying(lane: Lane) -> str:
    lane.do(c.Scan(MILK))
    lane.do(c.Pay())
    assert lane.co.pending_payment is not None
    return str(lane.co.pending_payment["attempt_id"])


def test_each_payment_attempt_is_journaled_with_its_own_id_before_the_terminal_is_asked() -> None:
    lane = Lane()
    lane.do(c.Scan(MILK))
    (started,) = lane.do(c.Pay())
    assert started.kind == "payment_started"
    assert started.data["amount_cents"] == 119 and started.data["attempt_id"]
    lane.do(c.Cancel())
    (again,) = lane.do(c.Pay())
    assert again.data["attempt_id"] != started.data["attempt_id"]


def test_the_terminals_receipt_data_is_kept_on_the_sale() -> None:
    lane = Lane()
    attempt = _paying(lane)
    facts = lane.do(c.PaymentResult(approved=True, amount_cents=119, reference="000001",
                                    outcome="approved", attempt_id=attempt, terminal=CARD))
    sale = next(f for f in facts if f.kind == "sale_finished").data["sale"]
    (payment,) = sale["payments"]
    assert payment["terminal"] == CARD and payment["attempt_id"] == attempt


def test_an_aborted_payment_returns_to_the_basket_and_may_be_tried_again() -> None:
    lane = Lane()
    attempt = _paying(lane)
    facts = lane.do(c.PaymentResult(approved=False, amount_cents=119, reference="",
                                    outcome="aborted", attempt_id=attempt,
                                    detail="customer timeout (result code 6C)"))
    assert Lane.kinds(facts) == ["payment_aborted"]
    assert lane.co.state is S.SCANNING and lane.co.payments == []
    lane.do(c.Pay())
    assert lane.co.state is S.PAYING


def test_an_unknown_outcome_is_never_guessed_and_blocks_pay_until_settled() -> None:
    lane = Lane()
    attempt = _paying(lane)
    facts = lane.do(c.PaymentResult(approved=False, amount_cents=119, reference="",
                                    outcome="unknown", attempt_id=attempt,
                                    detail="terminal silent for 120 s"))
    assert Lane.kinds(facts) == ["payment_unknown", "intervention_raised"]
    (check,) = lane.co.interventions
    assert check.reason is Reason.PAYMENT_FAILED
    assert check.evidence["attempt_id"] == attempt and check.evidence["amount_cents"] == 119
    assert lane.co.state is S.PAYING and lane.co.payments == []
    with pytest.raises(FlowError):  # the shopper cannot walk away from a maybe-booked payment
        lane.do(c.Cancel())


def test_the_terminal_reporting_the_booking_later_completes_the_sale_by_itself() -> None:
    lane = Lane()
    attempt = _paying(lane)
    lane.do(c.PaymentResult(approved=False, amount_cents=119, reference="", outcome="unknown",
                            attempt_id=attempt))
    facts = lane.do(c.PaymentResult(approved=True, amount_cents=119, reference="000001",
                                    outcome="approved", attempt_id=attempt, terminal=CARD))
    kinds = Lane.kinds(facts)
    assert kinds[:2] == ["intervention_cleared", "payment_approved"] and "sale_finished" in kinds
    cleared = next(f for f in facts if f.kind == "intervention_cleared")
    assert cleared.data["cleared_by"] == "system"
    assert cleared.data["outcome"] == "terminal reported approved"
    assert lane.co.state is S.FINISHING and not lane.co.interventions


def test_the_terminal_reporting_nothing_booked_returns_the_shopper_to_the_basket() -> None:
    lane = Lane()
    attempt = _paying(lane)
    lane.do(c.PaymentResult(approved=False, amount_cents=119, reference="", outcome="unknown",
                            attempt_id=attempt))
    lane.do(c.PaymentResult(approved=False, amount_cents=119, reference="",
                            outcome="declined", attempt_id=attempt))
    assert lane.co.state is S.SCANNING and not lane.co.interventions


def test_an_attendant_confirming_the_booking_finishes_the_sale_in_their_name() -> None:
    lane = Lane()
    attempt = _paying(lane)
    lane.do(c.PaymentResult(approved=False, amount_cents=119, reference="", outcome="unknown",
                            attempt_id=attempt))
    lane.login("1001")
    facts = lane.do(c.Approve(lane.open_ids()[0]))
    approved = next(f for f in facts if f.kind == "payment_approved")
    assert approved.data["reconciled_by"] == "1001" and approved.data["amount_cents"] == 119
    sale = next(f for f in facts if f.kind == "sale_finished").data["sale"]
    assert sale["payments"][0]["attempt_id"] == attempt
    assert sale["interventions"][0]["outcome"] == "booked"
    assert lane.co.state is S.FINISHING


def test_an_attendant_finding_nothing_booked_returns_to_the_basket_without_a_payment() -> None:
    lane = Lane()
    attempt = _paying(lane)
    lane.do(c.PaymentResult(approved=False, amount_cents=119, reference="", outcome="unknown",
                            attempt_id=attempt))
    lane.login("1001")
    lane.do(c.Reject(lane.open_ids()[0]))
    assert lane.co.state is S.SCANNING and lane.co.payments == []


def test_the_same_booking_reported_twice_is_counted_once() -> None:
    lane = Lane()
    lane.do(c.Scan(VODKA))
    lane.login("1001")
    lane.do(c.Approve(lane.open_ids()[0]))
    lane.do(c.Pay())
    attempt = str(lane.co.pending_payment["attempt_id"])  # type: ignore[index]
    lane.do(c.PaymentResult(approved=True, amount_cents=500, reference="A", attempt_id=attempt))
    facts = lane.do(c.PaymentResult(approved=True, amount_cents=500, reference="A",
                                    attempt_id=attempt))
    assert Lane.kinds(facts) == ["payment_result_ignored"]
    assert lane.co.paid_cents() == 500 and lane.co.amount_due_cents() == 499
    assert lane.co.state is S.PAYING  # the rest is a new attempt of its own
    assert lane.co.pending_payment["attempt_id"] != attempt  # type: ignore[index]


def test_a_late_approval_after_the_lane_gave_up_is_recorded_and_the_next_pay_sells() -> None:
    lane = Lane()
    attempt = _paying(lane)
    lane.do(c.PaymentResult(approved=False, amount_cents=119, reference="", outcome="aborted",
                            attempt_id=attempt))
    lane.do(c.PaymentResult(approved=True, amount_cents=119, reference="late",
                            attempt_id=attempt))
    assert lane.co.state is S.SCANNING and lane.co.paid_cents() == 119
    facts = lane.do(c.Pay())
    assert "sale_finished" in Lane.kinds(facts)  # nothing due: sold without a second charge


def test_a_loyalty_card_is_kept_on_the_sale_and_never_becomes_a_line() -> None:
    lane = Lane()
    (opened, card) = lane.do(c.Scan("LOYALTY-0004711"))
    assert (opened.kind, card.kind) == ("basket_opened", "loyalty_card_added")
    lane.do(c.Scan(MILK))
    lane.do(c.Scan("LOYALTY-0009999"))  # a second card replaces the first
    assert len(lane.co.basket.lines) == 1 and lane.co.loyalty_card == "LOYALTY-0009999"
    lane.do(c.Pay())
    facts = lane.do(c.PaymentResult(approved=True, amount_cents=119, reference="T"))
    sale = next(f for f in facts if f.kind == "sale_finished").data["sale"]
    assert sale["loyalty_card"] == "LOYALTY-0009999"
    assert lane.co.loyalty_card is None  # the next shopper starts without it


def test_a_lane_without_loyalty_cards_treats_the_code_as_an_unknown_product() -> None:
    lane = Lane(Policy(loyalty_prefix=""))
    with pytest.raises(CodeError):
        lane.do(c.Scan("LOYALTY-0004711"))
    assert lane.co.loyalty_card is None and lane.co.basket_id is None


def test_only_a_logged_in_attendant_may_reprint_a_receipt_and_it_is_journaled() -> None:
    lane = Lane()
    with pytest.raises(AuthError):
        lane.do(c.ReprintReceipt(sale_id="S-1"))
    lane.login("1001")
    (fact,) = lane.do(c.ReprintReceipt(sale_id="S-1"))
    assert (fact.kind, fact.data) == ("receipt_reprinted", {"sale_id": "S-1", "by": "1001"})


def test_the_lane_restores_loyalty_card_and_unknown_payment_from_its_snapshot() -> None:
    lane = Lane()
    lane.do(c.Scan("LOYALTY-0004711"))
    attempt = _paying(lane)
    lane.do(c.PaymentResult(approved=False, amount_cents=119, reference="", outcome="unknown",
                            attempt_id=attempt))
    snap = lane.co.snapshot()
    restored = lane.restored(snap)
    assert restored.snapshot() == snap
    assert restored.loyalty_card == "LOYALTY-0004711"
    assert restored.pending_payment is not None and restored.pending_payment["unknown"]

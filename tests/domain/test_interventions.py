"""Interventions: what each reason blocks, and what approving or rejecting it does."""

from __future__ import annotations

import pytest

from kiosk.domain import commands as c
from kiosk.domain.attendants import AttendantAuthError
from kiosk.domain.interventions import BLOCKS, Block, Intervention, raise_intervention
from kiosk.domain.policy import Policy, Reason, Role
from kiosk.errors import FlowError

from .checkout_helpers import BEER, COLA, MILK, VODKA, Lane


def _only(lane: Lane, reason: Reason) -> Intervention:
    (found,) = [i for i in lane.co.interventions if i.reason is reason]
    return found


# -- age checks ---------------------------------------------------------------------------------


def test_an_age_check_blocks_pay_but_the_shopper_may_go_on_scanning() -> None:
    lane = Lane()
    lane.do(c.Scan(BEER))
    check = _only(lane, Reason.AGE_CHECK)
    assert check.blocks == {Block.PAY}
    assert check.evidence == {"age": 16, "line_id": 1, "sku": "BEER", "code": BEER}
    lane.do(c.Scan(MILK))
    with pytest.raises(FlowError) as err:
        lane.do(c.Pay())
    assert "Alterskontrolle" in err.value.shopper_text("de")
    assert "Age check" in err.value.shopper_text("en")


def test_a_second_item_with_the_same_age_limit_needs_no_new_check() -> None:
    lane = Lane()
    lane.do(c.Scan(BEER))
    lane.do(c.Scan(BEER))
    assert len(lane.co.interventions) == 1


def test_approving_18_also_covers_the_open_16_check_and_later_items() -> None:
    lane = Lane()
    lane.do(c.Scan(BEER))
    lane.do(c.Scan(VODKA))
    ages = sorted(i.evidence["age"] for i in lane.co.interventions)
    assert ages == [16, 18]
    check18 = next(i for i in lane.co.interventions if i.evidence["age"] == 18)
    lane.login()
    facts = lane.do(c.Approve(check18.intervention_id))
    assert lane.kinds(facts) == ["age_verified", "intervention_cleared", "intervention_cleared",
                                 "attendant_logged_out"]
    assert lane.co.verified_age == 18 and lane.co.interventions == ()
    lane.do(c.Scan(BEER))
    lane.do(c.Scan(VODKA))
    assert lane.co.interventions == ()  # verified once per basket


def test_approving_16_leaves_the_18_check_open() -> None:
    lane = Lane()
    lane.do(c.Scan(BEER))
    lane.do(c.Scan(VODKA))
    check16 = next(i for i in lane.co.interventions if i.evidence["age"] == 16)
    lane.login()
    lane.do(c.Approve(check16.intervention_id))
    assert [i.evidence["age"] for i in lane.co.interventions] == [18]
    assert lane.co.session is not None  # something is still open: the attendant stays


def test_rejecting_an_age_check_voids_those_items_and_their_deposit() -> None:
    lane = Lane()
    lane.do(c.Scan(MILK))
    lane.do(c.Scan(BEER))
    lane.login()
    lane.do(c.Reject(_only(lane, Reason.AGE_CHECK).intervention_id))
    assert [(x.sku, x.voided_by) for x in lane.co.basket.lines] == [
        ("MILK", None), ("BEER", "1001"), ("PFAND-008", "1001")]
    assert lane.co.totals().total_cents == 119
    lane.do(c.Pay())  # nothing blocks pay any more


def test_rejecting_18_keeps_the_16_items_and_their_open_check() -> None:
    lane = Lane()
    lane.do(c.Scan(BEER))
    lane.do(c.Scan(VODKA))
    check18 = next(i for i in lane.co.interventions if i.evidence["age"] == 18)
    lane.login()
    lane.do(c.Reject(check18.intervention_id))
    assert [x.sku for x in lane.co.basket.active_lines()] == ["BEER", "PFAND-008"]
    assert [i.evidence["age"] for i in lane.co.interventions] == [16]


def test_a_new_basket_must_verify_age_again() -> None:
    lane = Lane()
    lane.do(c.Scan(BEER))
    lane.login()
    lane.do(c.Approve(lane.open_ids()[0]))
    lane.do(c.Pay())
    lane.do(c.PaymentResult(approved=True, amount_cents=107, reference="R"))
    lane.do(c.Scan(BEER))
    assert _only(lane, Reason.AGE_CHECK).evidence["age"] == 16


# -- void approval ------------------------------------------------------------------------------


def test_a_void_request_blocks_scan_and_pay_until_an_attendant_decides() -> None:
    lane = Lane()
    lane.do(c.Scan(COLA))
    lane.do(c.RequestVoid(1))
    request = _only(lane, Reason.VOID_APPROVAL)
    assert request.blocks == {Block.SCAN, Block.PAY}
    assert request.evidence["line_id"] == 1 and request.evidence["amount_cents"] == 149
    with pytest.raises(FlowError) as err:
        lane.do(c.Scan(MILK))
    assert "Storno" in err.value.shopper_text("de")
    with pytest.raises(FlowError):
        lane.do(c.Pay())


def test_an_approved_void_voids_the_line_and_its_deposit_in_the_attendants_name() -> None:
    lane = Lane()
    lane.do(c.Scan(COLA))
    lane.do(c.Scan(MILK))
    lane.do(c.RequestVoid(1))
    lane.login()
    lane.do(c.Approve(lane.open_ids()[0]))
    assert [(x.sku, x.voided_by) for x in lane.co.basket.lines] == [
        ("COLA", "1001"), ("PFAND-025", "1001"), ("MILK", None)]
    assert lane.co.totals().total_cents == 119


def test_a_rejected_void_keeps_the_line() -> None:
    lane = Lane()
    lane.do(c.Scan(COLA))
    lane.do(c.RequestVoid(1))
    lane.login()
    lane.do(c.Reject(lane.open_ids()[0]))
    assert lane.co.basket.active_lines()[0].sku == "COLA"
    assert lane.co.totals().total_cents == 174
    lane.do(c.Scan(MILK))  # unblocked


def test_the_same_void_cannot_be_requested_twice() -> None:
    lane = Lane()
    lane.do(c.Scan(MILK))
    lane.do(c.RequestVoid(1))
    with pytest.raises(FlowError, match="already waiting"):
        lane.do(c.RequestVoid(1))


def test_a_deposit_line_is_voided_only_with_its_item() -> None:
    lane = Lane()
    lane.do(c.Scan(COLA))
    with pytest.raises(FlowError) as err:
        lane.do(c.RequestVoid(2))
    assert "Pfand" in err.value.shopper_text("de")


def test_a_logged_in_attendant_voids_at_once() -> None:
    lane = Lane()
    lane.do(c.Scan(MILK))
    lane.login()
    facts = lane.do(c.RequestVoid(1))
    assert lane.kinds(facts) == ["line_voided"]
    assert lane.co.basket.line(1).voided_by == "1001"


def test_voiding_the_only_age_limited_item_withdraws_its_age_check() -> None:
    lane = Lane()
    lane.do(c.Scan(BEER))
    lane.do(c.RequestVoid(1))
    void = _only(lane, Reason.VOID_APPROVAL)
    lane.login()
    facts = lane.do(c.Approve(void.intervention_id))
    withdrawn = [f.data for f in facts if f.kind == "intervention_cleared"]
    assert [w["outcome"] for w in withdrawn] == ["approved", "withdrawn"]
    assert lane.co.interventions == ()


# -- quantity limit -----------------------------------------------------------------------------


def test_a_quantity_above_the_limit_blocks_pay_but_not_scan() -> None:
    lane = Lane(Policy(max_quantity_per_line=10))
    lane.do(c.Scan(COLA))
    lane.do(c.SetQuantity(1, 12))
    check = _only(lane, Reason.QUANTITY_LIMIT)
    assert check.evidence == {"line_id": 1, "quantity": 12, "limit": 10}
    lane.do(c.Scan(MILK))
    with pytest.raises(FlowError):
        lane.do(c.Pay())


def test_an_approved_quantity_stays() -> None:
    lane = Lane(Policy(max_quantity_per_line=10))
    lane.do(c.Scan(COLA))
    lane.do(c.SetQuantity(1, 12))
    lane.login()
    lane.do(c.Approve(lane.open_ids()[0]))
    assert lane.co.basket.line(1).quantity == 12
    lane.do(c.Pay())


def test_a_rejected_quantity_goes_back_to_the_limit_with_its_deposit() -> None:
    lane = Lane(Policy(max_quantity_per_line=10))
    lane.do(c.Scan(COLA))
    lane.do(c.SetQuantity(1, 12))
    lane.login()
    lane.do(c.Reject(lane.open_ids()[0]))
    assert [(x.sku, x.quantity) for x in lane.co.basket.lines] == [("COLA", 10),
                                                                   ("PFAND-025", 10)]


def test_the_shopper_may_correct_a_flagged_quantity_which_withdraws_the_check() -> None:
    lane = Lane(Policy(max_quantity_per_line=10))
    lane.do(c.Scan(COLA))
    lane.do(c.SetQuantity(1, 60))
    facts = lane.do(c.SetQuantity(1, 6))
    assert lane.kinds(facts) == ["quantity_set", "intervention_cleared"]
    assert facts[1].data == {"intervention_id": "lane-1-1", "cleared_by": "system",
                             "outcome": "withdrawn"}
    assert lane.co.interventions == ()


def test_a_count_code_above_the_limit_raises_the_quantity_check() -> None:
    lane = Lane(Policy(max_quantity_per_line=2))
    lane.do(c.SelectItem("LEMON", quantity=3))
    assert _only(lane, Reason.QUANTITY_LIMIT).evidence["quantity"] == 3


def test_an_attendant_entering_a_large_quantity_raises_no_check() -> None:
    lane = Lane(Policy(max_quantity_per_line=10))
    lane.do(c.Scan(COLA))
    lane.login()
    lane.do(c.SetQuantity(1, 24))
    assert lane.co.interventions == ()


# -- who may clear ------------------------------------------------------------------------------


def test_clearing_needs_a_logged_in_attendant() -> None:
    lane = Lane()
    lane.do(c.Scan(BEER))
    with pytest.raises(AttendantAuthError) as err:
        lane.do(c.Approve(lane.open_ids()[0]))
    assert "melden Sie sich zuerst" in err.value.shopper_text("de")


def test_a_role_the_policy_does_not_allow_may_not_clear_that_reason() -> None:
    only_supervisors = {r: frozenset({Role.SUPERVISOR}) for r in Reason}
    lane = Lane(Policy(clearance=only_supervisors))
    lane.do(c.Scan(BEER))
    lane.login("1001")
    with pytest.raises(AttendantAuthError, match="may not clear age_check"):
        lane.do(c.Approve(lane.open_ids()[0]))
    lane.login("9001")
    lane.do(c.Approve(lane.open_ids()[0]))
    assert lane.co.interventions == ()


def test_an_intervention_cannot_be_cleared_twice() -> None:
    lane = Lane()
    lane.do(c.Scan(BEER))
    iid = lane.open_ids()[0]
    lane.login()
    lane.do(c.Approve(iid))
    lane.login()
    with pytest.raises(FlowError, match="not open"):
        lane.do(c.Reject(iid))


def test_intervention_ids_are_deterministic_per_lane() -> None:
    lane = Lane()
    lane.do(c.Scan(BEER))
    lane.do(c.Scan(VODKA))
    lane.do(c.Help())
    assert lane.open_ids() == ["lane-1-1", "lane-1-2", "lane-1-3"]


# -- the value itself ---------------------------------------------------------------------------


def test_every_reason_declares_what_it_blocks() -> None:
    assert set(BLOCKS) == set(Reason)
    assert BLOCKS[Reason.HELP] == frozenset()
    assert BLOCKS[Reason.DEVICE_FAULT] == {Block.SCAN, Block.PAY}


def test_an_intervention_survives_its_json_form() -> None:
    raised = raise_intervention("lane-1-7", Reason.VOID_APPROVAL, {"line_id": 3},
                                "2026-03-02T09:00:00.000Z")
    done = raised.cleared(by="1001", at="2026-03-02T09:01:00.000Z", outcome="approved")
    for value in (raised, done):
        assert Intervention.from_dict(value.to_dict()) == value
    assert raised.is_open and not done.is_open
    assert not done.blocks_action(Block.SCAN)
    assert raised.title("de") == "Storno" and raised.title("fr") == "Void"

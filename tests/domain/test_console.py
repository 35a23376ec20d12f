"""Commands from the store's console: the same decisions as an attendant at the lane, checked
again with the lane's own policy, applied once, and never to the next shopper's basket."""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.domain import commands as c
from kiosk.domain.checkout_console import APPLIED_COMMANDS_KEPT, DuplicateCommand
from kiosk.domain.flow import FlowState
from kiosk.domain.policy import Policy, Reason, Role
from kiosk.errors import AuthError, FlowError

from .checkout_helpers import BEER, MILK, VODKA, Lane

ANNA = {"attendant_id": "1001", "attendant_name": "Anna", "role": "attendant"}
SVEN = {"attendant_id": "9001", "attendant_name": "Sven", "role": "supervisor"}
_ids = iter(range(1, 1_000_000))


def console(action: str, who: dict[str, str] = ANNA, *, command_id: str | None = None,
            **targets: Any) -> c.ConsoleCommand:
    return c.ConsoleCommand(command_id=command_id or f"cmd{next(_ids):06d}", action=action,
                            **who, **targets)


def age_checked_lane() -> tuple[Lane, str]:
    lane = Lane()
    lane.do(c.Scan(VODKA))
    (check,) = lane.co.interventions
    return lane, check.intervention_id


def test_an_age_check_approved_from_the_console_lets_the_shopper_pay_and_the_sale_names_anna(
) -> None:
    lane, iid = age_checked_lane()
    facts = lane.do(console("approve", intervention_id=iid, command_id="a1"))
    assert lane.kinds(facts) == ["console_command", "age_verified", "intervention_cleared"]
    assert facts[0].data == {"command_id": "a1", "action": "approve", "attendant_id": "1001",
                             "attendant_name": "Anna", "role": "attendant", "via": "console",
                             "intervention_id": iid}
    assert facts[2].data["cleared_by"] == "1001"
    assert (facts[2].data["via"], facts[2].data["command_id"]) == ("console", "a1")
    assert not lane.co.interventions
    lane.do(c.Scan(BEER))  # 16+ is covered by the verified 18
    assert not lane.co.interventions
    lane.do(c.Pay())
    lane.do(c.PaymentResult(approved=True, amount_cents=lane.co.amount_due_cents(),
                            reference="T1"))
    assert lane.co.state is FlowState.FINISHING
    (cleared,) = lane.co.last_sale["interventions"]  # type: ignore[index]
    assert (cleared["reason"], cleared["cleared_by"], cleared["outcome"]) == (
        "age_check", "1001", "approved")


def test_an_age_check_rejected_from_the_console_takes_the_vodka_off_the_basket() -> None:
    lane, iid = age_checked_lane()
    lane.do(c.Scan(MILK))
    lane.do(console("reject", intervention_id=iid))
    assert [line.sku for line in lane.co.basket.active_lines()] == ["MILK"]
    assert not lane.co.interventions


def test_a_reason_the_lanes_policy_keeps_for_supervisors_is_refused_for_an_attendant() -> None:
    clearance = {r: frozenset({Role.ATTENDANT, Role.SUPERVISOR}) for r in Reason}
    clearance[Reason.AGE_CHECK] = frozenset({Role.SUPERVISOR})
    lane = Lane(Policy(clearance=clearance))
    lane.do(c.Scan(VODKA))
    iid = lane.open_ids()[0]
    with pytest.raises(AuthError, match="may not clear age_check"):
        lane.do(console("approve", intervention_id=iid))
    assert lane.open_ids() == [iid]
    lane.do(console("approve", SVEN, intervention_id=iid))
    assert not lane.co.interventions


def test_voiding_and_cancelling_follow_the_lanes_void_rule_for_the_role() -> None:
    clearance = {r: frozenset({Role.ATTENDANT, Role.SUPERVISOR}) for r in Reason}
    clearance[Reason.VOID_APPROVAL] = frozenset({Role.SUPERVISOR})
    lane = Lane(Policy(clearance=clearance))
    lane.do(c.Scan(MILK))
    basket = lane.co.basket_id
    for action in ("void_line", "cancel_basket"):
        with pytest.raises(AuthError, match=f"may not {action}"):
            lane.do(console(action, basket_id=basket, line_id=1))
    assert len(lane.co.basket.active_lines()) == 1


def test_an_unknown_role_or_action_is_refused() -> None:
    lane, iid = age_checked_lane()
    with pytest.raises(AuthError, match="role 'cashier'"):
        lane.do(console("approve", {**ANNA, "role": "cashier"}, intervention_id=iid))
    with pytest.raises(FlowError, match="action 'refund' is unknown"):
        lane.do(console("refund", intervention_id=iid))
    assert lane.open_ids() == [iid]


def test_a_command_for_the_previous_shoppers_basket_never_touches_the_next_one() -> None:
    lane = Lane()
    lane.do(c.Scan(MILK))
    old_basket = lane.co.basket_id
    lane.do(c.Pay())
    lane.do(c.PaymentResult(approved=True, amount_cents=lane.co.amount_due_cents(),
                            reference="T1"))
    lane.do(c.Scan(MILK))  # the next shopper: a new basket whose line 1 is milk again
    assert lane.co.basket_id != old_basket
    for action in ("void_line", "cancel_basket"):
        with pytest.raises(FlowError, match="not the lane's current basket"):
            lane.do(console(action, basket_id=old_basket, line_id=1))
    assert len(lane.co.basket.active_lines()) == 1


def test_an_intervention_already_cleared_at_the_lane_is_refused_from_the_console() -> None:
    lane, iid = age_checked_lane()
    lane.login()
    lane.do(c.Approve(iid))
    with pytest.raises(FlowError, match="not open at this lane"):
        lane.do(console("approve", intervention_id=iid))


def test_a_command_delivered_twice_changes_nothing_the_second_time_also_after_a_replay() -> None:
    lane = Lane()
    lane.do(c.Scan(MILK))
    lane.do(c.Scan(MILK))
    command = console("void_line", command_id="twice", basket_id=lane.co.basket_id, line_id=1)
    lane.do(command)
    before = len(lane.facts)
    with pytest.raises(DuplicateCommand):
        lane.do(command)
    assert len(lane.facts) == before
    replayed = lane.fresh()
    for fact in lane.facts:
        replayed.apply(fact)
    with pytest.raises(DuplicateCommand):
        replayed.decide(command, lane.ctx())
    restored = lane.restored(replayed.snapshot())
    with pytest.raises(DuplicateCommand):
        restored.decide(command, lane.ctx())


def test_the_lane_remembers_the_newest_applied_command_ids_only() -> None:
    lane = Lane()
    for n in range(APPLIED_COMMANDS_KEPT + 3):
        lane.do(console("close_lane" if n % 2 == 0 else "open_lane", command_id=f"k{n}"))
    assert len(lane.co.applied_commands) == APPLIED_COMMANDS_KEPT
    assert "k0" not in lane.co.applied_commands
    assert f"k{APPLIED_COMMANDS_KEPT + 2}" in lane.co.applied_commands


def test_void_line_from_the_console_voids_the_line_and_its_deposit_in_annas_name() -> None:
    lane = Lane()
    lane.do(c.Scan(BEER))  # 16+: an age check waits for the beer
    lane.do(c.Scan(MILK))
    facts = lane.do(console("void_line", basket_id=lane.co.basket_id, line_id=1))
    assert [line.sku for line in lane.co.basket.active_lines()] == ["MILK"]
    voided = [f for f in facts if f.kind == "line_voided"]
    assert [(f.data["by"], f.data["via"]) for f in voided] == [("1001", "console")]
    assert not lane.co.interventions  # the beer's age check went with it
    with pytest.raises(FlowError, match="already voided"):
        lane.do(console("void_line", basket_id=lane.co.basket_id, line_id=1))


def test_cancel_basket_from_the_console_ends_the_basket_and_the_lane_waits_for_the_next() -> None:
    lane = Lane()
    lane.do(c.Scan(MILK))
    basket = lane.co.basket_id
    facts = lane.do(console("cancel_basket", basket_id=basket))
    assert lane.co.state is FlowState.IDLE and lane.co.basket_id is None
    closed = [f for f in facts if f.kind == "basket_closed"]
    assert [(f.data["basket_id"], f.data["outcome"]) for f in closed] == [(basket, "cancelled")]


def test_a_basket_being_paid_is_not_cancelled_from_the_console() -> None:
    lane = Lane()
    lane.do(c.Scan(MILK))
    lane.do(c.Pay())
    with pytest.raises(FlowError, match="paying"):
        lane.do(console("cancel_basket", basket_id=lane.co.basket_id))
    assert lane.co.state is FlowState.PAYING


def test_close_and_open_the_lane_from_the_console_leave_the_lanes_own_session_alone() -> None:
    lane = Lane()
    lane.login("9001")  # Sven is at the lane
    lane.do(console("close_lane"))
    assert lane.co.state is FlowState.CLOSED
    assert lane.co.session is not None and lane.co.session["attendant_id"] == "9001"
    with pytest.raises(FlowError, match="close is not allowed while the lane is closed"):
        lane.do(console("close_lane"))
    facts = lane.do(console("open_lane"))
    assert lane.co.state is FlowState.IDLE
    assert lane.co.session is not None
    assert [(f.kind, f.data["attendant_id"], f.data.get("via")) for f in facts] == [
        ("console_command", "1001", "console"), ("lane_opened", "1001", "console")]


def test_a_basket_in_progress_keeps_the_lane_from_closing_from_the_console() -> None:
    lane = Lane()
    lane.do(c.Scan(MILK))
    with pytest.raises(FlowError, match="not allowed while the lane is scanning"):
        lane.do(console("close_lane"))

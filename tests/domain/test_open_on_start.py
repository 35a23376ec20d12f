"""A lane may open itself at start-up only when the store's policy says so."""

from __future__ import annotations

import pytest

from kiosk.domain import commands as c
from kiosk.domain.flow import FlowState
from kiosk.domain.interventions import SYSTEM
from kiosk.domain.policy import Policy
from kiosk.errors import AuthError

from .checkout_helpers import Lane


def test_a_lane_with_open_on_start_opens_itself_on_record_as_system() -> None:
    lane = Lane(Policy(open_on_start=True), open_lane=False)
    assert lane.co.state is FlowState.CLOSED
    facts = lane.do(c.Open(SYSTEM))
    assert lane.co.state is FlowState.IDLE
    assert [(f.kind, f.data["attendant_id"]) for f in facts] == [("lane_opened", SYSTEM)]


def test_without_the_policy_only_a_logged_in_attendant_opens_the_lane() -> None:
    lane = Lane(Policy(), open_lane=False)
    with pytest.raises(AuthError) as refused:
        lane.do(c.Open(SYSTEM))
    assert "melden Sie sich an" in refused.value.shopper_text("de")
    assert lane.co.state is FlowState.CLOSED
    lane.login("1001")
    lane.do(c.Open("1001"))
    assert lane.co.state is FlowState.IDLE

"""Which light pattern and which sound the lane's state calls for (the table in docs/gpio.md)."""

from __future__ import annotations

import pytest

from hardware.gpio import DEFAULT_PATTERNS
from kiosk.domain import commands as c
from kiosk.domain.facts import Fact
from kiosk.domain.flow import FlowState
from kiosk.domain.interventions import Intervention, raise_intervention
from kiosk.domain.policy import Reason
from kiosk.lane.signals import PATTERNS, light_pattern, sound_for
from tests.domain.checkout_helpers import APPLES, BEER, MILK, Lane

AT = "2026-03-02T09:00:00.000Z"


def opened(*reasons: Reason) -> list[Intervention]:
    return [raise_intervention(f"L1-{n}", reason, {}, AT) for n, reason in enumerate(reasons)]


S = FlowState
R = Reason
BASKET = (S.SCANNING, S.WEIGHING, S.PAYING, S.FINISHING)

# (interventions, expected pattern per state) mirroring the table in docs/gpio.md
NONE: list[Reason] = []
TABLE: list[tuple[list[Reason], dict[FlowState, str]]] = [
    (NONE, {S.CLOSED: "closed", S.IDLE: "idle", S.OUT_OF_SERVICE: "out_of_service",
            **dict.fromkeys(BASKET, "in_transaction")}),
    ([R.HELP], {S.CLOSED: "closed", S.IDLE: "help", S.OUT_OF_SERVICE: "out_of_service",
                **dict.fromkeys(BASKET, "help")}),
    ([R.DEVICE_FAULT], {S.CLOSED: "fault", S.IDLE: "fault", S.OUT_OF_SERVICE: "out_of_service",
                        **dict.fromkeys(BASKET, "fault")}),
    ([R.HELP, R.DEVICE_FAULT], {S.CLOSED: "fault", S.IDLE: "fault",
                                S.OUT_OF_SERVICE: "out_of_service",
                                **dict.fromkeys(BASKET, "fault")}),
    ([R.AGE_CHECK, R.HELP], {S.CLOSED: "closed", S.IDLE: "intervention",
                             S.OUT_OF_SERVICE: "out_of_service",
                             **dict.fromkeys(BASKET, "intervention")}),
] + [
    ([reason], {S.CLOSED: "closed", S.IDLE: "intervention", S.OUT_OF_SERVICE: "out_of_service",
                **dict.fromkeys(BASKET, "intervention")})
    for reason in Reason if reason not in (R.HELP, R.DEVICE_FAULT)
]
CASES = [(state, reasons, expected[state]) for reasons, expected in TABLE for state in S]


@pytest.mark.parametrize(("state", "reasons", "expected"), CASES,
                         ids=[f"{s.value}-{'+'.join(r) or 'none'}" for s, r, _ in CASES])
def test_every_lane_state_and_intervention_mix_shows_the_documented_pattern(
        state: FlowState, reasons: list[Reason], expected: str) -> None:
    assert light_pattern(state, opened(*reasons)) == expected


def test_the_table_covers_every_state_and_reason() -> None:
    assert {state for state, _, _ in CASES} == set(FlowState)
    assert {r for _, reasons, _ in CASES for r in reasons} == set(Reason)


def test_a_cleared_intervention_no_longer_shows() -> None:
    fault = opened(R.DEVICE_FAULT)[0].cleared(by="system", at=AT, outcome="device_back")
    assert light_pattern(S.SCANNING, [fault]) == "in_transaction"


def test_every_pattern_the_lane_asks_for_exists_in_the_light_default_scheme() -> None:
    assert set(PATTERNS) == set(DEFAULT_PATTERNS)
    assert {expected for _, _, expected in CASES} == set(PATTERNS)


def fact(kind: str) -> Fact:
    return Fact(kind, {}, AT)


@pytest.mark.parametrize(("facts", "sound"), [
    ([fact("basket_opened"), fact("lines_added")], "beep"),
    ([fact("item_selected")], "beep"),
    ([fact("lines_added"), fact("intervention_raised")], "attention"),
    ([fact("intervention_raised")], "attention"),
    ([fact("intervention_cleared")], None),
    ([fact("payment_approved"), fact("sale_finished"), fact("basket_closed")], None),
    ([], None),
])
def test_a_command_outcome_picks_the_documented_sound(facts: list[Fact], sound: str | None) -> None:
    assert sound_for(facts) == sound


def outcome(lane: Lane, command: c.Command) -> list[Fact] | Exception:
    try:
        return lane.do(command)
    except Exception as err:  # the refusal is what the lead hands to sound_for
        return err


def test_a_real_lane_beeps_calls_and_errs_as_the_shopper_expects() -> None:
    lane = Lane()
    assert light_pattern(lane.co.state, lane.co.interventions) == "idle"
    assert sound_for(outcome(lane, c.Scan(MILK))) == "beep"
    assert light_pattern(lane.co.state, lane.co.interventions) == "in_transaction"
    assert sound_for(outcome(lane, c.Scan("4006381333932"))) == "error"  # wrong check digit
    assert sound_for(outcome(lane, c.Scan(APPLES))) == "beep"  # now put them on the scale
    assert sound_for(outcome(lane, c.Cancel())) is None
    assert sound_for(outcome(lane, c.Scan(BEER))) == "attention"  # age check
    assert light_pattern(lane.co.state, lane.co.interventions) == "intervention"
    assert sound_for(outcome(lane, c.Help())) == "attention"
    assert sound_for(outcome(lane, c.DeviceLost("scale", "unplugged"))) == "attention"
    assert light_pattern(lane.co.state, lane.co.interventions) == "fault"

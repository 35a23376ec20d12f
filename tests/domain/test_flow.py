"""The flow table: validated at import, rendered into docs/flow.md, enforced by the checkout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.domain import commands as c
from kiosk.domain.flow import (
    TRANSITIONS,
    Event,
    FlowDefinitionError,
    FlowState,
    Transition,
    allows,
    events_in,
    render_markdown,
    targets,
    validate_flow,
)
from kiosk.errors import FlowError

from .checkout_helpers import MILK, Lane

ROOT = Path(__file__).resolve().parents[2]
S, E = FlowState, Event


def test_the_declared_flow_passes_its_own_validation() -> None:
    validate_flow(TRANSITIONS)


def test_a_state_nobody_can_reach_fails_validation() -> None:
    table = [t for t in TRANSITIONS if t.target is not S.WEIGHING or t.source is S.WEIGHING]
    with pytest.raises(FlowDefinitionError, match="'weighing' cannot be reached from 'closed'"):
        validate_flow(table)


def test_a_state_with_no_way_back_to_idle_fails_validation() -> None:
    # Out of service may only loop on itself: a lane stuck there for ever.
    table = [t for t in TRANSITIONS
             if t.source is not S.OUT_OF_SERVICE or t.target is S.OUT_OF_SERVICE]
    with pytest.raises(FlowDefinitionError, match="'out_of_service' is a trap"):
        validate_flow(table)


def test_a_trap_is_found_even_when_it_is_reachable_only_through_another_trap() -> None:
    table = [t for t in TRANSITIONS if t.source is not S.FINISHING or t.target is S.FINISHING]
    with pytest.raises(FlowDefinitionError) as err:
        validate_flow(table)
    assert "'finishing' is a trap" in str(err.value)
    assert "'paying'" not in str(err.value)  # paying can still go back to scanning


def test_an_unknown_event_name_fails_validation() -> None:
    table = [*TRANSITIONS, Transition(S.IDLE, "fly", S.IDLE, "")]  # type: ignore[arg-type]
    with pytest.raises(FlowDefinitionError, match="event 'fly' is not a known event"):
        validate_flow(table)


def test_an_unknown_state_fails_validation() -> None:
    table = [*TRANSITIONS, Transition(S.IDLE, E.HELP, "limbo", "")]  # type: ignore[arg-type]
    with pytest.raises(FlowDefinitionError, match="target 'limbo' is not a known state"):
        validate_flow(table)


def test_a_known_event_without_any_transition_fails_validation() -> None:
    table = [t for t in TRANSITIONS if t.event is not E.FINISH]
    with pytest.raises(FlowDefinitionError, match="event 'finish' has no transition"):
        validate_flow(table)


def test_a_row_declared_twice_fails_validation() -> None:
    with pytest.raises(FlowDefinitionError, match="declared twice"):
        validate_flow([*TRANSITIONS, TRANSITIONS[0]])


def test_validation_lists_every_problem_at_once() -> None:
    table = [t for t in TRANSITIONS if t.event is not E.FINISH and t.event is not E.WEIGH]
    with pytest.raises(FlowDefinitionError) as err:
        validate_flow(table)
    assert "'finish' has no transition" in str(err.value)
    assert "'weigh' has no transition" in str(err.value)


def test_every_command_names_an_event_of_the_table() -> None:
    commands = [v for v in vars(c).values() if isinstance(v, type) and hasattr(v, "EVENT")]
    assert sorted(cls.EVENT for cls in commands) == sorted(Event)


def test_the_table_answers_what_is_allowed_where() -> None:
    assert allows(S.SCANNING, E.PAY)
    assert not allows(S.IDLE, E.PAY)
    assert targets(S.PAYING, E.PAYMENT_RESULT) == {S.FINISHING, S.PAYING, S.SCANNING}
    assert E.OPEN in events_in(S.CLOSED) and E.SCAN not in events_in(S.CLOSED)


def test_docs_flow_md_is_the_rendered_table() -> None:
    doc = (ROOT / "docs" / "flow.md").read_text(encoding="utf-8")
    assert doc == render_markdown(), (
        "docs/flow.md is out of date; run: python -m kiosk.domain.flow > docs/flow.md")


def test_running_the_flow_module_prints_the_docs() -> None:
    out = subprocess.run([sys.executable, "-m", "kiosk.domain.flow"], capture_output=True,
                         text=True, check=True, cwd=ROOT, timeout=60)
    assert out.stdout == render_markdown()


def test_the_docs_show_each_state_a_diagram_and_the_overlay() -> None:
    doc = render_markdown()
    assert "stateDiagram-v2" in doc
    assert "scanning --> paying : pay" in doc
    for state in FlowState:
        assert f"### `{state}`" in doc
    assert "| `age_check` | pay |" in doc
    assert "| `void_approval` | scan and pay |" in doc
    assert "| `help` | nothing |" in doc


def test_an_event_the_table_does_not_allow_is_refused_with_a_shopper_text() -> None:
    lane = Lane(open_lane=False)
    with pytest.raises(FlowError) as err:
        lane.do(c.Scan(MILK))
    assert err.value.shopper_text("de") == "Diese Kasse ist geschlossen."
    assert err.value.shopper_text("en") == "This lane is closed."
    assert lane.facts == []


def test_paying_with_nothing_scanned_is_refused_on_the_attract_screen() -> None:
    lane = Lane()
    with pytest.raises(FlowError) as err:
        lane.do(c.Pay())
    assert err.value.shopper_text("de") == "Bitte scannen Sie zuerst einen Artikel."
    assert lane.co.state is S.IDLE

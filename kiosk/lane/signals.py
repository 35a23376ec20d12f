"""What the lane light shows and what the buzzer plays, decided from the checkout alone.

Pure: no GPIO, no clock. The composition root listens to the checkout and hands the answers to
the lane peripherals (`hardware.gpio.LanePeripherals.show` / `.sound`). Pattern names are the
tower light's default scheme (docs/gpio.md); a store may restyle each pattern in its config, but
the names are this module's contract with the hardware.

Light, first rule that matches wins:

| lane | open interventions | pattern |
|---|---|---|
| out_of_service | any | out_of_service (red steady) |
| any other | a device fault | fault (red blinking 2 Hz) |
| closed | no device fault | closed (all off) |
| idle or in a basket | one that is not help | intervention (yellow blinking 1 Hz) |
| idle or in a basket | only help | help (yellow steady) |
| idle | none | idle (green steady) |
| scanning, weighing, paying, finishing | none | in_transaction (green blinking 0.5 Hz) |

Out of service wins over the fault it comes from (red steady says "this lane is down", red
blinking "a device failed mid-basket"). A demanding intervention wins over a help call: the
attendant who comes for the age check also answers the help call.

Sound, for the outcome of one command: a refusal -> "error"; a raised intervention ->
"attention" (even when the scan that raised it also added a line: the shopper must wait);
a line added or a loose item selected for weighing -> "beep"; anything else -> None.
"""

from __future__ import annotations

from collections.abc import Iterable

from kiosk.domain.facts import Fact
from kiosk.domain.flow import FlowState
from kiosk.domain.interventions import Intervention
from kiosk.domain.policy import Reason

CLOSED = "closed"
IDLE = "idle"
IN_TRANSACTION = "in_transaction"
HELP = "help"
INTERVENTION = "intervention"
FAULT = "fault"
OUT_OF_SERVICE = "out_of_service"

PATTERNS = (CLOSED, IDLE, IN_TRANSACTION, HELP, INTERVENTION, FAULT, OUT_OF_SERVICE)

BEEP = "beep"
ERROR = "error"
ATTENTION = "attention"

_BEEP_FACTS = frozenset({"lines_added", "item_selected"})


def light_pattern(state: FlowState, interventions: Iterable[Intervention], *,
                  device_warning: bool = False) -> str:
    """The tower light pattern for the lane in `state` with these interventions (cleared ones
    are ignored). `device_warning`: a device needs a person without stopping the lane (the
    printer's paper ran out, its cover is open): the light calls staff like a help request."""
    reasons = {i.reason for i in interventions if i.is_open}
    if state is FlowState.OUT_OF_SERVICE:
        return OUT_OF_SERVICE
    if Reason.DEVICE_FAULT in reasons:
        return FAULT
    if state is FlowState.CLOSED:
        return CLOSED
    if reasons - {Reason.HELP}:
        return INTERVENTION
    if reasons or device_warning:
        return HELP
    return IDLE if state is FlowState.IDLE else IN_TRANSACTION


def sound_for(outcome: Iterable[Fact] | BaseException) -> str | None:
    """The sound for one command's outcome: its facts, or the error that refused it."""
    if isinstance(outcome, BaseException):
        return ERROR
    kinds = {fact.kind for fact in outcome}
    if "intervention_raised" in kinds:
        return ATTENTION
    if kinds & _BEEP_FACTS:
        return BEEP
    return None

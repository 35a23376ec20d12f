"""Scale protocol codecs (pure: bytes <-> messages, no I/O) and the values they decode to.

Each codec module (`toledo`, `nci`, `mtsics`) offers the same shape:

* `SETTINGS`: the protocol's real serial line settings,
* `weight_request()`, `zero_request()`: the request bytes,
* `split(buffer) -> (frames, rest)`: cut complete reply frames off a receive buffer,
* `decode(frame) -> Reply`: one frame as a `Weight`, a `ScaleStatus` or an `Ack`, or
  `ProtocolError` for anything else.

Weights are always integer grams: a kilogram value with three decimals converts exactly; a value
that is not a whole number of grams is refused when stable (never rounded for a price).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum

from hardware.errors import ProtocolError


@dataclass(frozen=True, slots=True)
class Weight:
    """One weight reading in integer grams (negative below zero); `net` when tare is applied."""

    grams: int
    stable: bool
    net: bool = False


class ScaleStatus(Enum):
    """Scale conditions after UnifiedPOS' StatusUpdateEvent values; `.value` is the event key."""

    STABLE = "stable"
    UNSTABLE = "unstable"  # in motion
    ZERO = "zero"
    OVERWEIGHT = "overweight"  # over capacity
    UNDER_ZERO = "under_zero"
    UNDERWEIGHT = "underweight"  # stable but below the scale's minimum (Min)
    NOT_READY = "not_ready"
    ERROR = "error"  # the scale reports a fault (RAM/ROM/EEPROM, calibration)


@dataclass(frozen=True, slots=True)
class Ack:
    """A reply to a command that is not a weight (zero, tare, identification)."""

    command: str
    accepted: bool
    detail: str = ""


Reply = Weight | ScaleStatus | Ack

GRAMS_PER = {"kg": 1000, "g": 1}


def to_grams(text: str, unit: str, *, stable: bool, frame: bytes) -> int:
    """`text` (a decimal such as "01.234") in `unit` ("kg" or "g") as integer grams.

    Pounds and ounces are refused: German stores weigh in kilograms. A stable value that is not
    a whole number of grams is refused rather than rounded (legal-for-trade); a moving value is
    only shown, so it is rounded to the nearest gram.
    """
    per = GRAMS_PER.get(unit.strip().lower())
    if per is None:
        raise ProtocolError(
            f"scale sent a weight in {unit.strip()!r}; set the scale to kg (German stores "
            f"weigh in kilograms)", frame)
    try:
        value = Decimal(text.strip()) * per
    except InvalidOperation as err:
        raise ProtocolError(f"scale sent an unreadable weight {text!r}", frame) from err
    if not value.is_finite():
        raise ProtocolError(f"scale sent an unreadable weight {text!r}", frame)
    if value != value.to_integral_value():
        if stable:
            raise ProtocolError(
                f"scale sent {text.strip()} {unit.strip()}, not a whole number of grams; set "
                f"its resolution to 1 g or more", frame)
        return int(value.to_integral_value())
    return int(value)

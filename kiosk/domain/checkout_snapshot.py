"""The checkout's state as JSON-able data and back: the journal's checkpoint.

`to_dict(co)` writes everything `Checkout.apply` has built up; `restore(co, snap)` puts it
into a fresh checkout (made with today's policy and attendants), so a restart resumes from the
checkpoint plus the facts after it exactly as a full replay would
(tests/domain/test_checkout.py checks that with hypothesis).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kiosk.domain.attendants import PinGuard
from kiosk.domain.basket import Line
from kiosk.domain.flow import FlowState
from kiosk.domain.interventions import Intervention
from kiosk.domain.security import BaggingArea
from kiosk.errors import JournalError

if TYPE_CHECKING:
    from kiosk.domain.checkout import Checkout

SNAPSHOT_VERSION = 1


def to_dict(co: Checkout) -> dict[str, Any]:
    """The complete state of `co` as JSON-able data (`restore` puts it back exactly)."""
    return {
        "version": SNAPSHOT_VERSION,
        "lane_id": co.lane_id,
        "state": co.state.value,
        "pins": co.pins.to_dict(),
        "session": _copy(co.session),
        "intervention_seq": co.intervention_seq,
        "open_interventions": [i.to_dict() for i in co.interventions],
        "last_sale": _copy(co.last_sale),
        "bagging": co.bagging.to_dict(),
        "applied_commands": list(co.applied_commands),
        "basket": {
            "basket_id": co.basket_id,
            "opened_at": co.opened_at,
            "last_activity_at": co.last_activity_at,
            "lines": [line.to_dict() for line in co.basket.lines],
            "verified_age": co.verified_age,
            "weighing_item": _copy(co.weighing_item),
            "payments": [dict(p) for p in co.payments],
            "pending_payment": _copy(co.pending_payment),
            "last_declined": _copy(co.last_declined),
            "coupons": [dict(c) for c in co.coupons],
            "loyalty_card": co.loyalty_card,
            "cleared_interventions": [i.to_dict() for i in co.cleared_interventions],
        },
    }


def restore(co: Checkout, snap: Mapping[str, Any]) -> None:
    """Put the state `snap` describes into the fresh checkout `co`; JournalError for a
    snapshot another kiosk version wrote."""
    if snap.get("version") != SNAPSHOT_VERSION:
        raise JournalError(
            f"checkout snapshot version {snap.get('version')!r} is not {SNAPSHOT_VERSION}; "
            "it was written by another kiosk version"
        )
    co.state = FlowState(snap["state"])
    co.pins = PinGuard.from_dict(snap["pins"])
    co.session = _copy(snap["session"])
    co.intervention_seq = int(snap["intervention_seq"])
    for d in snap["open_interventions"]:
        found = Intervention.from_dict(d)
        co.open_interventions[found.intervention_id] = found
    co.last_sale = _copy(snap["last_sale"])
    co.bagging = BaggingArea.from_dict(snap.get("bagging") or {})
    # Absent in snapshots from before the console.
    co.applied_commands = dict.fromkeys(str(c) for c in snap.get("applied_commands") or [])
    b = snap["basket"]
    co.basket_id = b["basket_id"]
    co.opened_at = b["opened_at"]
    co.last_activity_at = b["last_activity_at"]
    for line in b["lines"]:
        co.basket.insert(Line.from_dict(line))
    co.verified_age = int(b["verified_age"])
    co.weighing_item = _copy(b["weighing_item"])
    co.payments = [dict(p) for p in b["payments"]]
    co.pending_payment = _copy(b["pending_payment"])
    co.last_declined = _copy(b["last_declined"])
    co.coupons = [dict(c) for c in b["coupons"]]
    co.loyalty_card = b.get("loyalty_card")  # absent in snapshots from before loyalty cards
    co.cleared_interventions = [Intervention.from_dict(d) for d in b["cleared_interventions"]]


def _copy(d: Mapping[str, Any] | None) -> dict[str, Any] | None:
    return None if d is None else dict(d)

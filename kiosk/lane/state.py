"""The lane as the console sees it: the contract's "lane" object (docs/console.md), built from
the checkout alone plus plain values the composition root reads (devices, upload queue).

Pure: no I/O, no clock. `kiosk.lane.link.LaneLink` sends what `lane_state` returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from kiosk.domain.checkout_console import action_roles, needs_role
from kiosk.domain.interventions import Intervention
from kiosk.domain.policy import Reason
from kiosk.lane.signals import light_pattern

if TYPE_CHECKING:
    from kiosk.domain.checkout import Checkout

NO_UPLOAD: Mapping[str, Any] = {"pending": 0, "oldest_pending_at": None, "last_error": "",
                                "quarantined": 0}


def intervention_texts(found: Intervention) -> tuple[str, str]:
    """German and English titles; an age check names its age ("Alterskontrolle (18)")."""
    de, en = found.title("de"), found.title("en")
    if found.reason is Reason.AGE_CHECK and found.evidence.get("age"):
        age = int(found.evidence["age"])
        return f"{de} ({age})", f"{en} ({age})"
    if found.reason is Reason.DEVICE_FAULT and found.evidence.get("device"):
        device = str(found.evidence["device"])
        return f"{de}: {device}", f"{en}: {device}"
    return de, en


def lane_state(
    co: Checkout,
    *,
    lane_name: str,
    devices: Sequence[Mapping[str, Any]] = (),
    upload: Mapping[str, Any] | None = None,
    device_warning: bool = False,
) -> dict[str, Any]:
    """The contract's "lane" object. `devices`: {"device", "state", "detail"} per supervised
    device; `upload`: {"pending", "oldest_pending_at", "last_error", "quarantined"}."""
    totals = co.totals()
    lines = [{"line_id": line.line_id, "name": line.name("de"), "quantity": line.quantity,
              "weight_g": line.weight_g, "amount_cents": line.amount_cents}
             for line in co.basket.active_lines()]
    interventions = []
    for found in co.interventions:
        text_de, text_en = intervention_texts(found)
        interventions.append({
            "intervention_id": found.intervention_id, "reason": found.reason.value,
            "opened_at": found.raised_at, "evidence": dict(found.evidence),
            "text_de": text_de, "text_en": text_en,
            "needs_role": needs_role(co.policy, found.reason)})
    session = co.session or {}
    return {
        "flow": co.state.value,
        "light": light_pattern(co.state, co.interventions, device_warning=device_warning),
        "lane_name": lane_name,
        "basket": {"basket_id": co.basket_id,
                   "items": sum(1 for line in co.basket.active_lines() if not line.is_deposit),
                   "total_cents": totals.total_cents, "lines": lines},
        "interventions": interventions,
        "devices": [dict(d) for d in devices],
        "upload": dict(upload if upload is not None else NO_UPLOAD),
        "attendant_at_lane": session.get("name") or None,
        "action_roles": action_roles(co.policy),
    }

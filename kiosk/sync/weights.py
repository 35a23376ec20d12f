"""Learned bagging weights shared through the hub: push this lane's, pull the store's merge.

Push: when the lane's own weights changed since the hub last acknowledged them, PUT them all to
/api/v1/weights. They are the lane's running totals and the hub keeps one record per (device,
sku) that each push replaces, so a resend after a lost answer counts nothing twice.
Pull: GET /api/v1/weights gives per sku the merge of every lane's totals; the whole answer is
checked, then replaces the lane's copy in one transaction. The lane then uses the store-wide
weight for products it has not yet learned itself (a new or reset lane starts trained).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from kiosk.domain.learned import LearnedWeight
from kiosk.sync.errors import SyncError
from kiosk.sync.http import hub_request

if TYPE_CHECKING:
    import aiohttp


class WeightSink(Protocol):
    """The lane's learned weights (kiosk.journal.weights.HubWeights)."""

    def unsent(self) -> tuple[int, Sequence[LearnedWeight]] | None: ...
    def sent(self, marker: int) -> None: ...
    def replace_hub(self, merged: Sequence[LearnedWeight], at: str) -> None: ...


@dataclass(frozen=True, slots=True)
class WeightsReport:
    """What one exchange did: own records sent (0: unchanged) and hub records received."""

    sent: int
    received: int

    def __str__(self) -> str:
        sent = f"sent {self.sent} learned weight(s)" if self.sent else "own weights unchanged"
        return f"{sent}; {self.received} store-wide weight(s) from the hub"


def _wire(w: LearnedWeight) -> dict[str, Any]:
    return {"sku": w.sku, "count": w.count, "mean_g": w.mean_g, "m2": w.m2}


def parse_weights_answer(data: Any) -> list[LearnedWeight]:
    """The merged weights of a GET answer; SyncError naming the first bad record."""
    items = data.get("weights") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise SyncError(f"hub weights answer has no weights list ({str(data)[:60]!r}); the "
                        "lane keeps its weights")
    out: list[LearnedWeight] = []
    for i, item in enumerate(items):
        ok = isinstance(item, dict) and isinstance(item.get("sku"), str) \
            and isinstance(item.get("count"), int) and not isinstance(item.get("count"), bool) \
            and item["count"] >= 1 and all(
                isinstance(item.get(k), int | float) and not isinstance(item.get(k), bool)
                and math.isfinite(item[k]) and item[k] >= 0 for k in ("mean_g", "m2"))
        if not ok:
            raise SyncError(f"hub weights answer: weights[{i}] ({str(item)[:60]!r}) is not "
                            "{sku, count >= 1, mean_g, m2}; the lane keeps its weights")
        out.append(LearnedWeight(item["sku"], item["count"], float(item["mean_g"]),
                                 float(item["m2"])))
    return out


async def exchange_weights(session: aiohttp.ClientSession, hub_url: str, token: str,
                           sink: WeightSink, *, timeout_s: float = 30.0) -> WeightsReport:
    """Push the lane's changed weights, then pull the store-wide merge into `sink`.

    Raises HubAuthError (401) or SyncError (hub unreachable, failing or answering nonsense);
    what was not acknowledged is sent again next time, the lane's copy is then unchanged.
    """
    base = hub_url.rstrip("/")
    sent = 0
    pending = sink.unsent()
    if pending is not None:
        marker, own = pending
        await hub_request(session, "PUT", f"{base}/api/v1/weights", token,
                          {"weights": [_wire(w) for w in own]}, timeout_s)
        sink.sent(marker)
        sent = len(own)
    data = await hub_request(session, "GET", f"{base}/api/v1/weights", token, None, timeout_s)
    merged = parse_weights_answer(data)
    sink.replace_hub(merged, datetime.now(UTC).isoformat(timespec="seconds"))
    return WeightsReport(sent, len(merged))

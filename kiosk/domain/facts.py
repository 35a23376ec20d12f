"""Facts: what the checkout decided, in the form the journal stores and replays.

The checkout works in two steps (decide, then apply). `Checkout.decide(command, ...)` validates a
command against the current state and returns the facts it implies without changing anything;
the journal commits them; then `Checkout.apply(fact)` changes the state. Replaying the committed
facts of an open basket through `apply` restores it exactly, so `apply` must use nothing but the
fact (no catalog, no clock, no randomness).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Fact:
    """`kind` names what happened ("item_added", ...); `data` is JSON-able; `at` is ISO-8601 UTC."""

    kind: str
    data: Mapping[str, Any]
    at: str

    def to_json(self) -> str:
        return json.dumps(
            {"kind": self.kind, "data": self.data, "at": self.at},
            ensure_ascii=False,
            sort_keys=True,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Fact:
        d = json.loads(text)
        return cls(kind=d["kind"], data=d["data"], at=d["at"])


def iso(ts: datetime) -> str:
    """ISO-8601 in UTC with milliseconds, the one time format in facts and sales."""
    return ts.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

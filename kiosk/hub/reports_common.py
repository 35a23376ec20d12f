"""What the hub's reports share: the store's time zone, the checkout goal, and readers for the
figures in stored sale payloads (times, whole numbers, percentiles, table columns)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

STORE_TZ_NAME = "Europe/Berlin"
STORE_TZ = ZoneInfo(STORE_TZ_NAME)
# The goal comes from issue 6: "time from first scan to paid per basket (against the 10-second
# checkout goal)".
CHECKOUT_GOAL_S = 10
MAX_RANGE_DAYS = 31
# Histogram of checkout times: (label, upper bound in s, inclusive); the last is open-ended.
HISTOGRAM_S: tuple[tuple[str, float], ...] = (
    ("0–10 s", 10), ("10–30 s", 30), ("30–60 s", 60), ("60–120 s", 120), ("over 120 s", math.inf))

Doc = dict[str, Any]
Report = dict[str, Any]


class Unreadable(ValueError):
    """A stored payload lacks a field a report needs, or has it in the wrong type."""


def read_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise Unreadable(f"time {value!r} is not text")
    at = datetime.fromisoformat(value)
    if at.tzinfo is None:
        raise Unreadable(f"time {value!r} has no UTC offset")
    return at


def whole(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Unreadable(f"{value!r} is not a whole number")
    return value


def percentile(values: Iterable[float], pct: float) -> float | None:
    """The nearest-rank `pct` percentile of `values`, or None when there are none."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def round_s(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def col(key: str, label: str, unit: str = "") -> dict[str, str]:
    return {"key": key, "label": label, "unit": unit}


def readable(docs: list[tuple[str, Doc, str]], read: Callable[[str, Doc, str], None]) -> int:
    """Call `read` on every sale; the number whose payload it could not read."""
    skipped = 0
    for lane_id, doc, received_at in docs:
        try:
            read(lane_id, doc, received_at)
        except (Unreadable, KeyError, TypeError, ValueError, AttributeError):
            skipped += 1
    return skipped


def local_hour(at: datetime) -> tuple[str, str]:
    """The store-local hour `at` falls in: (its start as ISO with offset, "2026-11-20 10–11")."""
    start = at.astimezone(STORE_TZ).replace(minute=0, second=0, microsecond=0)
    end = (start.astimezone(UTC) + timedelta(hours=1)).astimezone(STORE_TZ)
    return start.isoformat(), f"{start:%Y-%m-%d %H}:00–{end:%H}:00"

"""Reports 3 and 4: time from first scan to paid per basket (against the checkout goal) and
upload lag per lane, with each lane's last upload. See kiosk.hub.reports."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from kiosk.hub.reports_common import (
    CHECKOUT_GOAL_S,
    HISTOGRAM_S,
    Doc,
    Report,
    col,
    percentile,
    read_time,
    readable,
    round_s,
    share,
)
from kiosk.hub.store import HubStore

# --- 3. first scan to paid ------------------------------------------------------------------


def checkout_time(_store: HubStore, docs: list[tuple[str, Doc, str]],
                  _now: datetime) -> Report:
    per_lane: dict[str, list[float]] = defaultdict(list)

    def read(lane: str, doc: Doc, _received: str) -> None:
        seconds = (read_time(doc["finished_at"]) - read_time(doc["opened_at"])).total_seconds()
        per_lane[lane].append(seconds)

    skipped = readable(docs, read)
    everything = [s for values in per_lane.values() for s in values]
    lanes = [_time_row(lane, per_lane[lane]) for lane in sorted(per_lane)]
    lanes.append(_time_row("all lanes", everything))
    histogram = []
    lower = -math.inf
    for label, upper in HISTOGRAM_S:
        n = sum(1 for s in everything if lower < s <= upper)
        histogram.append({"bucket": label, "baskets": n,
                          "share": share(n, len(everything)),
                          "goal": (f"within the {CHECKOUT_GOAL_S} s goal"
                                   if upper <= CHECKOUT_GOAL_S
                                   else f"over the {CHECKOUT_GOAL_S} s goal")})
        lower = upper
    goal = f"the {CHECKOUT_GOAL_S} s goal"
    return {
        "title": f"Time from first scan to paid (goal: {CHECKOUT_GOAL_S} s)",
        "notes": [
            "The clock starts when the basket opens (opened_at): at the first scan, or a "
            "little earlier when the shopper first touches the start screen or scans a "
            "loyalty card or coupon. It stops when the payment that covers the total is "
            "approved (finished_at).",
            f"The goal is {CHECKOUT_GOAL_S} seconds per basket (issue 6); a basket of "
            f"exactly {CHECKOUT_GOAL_S} s is within it.",
            "Cancelled baskets are not uploaded, so only sold baskets count.",
        ],
        "summary": {"baskets": len(everything), "goal_s": CHECKOUT_GOAL_S,
                    "within_goal_share": lanes[-1]["within_goal_share"]},
        "tables": [
            {"key": "by_lane", "title": "Per lane", "columns": [
                col("lane_id", "Lane"), col("baskets", "Baskets"), col("p50_s", "p50", "s"),
                col("p90_s", "p90", "s"), col("max_s", "Max", "s"),
                col("within_goal", f"Baskets within {goal}"),
                col("within_goal_share", f"Share within {goal}", "share")],
             "rows": lanes},
            {"key": "histogram", "title": "Baskets by checkout time", "columns": [
                col("bucket", "Time"), col("baskets", "Baskets"),
                col("share", "Share", "share"), col("goal", "Goal")], "rows": histogram},
        ],
        "skipped_payloads": skipped,
    }


def _time_row(lane: str, seconds: list[float]) -> dict[str, Any]:
    within = sum(1 for s in seconds if s <= CHECKOUT_GOAL_S)
    return {"lane_id": lane, "baskets": len(seconds), "p50_s": round_s(percentile(seconds, 50)),
            "p90_s": round_s(percentile(seconds, 90)), "max_s": round_s(max(seconds, default=None)),
            "within_goal": within, "within_goal_share": share(within, len(seconds))}


# --- 4. upload lag --------------------------------------------------------------------------


def upload_lag(store: HubStore, docs: list[tuple[str, Doc, str]], now: datetime) -> Report:
    lags: dict[str, list[float]] = defaultdict(list)

    def read(lane: str, doc: Doc, received: str) -> None:
        lags[lane].append((read_time(received) - read_time(doc["finished_at"])).total_seconds())

    skipped = readable(docs, read)
    # The last upload is over all time, not the range: a lane silent since last week is
    # exactly what the manager must see. Enrolled lanes that never sent a sale show too.
    last = {str(lane): str(at) for lane, at in store.query(
        "SELECT lane_id, MAX(received_at) FROM sales GROUP BY lane_id")}
    enrolled = {str(d) for (d,) in store.query("SELECT device_id FROM devices")}
    rows = []
    for lane in sorted(set(last) | enrolled | set(lags)):
        at = last.get(lane)
        values = lags.get(lane, [])
        rows.append({"lane_id": lane, "sales": len(values),
                     "p50_lag_s": round_s(percentile(values, 50)),
                     "p95_lag_s": round_s(percentile(values, 95)),
                     "max_lag_s": round_s(max(values, default=None)),
                     "last_received_at": at,
                     "silent_s": None if at is None
                     else round((now - read_time(at)).total_seconds())})
    return {
        "title": "Upload lag per lane",
        "notes": [
            "Lag is when the hub received a sale minus when the lane finished it; the two "
            "clocks differ, so a few seconds either way (even below zero) are clock skew.",
            "The last upload and the time since it cover all time, not only the range; a "
            "lane that never sent a sale shows no last upload.",
        ],
        "summary": {"now": now.astimezone(UTC).isoformat(timespec="seconds")},
        "tables": [{"key": "by_lane", "title": "Per lane", "columns": [
            col("lane_id", "Lane"), col("sales", "Sales in range"),
            col("p50_lag_s", "Lag p50", "s"), col("p95_lag_s", "Lag p95", "s"),
            col("max_lag_s", "Lag max", "s"), col("last_received_at", "Last upload", "time"),
            col("silent_s", "Since the last upload", "ago")], "rows": rows}],
        "skipped_payloads": skipped,
    }

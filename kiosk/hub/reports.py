"""Reports a store manager reads, aggregated from the sales the hub holds (issue 6).

    sales-by-sku-hour  pieces, grams and line revenue per SKU and local hour, with totals
    interventions      per reason: how many, the share of sold baskets, median time to clear
    checkout-time      basket opened to paid per lane: p50/p90/max, share within the goal
    upload-lag         hub received minus lane finished per lane, and each lane's last upload

A range is whole UTC days, inclusive, of the sales' `finished_at`, at most `MAX_RANGE_DAYS`;
only that range's payloads are read (the `sales_by_finished` index), and parsed here in
Python, so the SQL stays portable between SQLite and PostgreSQL. Hours are shown in the
store's time zone (`STORE_TZ`), because a manager thinks in shop hours.

Every report is one JSON-able dict: `tables` (each with `columns` [{key, label, unit}] and
`rows` [{key: value}]), `notes` (sentences that say what the figures mean), `summary`, and
`skipped_payloads`: stored sales whose payload could not be read (should not happen) are
counted there, never a crash. Units: cents, grams, seconds, shares from 0 to 1.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from kiosk.domain.interventions import TITLES
from kiosk.domain.money import price_for_weight
from kiosk.domain.policy import Reason
from kiosk.hub.errors import BadRequest
from kiosk.hub.reports_common import (
    MAX_RANGE_DAYS,
    STORE_TZ_NAME,
    Doc,
    Report,
    Unreadable,
    col,
    local_hour,
    read_time,
    readable,
    round_s,
    share,
    whole,
)
from kiosk.hub.reports_time import checkout_time, upload_lag
from kiosk.hub.store import HubStore, now_utc


def parse_day(text: str | None, what: str) -> date:
    """`text` (YYYY-MM-DD) as a date; BadRequest naming `what` ("from"/"to") otherwise."""
    if not text:
        raise BadRequest(f"{what} is missing; give it as a day like 2026-11-20 (UTC)")
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{what} {text[:30]!r} is not a day; give it as YYYY-MM-DD, "
                         "e.g. 2026-11-20") from None


def check_range(first: date, last: date) -> None:
    """BadRequest when `first` is after `last` or the range is longer than MAX_RANGE_DAYS."""
    if first > last:
        raise BadRequest(f"from {first} is after to {last}; give the earlier day first")
    days = (last - first).days + 1
    if days > MAX_RANGE_DAYS:
        raise BadRequest(f"the range {first} to {last} is {days} days; ask for at most "
                         f"{MAX_RANGE_DAYS} days at a time")


def build_report(store: HubStore, name: str, first: date, last: date, *,
                 now: datetime | None = None) -> Report:
    """The report `name` (one of REPORTS) over sales finished from `first` to `last` (UTC days,
    inclusive). `now` (default: the clock) is what "seconds since the last upload" counts to.
    Raises BadRequest for an unknown name or a bad range."""
    build = REPORTS.get(name)
    if build is None:
        raise BadRequest(f"report {name[:40]!r} is unknown; choose one of {', '.join(REPORTS)}")
    check_range(first, last)
    rows = store.query(
        "SELECT lane_id, sale_id, payload, received_at FROM sales "
        "WHERE finished_at >= ? AND finished_at < ? ORDER BY lane_id, seq",
        (first.isoformat(), (last + timedelta(days=1)).isoformat()))
    docs: list[tuple[str, Doc, str]] = []
    skipped = 0
    for lane_id, _sale_id, payload, received_at in rows:
        try:
            doc = json.loads(payload)
        except (ValueError, RecursionError):
            doc = None
        if isinstance(doc, dict):
            docs.append((str(lane_id), doc, str(received_at)))
        else:
            skipped += 1
    report = build(store, docs, now or now_utc())
    report["skipped_payloads"] += skipped
    head = {"report": name, "from": first.isoformat(), "to": last.isoformat(),
            "timezone": STORE_TZ_NAME, "sales_read": len(rows)}
    return head | report


# --- 1. sales per SKU and hour --------------------------------------------------------------


def _line(line: Mapping[str, Any]) -> tuple[str, str, int, int, int] | None:
    """(sku, name, pieces, grams, cents) of a line dict (Line.to_dict); None when voided."""
    if line.get("voided_by") is not None:
        return None
    sku = line["sku"]
    if not isinstance(sku, str):
        raise Unreadable(f"sku {sku!r} is not text")
    names = line.get("names") or {}
    name = str(names.get("de") or names.get("en") or next(iter(names.values()), sku))
    quantity = whole(line.get("quantity", 1))
    unit_cents = whole(line.get("unit_price_cents", 0))
    weight = line.get("weight_g")
    override = line.get("price_override_cents")
    if override is not None:
        cents = whole(override) * quantity
    elif weight is not None:
        cents = price_for_weight(unit_cents, whole(weight))
    else:
        cents = unit_cents * quantity
    if weight is not None:  # a weighed line counts grams, not pieces
        return sku, name, 0, whole(weight) * quantity, cents
    return sku, name, quantity, 0, cents


def sales_by_sku_hour(_store: HubStore, docs: list[tuple[str, Doc, str]],
                      _now: datetime) -> Report:
    cells: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    labels: dict[str, str] = {}
    names: dict[str, str] = {}
    sold_cents = [0, 0]  # baskets, sum of their totals

    def read(_lane: str, doc: Doc, _received: str) -> None:
        hour, label = local_hour(read_time(doc["finished_at"]))
        lines = [_line(x) for x in doc["lines"]]
        total = whole(doc["totals"]["total_cents"])
        for found in lines:
            if found is None:
                continue
            sku, name, pcs, grams, cents = found
            names.setdefault(sku, name)
            cell = cells[(sku, hour)]
            cell[0] += pcs
            cell[1] += grams
            cell[2] += cents
        labels[hour] = label
        sold_cents[0] += 1
        sold_cents[1] += total

    skipped = readable(docs, read)
    by_hour = [{"sku": sku, "name": names[sku], "hour": labels[hour], "hour_start": hour,
                "quantity_pcs": c[0], "weight_g": c[1], "revenue_cents": c[2]}
               for (sku, hour), c in sorted(cells.items(), key=_sku_then_time)]
    per_sku: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for (sku, _hour), c in cells.items():
        per_sku[sku] = [a + b for a, b in zip(per_sku[sku], c, strict=True)]
    totals = [{"sku": sku, "name": names[sku], "quantity_pcs": c[0], "weight_g": c[1],
               "revenue_cents": c[2]} for sku, c in sorted(per_sku.items())]
    columns = [col("sku", "SKU"), col("name", "Name"), col("quantity_pcs", "Pieces", "pcs"),
               col("weight_g", "Weighed", "g"), col("revenue_cents", "Revenue", "cents")]
    return {
        "title": "Sales per SKU and hour",
        "notes": [
            f"Hours are the store's local time ({STORE_TZ_NAME}); days are picked in UTC.",
            "Pieces count items; weighed items count grams instead. Voided lines are left out.",
            "Revenue is each line's price before basket discounts and coupons; the sold "
            "baskets' total after them is in the summary.",
        ],
        "summary": {"baskets": sold_cents[0], "sales_total_cents": sold_cents[1],
                    "line_revenue_cents": sum(c[2] for c in per_sku.values())},
        "tables": [
            {"key": "by_sku_hour", "title": "Per SKU and local hour",
             "columns": [*columns[:2], col("hour", "Hour (local)"), *columns[2:]],
             "rows": by_hour},
            {"key": "by_sku", "title": "Per SKU, whole range", "columns": columns,
             "rows": totals},
        ],
        "skipped_payloads": skipped,
    }


def _sku_then_time(item: tuple[tuple[str, str], list[int]]) -> tuple[str, datetime]:
    (sku, hour), _cell = item
    return sku, datetime.fromisoformat(hour).astimezone(UTC)


# --- 2. interventions by reason -------------------------------------------------------------


def interventions(_store: HubStore, docs: list[tuple[str, Doc, str]],
                  _now: datetime) -> Report:
    counts: dict[str, int] = defaultdict(int)
    baskets_with: dict[str, int] = defaultdict(int)
    clear_s: dict[str, list[float]] = defaultdict(list)
    sold = [0, 0]  # sold baskets, those with any intervention

    def read(_lane: str, doc: Doc, _received: str) -> None:
        reasons: set[str] = set()
        times: list[tuple[str, float]] = []
        for item in doc["interventions"]:
            reason = str(item["reason"])
            reasons.add(reason)
            if item.get("cleared_at"):
                span = read_time(item["cleared_at"]) - read_time(item["raised_at"])
                times.append((reason, span.total_seconds()))
        sold[0] += 1
        sold[1] += bool(reasons)
        for reason in reasons:
            baskets_with[reason] += 1
        for item in doc["interventions"]:
            counts[str(item["reason"])] += 1
        for reason, seconds in times:
            clear_s[reason].append(seconds)

    skipped = readable(docs, read)
    known = [r.value for r in Reason]
    order = known + sorted(set(counts) - set(known))
    rows = [{"reason": reason, "title": _title(reason), "count": counts[reason],
             "baskets": baskets_with[reason], "share_of_baskets": share(baskets_with[reason],
                                                                         sold[0]),
             "median_clear_s": round_s(statistics.median(clear_s[reason]) if clear_s[reason]
                                  else None)} for reason in order]
    return {
        "title": "Interventions by reason",
        "notes": [
            "Cancelled baskets are not uploaded to the hub, so the rate is per sold basket.",
            "A sale carries the checks cleared before it was paid; a help call still open "
            "when the sale finished is not in it.",
            "Time to clear runs from the check being raised to an attendant (or the lane) "
            "clearing it.",
        ],
        "summary": {"sold_baskets": sold[0], "interventions": sum(counts.values()),
                    "baskets_with_any": sold[1]},
        "tables": [{"key": "by_reason", "title": "Per reason", "columns": [
            col("title", "Reason"), col("count", "Interventions"),
            col("baskets", "Baskets with it"), col("share_of_baskets", "Share of sold "
                                                      "baskets", "share"),
            col("median_clear_s", "Median time to clear", "s")], "rows": rows}],
        "skipped_payloads": skipped,
    }


def _title(reason: str) -> str:
    try:
        return TITLES[Reason(reason)]["en"]
    except ValueError:
        return reason


REPORTS: dict[str, Callable[[HubStore, list[tuple[str, Doc, str]], datetime], Report]] = {
    "sales-by-sku-hour": sales_by_sku_hour,
    "interventions": interventions,
    "checkout-time": checkout_time,
    "upload-lag": upload_lag,
}

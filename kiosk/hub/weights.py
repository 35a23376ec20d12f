"""Learned bagging weights at the hub: each lane's running totals in, the store-wide merge out.

`PUT /api/v1/weights` (Bearer) {"weights": [{"sku", "count", "mean_g", "m2"}]}: the lane's own
Welford totals per product (`kiosk.domain.learned`). Each record REPLACES the earlier record
of the same (device, sku); the device is the token's, never a field of the body, so a lane
cannot overwrite another lane's weights, and a resend (or a lost answer) counts nothing twice.
The whole body is checked first: one bad record is a 400 naming it and nothing is stored.

`GET /api/v1/weights` (Bearer) answers, per sku, the merge of every lane's record weighted by
its sample count (`kiosk.domain.learned.merge_all`): total count, pooled mean (grams) and the
combined m2 (grams squared), with how many lanes contributed. The lane decides what to trust.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from aiohttp import web

from kiosk.domain.learned import LearnedWeight, merge_all
from kiosk.hub.api import STORE_KEY, device_of, read_json
from kiosk.hub.errors import BadRequest
from kiosk.hub.store import HubStore, now_utc

MAX_WEIGHTS = 20_000  # records per request: more than a store's catalog holds
MAX_SKU_CHARS = 64
MAX_COUNT = 2**53  # keeps every count exact in JSON and in a BIGINT


def _record(item: Any, where: str) -> LearnedWeight:
    """One checked record of the body; BadRequest naming `where` and the bad field."""
    if not isinstance(item, dict):
        raise BadRequest(f"{where} must be an object with sku, count, mean_g and m2")
    sku, count = item.get("sku"), item.get("count")
    if not isinstance(sku, str) or not sku.strip() or len(sku) > MAX_SKU_CHARS:
        raise BadRequest(f"{where}.sku {str(sku)[:70]!r} must be the product's sku: text of "
                         f"1 to {MAX_SKU_CHARS} characters")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
        raise BadRequest(f"{where}.count {str(count)[:30]!r} must be a whole number of samples "
                         "of at least 1")
    floats: dict[str, float] = {}
    for field, low_ok in (("mean_g", False), ("m2", True)):
        value = item.get(field)
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not math.isfinite(value) or value < 0 or (value == 0 and not low_ok):
            rule = "above 0 grams" if field == "mean_g" else "0 or more (grams squared)"
            raise BadRequest(f"{where}.{field} {str(value)[:30]!r} must be a finite number "
                             f"{rule}")
        floats[field] = float(value)
    return LearnedWeight(sku, count, floats["mean_g"], floats["m2"])


def parse_weights(body: Any) -> list[LearnedWeight]:
    """The records of a PUT body; BadRequest naming the first bad one (or a repeated sku)."""
    if not isinstance(body, dict) or not isinstance(body.get("weights"), list):
        raise BadRequest('the body must be a JSON object {"weights": [...]} with a list of '
                         "learned weights")
    items = body["weights"]
    if len(items) > MAX_WEIGHTS:
        raise BadRequest(f"{len(items)} learned weights in one request; send at most "
                         f"{MAX_WEIGHTS}")
    records = [_record(item, f"weights[{i}]") for i, item in enumerate(items)]
    seen: set[str] = set()
    for i, record in enumerate(records):
        if record.sku in seen:
            raise BadRequest(f"weights[{i}].sku {record.sku!r} is repeated; send each product "
                             "once")
        seen.add(record.sku)
    return records


def store_weights(store: HubStore, device_id: str, records: Sequence[LearnedWeight]) -> int:
    """Replace `device_id`'s record of each sku in `records` (one transaction); returns how
    many were stored."""
    at = now_utc().isoformat(timespec="seconds")
    with store.transaction() as tx:
        for r in records:
            tx.execute(
                "INSERT INTO lane_weights (device_id, sku, sample_count, mean_g, m2, "
                "received_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (device_id, sku) DO UPDATE "
                "SET sample_count = excluded.sample_count, mean_g = excluded.mean_g, "
                "m2 = excluded.m2, received_at = excluded.received_at",
                (device_id, r.sku, r.count, r.mean_g, r.m2, at),
            )
    return len(records)


def merged_weights(store: HubStore) -> list[tuple[LearnedWeight, int]]:
    """Per sku (sorted), the merge of every lane's record and how many lanes gave one."""
    rows = store.query("SELECT sku, sample_count, mean_g, m2 FROM lane_weights "
                       "ORDER BY sku, device_id")
    by_sku: dict[str, list[LearnedWeight]] = {}
    for sku, count, mean_g, m2 in rows:
        by_sku.setdefault(str(sku), []).append(
            LearnedWeight(str(sku), int(count), float(mean_g), float(m2)))
    return [(merge_all(sku, records), len(records)) for sku, records in by_sku.items()]


async def put_weights(request: web.Request) -> web.Response:
    device = await device_of(request)
    records = parse_weights(await read_json(request))
    store = request.app[STORE_KEY]
    stored = await store.call(store_weights, store, device, records)
    return web.json_response({"stored": stored})


async def get_weights(request: web.Request) -> web.Response:
    await device_of(request)
    store = request.app[STORE_KEY]
    merged = await store.call(merged_weights, store)
    return web.json_response({"weights": [
        {"sku": w.sku, "count": w.count, "mean_g": w.mean_g, "m2": w.m2, "lanes": lanes}
        for w, lanes in merged]})

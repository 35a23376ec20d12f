"""The catalog the hub publishes to its lanes, versioned so a lane pulls only what changed.

Each import of a full catalog file bumps the version (when anything changed) and stamps every
product whose record changed with it; a product no longer in the file leaves a tombstone with
that version. A lane at version V asks `since=V` and gets the products changed after V, the
skus removed after V and the promotions when they changed after V (else null: keep yours).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from kiosk.domain.catalog import Product, product_to_dict
from kiosk.domain.promotions import Coupon, Promotion, promotion_to_dict
from kiosk.hub.store import HubStore


def _canonical(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def catalog_version(store: HubStore) -> int:
    """The version of the published catalog; 0 before the first import."""
    return int(store.query("SELECT version FROM catalog_state")[0][0])


def publish(store: HubStore, products: Sequence[Product],
            promotions: Sequence[Promotion | Coupon] | None, *, source: str = "") -> int:
    """Make `products` (and `promotions`, unless None: keep them) the published catalog.

    The products must already be validated (kiosk.journal.catalog_import does that). Returns
    the new version, or the current one when nothing changed.
    """
    records = {p.sku: _canonical(product_to_dict(p)) for p in products}
    promos = None if promotions is None else _canonical([promotion_to_dict(o)
                                                          for o in promotions])
    with store.transaction() as conn:
        version, stored_promos = conn.execute(
            "SELECT version, promotions FROM catalog_state").fetchone()
        held = dict(conn.execute("SELECT sku, data FROM catalog_products").fetchall())
        changed = [(sku, data) for sku, data in records.items() if held.get(sku) != data]
        removed = [sku for sku in held if sku not in records]
        promos_changed = promos is not None and promos != stored_promos
        if not (changed or removed or promos_changed):
            return int(version)
        new = int(version) + 1
        conn.executemany(
            "INSERT INTO catalog_products (sku, data, version) VALUES (?, ?, ?) "
            "ON CONFLICT (sku) DO UPDATE SET data = excluded.data, version = excluded.version",
            ((sku, data, new) for sku, data in changed))
        conn.executemany("DELETE FROM catalog_removed WHERE sku = ?",
                         ((sku,) for sku, _ in changed))
        conn.executemany("DELETE FROM catalog_products WHERE sku = ?", ((s,) for s in removed))
        conn.executemany(
            "INSERT INTO catalog_removed (sku, version) VALUES (?, ?) "
            "ON CONFLICT (sku) DO UPDATE SET version = excluded.version",
            ((sku, new) for sku in removed))
        if promos_changed:
            conn.execute("UPDATE catalog_state SET promotions = ?, promotions_version = ?",
                         (promos, new))
        conn.execute("UPDATE catalog_state SET version = ?, updated_at = ?, source = ?",
                     (new, datetime.now(UTC).isoformat(timespec="seconds"), source))
    return new


def catalog_since(store: HubStore, since: int) -> dict[str, Any]:
    """The API answer for `GET /api/v1/catalog?since=`: a delta after `since`, or everything
    ("full": true) when `since` is 0 or a version this hub never published."""
    version, promos, promos_version = store.query(
        "SELECT version, promotions, promotions_version FROM catalog_state")[0]
    full = since <= 0 or since > version
    floor = 0 if full else since
    products = [json.loads(r[0]) for r in store.query(
        "SELECT data FROM catalog_products WHERE version > ? ORDER BY sku", (floor,))]
    removed = [] if full else [r[0] for r in store.query(
        "SELECT sku FROM catalog_removed WHERE version > ? ORDER BY sku", (floor,))]
    promotions = json.loads(promos) if promos is not None and promos_version > floor else None
    return {"version": int(version), "full": full, "products": products, "removed": removed,
            "promotions": promotions}

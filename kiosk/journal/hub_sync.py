"""The hub's catalog in the lane's file: apply what the hub sends and remember its version.

The hub numbers its catalog itself (`hub_sync.catalog_version`); the lane's own
`catalog_state.version` counts every local change. Both move in ONE transaction, so after a
crash the lane asks the hub again from exactly the version it holds. The kiosk keeps selling
from the same file meanwhile (WAL): a scan sees the catalog before or after, never half of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlite_utils import Database

from kiosk.domain.catalog import Product
from kiosk.errors import CatalogError
from kiosk.journal.catalog import CatalogStore
from kiosk.journal.catalog_import import Offer, check_products
from kiosk.journal.db import write_transaction


class HubCatalog:
    """The catalog sink the uploader (kiosk.sync) applies the hub's answers to."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.store = CatalogStore(db)

    def hub_version(self) -> int:
        """The hub catalog version last applied here (0: never pulled)."""
        row = self.db.conn.execute("SELECT catalog_version FROM hub_sync WHERE id = 1").fetchone()
        return int(row[0]) if row else 0

    def apply(self, version: int, full: bool, products: Sequence[Product],
              removed: Sequence[str], promotions: Sequence[Offer] | None) -> int:
        """Apply one hub answer atomically: `full` replaces every product, else upsert
        `products` and delete `removed`; `promotions` (unless None) replace the stored ones.
        Records `version` as the hub version in the same transaction. Raises CatalogError,
        changing nothing, when the answer would break the catalog. Returns the lane's own
        catalog version afterwards."""
        if full:
            problems = check_products((f"hub product {p.sku!r}", p) for p in products)
            if problems:
                raise CatalogError("hub catalog refused, nothing was changed: "
                                   + "; ".join(problems[:20]))
        source = f"hub v{version}"
        with write_transaction(self.db) as conn:
            if full:
                local = self.store.replace(products, promotions, source=source)
            else:
                local = self.store.apply_delta(products, removed, promotions=promotions,
                                               source=source)
            conn.execute(
                "UPDATE hub_sync SET catalog_version = ?, catalog_pulled_at = ? WHERE id = 1",
                (version, datetime.now(UTC).isoformat(timespec="seconds")),
            )
        return local

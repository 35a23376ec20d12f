"""Catalog pull: ask the hub for what changed since the hub version this lane last applied.

GET /api/v1/catalog?since=VERSION answers {"version", "full", "products", "removed",
"promotions"}. The whole answer is checked first (every product record, every promotion), then
applied by the sink in one transaction together with the new hub version, so the selling lane
sees the old catalog or the new one, never a mix, and a crash re-asks from the same version.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from kiosk.domain.catalog import Product, product_from_dict
from kiosk.domain.pricing import Coupon, Promotion, promotion_from_dict
from kiosk.errors import CatalogError
from kiosk.sync.errors import SyncError
from kiosk.sync.http import hub_request

if TYPE_CHECKING:
    import aiohttp

Offer = Promotion | Coupon


class CatalogSink(Protocol):
    """Where the hub's catalog goes (kiosk.journal.hub_sync.HubCatalog)."""

    def hub_version(self) -> int: ...
    def apply(self, version: int, full: bool, products: Sequence[Product],
              removed: Sequence[str], promotions: Sequence[Offer] | None) -> int: ...


@dataclass(frozen=True, slots=True)
class CatalogAnswer:
    """A checked answer of GET /api/v1/catalog."""

    version: int
    full: bool
    products: tuple[Product, ...]
    removed: tuple[str, ...]
    promotions: tuple[Offer, ...] | None


@dataclass(frozen=True, slots=True)
class PullReport:
    """What one pull did: from which hub version to which, and how much changed."""

    since: int
    version: int
    full: bool
    products: int
    removed: int
    changed: bool

    def __str__(self) -> str:
        if not self.changed:
            return f"catalog is up to date at hub version {self.version}"
        kind = "full catalog" if self.full else "catalog changes"
        return (f"applied {kind} from hub version {self.since} to {self.version}: "
                f"{self.products} product(s) updated, {self.removed} removed")


def parse_catalog_answer(data: Any) -> CatalogAnswer:
    """Check a catalog answer completely; raises CatalogError naming the first bad part."""
    if not isinstance(data, dict):
        raise CatalogError(f"hub catalog answer is not a JSON object ({str(data)[:60]!r})")
    version, full = data.get("version"), data.get("full")
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise CatalogError(f"hub catalog answer has version {version!r}; expected a whole "
                           "number >= 0")
    if not isinstance(full, bool):
        raise CatalogError(f"hub catalog answer has full {full!r}; expected true or false")
    records, removed = data.get("products", []), data.get("removed", [])
    promos = data.get("promotions")
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise CatalogError("hub catalog answer: products must be a list of objects")
    if not isinstance(removed, list) or not all(isinstance(s, str) for s in removed):
        raise CatalogError("hub catalog answer: removed must be a list of skus (text)")
    if promos is not None and (not isinstance(promos, list)
                               or not all(isinstance(p, dict) for p in promos)):
        raise CatalogError("hub catalog answer: promotions must be a list of objects or null")
    products = tuple(product_from_dict(r, f"hub products[{i}]") for i, r in enumerate(records))
    offers = None if promos is None else tuple(
        promotion_from_dict(p, f"hub promotions[{i}]") for i, p in enumerate(promos))
    return CatalogAnswer(version, full, products, tuple(removed), offers)


async def pull_catalog(session: aiohttp.ClientSession, hub_url: str, token: str,
                       sink: CatalogSink, *, timeout_s: float = 30.0) -> PullReport:
    """Fetch and apply the hub's catalog changes since the sink's hub version.

    Raises HubAuthError (401), SyncError (hub unreachable or failing) or CatalogError (the
    answer would break the catalog); in each case the lane's catalog is unchanged.
    """
    since = sink.hub_version()
    url = f"{hub_url.rstrip('/')}/api/v1/catalog?since={since}"
    data = await hub_request(session, "GET", url, token, None, timeout_s)
    try:
        answer = parse_catalog_answer(data)
    except CatalogError as err:
        raise SyncError(f"{err}; the lane's catalog is unchanged") from None
    changed = answer.full or answer.version != since or bool(answer.products or answer.removed)
    if changed:
        sink.apply(answer.version, answer.full, answer.products, answer.removed,
                   answer.promotions)
    return PullReport(since, answer.version, answer.full, len(answer.products),
                      len(answer.removed), changed)

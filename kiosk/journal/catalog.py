"""The lane's catalog in SQLite: products and promotions, versioned, replaced or patched atomically.

`CatalogStore` implements the domain's `Catalog` protocol (by_gtin, by_plu, by_sku) with one
indexed query per lookup. Every change (a file import, a delta from the hub) is one transaction
that bumps `version`; a change with any problem changes nothing. The uploader process may apply
deltas to the same file while the lane reads it (WAL), so lookups are not cached.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from kiosk.domain.catalog import Product, Unit
from kiosk.domain.money import VatRate
from kiosk.domain.pricing import promotion_from_dict, promotion_to_dict
from kiosk.errors import CatalogError
from kiosk.journal.catalog_import import Offer, offer_key, plu_key, read_catalog_file
from kiosk.journal.db import canonical_json, write_transaction

MAX_ERRORS_SHOWN = 100

_COLS = ("sku, names, price_cents, vat_rate, gtin, plu, unit, age_limit, deposit_sku, "
         "expected_weight_g, weight_tolerance_g, category, image, is_deposit")
_SELECT = f"SELECT {_COLS} FROM products"
# Built once: the lookups are the hot path of a scan, and sqlite3 caches statements by text.
_BY_GTIN = f"{_SELECT} WHERE gtin = ?"
_BY_PLU = f"{_SELECT} WHERE plu_key = ?"
_BY_SKU = f"{_SELECT} WHERE sku = ?"
_VAT = {rate.value: rate for rate in VatRate}
_UNIT = {unit.value: unit for unit in Unit}
_INSERT = f"INSERT INTO products ({_COLS}, plu_key) VALUES ({', '.join('?' * 15)})"
_UPSERT = _INSERT + " ON CONFLICT (sku) DO UPDATE SET " + ", ".join(
    f"{c} = excluded.{c}" for c in (*_COLS.split(", ")[1:], "plu_key"))


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did. `promotions` is None when the file left promotions unchanged."""

    source: str
    products: int
    promotions: int | None
    version: int
    elapsed_s: float

    def __str__(self) -> str:
        promos = ("promotions unchanged" if self.promotions is None
                  else f"{self.promotions} promotions")
        return (f"imported {self.products} products and {promos} from {self.source} in "
                f"{self.elapsed_s:.1f} s; catalog version is now {self.version}")


class CatalogStore:
    """Products and promotions stored in the lane's journal file (see `open_db`)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- reading (the Catalog protocol) ---------------------------------------------------

    def by_gtin(self, gtin14: str) -> Product | None:
        """The product with this 14-digit GTIN (or in-store lookup key), or None."""
        return self._one(_BY_GTIN, gtin14)

    def by_plu(self, plu: str) -> Product | None:
        """The product with this PLU; leading zeros do not count."""
        return self._one(_BY_PLU, plu_key(plu.strip()))

    def by_sku(self, sku: str) -> Product | None:
        return self._one(_BY_SKU, sku)

    def _one(self, sql: str, key: str | None) -> Product | None:
        row = self.db.conn.execute(sql, (key,)).fetchone()
        return _product(row) if row else None

    def __iter__(self) -> Iterator[Product]:
        """Every product, by sku."""
        for row in self.db.conn.execute(f"{_SELECT} ORDER BY sku"):
            yield _product(row)

    def __len__(self) -> int:
        return int(self.db.conn.execute("SELECT COUNT(*) FROM products").fetchone()[0])

    def with_plu(self, limit: int = 500) -> list[Product]:
        """Products a shopper picks by PLU (loose produce, bakery), at most `limit`, by PLU."""
        sql = f"{_SELECT} WHERE plu IS NOT NULL ORDER BY CAST(plu AS INTEGER), plu LIMIT ?"
        return [_product(row) for row in self.db.conn.execute(sql, (limit,))]

    def is_empty(self) -> bool:
        return self.db.conn.execute("SELECT 1 FROM products LIMIT 1").fetchone() is None

    @property
    def version(self) -> int:
        """Bumped by every successful import or delta; 0 for a catalog never filled."""
        return int(self.db.conn.execute(
            "SELECT version FROM catalog_state WHERE id = 1").fetchone()[0])

    def promotions(self) -> list[Offer]:
        """The stored promotions and coupons, in the order they were given."""
        rows = self.db.conn.execute("SELECT data FROM promotions ORDER BY position").fetchall()
        return [promotion_from_dict(json.loads(r[0])) for r in rows]

    # --- writing --------------------------------------------------------------------------

    def import_file(self, path: str | Path) -> ImportReport:
        """Replace the catalog with a CSV or JSON file, all or nothing.

        Raises CatalogError listing every bad record (line or index, field, value) when the file
        has any problem; the stored catalog is then unchanged.
        """
        started = time.perf_counter()
        parsed = read_catalog_file(path)
        if parsed.errors:
            shown = list(parsed.errors[:MAX_ERRORS_SHOWN])
            more = len(parsed.errors) - len(shown)
            if more:
                shown.append(f"... and {more} more")
            raise CatalogError(
                f"catalog file {parsed.source} has {len(parsed.errors)} problem(s); nothing was "
                "imported, the old catalog stays; fix these and import again:\n  "
                + "\n  ".join(shown)
            )
        version = self.replace(parsed.products, parsed.promotions, source=parsed.source)
        return ImportReport(
            source=parsed.source,
            products=len(parsed.products),
            promotions=None if parsed.promotions is None else len(parsed.promotions),
            version=version,
            elapsed_s=time.perf_counter() - started,
        )

    def replace(
        self,
        products: Sequence[Product],
        promotions: Sequence[Offer] | None = None,
        *,
        source: str = "",
    ) -> int:
        """Replace every product (and the promotions, unless None) in one transaction.

        The products must already be checked (`catalog_import.check_products`); a duplicate key
        or a dangling deposit_sku still fails the transaction. Returns the new version.
        """
        with write_transaction(self.db) as conn:
            conn.execute("DELETE FROM products")
            try:
                conn.executemany(_INSERT, (_row(p) for p in products))
            except sqlite3.IntegrityError as e:
                raise CatalogError(f"catalog refused, nothing was changed: {e} (two products "
                                   "share a sku, gtin or plu)") from e
            if promotions is not None:
                _store_promotions(conn, promotions)
            _raise_dangling_deposits(conn)
            return _bump(conn, source)

    def apply_delta(
        self,
        upserts: Iterable[Product] = (),
        deletes: Iterable[str] = (),
        *,
        promotions: Sequence[Offer] | None = None,
        source: str = "delta",
    ) -> int:
        """Insert or update products by sku and delete skus, in one transaction.

        `promotions`, when given, replaces the stored promotions. Deleting an unknown sku is a
        no-op (a delta may be re-sent). Raises CatalogError, changing nothing, when a GTIN or PLU
        would belong to two products or a deposit_sku would name no product.
        Returns the new version.
        """
        upserts = list(upserts)
        deletes = list(deletes)
        with write_transaction(self.db) as conn:
            conn.executemany("DELETE FROM products WHERE sku = ?", ((s,) for s in deletes))
            # Free the keys of updated products first, so two products may swap a GTIN or PLU.
            conn.executemany("UPDATE products SET gtin = NULL, plu_key = NULL WHERE sku = ?",
                             ((p.sku,) for p in upserts))
            _raise_key_conflicts(conn, upserts)
            conn.executemany(_UPSERT, (_row(p) for p in upserts))
            if promotions is not None:
                _store_promotions(conn, promotions)
            _raise_dangling_deposits(conn)
            return _bump(conn, source)


def _product(row: Sequence[Any]) -> Product:
    (sku, names, price, vat, gtin, plu, unit, age, deposit, weight, tolerance, category, image,
     is_deposit) = row
    return Product(
        sku=sku, names=json.loads(names), price_cents=price, vat_rate=_VAT[vat], gtin=gtin,
        plu=plu, unit=_UNIT[unit], age_limit=age, deposit_sku=deposit, expected_weight_g=weight,
        weight_tolerance_g=tolerance, category=category, image=image, is_deposit=bool(is_deposit),
    )


def _row(p: Product) -> tuple[Any, ...]:
    return (p.sku, canonical_json(dict(p.names)), p.price_cents, p.vat_rate.value, p.gtin, p.plu,
            p.unit.value, p.age_limit, p.deposit_sku, p.expected_weight_g, p.weight_tolerance_g,
            p.category, p.image, int(p.is_deposit), plu_key(p.plu))


def _store_promotions(conn: sqlite3.Connection, promotions: Sequence[Offer]) -> None:
    keys = [offer_key(o) for o in promotions]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        raise CatalogError(f"promotion(s) {', '.join(dupes)} given twice; nothing was changed")
    conn.execute("DELETE FROM promotions")
    conn.executemany(
        "INSERT INTO promotions (position, offer_key, data) VALUES (?, ?, ?)",
        ((i, k, canonical_json(promotion_to_dict(o)))
         for i, (k, o) in enumerate(zip(keys, promotions, strict=True), start=1)),
    )


def _raise_key_conflicts(conn: sqlite3.Connection, upserts: Sequence[Product]) -> None:
    errors: list[str] = []
    claimed: dict[tuple[str, str], str] = {}
    for p in upserts:
        for column, value in (("gtin", p.gtin), ("plu_key", plu_key(p.plu))):
            if value is None:
                continue
            row = conn.execute(f"SELECT sku FROM products WHERE {column} = ? AND sku != ?",
                               (value, p.sku)).fetchone()
            other = row[0] if row else claimed.get((column, value))
            if other is not None and other != p.sku:
                errors.append(f"{column.removesuffix('_key')} {value!r} of product {p.sku!r} "
                              f"already belongs to product {other!r}")
            claimed[(column, value)] = p.sku
    if errors:
        raise CatalogError("catalog delta refused, nothing was changed: " + "; ".join(errors))


def _raise_dangling_deposits(conn: sqlite3.Connection) -> None:
    rows = conn.execute(
        "SELECT p.sku, p.deposit_sku FROM products p LEFT JOIN products d "
        "ON d.sku = p.deposit_sku WHERE p.deposit_sku IS NOT NULL AND d.sku IS NULL "
        "ORDER BY p.sku LIMIT 20"
    ).fetchall()
    if rows:
        listed = "; ".join(f"{sku!r} names deposit {dep!r}" for sku, dep in rows)
        raise CatalogError(f"deposit_sku names no product ({listed}); add the deposit product "
                           "or clear the field; nothing was changed")


def _bump(conn: sqlite3.Connection, source: str) -> int:
    conn.execute(
        "UPDATE catalog_state SET version = version + 1, updated_at = ?, source = ? WHERE id = 1",
        (datetime.now(UTC).isoformat(timespec="seconds"), source),
    )
    return int(conn.execute("SELECT version FROM catalog_state WHERE id = 1").fetchone()[0])

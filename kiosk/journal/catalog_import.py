"""Reading catalog files (CSV or JSON) into validated products and promotions.

Nothing here writes: `read_catalog_file` parses and checks the whole file and returns every
problem it found, each naming the CSV line or JSON index, the field and the bad value.
`CatalogStore.import_file` writes the result only when there is no problem at all.

CSV: UTF-8 (a BOM is fine), one header row, comma, semicolon or tab separated; the columns are
those `kiosk.domain.catalog.product_from_dict` accepts (sku, name_de, name_en, price or
price_cents, vat_rate, gtin/ean, plu, unit, age_limit, deposit_sku, expected_weight_g,
weight_tolerance_g, category, image, is_deposit). Empty cells count as absent.
JSON: {"products": [...], "promotions": [...]} with product and promotion objects.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.domain.catalog import Product, product_from_dict
from kiosk.domain.pricing import Coupon, Promotion, promotion_from_dict
from kiosk.errors import CatalogError

Offer = Promotion | Coupon
JSON_SECTIONS = ("products", "promotions")


@dataclass(frozen=True, slots=True)
class CatalogFile:
    """A parsed catalog file.

    `promotions` is None when the file has no promotions section (every CSV file): importing it
    leaves the stored promotions as they are. `errors` lists every problem, in file order.
    """

    source: str
    products: tuple[Product, ...]
    promotions: tuple[Offer, ...] | None
    errors: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


def read_catalog_file(path: str | Path) -> CatalogFile:
    """Parse and validate a .csv or .json catalog file; never raises for bad content.

    Raises CatalogError only when the file cannot be read at all (missing, unknown extension).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise CatalogError(f"catalog file {str(path)!r} must end in .csv or .json")
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise CatalogError(f"cannot read catalog file {str(path)!r}: {e.strerror}") from e
    source = str(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        return CatalogFile(source, (), None, (
            f"{source} line {line}: byte 0x{raw[e.start]:02x} is not UTF-8; save the file as "
            "UTF-8 (in Excel: 'CSV UTF-8') and import it again",
        ))
    if suffix == ".csv":
        return parse_csv(text, source)
    return parse_json(text, source)


def parse_csv(text: str, source: str = "CSV") -> CatalogFile:
    """Products from CSV text (header row first); see the module docstring for the columns."""
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        return CatalogFile(source, (), None, (f"{source}: the first line is empty; it must be a "
                                              "header such as sku,name_de,price,vat_rate",))
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip().lower() for h in next(reader)]
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        return CatalogFile(source, (), None,
                           (f"{source} line 1: column(s) {', '.join(dupes)} appear twice",))
    records: list[tuple[str, Mapping[str, Any]]] = []
    errors: list[str] = []
    for cells in reader:
        where = f"line {reader.line_num}"
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            errors.append(f"{where}: {len(cells)} cells but the header has {len(header)} "
                          f"columns; quote values that contain {delimiter!r}")
            continue
        records.append((where, {h: c.strip() for h, c in zip(header, cells, strict=False)
                                if h}))
    return _validate(source, records, None, errors)


def parse_json(text: str, source: str = "JSON") -> CatalogFile:
    """Products and promotions from JSON text: {"products": [...], "promotions": [...]}."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        return CatalogFile(source, (), None, (
            f"{source} line {e.lineno} column {e.colno}: not valid JSON ({e.msg})",))
    if not isinstance(doc, dict):
        return CatalogFile(source, (), None, (
            f'{source}: the top level must be an object like {{"products": [...]}}, got '
            f"{type(doc).__name__}",))
    errors: list[str] = []
    unknown = sorted(set(doc) - set(JSON_SECTIONS))
    if unknown:
        errors.append(f"{source}: unknown section(s) {', '.join(unknown)}; "
                      f"expected {' and '.join(JSON_SECTIONS)}")
    products = doc.get("products")
    if not isinstance(products, list):
        errors.append(f"{source}: products {_short(products)} must be a list of product objects")
        products = []
    promotions = doc.get("promotions")
    if promotions is not None and not isinstance(promotions, list):
        errors.append(f"{source}: promotions {_short(promotions)} must be a list")
        promotions = []
    records: list[tuple[str, Mapping[str, Any]]] = []
    for i, rec in enumerate(products):
        where = f"products[{i}]"
        if isinstance(rec, dict):
            records.append((where, rec))
        else:
            errors.append(f"{where}: {_short(rec)} is not a product object")
    return _validate(source, records, promotions, errors)


def _validate(
    source: str,
    records: list[tuple[str, Mapping[str, Any]]],
    promotion_records: list[Any] | None,
    errors: list[str],
) -> CatalogFile:
    products: list[tuple[str, Product]] = []
    for where, rec in records:
        try:
            products.append((where, product_from_dict(rec, where)))
        except CatalogError as e:
            errors.append(_located(where, e))
    errors.extend(check_products(products))
    offers: list[Offer] | None = None
    if promotion_records is not None:
        offers = []
        errors.extend(_read_offers(promotion_records, offers))
    return CatalogFile(source, tuple(p for _, p in products),
                       None if offers is None else tuple(offers), tuple(errors))


def _read_offers(records: list[Any], out: list[Offer]) -> list[str]:
    errors: list[str] = []
    seen: dict[str, str] = {}
    for i, rec in enumerate(records):
        where = f"promotions[{i}]"
        try:
            offer = promotion_from_dict(rec, where)
        except CatalogError as e:
            errors.append(_located(where, e))
            continue
        key = offer_key(offer)
        if key in seen:
            errors.append(f"{where}: {key} is already defined at {seen[key]}")
            continue
        seen[key] = where
        out.append(offer)
    return errors


def offer_key(offer: Offer) -> str:
    """The unique key of a promotion (its promo_id) or coupon ("coupon:" + its code)."""
    if isinstance(offer, Coupon):
        return f"coupon:{offer.coupon_code}"
    return offer.promo_id


def check_products(products: Iterable[tuple[str, Product]]) -> list[str]:
    """Cross-record problems: duplicate sku, gtin or plu, and deposit_sku naming no product.

    `products` pairs each product with where it came from ("line 7", "products[3]").
    """
    errors: list[str] = []
    seen: dict[str, dict[str, str]] = {"sku": {}, "gtin": {}, "plu": {}}
    items = list(products)
    for where, p in items:
        for field, value in (("sku", p.sku), ("gtin", p.gtin), ("plu", plu_key(p.plu))):
            if value is None:
                continue
            first = seen[field].get(value)
            if first is not None:
                shown = getattr(p, field)
                errors.append(f"{where}: {field} {shown!r} is already used at {first}")
            else:
                seen[field][value] = f"{where} (sku {p.sku!r})" if field != "sku" else where
    for where, p in items:
        if p.deposit_sku is not None and p.deposit_sku not in seen["sku"]:
            errors.append(f"{where}: deposit_sku {p.deposit_sku!r} names no product in the "
                          "catalog; add the deposit product or clear the field")
    return errors


def plu_key(plu: str | None) -> str | None:
    """The PLU as looked up: leading zeros do not count ("04011" is "4011")."""
    if plu is None:
        return None
    return plu.lstrip("0") or "0"


def _located(where: str, err: CatalogError) -> str:
    # Product's own checks name the product, not the line; say both.
    text = str(err)
    return text if text.startswith(where) else f"{where}: {text}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."

"""The catalog model: what a product is, and how the checkout asks for one.

A product is found by its GTIN (normalised to 14 digits by `kiosk.domain.codes`) or by its PLU
(the number a shopper picks for loose produce). German in-store codes (prefixes 2x) are found by
their lookup key, the code with the variable price/weight part zeroed, which is stored as the
product's `gtin`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from kiosk.domain.money import VatRate, parse_eur
from kiosk.errors import CatalogError

LANGUAGES = ("de", "en")
AGE_LIMITS = (16, 18)


class Unit(StrEnum):
    """How a product is sold: by the piece, or by weight with a price per kilogram."""

    PIECE = "piece"
    KILOGRAM = "kg"


@dataclass(frozen=True, slots=True)
class Product:
    """One sellable article.

    `price_cents` is the gross price per piece, or per kilogram when `unit` is KILOGRAM.
    `deposit_sku` names the deposit (Pfand) product added automatically with each piece.
    `expected_weight_g`/`weight_tolerance_g` drive the bagging-area check (None: not checked).
    """

    sku: str
    names: Mapping[str, str]
    price_cents: int
    vat_rate: VatRate
    gtin: str | None = None
    plu: str | None = None
    unit: Unit = Unit.PIECE
    age_limit: int | None = None
    deposit_sku: str | None = None
    expected_weight_g: int | None = None
    weight_tolerance_g: int | None = None
    category: str = ""
    image: str | None = None
    is_deposit: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        where = f"product {self.sku!r}"
        if not self.sku or not self.sku.strip():
            raise CatalogError("a product has an empty sku; every product needs a unique sku")
        if not self.names or not any(v.strip() for v in self.names.values()):
            raise CatalogError(f"{where} has no name; give at least a German name")
        if isinstance(self.price_cents, bool) or not isinstance(self.price_cents, int):
            raise CatalogError(f"{where}: price_cents must be whole cents: {self.price_cents!r}")
        if self.price_cents < 0:
            raise CatalogError(f"{where}: price_cents {self.price_cents} is negative")
        if self.gtin is not None and (len(self.gtin) != 14 or not self.gtin.isdigit()):
            raise CatalogError(f"{where}: gtin {self.gtin!r} must be 14 digits (normalised)")
        if self.plu is not None and not (self.plu.isdigit() and 1 <= len(self.plu) <= 5):
            raise CatalogError(f"{where}: plu {self.plu!r} must be 1 to 5 digits")
        if self.age_limit is not None and self.age_limit not in AGE_LIMITS:
            raise CatalogError(f"{where}: age_limit {self.age_limit!r} must be 16 or 18")
        for name, value in (
            ("expected_weight_g", self.expected_weight_g),
            ("weight_tolerance_g", self.weight_tolerance_g),
        ):
            if value is not None and (isinstance(value, bool) or value < 0):
                raise CatalogError(f"{where}: {name} {value!r} must be grams >= 0")
        if self.deposit_sku == self.sku:
            raise CatalogError(f"{where} names itself as its deposit")

    def name(self, lang: str = "de") -> str:
        """The name in `lang`, falling back to German, then any name."""
        return self.names.get(lang) or self.names.get("de") or next(iter(self.names.values()))

    @property
    def sold_by_weight(self) -> bool:
        return self.unit is Unit.KILOGRAM


class Catalog(Protocol):
    """Read access to products; the journal's SQLite store and `MemoryCatalog` implement it."""

    def by_gtin(self, gtin14: str) -> Product | None: ...

    def by_plu(self, plu: str) -> Product | None: ...

    def by_sku(self, sku: str) -> Product | None: ...


class MemoryCatalog:
    """A catalog held in dicts: for tests, the demo and small stores."""

    def __init__(self, products: Iterable[Product] = ()) -> None:
        self._by_sku: dict[str, Product] = {}
        self._by_gtin: dict[str, Product] = {}
        self._by_plu: dict[str, Product] = {}
        for p in products:
            self.add(p)

    def add(self, product: Product) -> None:
        self._by_sku[product.sku] = product
        if product.gtin:
            self._by_gtin[product.gtin] = product
        if product.plu:
            self._by_plu[product.plu] = product

    def by_gtin(self, gtin14: str) -> Product | None:
        return self._by_gtin.get(gtin14)

    def by_plu(self, plu: str) -> Product | None:
        return self._by_plu.get(plu.lstrip("0") or "0") or self._by_plu.get(plu)

    def by_sku(self, sku: str) -> Product | None:
        return self._by_sku.get(sku)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._by_sku.values())

    def __len__(self) -> int:
        return len(self._by_sku)


_FIELDS = {
    "sku", "names", "name_de", "name_en", "price_cents", "price", "vat_rate", "vat", "gtin",
    "ean", "plu", "unit", "age_limit", "deposit_sku", "expected_weight_g", "weight_tolerance_g",
    "category", "image", "is_deposit",
}


def product_from_dict(record: Mapping[str, Any], where: str = "record") -> Product:
    """Build a Product from a catalog file record (JSON object or CSV row), validating it.

    Accepted keys: sku; names {"de","en"} or name_de/name_en; price_cents (int) or price
    ("2,99"); vat_rate (19/7/A/B) or vat; gtin or ean (8-14 digits, check digit verified, stored
    normalised to 14); plu; unit ("piece"/"kg"); age_limit; deposit_sku; expected_weight_g;
    weight_tolerance_g; category; image; is_deposit. Empty CSV cells count as absent.
    Raises CatalogError naming `where`, the field and the bad value.
    """
    rec = {k: v for k, v in record.items() if v is not None and v != ""}
    unknown = sorted(set(rec) - _FIELDS)
    if unknown:
        raise CatalogError(f"{where}: unknown field(s) {', '.join(unknown)}")
    fields = _Fields(rec, where)
    return Product(
        sku=str(rec.get("sku", "")).strip(),
        names=fields.names(),
        price_cents=fields.price(),
        vat_rate=fields.vat(),
        gtin=fields.gtin(),
        plu=fields.text("plu"),
        unit=fields.unit(),
        age_limit=fields.integer("age_limit"),
        deposit_sku=fields.text("deposit_sku"),
        expected_weight_g=fields.integer("expected_weight_g"),
        weight_tolerance_g=fields.integer("weight_tolerance_g"),
        category=str(rec.get("category", "")),
        image=fields.text("image"),
        is_deposit=_as_bool(rec.get("is_deposit", False)),
    )


class _Fields:
    """Reads one record's fields, each failing with a CatalogError that names it."""

    def __init__(self, rec: Mapping[str, Any], where: str) -> None:
        self.rec = rec
        self.where = where

    def fail(self, fld: str, value: Any, hint: str) -> CatalogError:
        return CatalogError(f"{self.where}: {fld} {value!r} {hint}")

    def names(self) -> dict[str, str]:
        names = {str(k): str(v) for k, v in dict(self.rec.get("names") or {}).items()}
        for lang in LANGUAGES:
            if f"name_{lang}" in self.rec:
                names[lang] = str(self.rec[f"name_{lang}"])
        return names

    def price(self) -> int:
        if "price_cents" in self.rec:
            return self._int("price_cents", "is not whole cents")
        if "price" not in self.rec:
            raise CatalogError(f"{self.where}: no price (price_cents or price)")
        try:
            return parse_eur(str(self.rec["price"]))
        except ValueError:
            raise self.fail("price", self.rec["price"], "is not a price like 2,99") from None

    def vat(self) -> VatRate:
        raw = self.rec.get("vat_rate", self.rec.get("vat"))
        if raw is None:
            raise CatalogError(f"{self.where}: no vat_rate (19 or 7)")
        try:
            return VatRate.from_percent(raw)
        except ValueError:
            raise self.fail("vat_rate", raw, "is not 19 or 7") from None

    def gtin(self) -> str | None:
        from kiosk.domain.codes import normalize_gtin  # codes imports this module

        raw = self.rec.get("gtin", self.rec.get("ean"))
        if raw is None:
            return None
        try:
            return normalize_gtin(str(raw).strip())
        except ValueError as e:
            raise self.fail("gtin", raw, f"is not a valid GTIN ({e})") from None

    def unit(self) -> Unit:
        try:
            return Unit(str(self.rec.get("unit", "piece")).strip().lower())
        except ValueError:
            raise self.fail("unit", self.rec.get("unit"), "must be 'piece' or 'kg'") from None

    def text(self, fld: str) -> str | None:
        return str(self.rec[fld]).strip() if fld in self.rec else None

    def integer(self, fld: str) -> int | None:
        return self._int(fld, "is not a whole number") if fld in self.rec else None

    def _int(self, fld: str, hint: str) -> int:
        value = self.rec[fld]
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        text = str(value).strip()
        if not isinstance(value, bool) and text.lstrip("-").isdigit():
            return int(text)
        raise self.fail(fld, value, hint)


def product_to_dict(p: Product) -> dict[str, Any]:
    """The JSON form of a product, the inverse of `product_from_dict`."""
    d: dict[str, Any] = {
        "sku": p.sku,
        "names": dict(p.names),
        "price_cents": p.price_cents,
        "vat_rate": p.vat_rate.percent,
        "unit": p.unit.value,
    }
    for key in ("gtin", "plu", "age_limit", "deposit_sku", "expected_weight_g",
                "weight_tolerance_g", "image"):
        value = getattr(p, key)
        if value is not None:
            d[key] = value
    if p.category:
        d["category"] = p.category
    if p.is_deposit:
        d["is_deposit"] = True
    return d


def _as_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "ja", "x")

"""Offer definitions: multi-buy, mix & match, percent off and coupons, and their JSON form.

These are data, loaded from the store's promotion file; `kiosk.domain.pricing` applies them to a
basket (and re-exports every name here). Amounts are int cents, percentages whole numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kiosk.domain.basket import Line
from kiosk.errors import CatalogError


def _check_names(where: str, names: Mapping[str, str]) -> None:
    if not isinstance(names, Mapping) or not any(
        isinstance(v, str) and v.strip() for v in names.values()
    ):
        raise CatalogError(f"{where}: names {names!r} has no name; give at least a German name")


def _sku_set(where: str, field_name: str, skus: object) -> frozenset[str]:
    """`skus` as a frozenset of non-empty texts; a bare string is refused, not split into chars."""
    if isinstance(skus, str | bytes) or not isinstance(skus, frozenset | set | list | tuple):
        raise CatalogError(f"{where}: {field_name} {skus!r} must be a list of skus")
    out = frozenset(skus)
    if not out or not all(isinstance(s, str) and s.strip() for s in out):
        raise CatalogError(f"{where}: {field_name} {sorted(out, key=str)!r} must list at least "
                           "one non-empty sku")
    return out


def _check_int(where: str, field_name: str, value: object, low: int, high: int | None) -> None:
    """Refuse anything but a whole number from `low` to `high` (None: no upper bound)."""
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= low
    if not ok or (high is not None and isinstance(value, int) and value > high):
        bound = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise CatalogError(f"{where}: {field_name} {value!r} must be a whole number {bound}")


def _check_id(kind: str, field_name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CatalogError(f"a {kind} has {field_name} {value!r}; give it a non-empty text id")
    return f"{kind} {value!r}"


@dataclass(frozen=True, slots=True)
class MultiBuy:
    """"3 für 2": every group of `buy` pieces of the listed skus costs as `pay` pieces.

    Pieces are grouped most expensive first, so when prices differ the cheapest of each group go
    free. Pieces that do not fill a group pay full price.
    """

    promo_id: str
    names: Mapping[str, str]
    skus: frozenset[str]
    buy: int
    pay: int

    def __post_init__(self) -> None:
        where = _check_id("promotion", "promo_id", self.promo_id)
        object.__setattr__(self, "skus", _sku_set(where, "skus", self.skus))
        _check_names(where, self.names)
        _check_int(where, "buy", self.buy, 2, None)
        _check_int(where, "pay", self.pay, 1, self.buy - 1)


@dataclass(frozen=True, slots=True)
class MixMatch:
    """"Any 3 for 5 €": every group of `count` pieces of the listed skus costs `price_cents`.

    Pieces are grouped most expensive first; a group takes the deal only when it is cheaper than
    the pieces' own prices. The saving is spread over the group's pieces in proportion to price.
    """

    promo_id: str
    names: Mapping[str, str]
    skus: frozenset[str]
    count: int
    price_cents: int

    def __post_init__(self) -> None:
        where = _check_id("promotion", "promo_id", self.promo_id)
        object.__setattr__(self, "skus", _sku_set(where, "skus", self.skus))
        _check_names(where, self.names)
        _check_int(where, "count", self.count, 2, None)
        _check_int(where, "price_cents", self.price_cents, 1, None)


@dataclass(frozen=True, slots=True)
class PercentOff:
    """`percent` off each matching line (by sku or by category), rounded half up per line.

    A line matches when its sku is in `skus` or its category is in `categories`; give at least
    one of the two (None means "not filtered by this").
    """

    promo_id: str
    names: Mapping[str, str]
    skus: frozenset[str] | None
    categories: frozenset[str] | None
    percent: int

    def __post_init__(self) -> None:
        where = _check_id("promotion", "promo_id", self.promo_id)
        _check_names(where, self.names)
        for field_name in ("skus", "categories"):
            value = getattr(self, field_name)
            if value is not None:
                object.__setattr__(self, field_name, _sku_set(where, field_name, value))
        if self.skus is None and self.categories is None:
            raise CatalogError(f"{where}: give skus or categories that the percent applies to")
        _check_int(where, "percent", self.percent, 1, 100)

    def matches(self, line: Line) -> bool:
        return (self.skus is not None and line.sku in self.skus) or (
            self.categories is not None and line.category in self.categories
        )


@dataclass(frozen=True, slots=True)
class Coupon:
    """A basket-level discount redeemed by scanning `coupon_code`.

    Either `amount_cents` off or `percent` off the eligible goods, once they are worth at least
    `min_basket_cents` (goods after line promotions, deposit not counted). The discount is spread
    over the VAT rates in proportion to their eligible gross and never exceeds it.
    """

    coupon_code: str
    names: Mapping[str, str]
    amount_cents: int | None = None
    percent: int | None = None
    min_basket_cents: int = 0

    def __post_init__(self) -> None:
        where = _check_id("coupon", "coupon_code", self.coupon_code)
        _check_names(where, self.names)
        if (self.amount_cents is None) == (self.percent is None):
            raise CatalogError(f"{where}: give exactly one of amount_cents and percent")
        if self.amount_cents is not None:
            _check_int(where, "amount_cents", self.amount_cents, 1, None)
        if self.percent is not None:
            _check_int(where, "percent", self.percent, 1, 100)
        _check_int(where, "min_basket_cents", self.min_basket_cents, 0, None)


Promotion = MultiBuy | MixMatch | PercentOff

_TYPES: dict[str, type[Promotion | Coupon]] = {
    "multi_buy": MultiBuy,
    "mix_match": MixMatch,
    "percent_off": PercentOff,
    "coupon": Coupon,
}
_FIELDS: dict[str, tuple[str, ...]] = {
    "multi_buy": ("promo_id", "skus", "buy", "pay"),
    "mix_match": ("promo_id", "skus", "count", "price_cents"),
    "percent_off": ("promo_id", "skus", "categories", "percent"),
    "coupon": ("coupon_code", "amount_cents", "percent", "min_basket_cents"),
}
_OPTIONAL = {"categories", "amount_cents", "percent", "min_basket_cents"}


def promotion_from_dict(d: Mapping[str, Any], where: str = "promotion") -> Promotion | Coupon:
    """Build an offer from its JSON form, e.g. {"type": "multi_buy", "promo_id": "joghurt-3f2",
    "names": {"de": "3 für 2", "en": "3 for 2"}, "skus": ["4711"], "buy": 3, "pay": 2}.

    `type` is multi_buy, mix_match, percent_off or coupon; amounts are int cents; `skus` and
    `categories` are lists of text; a percent_off may leave out skus or categories.
    Raises CatalogError naming `where`, the field and the bad value.
    """
    if not isinstance(d, Mapping):
        raise CatalogError(f"{where}: a promotion must be a JSON object, got {d!r}")
    kind = d.get("type")
    if not isinstance(kind, str) or kind not in _TYPES:
        raise CatalogError(f"{where}: type {kind!r} must be one of {', '.join(_TYPES)}")
    fields = _FIELDS[kind]
    unknown = sorted(set(d) - {"type", "names", *fields})
    if unknown:
        raise CatalogError(f"{where}: unknown field(s) {', '.join(unknown)} for a {kind}")
    args: dict[str, Any] = {"names": d.get("names")}
    for name in fields:
        value = d.get(name)
        optional = name in _OPTIONAL or (kind == "percent_off" and name == "skus")
        if value is None and not optional:
            raise CatalogError(f"{where}: missing field {name}")
        if name in ("skus", "categories") and isinstance(value, list):
            # JSON files may give skus as numbers; anything else is left for validation to refuse
            value = [str(v) if isinstance(v, int) and not isinstance(v, bool) else v
                     for v in value]
        if value is not None:
            args[name] = value
    if kind == "percent_off":
        args.setdefault("skus", None)
        args.setdefault("categories", None)
    try:
        return _TYPES[kind](**args)
    except CatalogError as e:
        raise CatalogError(f"{where}: {e}") from None


def promotion_to_dict(offer: Promotion | Coupon) -> dict[str, Any]:
    """The JSON form of an offer, the inverse of `promotion_from_dict`."""
    kind = next(k for k, t in _TYPES.items() if isinstance(offer, t))
    out: dict[str, Any] = {"type": kind, "names": dict(offer.names)}
    for name in _FIELDS[kind]:
        value = getattr(offer, name)
        if isinstance(value, frozenset):
            value = sorted(value)
        if value is not None:
            out[name] = value
    return out

"""Promotions, coupons and the priced basket: totals and the German VAT breakdown.

`price_basket` applies offers in one fixed, documented order (finding the best combination for
the shopper when offers overlap is out of scope):

1. Line promotions; a line takes at most one of them.
   a. `PercentOff`, in the order given: the first one that matches a line takes the line.
   b. `MultiBuy` and `MixMatch`, in the order given, each over the pieces of the lines no earlier
      promotion took. A line with a piece in a group that got its deal is taken.
2. Coupons, in the order given (a repeated code counts once), each on what is left of the
   eligible goods after step 1 and the coupons before it.

Offers never touch deposit (Pfand) lines, lines with a price override (in-store price labels are
already reduced) or voided lines. `MultiBuy`/`MixMatch` count pieces, so weighed lines take
`PercentOff` only; a coupon is basket-level and covers weighed lines too.

Prices are gross. Per VAT rate the receipt shows gross (the rate's lines less the rate's
discounts), VAT extracted once from that gross (`money.vat_from_gross`) and net = gross - VAT.
All amounts are int cents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kiosk.domain.basket import Line
from kiosk.domain.money import VatRate, format_eur, round_half_up, vat_from_gross
from kiosk.domain.promotions import (
    Coupon,
    MixMatch,
    MultiBuy,
    PercentOff,
    Promotion,
    promotion_from_dict,
    promotion_to_dict,
)

__all__ = [
    "MAX_LINE_QUANTITY", "Coupon", "Discount", "MixMatch", "MultiBuy", "PercentOff", "Promotion",
    "Totals", "VatLine", "coupon_rejection", "price_basket", "promotion_from_dict",
    "promotion_to_dict",
]

MAX_LINE_QUANTITY = 10_000  # pieces are expanded one by one; more on one line is a data error


@dataclass(frozen=True, slots=True)
class Discount:
    """A reduction, positive `amount_cents`, all at one VAT rate, on the lines in `line_ids`.

    `promo_id` is the promotion id or the coupon code; `kind` is percent_off, multi_buy,
    mix_match or coupon. A percent_off gives one Discount per line; the others one per rate.
    """

    promo_id: str
    names: Mapping[str, str]
    amount_cents: int
    vat_rate: VatRate
    line_ids: tuple[int, ...]
    kind: str = "promotion"

    def name(self, lang: str = "de") -> str:
        return self.names.get(lang) or self.names.get("de") or next(iter(self.names.values()), "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "promo_id": self.promo_id, "names": dict(self.names),
            "amount_cents": self.amount_cents, "vat_rate": self.vat_rate.value,
            "line_ids": list(self.line_ids), "kind": self.kind,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Discount:
        return cls(d["promo_id"], dict(d["names"]), d["amount_cents"], VatRate(d["vat_rate"]),
                   tuple(d["line_ids"]), d.get("kind", "promotion"))


@dataclass(frozen=True, slots=True)
class VatLine:
    """One row of the receipt's VAT table: gross = net + VAT, in cents, at `rate`."""

    rate: VatRate
    gross_cents: int
    net_cents: int
    vat_cents: int

    def to_dict(self) -> dict[str, Any]:
        return {"rate": self.rate.value, "percent": self.rate.percent,
                "gross_cents": self.gross_cents, "net_cents": self.net_cents,
                "vat_cents": self.vat_cents}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> VatLine:
        return cls(VatRate(d["rate"]), d["gross_cents"], d["net_cents"], d["vat_cents"])


@dataclass(frozen=True, slots=True)
class Totals:
    """The priced basket. All amounts are int cents.

    `lines`: every line as given, voided ones included. `subtotal_cents`: active lines before
    discounts (deposit included). `deposit_cents`: active deposit lines. `total_cents` =
    subtotal - discount. `vat`: one row per rate with a non-zero gross, A before B; their gross
    sums to the total. `item_count`: pieces of active non-deposit lines (a weighed line is 1).
    """

    lines: tuple[Line, ...]
    discounts: tuple[Discount, ...]
    subtotal_cents: int
    discount_cents: int
    deposit_cents: int
    total_cents: int
    vat: tuple[VatLine, ...]
    item_count: int

    @property
    def vat_cents(self) -> int:
        return sum(v.vat_cents for v in self.vat)

    def to_dict(self) -> dict[str, Any]:
        return {
            "lines": [line.to_dict() for line in self.lines],
            "discounts": [x.to_dict() for x in self.discounts],
            "subtotal_cents": self.subtotal_cents, "discount_cents": self.discount_cents,
            "deposit_cents": self.deposit_cents, "total_cents": self.total_cents,
            "vat": [v.to_dict() for v in self.vat], "item_count": self.item_count,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Totals:
        return cls(
            lines=tuple(Line.from_dict(x) for x in d["lines"]),
            discounts=tuple(Discount.from_dict(x) for x in d["discounts"]),
            subtotal_cents=d["subtotal_cents"], discount_cents=d["discount_cents"],
            deposit_cents=d["deposit_cents"], total_cents=d["total_cents"],
            vat=tuple(VatLine.from_dict(v) for v in d["vat"]), item_count=d["item_count"],
        )


def price_basket(
    lines: Sequence[Line],
    promotions: Sequence[Promotion] = (),
    coupons: Sequence[Coupon] = (),
) -> Totals:
    """Price `lines` with `promotions` and `coupons` in the order in the module docstring.

    Raises ValueError for lines no basket can hold (repeated line id, quantity below 1 or above
    MAX_LINE_QUANTITY, negative amount).
    """
    _check_lines(lines)
    active = [line for line in lines if not line.voided]
    discounts = _line_promotions(active, promotions)
    discounts += _coupon_discounts(active, discounts, coupons)
    gross = {rate: 0 for rate in VatRate}
    for line in active:
        gross[line.vat_rate] += line.amount_cents
    for d in discounts:
        gross[d.vat_rate] -= d.amount_cents
    vat = tuple(
        VatLine(rate, g, g - vat_from_gross(g, rate), vat_from_gross(g, rate))
        for rate, g in gross.items() if g != 0
    )
    subtotal = sum(line.amount_cents for line in active)
    discount = sum(d.amount_cents for d in discounts)
    return Totals(
        lines=tuple(lines),
        discounts=tuple(discounts),
        subtotal_cents=subtotal,
        discount_cents=discount,
        deposit_cents=sum(line.amount_cents for line in active if line.is_deposit),
        total_cents=subtotal - discount,
        vat=vat,
        item_count=sum(
            1 if line.weight_g is not None else line.quantity
            for line in active if not line.is_deposit
        ),
    )


def coupon_rejection(coupon: Coupon, totals: Totals, lang: str = "de") -> str | None:
    """Why `coupon` does not apply to the basket priced in `totals`, for the shopper in `lang`
    ("de" or "en"); None when it applies (or would, once added)."""
    goods = _goods_cents(totals.lines, totals.discounts)
    if goods < coupon.min_basket_cents:
        need, missing = coupon.min_basket_cents, coupon.min_basket_cents - goods
        if lang == "de":
            return (f"Dieser Gutschein gilt ab {format_eur(need, 'de')} Einkaufswert (ohne "
                    f"Pfand). Es fehlen noch {format_eur(missing, 'de')}.")
        return (f"This coupon needs a purchase of {format_eur(need, 'en')} (deposit not "
                f"included). {format_eur(missing, 'en')} to go.")
    active = [line for line in totals.lines if not line.voided]
    line_cuts = [d for d in totals.discounts if d.kind != "coupon"]
    if sum(_eligible_left(active, line_cuts).values()) == 0:
        if lang == "de":
            return "Dieser Gutschein gilt nicht für die Artikel in Ihrem Einkauf."
        return "This coupon does not apply to the items in your basket."
    return None


def _check_lines(lines: Sequence[Line]) -> None:
    seen: set[int] = set()
    for line in lines:
        if line.line_id in seen:
            raise ValueError(f"line id {line.line_id} appears twice; each line needs its own id")
        seen.add(line.line_id)
        if not 1 <= line.quantity <= MAX_LINE_QUANTITY:
            raise ValueError(
                f"line {line.line_id} has quantity {line.quantity}; "
                f"it must be from 1 to {MAX_LINE_QUANTITY}"
            )
        if line.list_amount_cents < 0:
            raise ValueError(
                f"line {line.line_id} has a negative amount {line.list_amount_cents} cents; "
                "prices, weights and price labels must not be negative"
            )


def _promotable(line: Line) -> bool:
    """May any offer reduce this line (active ones only are passed in)?"""
    return not line.is_deposit and line.price_override_cents is None


def _line_promotions(active: list[Line], promotions: Sequence[Promotion]) -> list[Discount]:
    out: list[Discount] = []
    taken: set[int] = set()
    for promo in promotions:
        if not isinstance(promo, PercentOff | MultiBuy | MixMatch):
            raise ValueError(f"{promo!r} is not a line promotion; pass coupons as `coupons`")
    percent_offs = [p for p in promotions if isinstance(p, PercentOff)]
    for line in active:
        off = next((p for p in percent_offs if _promotable(line) and p.matches(line)), None)
        if off is None:
            continue
        taken.add(line.line_id)
        cut = round_half_up(line.amount_cents * off.percent, 100)
        if cut:
            out.append(Discount(off.promo_id, dict(off.names), cut, line.vat_rate,
                                (line.line_id,), "percent_off"))
    for promo in promotions:
        if isinstance(promo, PercentOff):
            continue
        pool = [
            line for line in active
            if _promotable(line) and line.weight_g is None and line.sku in promo.skus
            and line.line_id not in taken
        ]
        if isinstance(promo, MultiBuy):
            cuts, used = _multi_buy(promo, pool)
            kind = "multi_buy"
        else:
            cuts, used = _mix_match(promo, pool)
            kind = "mix_match"
        taken |= used
        out += _per_rate(promo.promo_id, promo.names, kind, pool, cuts)
    return out


def _pieces(pool: list[Line]) -> list[tuple[int, int, Line]]:
    """Every piece as (price, position of its line, line), most expensive first."""
    pieces = [(line.unit_price_cents, i, line) for i, line in enumerate(pool)
              for _ in range(line.quantity)]
    pieces.sort(key=lambda p: (-p[0], p[1]))
    return pieces


def _multi_buy(promo: MultiBuy, pool: list[Line]) -> tuple[dict[int, int], set[int]]:
    pieces = _pieces(pool)
    grouped = len(pieces) - len(pieces) % promo.buy
    cuts: dict[int, int] = {}
    for k, (price, _, line) in enumerate(pieces[:grouped]):
        if k % promo.buy >= promo.pay:  # the last of each group are the cheapest: free
            cuts[line.line_id] = cuts.get(line.line_id, 0) + price
    return cuts, {line.line_id for _, _, line in pieces[:grouped]}


def _mix_match(promo: MixMatch, pool: list[Line]) -> tuple[dict[int, int], set[int]]:
    pieces = _pieces(pool)
    cuts: dict[int, int] = {}
    used: set[int] = set()
    for start in range(0, len(pieces) - len(pieces) % promo.count, promo.count):
        group = pieces[start:start + promo.count]
        regular = sum(price for price, _, _ in group)
        if promo.price_cents >= regular:
            break  # groups only get cheaper from here on
        parts = _split(regular - promo.price_cents, [price for price, _, _ in group])
        for part, (_, _, line) in zip(parts, group, strict=True):
            cuts[line.line_id] = cuts.get(line.line_id, 0) + part
            used.add(line.line_id)
    return cuts, used


def _per_rate(
    promo_id: str, names: Mapping[str, str], kind: str, pool: list[Line], cuts: dict[int, int]
) -> list[Discount]:
    out = []
    for rate in VatRate:
        ids = tuple(x.line_id for x in pool if x.vat_rate is rate and cuts.get(x.line_id, 0) > 0)
        amount = sum(cuts[i] for i in ids)
        if amount:
            out.append(Discount(promo_id, dict(names), amount, rate, ids, kind))
    return out


def _eligible_left(active: Sequence[Line], discounts: Sequence[Discount]) -> dict[VatRate, int]:
    """Gross per rate that offers may still reduce: promotable lines less discounts so far."""
    left = {rate: 0 for rate in VatRate}
    for line in active:
        if _promotable(line):
            left[line.vat_rate] += line.amount_cents
    for d in discounts:  # every discount sits on promotable lines of its rate
        left[d.vat_rate] -= d.amount_cents
    return left


def _goods_cents(lines: Sequence[Line], discounts: Sequence[Discount]) -> int:
    """Goods value a coupon's minimum is checked against: no deposit, after line promotions."""
    goods = sum(x.amount_cents for x in lines if not x.voided and not x.is_deposit)
    return goods - sum(d.amount_cents for d in discounts if d.kind != "coupon")


def _coupon_discounts(
    active: list[Line], line_cuts: list[Discount], coupons: Sequence[Coupon]
) -> list[Discount]:
    out: list[Discount] = []
    goods = _goods_cents(active, line_cuts)
    seen: set[str] = set()
    for coupon in coupons:
        if coupon.coupon_code in seen or goods < coupon.min_basket_cents:
            continue
        seen.add(coupon.coupon_code)
        left = _eligible_left(active, line_cuts + out)
        base = sum(left.values())
        if coupon.amount_cents is not None:
            cut = min(coupon.amount_cents, base)
        else:
            cut = round_half_up(base * (coupon.percent or 0), 100)
        rates = list(VatRate)
        for rate, part in zip(rates, _split(cut, [left[r] for r in rates]), strict=True):
            if part:
                ids = tuple(x.line_id for x in active if _promotable(x) and x.vat_rate is rate)
                out.append(Discount(coupon.coupon_code, dict(coupon.names), part, rate, ids,
                                    "coupon"))
    return out


def _split(total: int, weights: Sequence[int]) -> list[int]:
    """`total` split in proportion to `weights` (largest remainder, ties to the first), summing
    exactly to `total`; no part exceeds its weight when total <= sum(weights)."""
    whole = sum(weights)
    if whole == 0:
        return [0] * len(weights)
    parts = [total * w // whole for w in weights]
    remainders = [total * w % whole for w in weights]
    short = total - sum(parts)
    for i in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:short]:
        parts[i] += 1
    return parts

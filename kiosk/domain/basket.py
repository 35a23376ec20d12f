"""The basket: lines, quantities, weights, voids and linked deposit lines.

Lines are values. The checkout builds them (`make_lines`) when it decides on a scan and journals
them inside a fact; replaying the journal `insert`s the same lines again, so replay never consults
the catalog or the clock. Voided lines stay in the basket (the receipt and the audit show them)
but count for nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from kiosk.domain.catalog import Product
from kiosk.domain.money import VatRate, price_for_weight
from kiosk.errors import FlowError


@dataclass(frozen=True, slots=True)
class Line:
    """One basket line.

    `unit_price_cents` is per piece, or per kilogram when `weight_g` is set.
    `price_override_cents` is the price printed in an in-store price barcode (prefix 22/23).
    `deposit_of` is the line id this deposit (Pfand) line belongs to.
    """

    line_id: int
    sku: str
    names: Mapping[str, str]
    unit_price_cents: int
    vat_rate: VatRate
    quantity: int = 1
    weight_g: int | None = None
    price_override_cents: int | None = None
    code: str | None = None
    age_limit: int | None = None
    deposit_of: int | None = None
    category: str = ""
    voided_by: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def voided(self) -> bool:
        return self.voided_by is not None

    @property
    def is_deposit(self) -> bool:
        return self.deposit_of is not None

    @property
    def amount_cents(self) -> int:
        """Gross amount before promotions; 0 once voided."""
        if self.voided:
            return 0
        return self.list_amount_cents

    @property
    def list_amount_cents(self) -> int:
        """Gross amount as scanned, whether voided or not (for the receipt's void lines)."""
        if self.price_override_cents is not None:
            return self.price_override_cents * self.quantity
        if self.weight_g is not None:
            return price_for_weight(self.unit_price_cents, self.weight_g)
        return self.unit_price_cents * self.quantity

    def name(self, lang: str = "de") -> str:
        return self.names.get(lang) or self.names.get("de") or next(iter(self.names.values()), "")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["names"] = dict(self.names)
        d["vat_rate"] = self.vat_rate.value
        d["extra"] = dict(self.extra)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Line:
        data = dict(d)
        data["vat_rate"] = VatRate(data["vat_rate"])
        return cls(**data)


def make_lines(
    product: Product,
    first_line_id: int,
    *,
    quantity: int = 1,
    weight_g: int | None = None,
    price_override_cents: int | None = None,
    code: str | None = None,
    deposit: Product | None = None,
) -> list[Line]:
    """The line for `product`, followed by its deposit line when `deposit` is given.

    Raises ValueError for a quantity below 1 or a negative weight: callers check the shopper's
    input first and raise a FlowError with a text for the screen.
    """
    if quantity < 1:
        raise ValueError(f"quantity {quantity} must be at least 1")
    if weight_g is not None and weight_g <= 0:
        raise ValueError(f"weight {weight_g} g must be positive")
    main = Line(
        line_id=first_line_id,
        sku=product.sku,
        names=dict(product.names),
        unit_price_cents=product.price_cents,
        vat_rate=product.vat_rate,
        quantity=quantity,
        weight_g=weight_g,
        price_override_cents=price_override_cents,
        code=code,
        age_limit=product.age_limit,
        category=product.category,
    )
    if deposit is None:
        return [main]
    pfand = Line(
        line_id=first_line_id + 1,
        sku=deposit.sku,
        names=dict(deposit.names),
        unit_price_cents=deposit.price_cents,
        vat_rate=deposit.vat_rate,
        quantity=quantity,
        deposit_of=first_line_id,
        category=deposit.category,
    )
    return [main, pfand]


class Basket:
    """An ordered set of lines with stable ids. Mutated only by the checkout's `apply`."""

    def __init__(self) -> None:
        self._lines: dict[int, Line] = {}

    def __iter__(self) -> Iterator[Line]:
        return iter(self._lines.values())

    def __len__(self) -> int:
        return len(self._lines)

    @property
    def lines(self) -> tuple[Line, ...]:
        return tuple(self._lines.values())

    def active_lines(self) -> tuple[Line, ...]:
        return tuple(line for line in self._lines.values() if not line.voided)

    @property
    def is_empty(self) -> bool:
        """True when no line counts (nothing scanned, or everything voided)."""
        return not self.active_lines()

    def next_line_id(self) -> int:
        return max(self._lines, default=0) + 1

    def line(self, line_id: int) -> Line:
        try:
            return self._lines[line_id]
        except KeyError:
            raise FlowError(
                f"basket has no line {line_id}",
                {"de": "Diese Position gibt es nicht.", "en": "That line does not exist."},
            ) from None

    def deposit_line_of(self, line_id: int) -> Line | None:
        return next((x for x in self._lines.values() if x.deposit_of == line_id), None)

    def insert(self, line: Line) -> None:
        if line.line_id in self._lines:
            raise ValueError(f"line id {line.line_id} is already in the basket")
        self._lines[line.line_id] = line

    def set_quantity(self, line_id: int, quantity: int) -> None:
        """Change a piece line's quantity; its deposit line follows."""
        line = self.line(line_id)
        if quantity < 1:
            raise ValueError(f"quantity {quantity} must be at least 1; void the line instead")
        if line.weight_g is not None or line.is_deposit:
            raise ValueError(f"line {line_id} is weighed or a deposit; its quantity is fixed")
        if line.voided:
            raise ValueError(f"line {line_id} is voided; scan the item again instead")
        self._lines[line_id] = replace(line, quantity=quantity)
        dep = self.deposit_line_of(line_id)
        if dep is not None:
            self._lines[dep.line_id] = replace(dep, quantity=quantity)

    def void(self, line_id: int, by: str) -> None:
        """Void a line and its deposit line, recording who approved it.

        Voiding a line that is already void changes nothing: the first approver stays on record.
        """
        line = self.line(line_id)
        if line.voided:
            return
        self._lines[line_id] = replace(line, voided_by=by)
        dep = self.deposit_line_of(line_id)
        if dep is not None and not dep.voided:
            self._lines[dep.line_id] = replace(dep, voided_by=by)

    def gross_cents(self) -> int:
        """Sum of active lines before promotions."""
        return sum(line.amount_cents for line in self._lines.values())

    def gross_by_rate(self) -> dict[VatRate, int]:
        """Active gross per VAT rate before promotions (rates with no line are absent)."""
        out: dict[VatRate, int] = {}
        for line in self.active_lines():
            out[line.vat_rate] = out.get(line.vat_rate, 0) + line.amount_cents
        return out

    def highest_age_limit(self) -> int | None:
        return max((x.age_limit for x in self.active_lines() if x.age_limit), default=None)

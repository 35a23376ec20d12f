"""Money as int cents, German VAT, and commercial rounding.

Prices are gross (VAT included), as German shelf prices are. VAT is extracted per rate from the
sum of that rate's gross amounts and rounded once per rate, as on a German receipt; never per line.
"""

from __future__ import annotations

import re
from enum import StrEnum


class VatRate(StrEnum):
    """German VAT rates. The value is the receipt letter; `percent` is the rate."""

    STANDARD = "A"  # 19 %
    REDUCED = "B"  # 7 %: most food, books

    @property
    def percent(self) -> int:
        return _PERCENT[self]

    @classmethod
    def from_percent(cls, percent: int | float | str) -> VatRate:
        """The rate for 19 or 7 (also accepts "19", "19%", "A", "B")."""
        text = str(percent).strip().rstrip("%").strip().upper()
        for rate, pct in _PERCENT.items():
            if text in (rate.value, str(pct), f"{pct}.0"):
                return rate
        raise ValueError(f"VAT rate {percent!r} is not a German rate; use 19 or 7")


_PERCENT = {VatRate.STANDARD: 19, VatRate.REDUCED: 7}


def round_half_up(numerator: int, denominator: int) -> int:
    """numerator/denominator rounded half away from zero (kaufmännisches Runden), in ints."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    sign = -1 if numerator < 0 else 1
    q, r = divmod(abs(numerator), denominator)
    return sign * (q + (1 if 2 * r >= denominator else 0))


def vat_from_gross(gross_cents: int, rate: VatRate) -> int:
    """The VAT contained in a gross amount, rounded once: gross * p / (100 + p)."""
    return round_half_up(gross_cents * rate.percent, 100 + rate.percent)


def price_for_weight(price_per_kg_cents: int, weight_g: int) -> int:
    """Price of a weighed item: per-kg price times grams / 1000, rounded half up."""
    return round_half_up(price_per_kg_cents * weight_g, 1000)


def format_eur(cents: int, lang: str = "de") -> str:
    """'1.234,50 €' in German, '€1,234.50' in English; negative amounts get a minus sign."""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(cents), 100)
    grouped = f"{euros:,}"
    if lang == "de":
        return f"{sign}{grouped.replace(',', '.')},{rest:02d} €"
    return f"{sign}€{grouped}.{rest:02d}"


_GERMAN_AMOUNT = re.compile(r"([+-]?)([0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+),([0-9]{0,2})")
_PLAIN_AMOUNT = re.compile(r"([+-]?)([0-9]+)(?:\.([0-9]{0,2}))?")


def parse_eur(text: str) -> int:
    """Cents from '2,99', '2.99', '2,99 €', '1.234,50' or '3'; raises ValueError otherwise."""
    t = text.strip().replace("€", "").replace("EUR", "").strip()
    if not t:
        raise ValueError("the amount is empty; give euros like 2,99")
    # A comma is the German decimal mark, and dots before it may only group thousands; without
    # a comma a dot is a decimal point. ASCII digits only, one optional sign.
    pattern = _GERMAN_AMOUNT if "," in t else _PLAIN_AMOUNT
    match = pattern.fullmatch(t)
    if match is None:
        raise ValueError(f"{text!r} is not an amount in euros like 2,99")
    sign, whole, frac = match.groups()
    cents = int(whole.replace(".", "")) * 100 + int((frac or "").ljust(2, "0"))
    return -cents if sign == "-" else cents

"""Money: commercial rounding, VAT extracted from gross, weighed prices, euro text in and out."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.domain.money import (
    VatRate,
    format_eur,
    parse_eur,
    price_for_weight,
    round_half_up,
    vat_from_gross,
)


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        (5, 10, 1),  # 0.5 -> 1
        (4, 10, 0),
        (15, 10, 2),
        (25, 10, 3),  # 2.5 -> 3 (banker's rounding would give 2)
        (-5, 10, -1),  # half away from zero for negatives too
        (-25, 10, -3),
        (-14, 10, -1),
        (-16, 10, -2),
        (0, 7, 0),
    ],
)
def test_halves_round_away_from_zero(numerator: int, denominator: int, expected: int) -> None:
    assert round_half_up(numerator, denominator) == expected


def test_rounding_by_a_zero_denominator_is_refused() -> None:
    with pytest.raises(ValueError, match="denominator"):
        round_half_up(1, 0)


@given(st.integers(-10**9, 10**9), st.integers(1, 10**6))
def test_rounding_is_symmetric_and_never_off_by_more_than_half(n: int, d: int) -> None:
    r = round_half_up(n, d)
    assert round_half_up(-n, d) == -r
    assert abs(r * d - n) * 2 <= d


@pytest.mark.parametrize(
    ("gross_cents", "rate", "vat_cents"),
    [
        (119, VatRate.STANDARD, 19),  # 1,19 € at 19 % holds 0,19 €
        (107, VatRate.REDUCED, 7),  # 1,07 € at 7 % holds 0,07 €
        (100, VatRate.STANDARD, 16),  # 15.97 -> 16
        (100, VatRate.REDUCED, 7),  # 6.54 -> 7
        (1000, VatRate.STANDARD, 160),  # 159.66 -> 160
        (0, VatRate.STANDARD, 0),
        (-119, VatRate.STANDARD, -19),
    ],
)
def test_vat_is_extracted_from_the_gross_price(
    gross_cents: int, rate: VatRate, vat_cents: int
) -> None:
    assert vat_from_gross(gross_cents, rate) == vat_cents


def test_vat_is_rounded_once_on_the_sum_not_per_line() -> None:
    # Three rolls at 0,05 € (7 %): per line 0,00 € VAT each, on the sum 0,01 €.
    assert vat_from_gross(5, VatRate.REDUCED) == 0
    assert vat_from_gross(15, VatRate.REDUCED) == 1


@pytest.mark.parametrize(
    ("given_rate", "rate"),
    [
        (19, VatRate.STANDARD),
        ("7", VatRate.REDUCED),
        ("19%", VatRate.STANDARD),
        ("b", VatRate.REDUCED),
        (7.0, VatRate.REDUCED),
    ],
)
def test_vat_rates_are_read_from_percent_or_letter(given_rate: object, rate: VatRate) -> None:
    assert VatRate.from_percent(given_rate) is rate  # type: ignore[arg-type]


def test_a_vat_rate_that_is_not_german_is_refused_with_the_value() -> None:
    with pytest.raises(ValueError, match="16"):
        VatRate.from_percent(16)


def test_weighed_price_is_per_kilo_times_grams() -> None:
    assert price_for_weight(299, 1234) == 369  # 2,99 €/kg x 1,234 kg = 3,68966 € -> 3,69 €
    assert price_for_weight(199, 1000) == 199
    assert price_for_weight(1, 500) == 1  # 0.5 cent rounds up
    assert price_for_weight(1, 499) == 0


@pytest.mark.parametrize(
    ("cents", "de", "en"),
    [
        (0, "0,00 €", "€0.00"),
        (5, "0,05 €", "€0.05"),
        (299, "2,99 €", "€2.99"),
        (123450, "1.234,50 €", "€1,234.50"),
        (123456789, "1.234.567,89 €", "€1,234,567.89"),
        (-79, "-0,79 €", "-€0.79"),
    ],
)
def test_amounts_are_written_the_german_and_the_english_way(cents: int, de: str, en: str) -> None:
    assert format_eur(cents, "de") == de
    assert format_eur(cents, "en") == en


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("2,99", 299),
        ("2.99", 299),
        ("2,99 €", 299),
        ("€ 2,99", 299),
        ("2,99 EUR", 299),
        ("1.234,50", 123450),
        ("1.234.567,89", 123456789),
        ("3", 300),
        ("2,5", 250),
        ("0,05", 5),
        ("-0,50", -50),
        ("+3", 300),
        ("  12  ", 1200),
    ],
)
def test_amounts_are_read_in_the_forms_a_price_list_uses(text: str, cents: int) -> None:
    assert parse_eur(text) == cents


@pytest.mark.parametrize(
    "text",
    [
        "", "   ", "€", "abc", "2,999", "2.999", "1.234", "1.2345,00", "12,3.4", "1,2,3",
        "--5", "+-5", "-", ",5", "²", "١٢", "1_000", "0x10", "nan", "inf", "2 99",
    ],
)
def test_garbled_amounts_are_refused_not_guessed(text: str) -> None:
    with pytest.raises(ValueError, match=r"amount|2,99"):
        parse_eur(text)


@given(st.integers(-10**12, 10**12))
def test_every_written_amount_reads_back_the_same(cents: int) -> None:
    assert parse_eur(format_eur(cents, "de")) == cents
    assert parse_eur(format_eur(cents, "en").replace(",", "")) == cents

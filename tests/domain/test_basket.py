"""The basket: lines with their deposit, quantities, voids, weighed and price-labelled amounts."""

from __future__ import annotations

import pytest

from kiosk.domain.basket import Basket, Line, make_lines
from kiosk.domain.catalog import Product, Unit
from kiosk.domain.money import VatRate
from kiosk.errors import FlowError

WATER = Product(
    sku="water-15", names={"de": "Mineralwasser 1,5 l", "en": "Mineral water 1.5 l"},
    price_cents=49, vat_rate=VatRate.STANDARD, deposit_sku="pfand-25",
)
PFAND = Product(
    sku="pfand-25", names={"de": "Pfand Einweg", "en": "Deposit (single-use)"},
    price_cents=25, vat_rate=VatRate.STANDARD, is_deposit=True,
)
BANANAS = Product(
    sku="bananas", names={"de": "Bananen", "en": "Bananas"}, price_cents=199,
    vat_rate=VatRate.REDUCED, unit=Unit.KILOGRAM, plu="4011",
)
BREAD = Product(sku="bread", names={"de": "Brot", "en": "Bread"}, price_cents=249,
                vat_rate=VatRate.REDUCED)


def basket_with_water(quantity: int = 1) -> Basket:
    basket = Basket()
    for line in make_lines(WATER, 1, quantity=quantity, deposit=PFAND):
        basket.insert(line)
    return basket


def test_a_bottle_brings_its_deposit_line_with_it() -> None:
    basket = basket_with_water()
    water, pfand = basket.lines
    assert (water.sku, water.amount_cents) == ("water-15", 49)
    assert (pfand.sku, pfand.amount_cents, pfand.deposit_of) == ("pfand-25", 25, 1)
    assert pfand.is_deposit and not water.is_deposit
    assert basket.deposit_line_of(1) == pfand
    assert basket.gross_cents() == 74
    assert basket.next_line_id() == 3


def test_changing_the_quantity_moves_the_deposit_quantity_too() -> None:
    basket = basket_with_water()
    basket.set_quantity(1, 6)
    water, pfand = basket.lines
    assert (water.quantity, water.amount_cents) == (6, 294)
    assert (pfand.quantity, pfand.amount_cents) == (6, 150)
    assert basket.gross_cents() == 444


def test_a_deposit_or_weighed_line_keeps_its_quantity() -> None:
    basket = basket_with_water()
    basket.insert(make_lines(BANANAS, 3, weight_g=1234)[0])
    with pytest.raises(ValueError, match="deposit"):
        basket.set_quantity(2, 3)
    with pytest.raises(ValueError, match="weighed"):
        basket.set_quantity(3, 2)
    with pytest.raises(ValueError, match="at least 1"):
        basket.set_quantity(1, 0)


def test_voiding_a_bottle_voids_its_deposit_and_records_who_approved() -> None:
    basket = basket_with_water(quantity=2)
    basket.void(1, by="attendant-7")
    water, pfand = basket.lines
    assert water.voided_by == "attendant-7"
    assert pfand.voided_by == "attendant-7"


def test_voided_lines_stay_in_the_basket_but_count_nothing() -> None:
    basket = basket_with_water(quantity=2)
    basket.insert(make_lines(BREAD, 3)[0])
    basket.void(1, by="attendant-7")
    assert len(basket) == 3
    assert [x.sku for x in basket.active_lines()] == ["bread"]
    water = basket.line(1)
    assert water.amount_cents == 0
    assert water.list_amount_cents == 98  # still shown on the receipt as the voided amount
    assert basket.gross_cents() == 249
    assert basket.gross_by_rate() == {VatRate.REDUCED: 249}
    assert not basket.is_empty
    basket.void(3, by="attendant-7")
    assert basket.is_empty
    assert basket.gross_cents() == 0
    assert basket.gross_by_rate() == {}


def test_voiding_twice_keeps_the_first_approver_on_record() -> None:
    basket = basket_with_water()
    basket.void(1, by="attendant-7")
    basket.void(1, by="attendant-9")
    assert [x.voided_by for x in basket.lines] == ["attendant-7", "attendant-7"]


def test_a_voided_line_cannot_have_its_quantity_changed() -> None:
    basket = basket_with_water()
    basket.void(1, by="attendant-7")
    with pytest.raises(ValueError, match="voided"):
        basket.set_quantity(1, 3)
    assert basket.line(1).quantity == 1


def test_a_weighed_line_is_priced_by_its_weight() -> None:
    (line,) = make_lines(BANANAS, 1, weight_g=1234)
    assert line.weight_g == 1234
    assert line.amount_cents == 246  # 1,99 €/kg x 1,234 kg = 2,45566 € -> 2,46 €


def test_a_price_label_overrides_the_catalog_price() -> None:
    (line,) = make_lines(BREAD, 1, price_override_cents=125, code="2212345001255")
    assert line.amount_cents == 125
    (weighed,) = make_lines(BANANAS, 2, weight_g=800, price_override_cents=150)
    assert weighed.amount_cents == 150  # the label's price wins over price x weight


def test_bad_quantities_and_weights_are_refused_when_lines_are_made() -> None:
    with pytest.raises(ValueError, match="quantity 0"):
        make_lines(BREAD, 1, quantity=0)
    with pytest.raises(ValueError, match="-5 g"):
        make_lines(BANANAS, 1, weight_g=-5)


def test_a_line_id_cannot_be_used_twice() -> None:
    basket = basket_with_water()
    with pytest.raises(ValueError, match="line id 1"):
        basket.insert(make_lines(BREAD, 1)[0])


def test_asking_for_a_missing_line_tells_the_shopper() -> None:
    with pytest.raises(FlowError) as err:
        Basket().line(42)
    assert err.value.shopper_text("de") == "Diese Position gibt es nicht."


def test_lines_survive_the_journal_round_trip() -> None:
    basket = basket_with_water(quantity=3)
    basket.void(1, by="attendant-7")
    for line in basket.lines:
        assert Line.from_dict(line.to_dict()) == line


def test_the_highest_age_limit_counts_only_active_lines() -> None:
    wine = Product(sku="wine", names={"de": "Wein"}, price_cents=599,
                   vat_rate=VatRate.STANDARD, age_limit=16)
    rum = Product(sku="rum", names={"de": "Rum"}, price_cents=1299,
                  vat_rate=VatRate.STANDARD, age_limit=18)
    basket = Basket()
    basket.insert(make_lines(wine, 1)[0])
    basket.insert(make_lines(rum, 2)[0])
    assert basket.highest_age_limit() == 18
    basket.void(2, by="attendant-7")
    assert basket.highest_age_limit() == 16

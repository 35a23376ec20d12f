"""From a scan to a product: what the checkout gets, and what `kiosk code` prints."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.domain.catalog import MemoryCatalog, Product, Unit
from kiosk.domain.codes import check_digit, normalize_gtin, parse, price_check_digit
from kiosk.domain.codes import rcn_lookup_key as key
from kiosk.domain.lookup import Resolution, explain, resolve
from kiosk.domain.money import VatRate
from kiosk.errors import CodeError

GS = "\x1d"
FISH_GTIN = "09506000134352"


def ean(body: str) -> str:
    return body + str(check_digit(body))


def in_store(prefix: str, article: str, value: str) -> str:
    return ean(f"{prefix}{article}{price_check_digit(value)}{value}")


def product(sku: str, price_cents: int, gtin: str | None,
            vat_rate: VatRate = VatRate.REDUCED, **kw: Any) -> Product:
    return Product(sku=sku, names={"de": f"{sku} (de)", "en": f"{sku} (en)"},
                   price_cents=price_cents, vat_rate=vat_rate, gtin=gtin, **kw)


@pytest.fixture
def catalog() -> MemoryCatalog:
    return MemoryCatalog([
        product("water", 49, normalize_gtin("4006381333931"), deposit_sku="pfand25",
                vat_rate=VatRate.STANDARD),
        product("pfand25", 25, None, is_deposit=True, vat_rate=VatRate.STANDARD),
        product("cheese", 1, key("2247111002990")),
        product("apples", 299, key("2812341012349"), unit=Unit.KILOGRAM),
        product("rolls", 35, key(in_store("25", "4711", "00006"))),
        product("nails", 5, key(in_store("28", "9999", "00100"))),  # wrongly sold by piece
        product("bananas", 199, normalize_gtin(ean("400000000000")), unit=Unit.KILOGRAM,
                plu="4011"),
        product("fish", 1999, FISH_GTIN, unit=Unit.KILOGRAM),
        product("butter", 229, normalize_gtin(ean("401234500000"))),
        product("bakery", 120, normalize_gtin(ean("201234500000"))),
        product("book", 1800, normalize_gtin("9780306406157"), vat_rate=VatRate.REDUCED),
        product("gum", 99, "00042100005264"),
        product("wine", 699, normalize_gtin(ean("590123412345")), age_limit=18,
                vat_rate=VatRate.STANDARD),
    ])


def resolved(text: str, catalog: MemoryCatalog) -> Resolution:
    return resolve(parse(text), catalog)


def refused(text: str, catalog: MemoryCatalog) -> CodeError:
    with pytest.raises(CodeError) as err:
        resolved(text, catalog)
    assert err.value.code == text
    return err.value


def test_a_plain_gtin_is_one_piece_at_the_catalog_price(catalog: MemoryCatalog) -> None:
    res = resolved("]E04006381333931", catalog)
    assert (res.product.sku, res.quantity, res.weight_g, res.price_override_cents) == (
        "water", 1, None, None)


def test_an_in_store_price_code_sells_at_the_printed_price(catalog: MemoryCatalog) -> None:
    res = resolved("2247111002990", catalog)
    assert (res.product.sku, res.price_override_cents, res.quantity) == ("cheese", 299, 1)


def test_an_in_store_count_code_sets_the_quantity(catalog: MemoryCatalog) -> None:
    res = resolved(in_store("25", "4711", "00006"), catalog)
    assert (res.product.sku, res.quantity, res.price_override_cents) == ("rolls", 6, None)


def test_an_in_store_weight_code_weighs_a_product_sold_by_kg(catalog: MemoryCatalog) -> None:
    res = resolved("2812341012349", catalog)
    assert (res.product.sku, res.weight_g, res.quantity) == ("apples", 1234, 1)


def test_a_weight_code_for_a_piece_product_is_refused(catalog: MemoryCatalog) -> None:
    err = refused(in_store("28", "9999", "00250"), catalog)
    assert err.reason == "weight_for_piece_item"
    assert "nails" in str(err)
    assert "Personal" in err.shopper_text("de")


def test_a_kg_product_without_a_weight_in_its_code_goes_to_the_scale(
    catalog: MemoryCatalog,
) -> None:
    err = refused(ean("400000000000"), catalog)
    assert err.reason == "needs_weighing"
    assert err.shopper_text("de") == "Bitte legen Sie den Artikel auf die Waage."
    assert err.shopper_text("en") == "Please place the item on the scale."


def test_gs1_weight_and_label_price_resolve_a_kg_product(catalog: MemoryCatalog) -> None:
    res = resolved(f"]e001{FISH_GTIN}3103000750" + f"3922{1499}{GS}10LOT7", catalog)
    assert (res.product.sku, res.weight_g, res.price_override_cents) == ("fish", 750, 1499)


def test_gs1_net_weight_of_a_piece_item_does_not_change_its_price(
    catalog: MemoryCatalog,
) -> None:
    res = resolved(f"]d201{ean('0401234500000')}3103000250" + "17260131", catalog)
    assert (res.product.sku, res.weight_g, res.price_override_cents) == ("butter", None, None)


def test_a_digital_link_resolves_like_gs1_data(catalog: MemoryCatalog) -> None:
    res = resolved(f"]Q1https://id.gs1.org/01/{FISH_GTIN}/10/L1?3103=001000", catalog)
    assert (res.product.sku, res.weight_g) == ("fish", 1000)


def test_gs1_count_of_contained_items_is_the_quantity(catalog: MemoryCatalog) -> None:
    res = resolved(f"]C102{ean('0590123412345')}" + "376", catalog)
    assert (res.product.sku, res.quantity) == ("wine", 6)


def test_a_store_internal_code_is_looked_up_whole(catalog: MemoryCatalog) -> None:
    assert resolved(ean("201234500000"), catalog).product.sku == "bakery"


def test_isbn_and_upce_find_their_products(catalog: MemoryCatalog) -> None:
    assert resolved("9780306406157", catalog).product.sku == "book"
    assert resolved("]E004252614", catalog).product.sku == "gum"


def test_an_unknown_product_asks_for_staff(catalog: MemoryCatalog) -> None:
    err = refused(ean("401234599999"), catalog)
    assert err.reason == "unknown_product"
    assert err.shopper_text("de") == (
        "Artikel nicht gefunden. Bitte wenden Sie sich an das Personal.")
    assert err.shopper_text("en") == "Item not found. Please ask a member of staff."
    assert normalize_gtin(ean("401234599999")) in str(err)


def test_a_loyalty_card_is_not_a_product(catalog: MemoryCatalog) -> None:
    err = refused("]C0KUNDE-000123", catalog)
    assert err.reason == "not_a_product"


def test_a_label_with_zero_weight_is_refused(catalog: MemoryCatalog) -> None:
    err = refused(in_store("28", "1234", "00000"), catalog)
    assert err.reason == "zero_value"


# --- explain (kiosk code CODE) ---------------------------------------------------------------


def test_explain_a_weight_code_shows_product_and_line_price(catalog: MemoryCatalog) -> None:
    rows = dict(explain("2812341012349", catalog, "de"))
    assert rows["Article"] == "1234"
    assert rows["Weight"] == "1234 g"
    assert rows["Product"] == "apples apples (de)"
    assert rows["Unit price"] == "2,99 € per kg"
    assert rows["VAT"] == "7 % (B)"
    assert rows["Line price"] == "3,69 €"  # 1.234 kg x 2,99 €/kg = 3,68966 €


def test_explain_shows_the_deposit_and_the_total(catalog: MemoryCatalog) -> None:
    rows = dict(explain("4006381333931", catalog))
    assert rows["Deposit"] == "pfand25 pfand25 (en) €0.25"
    assert rows["Line price"] == "€0.49"
    assert rows["Deposit line"] == "€0.25"
    assert rows["Total"] == "€0.74"
    assert rows["Age limit"] == "none"


def test_explain_shows_the_age_limit(catalog: MemoryCatalog) -> None:
    assert dict(explain(ean("590123412345"), catalog))["Age limit"] == "18"


def test_explain_a_bad_code_gives_reason_and_shopper_text(catalog: MemoryCatalog) -> None:
    rows = dict(explain("4006381333932", catalog, "de"))
    assert rows["Error"] == "bad_check_digit"
    assert rows["Shopper sees"] == "Der Code konnte nicht gelesen werden. Bitte erneut scannen."
    assert "expected 1" in rows["Message"]


def test_explain_a_kg_product_without_weight_shows_product_and_error(
    catalog: MemoryCatalog,
) -> None:
    rows = dict(explain(ean("400000000000"), catalog))
    assert rows["Product"] == "bananas bananas (en)"
    assert rows["Error"] == "needs_weighing"
    assert "Line price" not in rows


def test_explain_points_at_a_plu_typed_as_a_code(catalog: MemoryCatalog) -> None:
    rows = dict(explain("4011", catalog))
    assert rows["Error"] == "bad_length"
    assert rows["PLU match"].startswith("bananas")


@settings(max_examples=200)
@given(st.text(max_size=60))
def test_explain_never_raises_for_bad_input(text: str) -> None:
    rows = explain(text, MemoryCatalog([product("x", 1, FISH_GTIN, unit=Unit.KILOGRAM)]))
    assert rows and all(isinstance(a, str) and isinstance(b, str) for a, b in rows)

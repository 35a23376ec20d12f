"""The demo store a newcomer meets on `make run`, and the synthetic catalogs for benchmarks."""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from biip import ParseConfig
from biip.gtin import Gtin

from kiosk.domain import codes
from kiosk.domain.catalog import MemoryCatalog, Product, Unit, product_from_dict
from kiosk.domain.money import VatRate, price_for_weight
from kiosk.domain.promotions import Coupon, MixMatch, MultiBuy, PercentOff, promotion_from_dict
from kiosk.errors import CodeError

ROOT = Path(__file__).resolve().parents[2]
DEMO_FILE = ROOT / "kiosk" / "data" / "demo_catalog.json"
CATALOG_DOC = ROOT / "docs" / "catalog.md"
GENERATOR = ROOT / "bench" / "gen_catalog.py"


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_catalog", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _load_generator()
DEMO: dict[str, Any] = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
PRODUCTS = [product_from_dict(rec, f"products[{i}]") for i, rec in enumerate(DEMO["products"])]
CATALOG = MemoryCatalog(PRODUCTS)
BY_SKU = {p.sku: p for p in PRODUCTS}

FOOD = {"Obst & Gemüse", "Molkerei", "Backwaren", "Fleisch & Wurst", "Käsetheke", "Tiefkühl",
        "Süßwaren", "Kaffee & Tee", "Konserven", "Grundnahrungsmittel"}
STANDARD_RATE = {"Getränke", "Bier & Wein", "Spirituosen", "Drogerie", "Haushalt", "Non-Food",
                 "Pfand"}


def _named(fragment: str) -> Product:
    found = [p for p in PRODUCTS if fragment in p.name("de")]
    assert len(found) == 1, f"{fragment!r} matches {[p.name('de') for p in found]}"
    return found[0]


# --- the shipped file ------------------------------------------------------------------------


def test_the_shipped_demo_file_is_exactly_what_the_generator_builds() -> None:
    assert gen.to_json(gen.demo()) == DEMO_FILE.read_text(encoding="utf-8"), (
        "kiosk/data/demo_catalog.json is stale: run "
        "python bench/gen_catalog.py --demo -o kiosk/data/demo_catalog.json")


def test_the_demo_store_has_about_two_hundred_products_in_the_expected_categories() -> None:
    assert 180 <= len(PRODUCTS) <= 260
    assert {p.category for p in PRODUCTS} == FOOD | STANDARD_RATE
    assert min(Counter(p.category for p in PRODUCTS).values()) >= 5


def test_every_product_has_a_unique_sku_and_a_german_and_english_name() -> None:
    assert len(BY_SKU) == len(PRODUCTS)
    assert all(p.names.get("de", "").strip() and p.names.get("en", "").strip()
               for p in PRODUCTS)


def test_gtins_are_valid_unique_and_made_up_in_the_german_range() -> None:
    gtins = [p.gtin for p in PRODUCTS if p.gtin]
    assert len(gtins) == len(set(gtins))
    for gtin in gtins:
        assert codes.normalize_gtin(gtin) == gtin
        assert Gtin.parse(gtin).as_gtin_14() == gtin  # biip agrees on the check digit
        if gtin.startswith("000000"):  # EAN-8, GS1-8 prefix 400-440
            assert 400 <= int(gtin[6:9]) <= 440, gtin
        elif gtin[1] != "2":  # in-store lookup keys aside
            assert 400 <= int(gtin[1:4]) <= 440, gtin
    assert sum(g.startswith("000000") for g in gtins) >= 5, "too few EAN-8 codes"


def test_every_product_can_be_found_by_its_code_or_its_plu_but_not_both_missing() -> None:
    for p in PRODUCTS:
        if p.is_deposit:
            continue
        assert p.gtin or p.plu, p.sku
        if p.gtin:
            assert CATALOG.by_gtin(p.gtin) == p
        if p.plu:
            assert CATALOG.by_plu(p.plu) == p


def test_plus_are_unique() -> None:
    plus = [p.plu for p in PRODUCTS if p.plu]
    assert len(plus) == len(set(plus))


def test_loose_produce_is_sold_by_plu_per_kg_or_per_piece() -> None:
    bananas = CATALOG.by_plu("4011")
    assert bananas is not None and bananas.unit is Unit.KILOGRAM and bananas.gtin is None
    assert CATALOG.by_plu("94011") is not None  # organic: IFPS prefix 9
    for plu in ("4053", "4046"):  # lemon, avocado
        item = CATALOG.by_plu(plu)
        assert item is not None and item.unit is Unit.PIECE
    loose = [p for p in PRODUCTS if p.plu and not p.gtin]
    assert sum(p.unit is Unit.KILOGRAM for p in loose) >= 15
    assert all(p.vat_rate is VatRate.REDUCED for p in loose)


def test_a_carrier_bag_can_be_picked_on_screen_and_costs_19_percent_vat() -> None:
    bag = _named("Tragetasche")
    assert bag.plu and bag.gtin and bag.vat_rate is VatRate.STANDARD and bag.price_cents > 0


def test_every_deposit_link_points_at_a_deposit_product() -> None:
    linked = [p for p in PRODUCTS if p.deposit_sku]
    assert len(linked) >= 15
    for p in linked:
        deposit = BY_SKU.get(p.deposit_sku or "")
        assert deposit is not None and deposit.is_deposit, p.sku
        assert not p.is_deposit


def test_the_german_deposit_amounts_are_right() -> None:
    deposits = {p.sku: p.price_cents for p in PRODUCTS if p.is_deposit}
    assert deposits["PFAND-025"] == 25
    assert deposits["PFAND-008"] == 8
    assert deposits["PFAND-015"] == 15
    assert deposits["PFAND-KASTEN-20"] == 20 * 8 + 150
    assert deposits["PFAND-KASTEN-12"] == 12 * 15 + 150
    assert all(BY_SKU[s].vat_rate is VatRate.STANDARD for s in deposits)
    assert BY_SKU[_named("Pils, Kasten").sku].deposit_sku == "PFAND-KASTEN-20"
    assert _named("Mineralwasser classic 1,5 l").deposit_sku == "PFAND-025"
    assert _named("Pils 0,5 l Flasche").deposit_sku == "PFAND-008"


def test_beer_and_wine_need_age_16_spirits_18_and_nothing_else_is_restricted() -> None:
    for p in PRODUCTS:
        if p.category == "Spirituosen":
            assert p.age_limit == 18, p.name()
        elif p.category == "Bier & Wein" and "alkoholfrei" not in p.name():
            assert p.age_limit == 16, p.name()
        else:
            assert p.age_limit is None, p.name()


def test_food_is_taxed_at_7_percent_and_drinks_and_non_food_at_19() -> None:
    exceptions = {_named("Haferdrink").sku, _named("Tampons").sku, _named("Tulpen").sku,
                  _named("Programmzeitschrift").sku}
    for p in PRODUCTS:
        expected = VatRate.REDUCED if p.category in FOOD else VatRate.STANDARD
        if p.sku in exceptions:
            expected = VatRate.STANDARD if expected is VatRate.REDUCED else VatRate.REDUCED
        assert p.vat_rate is expected, f"{p.name()} ({p.category})"


def test_milk_and_coffee_beans_are_7_percent_but_water_and_oat_drink_19() -> None:
    assert _named("Frische Vollmilch").vat_rate is VatRate.REDUCED
    assert _named("Kakao-Milchgetränk").vat_rate is VatRate.REDUCED
    assert _named("Espresso ganze Bohne").vat_rate is VatRate.REDUCED
    assert _named("Mineralwasser still").vat_rate is VatRate.STANDARD
    assert _named("Haferdrink").vat_rate is VatRate.STANDARD


def test_packaged_goods_carry_an_expected_weight_for_the_bagging_scale() -> None:
    packaged = [p for p in PRODUCTS if p.gtin and not p.gtin.startswith("02")]
    assert all(p.expected_weight_g and p.weight_tolerance_g for p in packaged)
    for p in packaged:
        assert p.weight_tolerance_g is not None and p.expected_weight_g is not None
        assert 10 <= p.weight_tolerance_g <= max(10, p.expected_weight_g // 10)


def test_prices_are_plausible_for_a_german_supermarket() -> None:
    assert all(0 < p.price_cents <= 5000 for p in PRODUCTS)
    assert 99 <= _named("Frische Vollmilch").price_cents <= 159
    assert 1200 <= _named("Pils, Kasten").price_cents <= 2200


# --- promotions --------------------------------------------------------------------------------


def test_the_demo_has_one_promotion_of_each_kind_and_each_names_real_products() -> None:
    offers = [promotion_from_dict(rec, f"promotions[{i}]")
              for i, rec in enumerate(DEMO["promotions"])]
    assert sorted(type(o).__name__ for o in offers) == ["Coupon", "MixMatch", "MultiBuy",
                                                        "PercentOff"]
    categories = {p.category for p in PRODUCTS}
    for offer in offers:
        if isinstance(offer, MultiBuy | MixMatch):
            assert offer.skus <= set(BY_SKU), offer
        if isinstance(offer, PercentOff):
            assert (offer.categories or frozenset()) <= categories
            assert (offer.skus or frozenset()) <= set(BY_SKU)
    multi = next(o for o in offers if isinstance(o, MultiBuy))
    assert all("joghurt" in BY_SKU[s].name().lower() for s in multi.skus)


def test_the_demo_coupon_can_be_scanned_as_text() -> None:
    coupon = next(promotion_from_dict(r) for r in DEMO["promotions"] if r["type"] == "coupon")
    assert isinstance(coupon, Coupon) and coupon.coupon_code == "COUPON-5EUR"
    assert codes.parse(coupon.coupon_code).kind is codes.CodeKind.TEXT


# --- in-store labels and the codes printed in docs/catalog.md -------------------------------------


def _doc_rows() -> list[list[str]]:
    rows = []
    for line in CATALOG_DOC.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\| `(\d{8,13})` \|", line)
        if m:
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def _cents(text: str) -> int:
    m = re.fullmatch(r"(\d+),(\d\d) €", text)
    assert m is not None, f"{text!r} is not an amount like 2,99 €"
    return int(m[1]) * 100 + int(m[2])


def test_every_code_in_the_catalog_doc_resolves_to_the_product_the_doc_names() -> None:
    rows = _doc_rows()
    assert len(rows) >= 15
    for row in rows:
        scanned = codes.parse(row[0].strip("`"))
        assert scanned.gtin is not None
        product = CATALOG.by_gtin(scanned.gtin)
        assert product is not None, row
        assert product.sku == row[1], row


def test_in_store_labels_in_the_doc_charge_the_amount_the_doc_says() -> None:
    labels = [r for r in _doc_rows() if r[0].startswith("`2")]
    assert {r[0][1:3] for r in labels} >= {"28", "29", "22", "23"}
    for code, sku, _value, amount in labels:
        scanned = codes.parse(code.strip("`"))
        product = CATALOG.by_gtin(scanned.gtin or "")
        assert product is not None and product.sku == sku
        charged: int | None = scanned.price_cents
        if scanned.weight_g is not None:
            assert product.unit is Unit.KILOGRAM
            charged = price_for_weight(product.price_cents, scanned.weight_g)
        assert charged == _cents(amount), code
        # biip, an independent implementation, reads the same label the same way
        parsed = Gtin.parse(code.strip("`"), config=ParseConfig(
            rcn_region="de", rcn_verify_variable_measure=True))
        assert parsed.without_variable_measure().as_gtin_14() == product.gtin


def test_the_sample_codes_in_the_doc_are_the_ones_the_generator_prints() -> None:
    doc = {r[0].strip("`") for r in _doc_rows()}
    assert {code for code, *_ in gen.instore_samples()} <= doc


def test_a_label_with_an_altered_weight_is_refused() -> None:
    body = "281234" + "1" + "01249"  # value changed from 01234, K left as printed
    forged = gen.with_check_digit(body)  # a valid EAN check digit, so only K can catch it
    with pytest.raises(CodeError) as info:
        codes.parse(forged)
    assert info.value.reason == "bad_price_check_digit"


# --- the generator's own check digits ----------------------------------------------------------


def test_generator_check_digits_match_the_published_vectors() -> None:
    assert gen.gs1_check_digit("400638133393") == 1
    assert gen.gs1_check_digit("590123412345") == 7
    assert gen.gs1_check_digit("9638507") == 4
    assert gen.price_weight_check_digit("14685") == 6
    assert gen.instore_code(28, 1234, 1234) == "2812341012349"
    assert gen.instore_code(22, 4711, 299) == "2247111002990"


def test_generator_price_weight_check_digit_agrees_with_the_kiosk_for_every_value() -> None:
    for value in range(100000):
        text = f"{value:05d}"
        assert gen.price_weight_check_digit(text) == codes.price_check_digit(text), text


# --- synthetic catalogs --------------------------------------------------------------------------


def test_a_synthetic_catalog_has_n_products_with_unique_valid_codes() -> None:
    catalog = gen.generate(3000, seed=7)
    products = [product_from_dict(r, f"products[{i}]") for i, r in enumerate(catalog["products"])]
    assert len(products) == 3000
    assert len({p.sku for p in products}) == 3000
    gtins = [p.gtin for p in products if p.gtin]
    plus = [p.plu for p in products if p.plu]
    assert len(gtins) == len(set(gtins)) and len(plus) == len(set(plus)) and plus
    by_sku = {p.sku: p for p in products}
    assert all(by_sku[p.deposit_sku].is_deposit for p in products if p.deposit_sku)
    assert any(p.age_limit for p in products)


def test_the_same_seed_gives_the_same_catalog_and_another_seed_a_different_one() -> None:
    assert gen.generate(500, seed=3) == gen.generate(500, seed=3)
    assert gen.generate(500, seed=3) != gen.generate(500, seed=4)


def test_a_tiny_synthetic_catalog_still_loads() -> None:
    for n in (1, 2, 11):
        products = gen.generate(n, seed=1)["products"]
        assert len(products) == n
        assert all(product_from_dict(r) for r in products)
    with pytest.raises(ValueError, match="at least 1"):
        gen.generate(0, seed=1)


def _run_generator(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(GENERATOR), *args], capture_output=True,
                          text=True, timeout=120, check=False)


def test_the_generator_writes_a_csv_that_loads_row_by_row(tmp_path: Path) -> None:
    out = tmp_path / "catalog.csv"
    result = _run_generator("-n", "400", "--seed", "2", "--format", "csv", "-o", str(out))
    assert result.returncode == 0, result.stderr
    with out.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    products = [product_from_dict(row, f"line {i + 2}") for i, row in enumerate(rows)]
    assert len(products) == 400
    assert sum(p.is_deposit for p in products) == len(gen.rows.DEPOSITS)


def test_the_generator_prints_the_demo_store_on_request() -> None:
    result = _run_generator("--demo")
    assert result.returncode == 0, result.stderr
    assert result.stdout == DEMO_FILE.read_text(encoding="utf-8")


def test_the_generator_refuses_a_catalog_of_no_products() -> None:
    result = _run_generator("-n", "0")
    assert result.returncode == 2
    assert "-n must be at least 1, got 0" in result.stderr

"""Finding loose items by name or PLU, and what present() gives the lookup (no window)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kiosk.domain.catalog import Product, Unit
from kiosk.domain.money import VatRate
from kiosk.ui import lookup
from kiosk.ui.present import IMAGES_DIR, produce_views
from kiosk.ui.viewmodel import ProduceView
from ui import views

ITEMS = views.PRODUCE_LOOKUP


def names(items: tuple[ProduceView, ...]) -> list[str]:
    return [item.name for item in items]


def test_apfel_without_umlaut_finds_the_apples() -> None:
    assert names(lookup.search(ITEMS, "apfel")) == ["Äpfel Fuji", "Äpfel Gala"]
    assert names(lookup.search(ITEMS, "apf")) == ["Äpfel Fuji", "Äpfel Gala"]


def test_umlauts_may_be_typed_as_umlauts_or_spelled_out() -> None:
    assert names(lookup.search(ITEMS, "äpfel")) == ["Äpfel Fuji", "Äpfel Gala"]
    assert names(lookup.search(ITEMS, "aepfel")) == ["Äpfel Fuji", "Äpfel Gala"]
    assert names(lookup.search(ITEMS, "broet")) == ["Brötchen", "Körnerbrötchen"]


def test_bröt_finds_every_kind_of_roll_whatever_the_case() -> None:
    assert names(lookup.search(ITEMS, "bröt")) == ["Brötchen", "Körnerbrötchen"]
    assert names(lookup.search(ITEMS, "BRÖT")) == ["Brötchen", "Körnerbrötchen"]


def test_every_word_of_the_query_must_be_in_the_name() -> None:
    assert names(lookup.search(ITEMS, "äpfel gala")) == ["Äpfel Gala"]
    assert names(lookup.search(ITEMS, "kartoffeln kernlos")) == []


def test_digits_find_items_by_the_start_of_their_plu() -> None:
    assert names(lookup.search(ITEMS, "10")) == ["Brötchen", "Körnerbrötchen", "Laugenbrezel"]
    assert names(lookup.search(ITEMS, "4131")) == ["Äpfel Fuji"]
    assert names(lookup.search(ITEMS, "131")) == []


def test_an_empty_query_shows_everything() -> None:
    assert lookup.search(ITEMS, "  ") == ITEMS


def test_categories_keep_the_catalog_order() -> None:
    assert lookup.categories(ITEMS) == ("Obst & Gemüse", "Backwaren", "Non-Food")
    assert names(lookup.in_category(ITEMS, "Backwaren")) == [
        "Brötchen", "Körnerbrötchen", "Laugenbrezel"]


def test_a_tile_without_a_picture_shows_the_first_letters_of_two_words() -> None:
    assert lookup.initials("Äpfel Fuji") == "ÄF"
    assert lookup.initials("Kartoffeln, mehligkochend") == "KM"
    assert lookup.initials("Kiwi") == "K"
    assert lookup.initials("Bio-Bananen") == "BB"


@given(st.text(max_size=30))
def test_any_typed_text_searches_without_error(query: str) -> None:
    found = lookup.search(ITEMS, query)
    assert set(found) <= set(ITEMS)


def product(sku: str, plu: str | None, category: str, image: str | None = None) -> Product:
    return Product(sku, {"de": f"Ware {sku}", "en": f"Item {sku}"}, 199, VatRate.REDUCED,
                   plu=plu, unit=Unit.KILOGRAM, category=category, image=image)


def test_the_lookup_gets_translated_categories_and_picture_paths() -> None:
    products = [
        product("a", "4011", "Obst & Gemüse", "bananen.png"),
        product("b", "101", "Backwaren", "/srv/pictures/roll.jpg"),
        product("c", "102", "Feinkost"),
        product("d", "103", ""),
        product("e", None, "Obst & Gemüse"),
    ]
    german = produce_views(products, "de")
    english = produce_views(products, "en")
    assert [p.category for p in german] == ["Obst & Gemüse", "Backwaren", "Feinkost", "Sonstiges"]
    assert [p.category for p in english] == ["Fruit & veg", "Bakery", "Feinkost", "Other"]
    assert [p.image for p in german] == [
        str(IMAGES_DIR / "bananen.png"), "/srv/pictures/roll.jpg", "", ""]
    assert (german[0].name, german[0].price_text) == ("Ware a", "1,99 €/kg")

"""The "item without barcode" lookup in a real window: categories, the picture grid, search on
the on-screen keyboard; screenshots (tests/ui/screenshots/lookup_*.png) for a person to look at.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import replace
from pathlib import Path

import pytest

from kiosk.ui.intents import SelectItem
from ui import views
from ui.conftest import KioskWindow

pytestmark = pytest.mark.ui


def open_lookup(window: KioskWindow, view: object = views.LOOKUP) -> None:
    window.show(view)  # type: ignore[arg-type]
    window.tap(key="produce")


def type_on_screen(window: KioskWindow, text: str) -> None:
    window.tap(key="lookup_search")
    for char in text:
        window.tap(key="osk_space" if char == " " else f"osk_{char}")


def test_the_basket_offers_the_item_without_barcode_button(window: KioskWindow) -> None:
    window.show(views.LOOKUP)
    assert window.buttons()["produce"]["text"] == "Artikel ohne Barcode"
    window.show(views.LOOKUP_EN)
    assert window.buttons()["produce"]["text"] == "Item without barcode"


def test_the_lookup_opens_on_the_categories_with_their_item_counts(window: KioskWindow) -> None:
    open_lookup(window)
    texts = window.texts()
    assert "Artikel ohne Barcode" in texts
    assert {"Obst & Gemüse\n9 Artikel", "Backwaren\n3 Artikel", "Non-Food\n1 Artikel"} <= set(
        texts)
    assert "Suchen: Name oder PLU" in texts
    window.look("lookup_categories_de")


def test_a_category_shows_its_items_with_initials_and_prices_and_a_tap_picks_one(
    window: KioskWindow,
) -> None:
    open_lookup(window)
    window.tap(key="category:Obst & Gemüse")
    texts = window.texts()
    for expected in ("Obst & Gemüse", "Bananen", "1,69 €/kg", "B", "Äpfel Fuji", "ÄF",
                     "Zitrone", "0,55 €"):
        assert expected in texts, expected
    assert "Brötchen" not in texts
    tile = window.widget(key="4011")
    assert tile["rect"][2] >= 60 and tile["rect"][3] >= 60  # at least 9 mm to touch
    window.look("lookup_items_de")
    window.tap(key="4011")
    assert window.sent() == [SelectItem("4011")]


def test_typing_apf_on_the_keyboard_finds_the_apples(window: KioskWindow) -> None:
    open_lookup(window)
    type_on_screen(window, "apf")
    texts = window.texts()
    assert "apf" in texts
    assert {"Äpfel Fuji", "Äpfel Gala"} <= set(texts)
    assert "Bananen" not in texts
    keys = window.buttons()
    # QWERTZ with umlauts and a digits row
    assert {"osk_ä", "osk_ö", "osk_ü", "osk_1", "osk_0", "osk_back"} <= set(keys)
    assert window.widget(key="osk_y")["rect"][1] < window.widget(key="osk_a")["rect"][1]
    window.look("lookup_search_apf_de")
    window.tap(key="4135")
    assert window.sent() == [SelectItem("4135")]


def test_the_english_keyboard_is_qwerty_and_searches_english_names(window: KioskWindow) -> None:
    open_lookup(window, views.LOOKUP_EN)
    assert {"Fruit & veg\n9 items", "Bakery\n3 items"} <= set(window.texts())
    window.look("lookup_categories_en")
    window.tap(key="category:Fruit & veg")
    window.look("lookup_items_en")
    type_on_screen(window, "app")
    texts = window.texts()
    assert {"Fuji apples", "Gala apples"} <= set(texts)
    assert "osk_ü" not in window.buttons()
    # QWERTY: z sits in the bottom row, y in the top letter row
    assert window.widget(key="osk_z")["rect"][1] < window.widget(key="osk_a")["rect"][1]
    assert window.widget(key="osk_y")["rect"][1] > window.widget(key="osk_a")["rect"][1]
    window.look("lookup_search_app_en")


def test_a_search_that_finds_nothing_says_so(window: KioskWindow) -> None:
    open_lookup(window, views.LOOKUP_EN)
    type_on_screen(window, "apf")
    assert "Nothing found. Try another spelling or ask a member of staff." in window.texts()
    window.look("lookup_search_apf_en")


def test_digits_find_an_item_by_its_plu(window: KioskWindow) -> None:
    open_lookup(window)
    type_on_screen(window, "10")
    texts = window.texts()
    assert {"Brötchen", "Körnerbrötchen", "Laugenbrezel"} <= set(texts)
    assert "Bananen" not in texts
    window.tap(key="osk_back")  # "1"
    window.tap(key="osk_0")
    window.tap(key="osk_3")
    assert "Laugenbrezel" in window.texts()
    assert "Brötchen" not in window.texts()


def test_back_leaves_the_search_then_the_category_then_the_lookup(window: KioskWindow) -> None:
    open_lookup(window)
    window.tap(key="category:Backwaren")
    type_on_screen(window, "k")
    assert "osk_k" in window.buttons()
    window.tap(key="produce_back")
    texts = window.texts()
    assert "osk_k" not in window.buttons()
    assert {"Backwaren", "Brötchen", "Laugenbrezel"} <= set(texts)
    window.tap(key="produce_back")
    assert "Backwaren\n3 Artikel" in window.texts()
    window.tap(key="produce_back")
    assert "Vollmilch 3,5 % 1 l" in window.texts()
    assert window.sent() == []


def test_the_done_key_puts_the_keyboard_away_and_keeps_the_results(window: KioskWindow) -> None:
    open_lookup(window)
    type_on_screen(window, "bröt")
    window.tap(key="osk_done")
    assert "osk_b" not in window.buttons()
    assert {"Brötchen", "Körnerbrötchen"} <= set(window.texts())


def test_a_new_visit_starts_at_the_categories(window: KioskWindow) -> None:
    open_lookup(window)
    window.tap(key="category:Backwaren")
    type_on_screen(window, "la")
    window.tap(key="produce_back")
    window.tap(key="produce_back")
    window.tap(key="produce_back")
    window.tap(key="produce")
    assert "Obst & Gemüse\n9 Artikel" in window.texts()


def png(path: Path, width: int = 48, height: int = 48) -> Path:
    """A small PNG: a yellow square with a green band (written by hand, no imaging library)."""
    rows = b"".join(
        b"\x00" + (b"\x2e\x7d\x32" if y < height // 3 else b"\xff\xc2\x0e") * width
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return path


def test_a_tile_shows_the_catalog_picture_instead_of_initials(
    window: KioskWindow, tmp_path: Path
) -> None:
    picture = png(tmp_path / "bananen.png")
    produce = tuple(
        replace(p, image=str(picture)) if p.plu == "4011"
        else replace(p, image=str(tmp_path / "missing.png")) if p.plu == "4131" else p
        for p in views.PRODUCE_LOOKUP
    )
    open_lookup(window, replace(views.LOOKUP, produce=produce))
    window.tap(key="category:Obst & Gemüse")
    texts = window.texts()
    assert "Bananen" in texts and "B" not in texts
    assert "ÄF" in texts  # a missing file falls back to the initials
    window.look("lookup_items_picture")


@pytest.mark.parametrize("size", [(800, 480), (1024, 768)], ids=["800x480", "1024x768"])
def test_the_lookup_fits_smaller_panels(kiosk_window: KioskWindow, size: tuple[int, int]) -> None:
    window = kiosk_window
    window.reset()
    width, height = size
    window.resize(width, height)
    try:
        for lang, view, category, query in (
            ("de", views.LOOKUP, "Obst & Gemüse", "apf"),
            ("en", views.LOOKUP_EN, "Fruit & veg", "app"),
        ):
            open_lookup(window, view)
            window.look(f"{width}x{height}_lookup_categories_{lang}")
            window.tap(key=f"category:{category}")
            window.look(f"{width}x{height}_lookup_items_{lang}")
            type_on_screen(window, query)
            window.look(f"{width}x{height}_lookup_search_{lang}")
            key = window.widget(key="osk_a")["rect"]
            assert key[2] >= 60 * width / 1280 - 1  # the keys shrink only with the layout
            window.tap(key="produce_back")
            window.tap(key="produce_back")
            window.tap(key="produce_back")
    finally:
        window.resize(1280, 800)

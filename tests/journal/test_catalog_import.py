"""Importing a catalog file: all of it or nothing, and every bad record named precisely."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from kiosk.domain.catalog import Unit
from kiosk.domain.money import VatRate
from kiosk.errors import CatalogError
from kiosk.journal.catalog import CatalogStore
from kiosk.journal.catalog_import import read_catalog_file

from .lane import ean13

MILK = ean13("400638133393")
BEER = ean13("400000000012")
CHIPS = ean13("400000000029")

CSV_OK = f"""sku,name_de,name_en,price,vat_rate,gtin,plu,unit,age_limit,deposit_sku,is_deposit
PFAND-025,"Pfand 0,25 €",Deposit,"0,25",19,,,,,,ja
MILCH-1L,Frische Vollmilch 1 l,Fresh whole milk,"1,19",7,{MILK},,piece,,,
BIER-05,"Pils 0,5 l",Lager,"0,89",19,{BEER},,,16,PFAND-025,
BANANE,Bananen,Bananas,"1,99",7,,04011,kg,,,
"""


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def catalog_json(products: list[dict[str, Any]], promotions: list[Any] | None = None) -> str:
    doc: dict[str, Any] = {"products": products}
    if promotions is not None:
        doc["promotions"] = promotions
    return json.dumps(doc, ensure_ascii=False)


def product(sku: str, **more: Any) -> dict[str, Any]:
    return {"sku": sku, "names": {"de": sku.title()}, "price_cents": 100, "vat_rate": 7, **more}


THREE_FOR_TWO = {"type": "multi_buy", "promo_id": "joghurt-3f2",
                 "names": {"de": "3 für 2", "en": "3 for 2"}, "skus": ["JOG"], "buy": 3, "pay": 2}


def test_a_german_csv_imports_and_every_product_can_be_found(db: Database, tmp_path: Path
                                                              ) -> None:
    store = CatalogStore(db)
    report = store.import_file(write(tmp_path, "sortiment.csv", CSV_OK))
    assert (report.products, report.promotions, report.version) == (4, None, 1)
    assert "imported 4 products" in str(report)
    beer = store.by_gtin("0" + BEER)
    assert beer is not None
    assert (beer.sku, beer.price_cents, beer.age_limit, beer.deposit_sku) == (
        "BIER-05", 89, 16, "PFAND-025")
    banana = store.by_plu("4011")
    assert banana is not None and banana.unit is Unit.KILOGRAM
    assert store.by_plu("04011") == banana
    pfand = store.by_sku("PFAND-025")
    assert pfand is not None and pfand.is_deposit and pfand.vat_rate is VatRate.STANDARD
    assert pfand.name("de") == "Pfand 0,25 €"
    assert store.by_gtin("0" + CHIPS) is None and store.by_plu("9999") is None


def test_a_semicolon_csv_from_excel_with_a_bom_imports(db: Database, tmp_path: Path) -> None:
    text = "sku;name_de;price;vat_rate\nKAESE;Gouda jung;2,49;7\nBROT;Roggenbrot;3,10;7\n"
    path = write(tmp_path, "excel.csv", "\ufeff" + text)
    assert CatalogStore(db).import_file(path).products == 2
    gouda = CatalogStore(db).by_sku("KAESE")
    assert gouda is not None and gouda.price_cents == 249


def test_a_stored_product_is_identical_to_the_one_read_from_the_file(db: Database,
                                                                     tmp_path: Path) -> None:
    path = write(tmp_path, "sortiment.csv", CSV_OK)
    parsed = read_catalog_file(path)
    store = CatalogStore(db)
    store.import_file(path)
    assert sorted(store, key=lambda p: p.sku) == sorted(parsed.products, key=lambda p: p.sku)
    assert len(store) == 4


def test_every_bad_csv_record_is_named_by_line_field_and_value(db: Database, tmp_path: Path
                                                                ) -> None:
    text = ("sku,name_de,price,vat_rate,gtin,plu\n"
            "A,Apfel,\"1,20\",7,,\n"
            "B,Birne,zwei Euro,7,,\n"
            "C,Kaffee,\"4,99\",16,,\n"
            f"D,Tee,\"1,00\",7,{MILK[:-1]}{(int(MILK[-1]) + 1) % 10},\n"
            "E,Reis,\"1,00\",7,,12a\n")
    with pytest.raises(CatalogError) as err:
        CatalogStore(db).import_file(write(tmp_path, "bad.csv", text))
    message = str(err.value)
    assert "4 problem(s)" in message and "nothing was imported" in message
    assert "line 3: price 'zwei Euro'" in message
    assert "line 4: vat_rate '16'" in message
    assert "line 5: gtin" in message
    assert "line 6" in message and "plu '12a'" in message
    assert "line 2" not in message


def test_a_file_with_errors_leaves_the_old_catalog_in_place(db: Database, tmp_path: Path) -> None:
    store = CatalogStore(db)
    store.import_file(write(tmp_path, "good.csv", CSV_OK))
    broken = "sku,name_de,price,vat_rate\nNEU,Neu,\"1,00\",7\nKAPUTT,,\"1,00\",7\n"
    with pytest.raises(CatalogError, match="line 3"):
        store.import_file(write(tmp_path, "broken.csv", broken))
    assert store.version == 1 and len(store) == 4
    assert store.by_sku("NEU") is None and store.by_sku("MILCH-1L") is not None


@pytest.mark.parametrize(("rows", "expected"), [
    ([product("A"), product("A")], "products[1]: sku 'A' is already used at products[0]"),
    ([product("A", gtin=MILK), product("B", ean=MILK)],
     "products[1]: gtin '0" + MILK + "' is already used at products[0] (sku 'A')"),
    ([product("A", plu="4011"), product("B", plu="04011")],
     "products[1]: plu '04011' is already used at products[0] (sku 'A')"),
    ([product("BIER", deposit_sku="PFAND-9")],
     "products[0]: deposit_sku 'PFAND-9' names no product"),
])
def test_duplicate_keys_and_missing_deposits_are_errors(db: Database, tmp_path: Path,
                                                        rows: list[dict[str, Any]],
                                                        expected: str) -> None:
    with pytest.raises(CatalogError) as err:
        CatalogStore(db).import_file(write(tmp_path, "c.json", catalog_json(rows)))
    assert expected in str(err.value)
    assert CatalogStore(db).is_empty()


def test_json_brings_products_and_promotions_together(db: Database, tmp_path: Path) -> None:
    coupon = {"type": "coupon", "coupon_code": "FRUEHLING5", "names": {"de": "5 € Rabatt"},
              "amount_cents": 500, "min_basket_cents": 2500}
    text = catalog_json([product("JOG", gtin=CHIPS)], [THREE_FOR_TWO, coupon])
    store = CatalogStore(db)
    report = store.import_file(write(tmp_path, "katalog.json", text))
    assert (report.products, report.promotions) == (1, 2)
    offers = store.promotions()
    assert [type(o).__name__ for o in offers] == ["MultiBuy", "Coupon"]
    assert offers[0].skus == frozenset({"JOG"})  # type: ignore[union-attr]


def test_a_csv_import_keeps_the_promotions_a_json_import_brought(db: Database, tmp_path: Path
                                                                 ) -> None:
    store = CatalogStore(db)
    store.import_file(write(tmp_path, "k.json", catalog_json([product("JOG")], [THREE_FOR_TWO])))
    store.import_file(write(tmp_path, "k.csv", CSV_OK))
    assert len(store.promotions()) == 1
    store.import_file(write(tmp_path, "k2.json", catalog_json([product("JOG")], [])))
    assert store.promotions() == []


def test_a_bad_promotion_is_named_by_its_index(db: Database, tmp_path: Path) -> None:
    bad = dict(THREE_FOR_TWO, pay=3)
    text = catalog_json([product("JOG")], [THREE_FOR_TWO, bad, dict(THREE_FOR_TWO)])
    with pytest.raises(CatalogError) as err:
        CatalogStore(db).import_file(write(tmp_path, "k.json", text))
    assert "promotions[1]" in str(err.value) and "pay 3" in str(err.value)
    assert "promotions[2]: joghurt-3f2 is already defined at promotions[0]" in str(err.value)


@pytest.mark.parametrize(("text", "expected"), [
    ('{"products": [\n  {"sku": "A",}\n]}', "line 2 column"),
    ('[{"sku": "A"}]', "top level must be an object"),
    ('{"produkte": []}', "unknown section(s) produkte"),
    ('{"products": ["A", 3]}', "products[0]: 'A' is not a product object"),
    ('{"products": [{"sku": "A", "preis": 1}]}', "products[0]: unknown field(s) preis"),
])
def test_malformed_json_is_explained_where_it_goes_wrong(db: Database, tmp_path: Path,
                                                         text: str, expected: str) -> None:
    with pytest.raises(CatalogError) as err:
        CatalogStore(db).import_file(write(tmp_path, "k.json", text))
    assert expected in str(err.value)


def test_a_file_that_is_not_utf8_is_named_with_its_line(db: Database, tmp_path: Path) -> None:
    text = "sku,name_de,price,vat_rate\nKAESE,Käse,\"2,49\",7\n"
    with pytest.raises(CatalogError, match=r"line 2: byte 0xe4 is not UTF-8"):
        CatalogStore(db).import_file(write(tmp_path, "latin1.csv", text, encoding="latin-1"))


def test_a_csv_row_with_too_many_cells_is_named(db: Database, tmp_path: Path) -> None:
    text = "sku,name_de,price,vat_rate\nA,Apfel,1,20,7\n"
    with pytest.raises(CatalogError, match="line 2: 5 cells but the header has 4 columns"):
        CatalogStore(db).import_file(write(tmp_path, "k.csv", text))


def test_an_unknown_file_type_or_missing_file_is_refused(db: Database, tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"must end in \.csv or \.json"):
        CatalogStore(db).import_file(write(tmp_path, "k.xlsx", "x"))
    with pytest.raises(CatalogError, match="cannot read"):
        CatalogStore(db).import_file(tmp_path / "missing.csv")


def test_a_huge_list_of_problems_is_cut_short_with_a_count(db: Database, tmp_path: Path) -> None:
    rows = "".join(f"S{i},Name,teuer,7\n" for i in range(150))
    with pytest.raises(CatalogError) as err:
        path = write(tmp_path, "k.csv", "sku,name_de,price,vat_rate\n" + rows)
        CatalogStore(db).import_file(path)
    assert "150 problem(s)" in str(err.value) and "... and 50 more" in str(err.value)

"""The stored catalog: versioned, changed by deltas all or nothing, same answers as in memory."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlite_utils import Database

from kiosk.domain.catalog import MemoryCatalog, Product, Unit
from kiosk.domain.money import VatRate
from kiosk.errors import CatalogError
from kiosk.journal.catalog import CatalogStore
from kiosk.journal.db import integrity_ok

from .lane import ean13

A_GTIN = "0" + ean13("400000000111")
B_GTIN = "0" + ean13("400000000222")


def item(sku: str, price_cents: int = 100, **more: object) -> Product:
    return Product(sku=sku, names={"de": sku.title(), "en": sku.lower()},
                   price_cents=price_cents, vat_rate=VatRate.REDUCED, **more)  # type: ignore[arg-type]


PFAND = item("PFAND-025", 25, is_deposit=True)
WATER = item("WASSER", 49, gtin=A_GTIN, deposit_sku="PFAND-025", expected_weight_g=1530,
             weight_tolerance_g=40, category="Getränke")
APPLES = item("APFEL", 299, plu="4131", unit=Unit.KILOGRAM, image="apfel.png")


@pytest.fixture
def store(db: Database) -> CatalogStore:
    s = CatalogStore(db)
    s.replace([PFAND, WATER, APPLES])
    return s


def test_the_store_answers_exactly_like_the_in_memory_catalog(store: CatalogStore) -> None:
    memory = MemoryCatalog([PFAND, WATER, APPLES])
    for gtin in (A_GTIN, B_GTIN):
        assert store.by_gtin(gtin) == memory.by_gtin(gtin)
    for plu in ("4131", "9999"):
        assert store.by_plu(plu) == memory.by_plu(plu)
    for sku in ("PFAND-025", "WASSER", "APFEL", "nope"):
        assert store.by_sku(sku) == memory.by_sku(sku)


def test_a_new_catalog_is_empty_at_version_zero(db: Database) -> None:
    store = CatalogStore(db)
    assert store.is_empty() and store.version == 0 and store.promotions() == []


def test_a_delta_changes_a_price_adds_and_removes_products_and_bumps_the_version(
        store: CatalogStore) -> None:
    before = store.version
    cheaper = replace(WATER, price_cents=39)
    version = store.apply_delta([cheaper, item("NEU", gtin=B_GTIN)], ["APFEL"])
    assert version == before + 1 == store.version
    found = store.by_gtin(A_GTIN)
    assert found is not None and found.price_cents == 39
    assert store.by_gtin(B_GTIN) is not None
    assert store.by_plu("4131") is None and store.by_sku("APFEL") is None


def test_a_delta_sent_twice_gives_the_same_catalog(store: CatalogStore) -> None:
    delta = ([replace(WATER, price_cents=59)], ["APFEL", "never-existed"])
    store.apply_delta(*delta)
    once = list(store)
    store.apply_delta(*delta)
    assert list(store) == once


def test_two_products_may_swap_their_gtins_in_one_delta(store: CatalogStore) -> None:
    store.apply_delta([item("NEU", gtin=B_GTIN)])
    store.apply_delta([replace(WATER, gtin=B_GTIN), item("NEU", gtin=A_GTIN)])
    assert store.by_gtin(A_GTIN).sku == "NEU"  # type: ignore[union-attr]
    assert store.by_gtin(B_GTIN).sku == "WASSER"  # type: ignore[union-attr]


def test_a_delta_giving_a_taken_gtin_to_another_product_changes_nothing(store: CatalogStore
                                                                       ) -> None:
    before, version = list(store), store.version
    with pytest.raises(CatalogError, match=f"gtin '{A_GTIN}' of product 'NEU' already belongs "
                                           "to product 'WASSER'"):
        store.apply_delta([replace(APPLES, price_cents=1), item("NEU", gtin=A_GTIN)])
    assert list(store) == before and store.version == version


def test_a_delta_removing_a_deposit_still_in_use_changes_nothing(store: CatalogStore) -> None:
    with pytest.raises(CatalogError, match="'WASSER' names deposit 'PFAND-025'"):
        store.apply_delta(deletes=["PFAND-025"])
    assert store.by_sku("PFAND-025") == PFAND
    assert integrity_ok(store.db)


def test_a_delta_may_remove_a_deposit_with_the_products_that_used_it(store: CatalogStore) -> None:
    store.apply_delta(deletes=["PFAND-025", "WASSER"])
    assert len(store) == 1 and integrity_ok(store.db)


def test_a_replace_with_two_products_on_one_plu_is_refused_whole(store: CatalogStore) -> None:
    with pytest.raises(CatalogError, match="nothing was changed"):
        store.replace([item("X", plu="7"), item("Y", plu="007")])
    assert len(store) == 3

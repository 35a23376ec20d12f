"""A small store and a lane driven like the controller drives it, for present() and the
window tests (not a test module).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from kiosk.domain import commands as c
from kiosk.domain.attendants import Attendant, hash_pin
from kiosk.domain.catalog import MemoryCatalog, Product, Unit
from kiosk.domain.checkout import Checkout, Context
from kiosk.domain.money import VatRate
from kiosk.domain.policy import Policy, Role
from kiosk.domain.pricing import MultiBuy
from kiosk.ui.present import present
from kiosk.ui.viewmodel import LaneView

A, B = VatRate.STANDARD, VatRate.REDUCED
MILK, COLA, BEER, YOGHURT = "4006381333931", "4012345000016", "4012345000023", "4012345000054"


def _p(sku: str, de: str, en: str, cents: int, vat: VatRate, **kw: Any) -> Product:
    return Product(sku=sku, names={"de": de, "en": en}, price_cents=cents, vat_rate=vat, **kw)


PRODUCTS = [
    _p("MILK", "Vollmilch 3,5 % 1 l", "Whole milk 1 l", 119, B, gtin="0" + MILK),
    _p("COLA", "Cola 1,5 l", "Cola 1.5 l", 149, A, gtin="0" + COLA, deposit_sku="PFAND-025"),
    _p("BEER", "Pils 0,5 l", "Pilsner 0.5 l", 99, A, gtin="0" + BEER, age_limit=16),
    _p("YOGHURT", "Joghurt 150 g", "Yoghurt 150 g", 49, B, gtin="0" + YOGHURT),
    _p("BANANAS", "Bananen", "Bananas", 169, B, plu="4011", unit=Unit.KILOGRAM),
    _p("LEMON", "Zitrone", "Lemon", 39, B, plu="4053"),
    _p("PFAND-025", "Pfand 0,25 €", "Deposit €0.25", 25, A, is_deposit=True),
]
PROMOTIONS = [MultiBuy("yog-3f2", {"de": "3 für 2", "en": "3 for 2"}, frozenset({"YOGHURT"}), 3, 2)]
ATTENDANTS = {"1001": Attendant("1001", "Anna", Role.ATTENDANT, hash_pin("1234", bytes(16)))}
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Lane:
    """A checkout driven the way the lane's controller drives it."""

    def __init__(self, policy: Policy | None = None) -> None:
        self.co = Checkout(lane_id="lane-1", policy=policy or Policy(), attendants=ATTENDANTS,
                           promotions=PROMOTIONS)
        self.catalog = MemoryCatalog(PRODUCTS)
        self.now = T0
        self.ids = 0
        self.do(c.AttendantLogin("1001", "1234"))
        self.do(c.Open("1001"))

    def new_id(self) -> str:
        self.ids += 1
        return f"sale{self.ids:04d}abcdef"

    def do(self, command: Any) -> None:
        self.now += timedelta(seconds=1)
        self.co.handle(command, Context(now=self.now, catalog=self.catalog, new_id=self.new_id))

    def view(self, lang: str = "de", **kw: Any) -> LaneView:
        return present(self.co, lang=lang, store_name="Frischmarkt", lane_name="Kasse 3",
                       tz=UTC, **kw)

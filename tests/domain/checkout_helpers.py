"""A small German store and a lane driver for the checkout tests (not a test module).

GTINs are literal, with check digits computed by hand (and verified by the codes tests), so a
bug in the code under test cannot make these fixtures agree with it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from kiosk.domain import commands as c
from kiosk.domain.attendants import Attendant, hash_pin
from kiosk.domain.catalog import MemoryCatalog, Product, Unit
from kiosk.domain.checkout import Checkout, Context
from kiosk.domain.facts import Fact
from kiosk.domain.money import VatRate
from kiosk.domain.policy import Policy, Role
from kiosk.domain.pricing import Coupon, MultiBuy

MILK = "4006381333931"  # Vollmilch 1 l, 1,19 €, 7 %
COLA = "4012345000016"  # Cola 1,5 l, 1,49 € + Pfand 0,25 €, 19 %
BEER = "4012345000023"  # Pils 0,5 l, 0,99 € + Pfand 0,08 €, 19 %, 16+
VODKA = "4012345000030"  # Wodka 0,7 l, 9,99 €, 19 %, 18+
APPLES = "4012345000047"  # Äpfel lose, 2,49 €/kg, 7 %, GTIN on the shelf label: weigh them
YOGHURT = "4012345000054"  # Joghurt 0,49 €, 7 %, 3 für 2
BANANA_PLU = "4011"  # Bananen, 1,69 €/kg, 7 %
LEMON_PLU = "4053"  # Zitrone, 0,39 € per piece, 7 %
CHEESE_1234G = "2812341012349"  # in-store weight code: article 1234, 1,234 kg Gouda 19,90 €/kg
HAM_299 = "2247111002990"  # in-store price code: article 4711, 2,99 € Schinken
COUPON = "COUPON-1EUR"
FREE_COUPON = "GRATIS-100"

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)

ANNA_PIN = "1234"
SVEN_PIN = "9999"


def _p(sku: str, de: str, en: str, cents: int, vat: VatRate, **kw: Any) -> Product:
    return Product(sku=sku, names={"de": de, "en": en}, price_cents=cents, vat_rate=vat, **kw)


A, B = VatRate.STANDARD, VatRate.REDUCED

PRODUCTS = [
    _p("MILK", "Vollmilch 3,5 % 1 l", "Whole milk 1 l", 119, B, gtin="0" + MILK),
    _p("COLA", "Cola 1,5 l", "Cola 1.5 l", 149, A, gtin="0" + COLA, deposit_sku="PFAND-025"),
    _p("BEER", "Pils 0,5 l", "Pilsner 0.5 l", 99, A, gtin="0" + BEER, age_limit=16,
       deposit_sku="PFAND-008"),
    _p("VODKA", "Wodka 0,7 l", "Vodka 0.7 l", 999, A, gtin="0" + VODKA, age_limit=18),
    _p("APPLES", "Äpfel lose", "Apples, loose", 249, B, gtin="0" + APPLES, unit=Unit.KILOGRAM),
    _p("YOGHURT", "Joghurt 150 g", "Yoghurt 150 g", 49, B, gtin="0" + YOGHURT),
    _p("BANANAS", "Bananen", "Bananas", 169, B, plu=BANANA_PLU, unit=Unit.KILOGRAM),
    _p("LEMON", "Zitrone", "Lemon", 39, B, plu=LEMON_PLU),
    _p("GOUDA", "Gouda Theke", "Gouda, deli", 1990, B, gtin="02812340000002",
       unit=Unit.KILOGRAM),
    _p("HAM", "Schinken Theke", "Ham, deli", 1590, B, gtin="02247110000003"),
    _p("PFAND-025", "Pfand 0,25 €", "Deposit €0.25", 25, A, is_deposit=True),
    _p("PFAND-008", "Pfand 0,08 €", "Deposit €0.08", 8, A, is_deposit=True),
]

PROMOTIONS = [
    MultiBuy("yog-3f2", {"de": "3 für 2", "en": "3 for 2"}, frozenset({"YOGHURT"}), 3, 2),
    Coupon(COUPON, {"de": "1 € Rabatt", "en": "€1 off"}, amount_cents=100, percent=None,
           min_basket_cents=500),
    Coupon(FREE_COUPON, {"de": "Gratis", "en": "Free"}, percent=100),
]

# Hashing with scrypt is slow on purpose; hash the demo PINs once per test session.
_SALT = bytes(range(16))
ATTENDANTS = {
    "1001": Attendant("1001", "Anna", Role.ATTENDANT, hash_pin(ANNA_PIN, _SALT)),
    "9001": Attendant("9001", "Sven", Role.SUPERVISOR, hash_pin(SVEN_PIN, _SALT)),
}



def cheap_hash(pin: str) -> str:
    """A valid scrypt string with n=1024, r=1: cheap to check, for long random scripts."""
    key = hashlib.scrypt(pin.encode(), salt=_SALT, n=1024, r=1, p=1, dklen=32)
    return f"scrypt$1024$1$1${_SALT.hex()}${key.hex()}"


FAST_ATTENDANTS = {
    "1001": Attendant("1001", "Anna", Role.ATTENDANT, cheap_hash(ANNA_PIN)),
    "9001": Attendant("9001", "Sven", Role.SUPERVISOR, cheap_hash(SVEN_PIN)),
}


def catalog() -> MemoryCatalog:
    return MemoryCatalog(PRODUCTS)


class Lane:
    """A checkout with a clock and an id source, driven like the shell drives it.

    `facts` collects every fact applied (also those of refused wrong PINs), in order, as the
    journal would hold them.
    """

    def __init__(self, policy: Policy | None = None, *, open_lane: bool = True,
                 attendants: dict[str, Attendant] | None = None) -> None:
        self.policy = policy or Policy()
        self.attendants = FAST_ATTENDANTS if attendants is None else attendants
        self.co = Checkout(lane_id="lane-1", policy=self.policy, attendants=self.attendants,
                           promotions=PROMOTIONS)
        self.catalog = catalog()
        self.now = T0
        self._ids = 0
        self.facts: list[Fact] = []
        if open_lane:
            self.do(c.AttendantLogin("1001", ANNA_PIN))
            self.do(c.Open("1001"))

    def new_id(self) -> str:
        self._ids += 1
        return f"id{self._ids:04d}"

    def ctx(self) -> Context:
        return Context(now=self.now, catalog=self.catalog, new_id=self.new_id)

    def tick(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def do(self, command: c.Command) -> list[Fact]:
        """handle() the command, keeping the facts; refusals raise as usual."""
        before = len(self.facts)
        try:
            facts = self.co.decide(command, self.ctx())
        except Exception as err:
            recorded = list(getattr(err, "facts", ()))
            for fact in recorded:
                self.co.apply(fact)
            self.facts += recorded
            raise
        for fact in facts:
            self.co.apply(fact)
        self.facts += facts
        assert len(self.facts) >= before
        return facts

    def fresh(self) -> Checkout:
        """An empty checkout with this lane's settings (for replays)."""
        return Checkout(lane_id="lane-1", policy=self.policy, attendants=self.attendants,
                        promotions=PROMOTIONS)

    def restored(self, snap: dict[str, Any]) -> Checkout:
        return Checkout.from_snapshot(snap, policy=self.policy, attendants=self.attendants,
                                      promotions=PROMOTIONS)

    @staticmethod
    def kinds(facts: Iterable[Fact]) -> list[str]:
        return [f.kind for f in facts]

    def open_ids(self) -> list[str]:
        return [i.intervention_id for i in self.co.interventions]

    def login(self, who: str = "1001") -> None:
        self.do(c.AttendantLogin(who, ANNA_PIN if who == "1001" else SVEN_PIN))

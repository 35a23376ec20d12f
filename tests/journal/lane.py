"""A small German test lane shared by the journal tests and the crash-test child process.

Plain Python with no pytest, so `crash_child.py` can import it as a script's sibling.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from kiosk.domain import commands
from kiosk.domain.attendants import Attendant
from kiosk.domain.catalog import MemoryCatalog, product_from_dict
from kiosk.domain.checkout import Context
from kiosk.domain.policy import Policy, Role

LANE_ID = "L1"
PIN = "4711"
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def ean13(payload12: str) -> str:
    """A valid EAN-13 for 12 payload digits (GS1 mod-10 check digit computed here, not by us)."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(payload12))
    return payload12 + str((10 - total % 10) % 10)


MILK = ean13("400638133393")
BEER = ean13("400000000001")
WATER = ean13("400000000002")
BREAD = ean13("400000000003")
CHEESE = ean13("400000000004")
PIECE_CODES = (MILK, BEER, WATER, BREAD, CHEESE)
BANANA_PLU = "4011"

RECORDS: list[dict[str, Any]] = [
    {"sku": "PFAND-025", "name_de": "Pfand 0,25 €", "name_en": "Deposit €0.25",
     "price_cents": 25, "vat_rate": 19, "is_deposit": True},
    {"sku": "MILCH", "name_de": "Frische Vollmilch 1 l", "price_cents": 119, "vat_rate": 7,
     "gtin": MILK},
    {"sku": "BIER", "name_de": "Pils 0,5 l", "price_cents": 89, "vat_rate": 19, "gtin": BEER,
     "age_limit": 16, "deposit_sku": "PFAND-025"},
    {"sku": "WASSER", "name_de": "Mineralwasser 1,5 l", "price_cents": 49, "vat_rate": 19,
     "gtin": WATER, "deposit_sku": "PFAND-025"},
    {"sku": "BROT", "name_de": "Roggenbrot 750 g", "price_cents": 289, "vat_rate": 7,
     "gtin": BREAD},
    {"sku": "KAESE", "name_de": "Gouda jung 400 g", "price_cents": 349, "vat_rate": 7,
     "gtin": CHEESE},
    {"sku": "BANANE", "name_de": "Bananen", "name_en": "Bananas", "price_cents": 199,
     "vat_rate": 7, "plu": BANANA_PLU, "unit": "kg"},
]


def catalog() -> MemoryCatalog:
    return MemoryCatalog(product_from_dict(r) for r in RECORDS)


def attendants() -> dict[str, Attendant]:
    # The smallest scrypt cost the domain accepts: a login per restart stays cheap in tests.
    salt = b"testsalt"
    key = hashlib.scrypt(PIN.encode(), salt=salt, n=1024, r=8, p=1, dklen=32)
    pin_hash = f"scrypt$1024$8$1${salt.hex()}${key.hex()}"
    return {"A1": Attendant("A1", "Anna Attendant", Role.ATTENDANT, pin_hash)}


POLICY = Policy()


def context(step: int, shop: MemoryCatalog) -> Context:
    """The context of script step `step`: its own time and ids, the same on every run."""
    counter = iter(range(1, 1000))
    return Context(now=T0 + timedelta(seconds=step), catalog=shop,
                   new_id=lambda: f"{LANE_ID}-{step}-{next(counter)}")


def command_to_dict(command: commands.Command) -> dict[str, Any]:
    return {"type": type(command).__name__, **dataclasses.asdict(command)}


def command_from_dict(d: dict[str, Any]) -> commands.Command:
    fields = dict(d)
    cls = getattr(commands, fields.pop("type"))
    command: commands.Command = cls(**fields)
    return command

"""GTIN check digits and UPC-E expansion for camera reads (hardware must not import kiosk).

Rules from GS1 (protocols.md §2.3): weights 3, 1, 3, 1, ... from the right over the digits before
the check digit; check = (10 - sum mod 10) mod 10.
"""

from __future__ import annotations


def check_digit(body: str) -> int:
    """The GS1 mod-10 check digit of `body` (digits without the check digit)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def gtin_valid(code: str) -> bool:
    """True when `code` is 8, 12, 13 or 14 digits and its last digit is the GS1 check digit."""
    if len(code) not in (8, 12, 13, 14) or not code.isascii() or not code.isdigit():
        return False
    return check_digit(code[:-1]) == int(code[-1])


def upce_to_upca(upce: str) -> str:
    """Expand an 8-digit UPC-E (number system, 6 digits, check) to its 12-digit UPC-A.

    Raises ValueError for anything that is not 8 digits with number system 0 or 1.
    """
    if len(upce) != 8 or not upce.isascii() or not upce.isdigit() or upce[0] not in "01":
        raise ValueError(f"UPC-E {upce!r} is not 8 digits starting with 0 or 1")
    ns, d, check = upce[0], upce[1:7], upce[7]
    last = d[5]
    if last in "012":
        body = d[0:2] + last + "0000" + d[2:5]
    elif last == "3":
        body = d[0:3] + "00000" + d[3:5]
    elif last == "4":
        body = d[0:4] + "00000" + d[4]
    else:
        body = d[0:5] + "0000" + last
    return ns + body + check

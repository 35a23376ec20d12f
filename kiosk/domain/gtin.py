"""GTIN rules: symbologies, kinds of code, UPC-E, normalisation and German in-store codes.

`kiosk.domain.codes` is the public entry point and re-exports everything here.

German in-store codes (GS1 Germany, prefixes 2x), 13 digits:

    PP AAAA K VVVVV C   22/23 price in cents, 25/26 count, 28/29 weight in grams;
                        20/21/24/27 (and 02, 04) are store-defined and looked up as a whole.

K is the price/weight check digit over VVVVV and C the EAN check digit; both are verified.
The catalog stores a variable-measure article under its lookup key (`rcn_lookup_key`): the
code with VVVVV zeroed and K and C recomputed.
"""

from __future__ import annotations

from enum import StrEnum

from kiosk.domain.gs1 import check_digit, code_error, show
from kiosk.errors import CodeError


class Symbology(StrEnum):
    """The barcode symbology a code was read from (UNKNOWN when typed or not reported)."""

    EAN13 = "ean13"
    EAN8 = "ean8"
    UPCA = "upca"
    UPCE = "upce"
    CODE128 = "code128"
    GS1_128 = "gs1_128"
    GS1_DATABAR = "gs1_databar"
    DATAMATRIX = "datamatrix"
    GS1_DATAMATRIX = "gs1_datamatrix"
    QR = "qr"
    GS1_QR = "gs1_qr"
    CODE39 = "code39"
    ITF = "itf"
    UNKNOWN = "unknown"


class CodeKind(StrEnum):
    """What the data in a code is, whatever symbology carried it."""

    GTIN = "gtin"
    IN_STORE_PRICE = "in_store_price"  # 22/23: price in the code
    IN_STORE_COUNT = "in_store_count"  # 25/26: number of pieces in the code
    IN_STORE_WEIGHT = "in_store_weight"  # 28/29: weight in the code
    STORE_INTERNAL = "store_internal"  # 20/21/24/27, 02, 04, EAN-8 0/2: store-defined
    GS1_ELEMENTS = "gs1_elements"
    DIGITAL_LINK = "digital_link"
    ISBN = "isbn"  # 978/979: also a GTIN
    TEXT = "text"  # not GS1 data (loyalty card, coupon, ...): the lookup decides


IN_STORE_KINDS = frozenset((CodeKind.IN_STORE_PRICE, CodeKind.IN_STORE_COUNT,
                            CodeKind.IN_STORE_WEIGHT))


# --- GTIN, UPC-E -----------------------------------------------------------------------------


def digits(text: str) -> bool:
    """True for a non-empty string of ASCII digits (str.isdigit also accepts "²" and "٣")."""
    return bool(text) and text.isascii() and text.isdigit()


def expand_upce(code: str) -> str:
    """The 12-digit UPC-A of a UPC-E: 8 digits (number system, 6 data, check) or 6/7 without
    the check digit (6: number system 0). Follows the GS1 rules for the last data digit 0-2,
    3, 4 and 5-9; an 8-digit code's check digit is verified. `04252614` -> `042100005264`.
    """
    if not digits(code) or len(code) not in (6, 7, 8):
        raise code_error(f"UPC-E {show(code)} must be 6, 7 or 8 digits", code, "bad_length")
    full = "0" + code if len(code) == 6 else code
    if full[0] not in "01":
        raise code_error(f"UPC-E {show(code)} has number system {full[0]}; only 0 and 1 "
                         "exist, so this is not a UPC-E code", code, "not_a_code")
    ns, d, last = full[0], full[1:7], full[6]
    if last in "012":
        body = f"{ns}{d[:2]}{last}0000{d[2:5]}"
    elif last == "3":
        body = f"{ns}{d[:3]}00000{d[3:5]}"
    elif last == "4":
        body = f"{ns}{d[:4]}00000{d[4]}"
    else:
        body = f"{ns}{d[:5]}0000{last}"
    expected = check_digit(body)
    if len(full) == 8 and int(full[7]) != expected:
        raise _bad_check(code, full[7], expected)
    return f"{body}{expected}"


def _bad_check(code: str, got: str, expected: int) -> CodeError:
    return code_error(f"code {show(code)} has check digit {got}, expected {expected}; scan "
                      "it again or type the digits printed under the barcode", code,
                      "bad_check_digit")


def normalize_gtin(code: str, symbology: Symbology | None = None) -> str:
    """The 14-digit form of an 8, 12, 13 or 14 digit GTIN, check digit verified.

    An 8-digit code is EAN-8 unless `symbology` is UPCE (then 6, 7 or 8 digits are expanded).
    Raises CodeError (a ValueError), reason "empty", "not_a_code", "bad_length" or
    "bad_check_digit".
    """
    c = code.strip()
    if not c:
        raise code_error("the code is empty; scan it again", code, "empty")
    if not digits(c):
        raise code_error(f"GTIN {show(code)} must be digits only", code, "not_a_code")
    if symbology is Symbology.UPCE and len(c) in (6, 7, 8):
        c = expand_upce(c)
    elif len(c) not in (8, 12, 13, 14):
        raise code_error(f"GTIN {show(code)} has {len(c)} digits; a GTIN has 8, 12, 13 or "
                         "14", code, "bad_length")
    expected = check_digit(c[:-1])
    if int(c[-1]) != expected:
        raise _bad_check(code, c[-1], expected)
    return c.zfill(14)


# --- German in-store codes -------------------------------------------------------------------

_TWO_MINUS = (0, 2, 4, 6, 8, 9, 1, 3, 5, 7)
_THREE = (0, 3, 6, 9, 2, 5, 8, 1, 4, 7)
_FIVE_PLUS = (0, 5, 1, 6, 2, 7, 3, 8, 4, 9)
_FIVE_MINUS = (0, 5, 9, 4, 8, 3, 7, 2, 6, 1)

_VARIABLE = {"22": CodeKind.IN_STORE_PRICE, "23": CodeKind.IN_STORE_PRICE,
             "25": CodeKind.IN_STORE_COUNT, "26": CodeKind.IN_STORE_COUNT,
             "28": CodeKind.IN_STORE_WEIGHT, "29": CodeKind.IN_STORE_WEIGHT}
# 02 and 20/21/24/27 are regional RCNs without a German layout; 04 (a UPC-A starting with 4)
# is company-internal. All are store-defined numbers, looked up as they are.
_STORE_INTERNAL = frozenset(("02", "04", "20", "21", "24", "27"))


def price_check_digit(value: str) -> int:
    """The GS1 price/weight check digit of a 5-digit value (14685 -> 6) or a 4-digit one
    (2875 -> 9), as in German in-store codes."""
    if not digits(value) or len(value) not in (4, 5):
        raise code_error(f"price/weight {show(value)} must be 4 or 5 digits", value,
                         "not_a_code")
    d = [int(c) for c in value]
    if len(d) == 4:
        return (3 * (_TWO_MINUS[d[0]] + _TWO_MINUS[d[1]] + _THREE[d[2]] + _FIVE_MINUS[d[3]])) % 10
    total = (_FIVE_PLUS[d[0]] + _TWO_MINUS[d[1]] + _FIVE_MINUS[d[2]] + _FIVE_PLUS[d[3]]
             + _TWO_MINUS[d[4]])
    return _FIVE_MINUS.index((10 - total % 10) % 10)


def classify(gtin14: str) -> CodeKind:
    if gtin14.startswith("000000"):  # a GTIN-8; prefixes 0 and 2 are store-internal (RCN-8)
        return CodeKind.STORE_INTERNAL if gtin14[6] in "02" else CodeKind.GTIN
    if gtin14[0] != "0":
        return CodeKind.GTIN
    prefix = gtin14[1:3]
    if prefix in _VARIABLE:
        return _VARIABLE[prefix]
    if prefix in _STORE_INTERNAL:
        return CodeKind.STORE_INTERNAL
    return CodeKind.ISBN if gtin14[1:4] in ("978", "979") else CodeKind.GTIN


def rcn_lookup_key(gtin13: str) -> str:
    """The catalog key of an in-store code: value zeroed, K and EAN check digit recomputed,
    as 14 digits (2812341012349 -> 02812340000002). Codes without a German variable part
    (other prefixes) are returned normalised. The EAN check digit of the input is verified,
    K is not (the key does not depend on it)."""
    g = normalize_gtin(gtin13)
    if classify(g) not in IN_STORE_KINDS:
        return g
    body = f"{g[1:7]}{price_check_digit('00000')}00000"
    return f"0{body}{check_digit(body)}"


def in_store(gtin14: str, kind: CodeKind, code: str) -> tuple[str, int]:
    """(lookup key, value) of a verified in-store code; raises on a bad K."""
    k, value = gtin14[7], gtin14[8:13]
    expected = price_check_digit(value)
    if int(k) != expected:
        raise code_error(
            f"in-store code {show(code)} has price/weight check digit {k}, expected {expected} "
            f"for value {value}; scan it again or reprint the label", code,
            "bad_price_check_digit")
    return rcn_lookup_key(gtin14), int(value)

"""What a scanned code means: GTINs, German in-store codes, GS1 data, AIM ids, Digital Link.

`parse(text)` is the one entry point for every scan (a serial scanner line without its CR/LF,
digits a person typed, text from the camera decoder). It returns a `ScannedCode` or raises
`CodeError` with a reason key and a short text for the shopper; it never raises anything else.

The rules live in two helpers and are re-exported here, so callers import only this module:
`kiosk.domain.gtin` (symbologies, GTIN normalisation, UPC-E, German in-store codes 2x) and
`kiosk.domain.gs1` (check digits, GS1 element strings, Digital Link).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from kiosk.domain.gs1 import (
    GS,
    ai_name,
    check_digit,
    code_error,
    gs1_date,
    is_valid_gtin,
    parse_digital_link,
    parse_gs1,
    scaled_int,
    show,
)
from kiosk.domain.gtin import (
    IN_STORE_KINDS,
    CodeKind,
    Symbology,
    classify,
    digits,
    expand_upce,
    in_store,
    normalize_gtin,
    price_check_digit,
    rcn_lookup_key,
)
from kiosk.domain.money import format_eur
from kiosk.errors import CodeError

__all__ = [
    "IN_STORE_KINDS", "CodeKind", "ScannedCode", "Symbology", "check_digit", "expand_upce",
    "is_valid_gtin", "normalize_gtin", "parse", "parse_aim", "parse_digital_link", "parse_gs1",
    "price_check_digit", "rcn_lookup_key", "symbology_for_aim",
]


_KIND_TEXT = {
    CodeKind.GTIN: "GTIN (manufacturer's article number)",
    CodeKind.IN_STORE_PRICE: "German in-store code with a price (prefix 22/23)",
    CodeKind.IN_STORE_COUNT: "German in-store code with a count (prefix 25/26)",
    CodeKind.IN_STORE_WEIGHT: "German in-store code with a weight (prefix 28/29)",
    CodeKind.STORE_INTERNAL: "store-internal code (looked up as a whole)",
    CodeKind.GS1_ELEMENTS: "GS1 element string",
    CodeKind.DIGITAL_LINK: "GS1 Digital Link",
    CodeKind.ISBN: "ISBN (book; also a GTIN)",
    CodeKind.TEXT: "text (not a product code)",
}


@dataclass(frozen=True, slots=True)
class ScannedCode:
    """One scan, understood.

    `gtin` is the 14-digit GTIN to look up; for an in-store price/count/weight code it is the
    lookup key (value zeroed). `weight_g` is grams, `price_cents` euro cents, `count` pieces;
    `expiry` comes from GS1 (17), `batch` from (10), `serial` from (21); `elements` holds every
    GS1 element as {AI: value}.
    """

    raw: str
    payload: str
    aim: str | None
    symbology: Symbology
    kind: CodeKind
    gtin: str | None = None
    weight_g: int | None = None
    price_cents: int | None = None
    count: int | None = None
    expiry: dt.date | None = None
    batch: str | None = None
    serial: str | None = None
    elements: Mapping[str, str] = field(default_factory=dict)

    def describe(self, lang: str = "en") -> list[tuple[str, str]]:
        """(label, value) rows for a technician; amounts are formatted for `lang`."""
        rows = [("Scanned", show(self.raw, 200)), ("AIM id", self.aim or "none"),
                ("Symbology", self.symbology.value), ("Kind", _KIND_TEXT[self.kind])]
        if self.aim == "]E3":
            rows.append(("Add-on", self.payload[13:]))
        if self.kind in IN_STORE_KINDS and self.gtin:
            rows += [("Article", self.gtin[3:7]), ("Lookup key", self.gtin)]
        elif self.gtin:
            rows.append(("GTIN", self.gtin))
        if self.kind is CodeKind.TEXT:
            rows.append(("Text", show(self.payload, 200)))
        if self.weight_g is not None:
            kg, g = divmod(self.weight_g, 1000)
            rows.append(("Weight", f"{self.weight_g} g ({kg}.{g:03d} kg)"))
        if self.price_cents is not None:
            rows.append(("Price", format_eur(self.price_cents, lang)))
        for label, value in (("Count", self.count), ("Expiry", self.expiry),
                             ("Batch", self.batch), ("Serial", self.serial)):
            if value is not None:
                rows.append((label, str(value)))
        for ai, value in self.elements.items():
            name = ai_name(ai)
            rows.append((f"({ai}) {name}" if name else f"({ai})", value))
        return rows


# --- AIM symbology identifiers ---------------------------------------------------------------

_AIM = re.compile(r"\][A-Za-z][0-9A-Za-z]")
_EAN, _EAN_ADDON, _ADDON_ONLY, _ITF, _GS1, _TEXT, _GUESS = (
    "ean", "ean+addon", "addon", "itf", "gs1", "text", "guess")
_GS1_AIMS = frozenset(("C1", "d2", "d5", "Q3", "Q4", "J1", "e0", "e1", "e2"))
_BY_CODE_CHAR = {"E": Symbology.EAN13, "C": Symbology.CODE128, "e": Symbology.GS1_DATABAR,
                 "d": Symbology.DATAMATRIX, "Q": Symbology.QR, "I": Symbology.ITF,
                 "A": Symbology.CODE39}
_GS1_OF = {Symbology.CODE128: Symbology.GS1_128, Symbology.DATAMATRIX: Symbology.GS1_DATAMATRIX,
           Symbology.QR: Symbology.GS1_QR}


def parse_aim(text: str) -> tuple[str | None, str]:
    """Split a leading AIM symbology identifier (`]E0`, `]C1`, `]e0`, `]d2`, `]Q3`, ...) from
    the payload: `]E04006381333931` -> (`]E0`, `4006381333931`); (None, text) without one."""
    if _AIM.match(text):
        return text[:3], text[3:]
    return None, text


def symbology_for_aim(aim: str) -> Symbology:
    """The symbology an AIM identifier names (UNKNOWN for ones a checkout does not use)."""
    if aim[1:] == "E4":
        return Symbology.EAN8
    sym = _BY_CODE_CHAR.get(aim[1:2], Symbology.UNKNOWN)
    return _GS1_OF.get(sym, sym) if aim[1:] in _GS1_AIMS else sym


def _route_for_aim(aim: str) -> str:
    if aim[1:] in _GS1_AIMS:
        return _GS1
    if aim[1] == "E":
        return {"1": _ADDON_ONLY, "2": _ADDON_ONLY, "3": _EAN_ADDON}.get(aim[2], _EAN)
    return _ITF if aim[1] == "I" else _TEXT


def _route_for_symbology(sym: Symbology | None) -> str:
    if sym in (Symbology.GS1_128, Symbology.GS1_DATABAR, Symbology.GS1_DATAMATRIX,
               Symbology.GS1_QR):
        return _GS1
    if sym in (Symbology.EAN13, Symbology.EAN8, Symbology.UPCA, Symbology.UPCE):
        return _EAN
    if sym is Symbology.ITF:
        return _ITF
    return _GUESS if sym in (None, Symbology.UNKNOWN) else _TEXT


def _guess_route(payload: str) -> str:
    if payload.startswith("(") or GS in payload:
        return _GS1
    if digits(payload):
        if len(payload) > 14 and payload[:2] in ("00", "01", "02"):
            return _GS1
        return _EAN
    return _TEXT


# --- parse -----------------------------------------------------------------------------------

_LENGTHS = {Symbology.EAN13: (13,), Symbology.EAN8: (8,), Symbology.UPCA: (12, 13),
            Symbology.UPCE: (6, 7, 8)}
_BY_LENGTH = {8: Symbology.EAN8, 12: Symbology.UPCA, 13: Symbology.EAN13}
_LINK = re.compile(r"https?://[^/?#]+/(?:[^?#]*/)?(?:01|gtin)/", re.IGNORECASE)


def parse(
    text: str, symbology: Symbology | str | None = None, *, today: dt.date | None = None
) -> ScannedCode:
    """What `text` (one scan, CR/LF already stripped) means.

    `symbology` is what the source reported when there is no AIM id (the camera decoder; a
    name that is no `Symbology` value counts as unknown); an AIM id in the text wins. `today`
    only sets the century of two-digit GS1 years (without it: 2000-2099). Raises CodeError
    with a reason: "empty", "not_a_code", "bad_length", "bad_check_digit",
    "bad_price_check_digit", "bad_gs1", "foreign_currency".
    """
    sym: Symbology | None = None
    if symbology is not None:
        try:
            sym = Symbology(symbology)
        except ValueError:
            sym = Symbology.UNKNOWN  # a driver's odd name must not lose the scan
    try:
        return _parse(text, sym, today)
    except CodeError as e:
        if e.code == text:
            raise
        # A helper saw only part of the scan; the error names the whole scan.
        raise CodeError(str(e), e.texts, code=text, reason=e.reason) from None


def _parse(text: str, symbology: Symbology | None, today: dt.date | None) -> ScannedCode:
    payload = text.strip(" \t\r\n")
    if not payload:
        raise code_error("the scan was empty; scan the code again", text, "empty")
    aim, payload = parse_aim(payload)
    if aim is not None:
        sym, route = symbology_for_aim(aim), _route_for_aim(aim)
    else:
        sym, route = symbology or Symbology.UNKNOWN, _route_for_symbology(symbology)
    if not payload:
        raise code_error(f"the scan {show(text)} has an AIM id but no data; scan it again",
                         text, "empty")
    if aim is None and payload.startswith("]"):
        raise code_error(f"{show(text)} starts with a broken AIM id; check the scanner's "
                         "AIM setting", text, "not_a_code")
    if route == _GUESS:
        route = _guess_route(payload)
    if route == _GS1:
        elements = parse_gs1(payload, today=today)
        return _from_elements(text, payload, aim, sym, CodeKind.GS1_ELEMENTS, elements, today)
    if route == _TEXT:
        return _from_text(text, payload, aim, sym, today)
    return _from_digits(text, payload, aim, sym, route)


def _from_digits(raw: str, payload: str, aim: str | None, sym: Symbology,
                 route: str) -> ScannedCode:
    if not digits(payload):
        raise code_error(f"{show(raw)} should be digits only ({sym.value}); scan it again",
                         raw, "not_a_code")
    main = payload
    if route == _ADDON_ONLY:
        raise code_error(f"{show(raw)} is an EAN add-on without its main code; scan the "
                         "main barcode", raw, "not_a_code")
    if route == _EAN_ADDON:
        if len(payload) not in (15, 18):
            raise code_error(f"EAN with add-on {show(raw)} must be 15 or 18 digits", raw,
                             "bad_length")
        main = payload[:13]
    elif route == _ITF and len(payload) not in (8, 12, 13, 14):
        return ScannedCode(raw, payload, aim, sym, CodeKind.TEXT)  # ITF that is no GTIN
    if aim == "]E0":
        sym = {8: Symbology.UPCE, 12: Symbology.UPCA}.get(len(main), Symbology.EAN13)
    elif sym is Symbology.UNKNOWN:
        sym = _BY_LENGTH.get(len(main), Symbology.UNKNOWN)
    if len(main) not in _LENGTHS.get(sym, (len(main),)):
        raise code_error(f"{sym.value} code {show(raw)} cannot have {len(main)} digits; "
                         "scan it again", raw, "bad_length")
    gtin = normalize_gtin(main, sym)
    kind = classify(gtin)
    if kind not in IN_STORE_KINDS:
        return ScannedCode(raw, payload, aim, sym, kind, gtin)
    key, value = in_store(gtin, kind, raw)
    return ScannedCode(
        raw, payload, aim, sym, kind, key,
        weight_g=value if kind is CodeKind.IN_STORE_WEIGHT else None,
        price_cents=value if kind is CodeKind.IN_STORE_PRICE else None,
        count=value if kind is CodeKind.IN_STORE_COUNT else None,
    )


def _from_text(raw: str, payload: str, aim: str | None, sym: Symbology,
               today: dt.date | None) -> ScannedCode:
    if _LINK.match(payload):
        elements = parse_digital_link(payload, today=today)
        return _from_elements(raw, payload, aim, sym, CodeKind.DIGITAL_LINK, elements, today)
    if not payload.isprintable():
        raise code_error(f"{show(raw)} contains control characters, so it is not a code we "
                         "can use; scan it again", raw, "not_a_code")
    return ScannedCode(raw, payload, aim, sym, CodeKind.TEXT)


def _from_elements(raw: str, payload: str, aim: str | None, sym: Symbology, kind: CodeKind,
                   elements: Mapping[str, str], today: dt.date | None) -> ScannedCode:
    gtin = elements.get("01") or elements.get("02")
    weight_g = _measure(elements, "310", 3, raw)
    price_cents = _price_cents(elements, raw)
    count_text = elements.get("30") or elements.get("37")
    count = int(count_text) if count_text is not None else None
    expiry = gs1_date(elements["17"], today) if "17" in elements else None
    return ScannedCode(raw, payload, aim, sym, kind, gtin, weight_g, price_cents, count,
                       expiry, elements.get("10"), elements.get("21"), dict(elements))


def _measure(elements: Mapping[str, str], family: str, unit_decimals: int,
             raw: str) -> int | None:
    found = [(ai, v) for ai, v in elements.items() if ai[:3] == family and len(ai) == 4]
    if len(found) > 1:
        raise code_error(f"GS1 data {show(raw)} has {len(found)} values for ({family}n); "
                         "it must have one", raw, "bad_gs1")
    if not found:
        return None
    ai, value = found[0]
    return scaled_int(value, int(ai[3]), unit_decimals)


def _price_cents(elements: Mapping[str, str], raw: str) -> int | None:
    priced = {ai: v for ai, v in elements.items() if ai[:3] in ("392", "393")}
    if len(priced) > 1:
        raise code_error(f"GS1 data {show(raw)} has {len(priced)} prices; it must have one",
                         raw, "bad_gs1")
    if not priced:
        return None
    ai, value = next(iter(priced.items()))
    if ai[:3] == "393":
        if value[:3] != "978":
            raise code_error(
                f"GS1 data {show(raw)} has a price in currency {value[:3]}, not euro (978); "
                "the item needs a euro label",
                raw, "foreign_currency",
                {"de": "Der Preis auf diesem Etikett ist nicht in Euro. Bitte wenden Sie sich "
                       "an das Personal.",
                 "en": "The price on this label is not in euros. Please ask a member of "
                       "staff."})
        value = value[3:]
    return scaled_int(value, int(ai[3]), 2)

"""GS1 building blocks: check digits, element strings, Digital Link URIs, and scan errors.

`kiosk.domain.codes` is the public entry point and re-exports what callers need from here;
this module holds the GS1 rules that do not depend on where a code came from.

Element strings follow the GS1 General Specifications: the AI length is set by its first two
digits, the AIs in the "predefined length" table (00-03, 11-17, 20, 31-36, 41) need no
separator, and every other field runs to the next GS (0x1D, what scanners send for FNC1) or the
end of the data. AIs we do not interpret are still split off correctly and checked against the
GS1 character set, so a label with extra data (e.g. (8008)) still scans.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Mapping
from urllib.parse import parse_qsl, unquote, urlsplit

from kiosk.errors import CodeError

GS = "\x1d"

UNREADABLE = {
    "de": "Der Code konnte nicht gelesen werden. Bitte erneut scannen.",
    "en": "The code could not be read. Please scan it again.",
}


def show(text: str, limit: int = 60) -> str:
    """`text` quoted for a log message, control characters escaped, cut after `limit` chars."""
    cut = text if len(text) <= limit else text[:limit] + "..."
    return repr(cut)


def code_error(
    message: str, code: str, reason: str, texts: Mapping[str, str] = UNREADABLE
) -> CodeError:
    """A CodeError for `code`; the shopper text defaults to "could not be read, scan again"."""
    return CodeError(message, texts, code=code, reason=reason)


def check_digit(body: str) -> int:
    """The GS1 mod-10 check digit of `body` (the digits before the check digit).

    Digits are weighted 3, 1, 3, ... from the right; the check digit tops the sum up to a
    multiple of ten. Raises CodeError (reason "not_a_code") when `body` is not digits.
    """
    if not body or not (body.isascii() and body.isdigit()):
        raise code_error(
            f"{show(body)} is not a string of digits, so it has no GS1 check digit; "
            "pass only the digits before the check digit",
            body,
            "not_a_code",
        )
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def is_valid_gtin(code: str) -> bool:
    """True for an 8, 12, 13 or 14 digit GTIN whose check digit is right."""
    if len(code) not in (8, 12, 13, 14) or not (code.isascii() and code.isdigit()):
        return False
    return check_digit(code[:-1]) == int(code[-1])


# --- dates -----------------------------------------------------------------------------------


def gs1_date(yymmdd: str, today: dt.date | None = None) -> dt.date:
    """The date in a GS1 YYMMDD field; DD=00 means the last day of the month.

    The century follows GS1 General Specifications 7.12 (a window from 49 years back to 50
    years ahead of `today`); without `today` (the domain reads no clock) years are 2000-2099.
    Raises ValueError for a month or day that does not exist.
    """
    if len(yymmdd) != 6 or not (yymmdd.isascii() and yymmdd.isdigit()):
        raise ValueError(f"{yymmdd!r} is not a YYMMDD date")
    yy, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    year = _century(yy, today) + yy
    if not 1 <= month <= 12:
        raise ValueError(f"{yymmdd!r} has month {month:02d}")
    last = calendar.monthrange(year, month)[1]
    if day > last:
        raise ValueError(f"{yymmdd!r} has day {day:02d}, but that month has {last} days")
    return dt.date(year, month, day or last)


def _century(yy: int, today: dt.date | None) -> int:
    if today is None:
        return 2000
    current = today.year - today.year % 100
    diff = yy - today.year % 100
    if 51 <= diff <= 99:
        return current - 100
    if -99 <= diff <= -50:
        return current + 100
    return current


# --- element strings -------------------------------------------------------------------------

# AI length by its first two digits (GS1 General Specifications, table of AIs).
_AI_LENGTH: dict[str, int] = {
    **dict.fromkeys(("00", "01", "02", "03", "10", "11", "12", "13", "15", "16", "17"), 2),
    **dict.fromkeys(("20", "21", "22", "30", "37"), 2),
    **{str(p): 2 for p in range(90, 100)},
    **dict.fromkeys(("23", "24", "25", "40", "41", "42", "71"), 3),
    **dict.fromkeys(("31", "32", "33", "34", "35", "36", "39", "43", "70", "72"), 4),
    **dict.fromkeys(("80", "81", "82"), 4),
}

# Data length of the AIs that never need a GS after them ("predefined length" table).
_PREDEFINED: dict[str, int] = {
    "00": 18, "01": 14, "02": 14, "03": 14, "11": 6, "12": 6, "13": 6, "15": 6, "16": 6,
    "17": 6, "20": 2, "31": 6, "32": 6, "33": 6, "34": 6, "35": 6, "36": 6, "41": 13,
}

_NUM, _ALNUM = "n", "x"
# (charset, min length, max length) of the AIs we know by name; others are x..90.
_FORMATS: dict[str, tuple[str, int, int]] = {
    "00": (_NUM, 18, 18), "01": (_NUM, 14, 14), "02": (_NUM, 14, 14), "03": (_NUM, 14, 14),
    "10": (_ALNUM, 1, 20), "20": (_NUM, 2, 2), "21": (_ALNUM, 1, 20), "22": (_ALNUM, 1, 20),
    "30": (_NUM, 1, 8), "37": (_NUM, 1, 8), "400": (_ALNUM, 1, 30), "401": (_ALNUM, 1, 30),
    "402": (_NUM, 17, 17), "403": (_ALNUM, 1, 30), "420": (_ALNUM, 1, 20), "422": (_NUM, 3, 3),
    "7003": (_NUM, 10, 10), "8008": (_NUM, 8, 12), "8020": (_ALNUM, 1, 25),
    "90": (_ALNUM, 1, 30),
    **dict.fromkeys(("11", "12", "13", "15", "16", "17"), (_NUM, 6, 6)),
    **{f"41{d}": (_NUM, 13, 13) for d in "01234567"},
}
_MEASURE_FORMATS = {"390": (_NUM, 1, 15), "391": (_NUM, 4, 18), "392": (_NUM, 1, 15),
                    "393": (_NUM, 4, 18), "394": (_NUM, 4, 4), "395": (_NUM, 6, 6)}
_GENERIC = (_ALNUM, 1, 90)
_DATE_AIS = frozenset(("11", "12", "13", "15", "16", "17"))
_CHECKED_AIS = frozenset(("00", "01", "02", "03", *(f"41{d}" for d in "01234567")))
# GS1 character set 82: the printable characters allowed in alphanumeric AI data.
_CSET82 = re.compile(r"[!\"%-?A-Z_a-z]+")

AI_NAMES: dict[str, str] = {
    "00": "SSCC", "01": "GTIN", "02": "GTIN of contained items", "10": "batch/lot",
    "11": "production date", "13": "packaging date", "15": "best before", "17": "expiry date",
    "21": "serial number", "30": "count", "37": "count of contained items",
    "310": "net weight (kg)", "392": "price", "393": "price with currency",
}


def ai_name(ai: str) -> str:
    """A short English name for an AI ("net weight (kg)" for 3103), or "" if we have none."""
    return AI_NAMES.get(ai) or AI_NAMES.get(ai[:3], "")


def parse_gs1(payload: str, *, today: dt.date | None = None) -> dict[str, str]:
    """The elements of a GS1 element string, as {AI: value} in the order found.

    Accepts what a scanner sends for GS1-128, DataBar, GS1 DataMatrix and GS1 QR (fields
    separated by GS, an optional leading GS for FNC1) and the printed human-readable form
    "(01)09506000134352(3103)001234". Verifies check digits of (00)/(01)/(02)/(03)/(41x),
    dates of (11)-(17) and the format of every AI. Raises CodeError: reason "bad_gs1", or
    "bad_check_digit" for a GTIN whose check digit is wrong.
    """
    data = payload.strip()
    if data.startswith("("):
        pairs = _split_hri(data, payload)
    else:
        pairs = _split_raw(data.lstrip(GS), payload)
    if not pairs:
        raise code_error(f"GS1 data {show(payload)} is empty; scan the code again", payload,
                         "bad_gs1")
    out: dict[str, str] = {}
    for ai, value in pairs:
        _check_element(ai, value, payload, today)
        _add(out, ai, value, payload)
    return out


def _bad(payload: str, what: str) -> CodeError:
    return code_error(
        f"GS1 data {show(payload)} is malformed: {what}; scan the code again or check the "
        "label printer's GS1 settings",
        payload,
        "bad_gs1",
    )


def _read_ai(data: str, pos: int, payload: str) -> str:
    length = _AI_LENGTH.get(data[pos : pos + 2])
    ai = data[pos : pos + (length or 2)]
    if length is None or len(ai) != length or not (ai.isascii() and ai.isdigit()):
        raise _bad(payload, f"{show(data[pos : pos + 4])} at position {pos} is not a GS1 AI")
    return ai


def _split_raw(data: str, payload: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    pos = 0
    while pos < len(data):
        ai = _read_ai(data, pos, payload)
        pos += len(ai)
        fixed = _PREDEFINED.get(ai[:2])
        if fixed is not None:
            end = pos + fixed
            if end > len(data):
                raise _bad(payload, f"({ai}) needs {fixed} characters, got {len(data) - pos}")
        else:
            end = data.find(GS, pos)
            end = len(data) if end < 0 else end
        pairs.append((ai, data[pos:end]))
        pos = end + 1 if data[end : end + 1] == GS else end
    return pairs


_HRI = re.compile(r"\(([0-9]{2,4})\)([^()]*)")


def _split_hri(data: str, payload: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    pos = 0
    for match in _HRI.finditer(data):
        if match.start() != pos:
            break
        ai = match.group(1)
        if _AI_LENGTH.get(ai[:2]) != len(ai):
            raise _bad(payload, f"({ai}) is not a GS1 AI")
        pairs.append((ai, match.group(2).strip()))
        pos = match.end()
    if pos != len(data):
        raise _bad(payload, f"{show(data[pos:pos + 10])} at position {pos} is not '(AI)value'")
    return pairs


def _format_for(ai: str) -> tuple[str, int, int] | None:
    if ai in _FORMATS:
        return _FORMATS[ai]
    if ai[:2] in ("31", "32", "33", "34", "35", "36"):
        # The fourth digit is the number of decimals, 0 to 5.
        return (_NUM, 6, 6) if ai[3] in "012345" else None
    if ai[:3] in _MEASURE_FORMATS:
        return _MEASURE_FORMATS[ai[:3]]
    return _GENERIC


def _check_element(ai: str, value: str, payload: str, today: dt.date | None) -> None:
    fmt = _format_for(ai)
    if fmt is None:
        raise _bad(payload, f"({ai}) is not an assigned AI")
    charset, low, high = fmt
    if not low <= len(value) <= high:
        size = str(low) if low == high else f"{low} to {high}"
        raise _bad(payload, f"({ai}) {show(value)} must be {size} characters long")
    if charset == _NUM and not (value.isascii() and value.isdigit()):
        raise _bad(payload, f"({ai}) {show(value)} must be digits")
    if charset == _ALNUM and not _CSET82.fullmatch(value):
        raise _bad(payload, f"({ai}) {show(value)} has characters GS1 does not allow")
    if ai in _CHECKED_AIS and check_digit(value[:-1]) != int(value[-1]):
        raise code_error(
            f"({ai}) {value} in {show(payload)} has check digit {value[-1]}, expected "
            f"{check_digit(value[:-1])}; scan the code again",
            payload,
            "bad_check_digit",
        )
    if ai in _DATE_AIS:
        try:
            gs1_date(value, today)
        except ValueError as e:
            raise _bad(payload, f"({ai}) {e}") from None


def _add(out: dict[str, str], ai: str, value: str, payload: str) -> None:
    if out.get(ai, value) != value:
        raise _bad(payload, f"({ai}) appears twice with different values")
    out[ai] = value


# --- numbers carried in AIs ------------------------------------------------------------------


def scaled_int(digits: str, decimals: int, unit_decimals: int) -> int:
    """`digits` with `decimals` implied decimals, in units of 10**-unit_decimals, rounded half up.

    scaled_int("001234", 3, 3) == 1234 (1.234 kg in grams); scaled_int("12345", 4, 3) == 1235.
    """
    value = int(digits)
    shift = unit_decimals - decimals
    if shift >= 0:
        return value * int(10**shift)
    div = int(10**-shift)
    return (value + div // 2) // div


# --- GS1 Digital Link ------------------------------------------------------------------------

_DL_ALIASES = {"gtin": "01", "cpv": "22", "lot": "10", "ser": "21", "exp": "17"}
_DL_QUALIFIERS = ("22", "10", "21")


def parse_digital_link(url: str, *, today: dt.date | None = None) -> dict[str, str]:
    """The elements of a GS1 Digital Link URI with a GTIN as {AI: value}; (01) is 14 digits.

    Any host and path prefix: `https://id.gs1.org/01/09506000134352/10/ABC123?17=251231`.
    The path holds (01) and its qualifiers (22), (10), (21); query parameters that are AIs
    (numeric, or the aliases gtin/lot/ser/exp) are attributes, others are ignored.
    Raises CodeError: reason "bad_gs1", or "bad_check_digit" for a wrong GTIN check digit.
    """
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        raise _bad(url, "it is not a URL") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise _bad(url, "a Digital Link starts with http:// or https:// and a host")
    segments = parts.path.split("/")
    start = next((i for i, s in enumerate(segments) if _DL_ALIASES.get(s, s) == "01"), None)
    if start is None:
        raise _bad(url, "the path has no /01/<GTIN>")
    keyed = [unquote(s) for s in segments[start:]]
    if keyed and keyed[-1] == "":
        keyed.pop()  # a trailing slash
    if len(keyed) % 2:
        raise _bad(url, "the path must be /<AI>/<value> pairs")
    gtin = keyed[1]
    if len(gtin) not in (8, 12, 13, 14) or not (gtin.isascii() and gtin.isdigit()):
        raise _bad(url, f"(01) {show(gtin)} must be a GTIN of 8, 12, 13 or 14 digits")
    out: dict[str, str] = {"01": gtin.zfill(14)}
    for key, value in zip(keyed[2::2], keyed[3::2], strict=True):
        ai = _DL_ALIASES.get(key, key)
        if ai not in _DL_QUALIFIERS:
            raise _bad(url, f"/{key}/ is not a qualifier of a GTIN (22, 10 or 21)")
        _add(out, ai, value, url)
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        ai = _DL_ALIASES.get(key, key)
        is_ai = key in _DL_ALIASES or (key.isdigit() and _AI_LENGTH.get(ai[:2]) == len(ai))
        if is_ai and ai != "01":  # the GTIN is the path's; other parameters are not ours
            _add(out, ai, value, url)
    for ai, value in out.items():
        _check_element(ai, value, url, today)
    return out

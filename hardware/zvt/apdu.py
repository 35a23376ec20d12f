"""ZVT APDUs as pure data: bytes <-> messages, no I/O (protocols.md §4.1).

An APDU is `CLASS INSTR LEN DATA`. LEN is one byte for 0-254; longer data is `FF lo hi`, the
length LOW BYTE FIRST (as Portalum.Zvt decodes it). DATA is a command's fixed fields followed by
BMP fields `<tag><value>` whose tag decides the length: fixed BCD/binary, LLVAR/LLLVAR (`Fx Fy`
decimal digits), or a TLV container (BMP 06) with BER tags and lengths.

Every decoder raises only `hardware.errors.ProtocolError` on bad bytes. Amounts are int cents.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from hardware.errors import ProtocolError

ACK: Final = bytes.fromhex("800000")
ACK_ALSO: Final = bytes.fromhex("840000")  # accepted as positive too (protocols.md §4.1)
ACK_WAIT: Final = bytes.fromhex("849C00")  # "please wait": more time, keep waiting
EUR: Final = 978
SELF_CHECKOUT_CONFIG: Final = 0xBE  # ECR prints, sends 04 FF, controls payment and admin
MAX_AMOUNT_CENTS: Final = 999_999_999_999  # 6 BCD bytes

# Commands (CLASS, INSTR) by name, for readable dispatch and messages.
REGISTRATION: Final = b"\x06\x00"
AUTHORISATION: Final = b"\x06\x01"
COMPLETION: Final = b"\x06\x0f"
ABORT: Final = b"\x06\x1e"
ABORT_COMMAND: Final = b"\x06\xb0"
REPEAT_RECEIPT: Final = b"\x06\x20"
STATUS_INFORMATION: Final = b"\x04\x0f"
INTERMEDIATE_STATUS: Final = b"\x04\xff"
PRINT_LINE: Final = b"\x06\xd1"
PRINT_TEXT_BLOCK: Final = b"\x06\xd3"

# BMP tag -> value length: an int is a fixed length; "LL"/"LLL" are Fx Fy(/Fz) variable
# lengths; "TLV" is a BER-length container [src: wirelane/ecrterm ecrterm/packets/bitmaps.py].
BMP_FORMATS: Final[dict[int, int | str]] = {
    0x01: 1, 0x02: 1, 0x03: 1, 0x04: 6, 0x05: 1, 0x06: "TLV", 0x0B: 3, 0x0C: 3, 0x0D: 2,
    0x0E: 2, 0x17: 2, 0x19: 1, 0x22: "LL", 0x23: "LL", 0x24: "LLL", 0x27: 1, 0x29: 4,
    0x2A: 15, 0x2D: "LL", 0x2E: "LLL", 0x37: 3, 0x3A: 2, 0x3B: 8, 0x3C: "LLL", 0x3D: 3,
    0x49: 2, 0x60: "LLL", 0x87: 2, 0x88: 3, 0x8A: 1, 0x8B: "LL", 0x8C: 1, 0x92: "LLL",
    0x9A: "LLL", 0xA0: 1, 0xA7: "LL", 0xAA: 3, 0xAF: "LLL", 0xBA: 5, 0xD0: 1, 0xD1: "LL",
    0xD2: 1, 0xD3: 1, 0xE0: 1, 0xE9: 1, 0xEA: 1, 0xEB: 8, 0xF0: 1, 0xF9: 1, 0xFA: 1,
    0xFB: 1, 0xFC: 1,
    **{tag: "LL" for tag in range(0xE1, 0xE9)}, **{tag: "LL" for tag in range(0xF1, 0xF9)},
}
TEXT_ENCODING: Final = "cp437"  # the ZVT character set is close to code page 437 (verify)


@dataclass(frozen=True, slots=True)
class Apdu:
    """One ZVT APDU: `command` is the two bytes CLASS INSTR, `data` what follows LEN."""

    command: bytes
    data: bytes = b""

    def encode(self) -> bytes:
        return self.command + encode_length(len(self.data)) + self.data

    def __str__(self) -> str:
        return self.encode().hex(" ").upper()


def encode_length(length: int) -> bytes:
    """LEN: one byte below 255, else FF and two bytes low byte first."""
    if not 0 <= length <= 0xFFFF:
        raise ProtocolError(f"ZVT APDU data of {length} bytes is too long (at most 65535)")
    if length < 0xFF:
        return bytes([length])
    return b"\xff" + length.to_bytes(2, "little")


def header_length(buffer: bytes) -> tuple[int, int] | None:
    """(header bytes, data bytes) of the APDU starting `buffer`, or None until enough arrived."""
    if len(buffer) < 3:
        return None
    if buffer[2] != 0xFF:
        return 3, buffer[2]
    if len(buffer) < 5:
        return None
    return 5, int.from_bytes(buffer[3:5], "little")


def decode_apdu(raw: bytes) -> Apdu:
    """Exactly one APDU; ProtocolError when `raw` is shorter or longer than its LEN says."""
    size = header_length(raw)
    if size is None:
        raise ProtocolError(f"ZVT APDU {raw.hex(' ').upper()} is shorter than its header", raw)
    head, length = size
    if len(raw) != head + length:
        raise ProtocolError(
            f"ZVT APDU {raw[:8].hex(' ').upper()}... says {length} data bytes but carries "
            f"{len(raw) - head}", raw)
    return Apdu(bytes(raw[:2]), bytes(raw[head:]))


# -- BCD and variable lengths -------------------------------------------------------------------

def bcd_encode(value: int, size: int) -> bytes:
    """`value` as `size` bytes of packed BCD (2.99 € -> 00 00 00 00 02 99 for size 6)."""
    digits = f"{value:0{size * 2}d}"
    if value < 0 or len(digits) != size * 2:
        raise ProtocolError(f"{value} does not fit {size} BCD bytes")
    return bytes.fromhex(digits)


def bcd_digits(data: bytes) -> str:
    """Packed BCD as its digit string; ProtocolError on a nibble above 9."""
    text = data.hex()
    if not text.isdigit():
        raise ProtocolError(f"{data.hex(' ').upper()} is not BCD", data)
    return text


def bcd_int(data: bytes) -> int:
    return int(bcd_digits(data) or "0")


def masked_digits(data: bytes) -> str:
    """A PAN from BMP 22: digits as they are, E (masked) as '*', trailing F padding dropped."""
    text = data.hex().upper().rstrip("F")
    return text.replace("E", "*")


def encode_var(value: bytes, digits: int) -> bytes:
    """LLVAR (digits=2) or LLLVAR (digits=3): the length as `Fx Fy(Fz)` then the value."""
    text = f"{len(value):0{digits}d}"
    if len(text) != digits:
        raise ProtocolError(f"{len(value)} bytes do not fit a {'L' * digits}VAR")
    return bytes(0xF0 | int(ch) for ch in text) + value


def _var_length(data: bytes, pos: int, digits: int) -> int:
    head = data[pos:pos + digits]
    if len(head) != digits or any(b & 0xF0 != 0xF0 or b & 0x0F > 9 for b in head):
        raise ProtocolError(
            f"bad {'L' * digits}VAR length {head.hex(' ').upper()} (want Fx bytes, x 0-9)", data)
    return int("".join(str(b & 0x0F) for b in head))


# -- TLV (BER) ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Tlv:
    """One TLV element; `children` are decoded when the tag is constructed (bit 0x20)."""

    tag: int
    value: bytes
    children: tuple[Tlv, ...] = ()

    def find(self, tag: int) -> Tlv | None:
        return find_tlv(self.children, tag)


def find_tlv(elements: tuple[Tlv, ...], tag: int) -> Tlv | None:
    """The first element with `tag`, searching depth first."""
    for element in elements:
        if element.tag == tag:
            return element
        found = element.find(tag)
        if found is not None:
            return found
    return None


def encode_ber_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def encode_tlv(tag: int, value: bytes) -> bytes:
    return tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big") + encode_ber_length(
        len(value)) + value


def _ber_tag(data: bytes, pos: int) -> tuple[int, bool, int]:
    """(tag, constructed, next position)."""
    first = data[pos]
    tag, pos = first, pos + 1
    if first & 0x1F == 0x1F:  # multi-byte tag: continue while bit 8 is set
        while True:
            if pos >= len(data):
                raise ProtocolError("TLV tag runs past the end", data)
            tag = (tag << 8) | data[pos]
            pos += 1
            if not data[pos - 1] & 0x80:
                break
    return tag, bool(first & 0x20), pos


def _ber_length(data: bytes, pos: int) -> tuple[int, int]:
    if pos >= len(data):
        raise ProtocolError("TLV length missing", data)
    first = data[pos]
    if first < 0x80:
        return first, pos + 1
    count = first & 0x7F
    if count == 0 or count > 2 or pos + 1 + count > len(data):
        raise ProtocolError(f"bad TLV length byte {first:02X}", data)
    return int.from_bytes(data[pos + 1:pos + 1 + count], "big"), pos + 1 + count


def decode_tlv(data: bytes) -> tuple[Tlv, ...]:
    """A TLV list (BMP 06's content); ProtocolError when an element runs past the end."""
    elements: list[Tlv] = []
    pos = 0
    while pos < len(data):
        tag, constructed, pos = _ber_tag(data, pos)
        length, pos = _ber_length(data, pos)
        if pos + length > len(data):
            raise ProtocolError(f"TLV tag {tag:X} says {length} bytes, {len(data) - pos} left",
                                data)
        value = data[pos:pos + length]
        pos += length
        elements.append(Tlv(tag, value, decode_tlv(value) if constructed else ()))
    return tuple(elements)


def _tlv_container(data: bytes, pos: int) -> tuple[bytes, int]:
    length, start = _ber_length(data, pos)
    if start + length > len(data):
        raise ProtocolError(f"BMP 06 says {length} bytes, {len(data) - start} left", data)
    return data[start:start + length], start + length


# -- BMP fields ---------------------------------------------------------------------------------

def decode_bmps(data: bytes, *, lenient: bool = False) -> dict[int, bytes]:
    """BMP fields as {tag: value} (a TLV container's value is its content, undecoded).

    An unknown tag cannot be skipped (its length is unknown): it raises ProtocolError, or with
    `lenient=True` ends decoding there and keeps the fields before it (a PT may send BMPs newer
    than this table; the result code comes first, and that is what matters).
    """
    fields: dict[int, bytes] = {}
    pos = 0
    while pos < len(data):
        tag = data[pos]
        fmt = BMP_FORMATS.get(tag)
        if fmt is None:
            if lenient:
                break
            raise ProtocolError(f"unknown BMP {tag:02X} at byte {pos}", data)
        pos += 1
        if fmt == "TLV":
            fields[tag], pos = _tlv_container(data, pos)
            continue
        if isinstance(fmt, int):
            length = fmt
        else:
            digits = len(fmt)
            length = _var_length(data, pos, digits)
            pos += digits
        if pos + length > len(data):
            raise ProtocolError(f"BMP {tag:02X} wants {length} bytes, {len(data) - pos} left",
                                data)
        fields[tag] = data[pos:pos + length]
        pos += length
    return fields


def text(data: bytes) -> str:
    """PT text (card name, display and print lines) as str, trailing NULs dropped."""
    return data.rstrip(b"\x00").decode(TEXT_ENCODING)


# -- PT -> ECR messages -------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class StatusInformation:
    """04 0F: the transaction's result. Digits stay strings (leading zeros matter on receipts)."""

    result_code: int | None = None
    amount_cents: int | None = None
    trace_number: str = ""
    receipt_number: str = ""
    terminal_id: str = ""
    masked_pan: str = ""
    card_type: str = ""
    card_name: str = ""
    date_mmdd: str = ""
    time_hhmmss: str = ""
    currency: int | None = None
    text: str = ""  # BMP 3C additional text


def _optional_bcd(fields: dict[int, bytes], tag: int) -> str:
    return bcd_digits(fields[tag]) if tag in fields else ""


def parse_status_information(data: bytes) -> StatusInformation:
    """04 0F's data; lenient about BMPs newer than our table (see `decode_bmps`)."""
    fields = decode_bmps(data, lenient=True)
    try:
        card_name = text(fields[0x8B]) if 0x8B in fields else ""
        extra = text(fields[0x3C]) if 0x3C in fields else ""
    except UnicodeDecodeError as err:  # pragma: no cover - cp437 maps every byte
        raise ProtocolError(f"bad text in 04 0F: {err}", data) from err
    return StatusInformation(
        result_code=fields[0x27][0] if 0x27 in fields else None,
        amount_cents=bcd_int(fields[0x04]) if 0x04 in fields else None,
        trace_number=_optional_bcd(fields, 0x0B),
        receipt_number=_optional_bcd(fields, 0x87),
        terminal_id=_optional_bcd(fields, 0x29),
        masked_pan=masked_digits(fields[0x22]) if 0x22 in fields else "",
        card_type=str(fields[0x8A][0]) if 0x8A in fields else "",
        card_name=card_name,
        date_mmdd=_optional_bcd(fields, 0x0D),
        time_hhmmss=_optional_bcd(fields, 0x0C),
        currency=bcd_int(fields[0x49]) if 0x49 in fields else None,
        text=extra,
    )


@dataclass(frozen=True, slots=True)
class IntermediateStatus:
    """04 FF: `code` as sent, the PT's `timeout_s` for it if any, its display text if any."""

    code: int
    timeout_s: int | None = None
    text: str = ""


def _tlv_text(tlv: bytes) -> str:
    """Display text in a TLV container: every tag 07 (text line) inside, joined by newlines."""
    lines: list[str] = []

    def walk(elements: tuple[Tlv, ...]) -> None:
        for element in elements:
            if element.tag == 0x07:
                lines.append(text(element.value))
            walk(element.children)

    walk(decode_tlv(tlv))
    return "\n".join(lines)


def parse_intermediate_status(data: bytes) -> IntermediateStatus:
    """04 FF's data: `<status> [<timeout>] [06 <TLV>]`."""
    if not data:
        raise ProtocolError("04 FF without a status byte", data)
    timeout_s: int | None = None
    rest = data[1:]
    if rest and rest[0] != 0x06:
        timeout_s, rest = rest[0], rest[1:]
    fields = decode_bmps(rest, lenient=True)
    shown = _tlv_text(fields[0x06]) if 0x06 in fields else ""
    return IntermediateStatus(data[0], timeout_s, shown)


@dataclass(frozen=True, slots=True)
class AbortInformation:
    """06 1E: why the PT ended the transaction, and its own words if it sent them (TLV 1F17)."""

    result_code: int
    text: str = ""


def parse_abort(data: bytes) -> AbortInformation:
    """06 1E's data: `<result code> [06 <TLV>]`."""
    if not data:
        raise ProtocolError("06 1E without a result code", data)
    fields = decode_bmps(data[1:], lenient=True)
    words = ""
    if 0x06 in fields:
        found = find_tlv(decode_tlv(fields[0x06]), 0x1F17)
        words = text(found.value) if found is not None else ""
    return AbortInformation(data[0], words)


def parse_print_line(data: bytes) -> str:
    """06 D1's data: `<attribute><text>`; the attribute (size, last line) is not kept."""
    return text(data[1:]) if data else ""


# -- ECR -> PT commands -------------------------------------------------------------------------

def _password(password: str) -> bytes:
    if len(password) != 6 or not password.isdigit():
        raise ProtocolError(f"ZVT password {password!r} must be six digits")
    return bytes.fromhex(password)


def registration(password: str = "000000", config_byte: int = SELF_CHECKOUT_CONFIG,
                 currency: int = EUR) -> bytes:
    """06 00: password, config byte, currency (000000, BE, EUR -> 06 00 06 00 00 00 BE 09 78)."""
    return Apdu(REGISTRATION, _password(password) + bytes([config_byte])
                + bcd_encode(currency, 2)).encode()


def authorisation(amount_cents: int, currency: int | None = None) -> bytes:
    """06 01: BMP 04 amount (6 BCD bytes, cents) [, BMP 49 currency]."""
    if not 0 < amount_cents <= MAX_AMOUNT_CENTS:
        raise ProtocolError(f"amount {amount_cents} cents is outside 1..{MAX_AMOUNT_CENTS}")
    data = b"\x04" + bcd_encode(amount_cents, 6)
    if currency is not None:
        data += b"\x49" + bcd_encode(currency, 2)
    return Apdu(AUTHORISATION, data).encode()


def abort_command() -> bytes:
    """06 B0 00: stop the running transaction."""
    return Apdu(ABORT_COMMAND).encode()


def repeat_receipt(password: str = "000000") -> bytes:
    """06 20: the PT repeats its last transaction's 04 0F [06 D1 ...] 06 0F, or says 06 1E."""
    return Apdu(REPEAT_RECEIPT, _password(password)).encode()


def is_ack(raw: bytes) -> bool:
    """80 00 00, or 84 00 00 which terminals also send as a positive acknowledgement."""
    return raw in (ACK, ACK_ALSO)


def negative_ack_code(raw: bytes) -> int | None:
    """xx of a negative acknowledgement 84 xx 00 (not 84 00 or 84 9C), else None."""
    if len(raw) == 3 and raw[0] == 0x84 and raw[2] == 0 and raw not in (ACK_ALSO, ACK_WAIT):
        return raw[1]
    return None

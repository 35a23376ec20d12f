"""ZVT transport framing, pure: TCP reassembly and serial DLE STX frames (protocols.md §4.2).

TCP carries raw APDUs back to back; `ApduReassembler` cuts the stream into APDUs by their LEN,
whatever the read boundaries (split or coalesced). Serial wraps each APDU as
`DLE STX <APDU, every 10 doubled> DLE ETX CRC_lo CRC_hi`, CRC-16/KERMIT over the unstuffed APDU
plus ETX; the receiver answers one byte, ACK 06 or NAK 15. `FrameParser` turns serial bytes into
`Frame`, `BadFrame` (CRC wrong or frame garbled: answer NAK) and `Control` (a received ACK/NAK).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from hardware.zvt.apdu import header_length

DLE: Final = 0x10
STX: Final = 0x02
ETX: Final = 0x03
ACK_BYTE: Final = 0x06
NAK_BYTE: Final = 0x15
MAX_FRAME_BYTES: Final = 2 * (0xFFFF + 5) + 6  # a fully stuffed longest APDU, with framing


def crc16_kermit(data: bytes) -> int:
    """CRC-16/KERMIT: polynomial 0x1021 reflected (0x8408), initial value 0, no final XOR."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc


def stuff(data: bytes) -> bytes:
    """Double every DLE so the receiver cannot mistake data for DLE ETX."""
    return data.replace(b"\x10", b"\x10\x10")


def build_frame(apdu: bytes) -> bytes:
    """One serial frame for `apdu`; the CRC is sent low byte first."""
    crc = crc16_kermit(apdu + bytes([ETX]))
    return bytes([DLE, STX]) + stuff(apdu) + bytes([DLE, ETX]) + crc.to_bytes(2, "little")


class ApduReassembler:
    """APDUs out of a TCP byte stream: `feed(chunk)` returns the APDUs it completed."""

    def __init__(self) -> None:
        self._buffer = b""

    @property
    def pending(self) -> bytes:
        """Bytes of an APDU not yet complete."""
        return self._buffer

    def feed(self, chunk: bytes) -> list[bytes]:
        self._buffer += chunk
        apdus: list[bytes] = []
        while True:
            size = header_length(self._buffer)
            if size is None or len(self._buffer) < sum(size):
                return apdus
            total = sum(size)
            apdus.append(self._buffer[:total])
            self._buffer = self._buffer[total:]


@dataclass(frozen=True, slots=True)
class Frame:
    """A serial frame whose CRC was right: `apdu` unstuffed."""

    apdu: bytes


@dataclass(frozen=True, slots=True)
class BadFrame:
    """A frame that arrived damaged (the receiver answers NAK); `raw` for the log."""

    raw: bytes
    reason: str


@dataclass(frozen=True, slots=True)
class Control:
    """A single ACK (06) or NAK (15) byte outside a frame."""

    byte: int


SerialItem = Frame | BadFrame | Control


class FrameParser:
    """Incremental serial parser: bytes in, `Frame`/`BadFrame`/`Control` out, in order.

    Bytes outside a frame other than ACK/NAK are dropped (line noise); the parser resynchronises
    on the next DLE STX. Never raises: damage is a `BadFrame`, which the link answers with NAK.
    """

    def __init__(self) -> None:
        self._body = bytearray()
        self._in_frame = False
        self._dle = False  # the previous byte inside a frame was a DLE
        self._crc: bytearray | None = None  # collecting CRC bytes after DLE ETX
        self._pending_dle = False  # a DLE outside a frame: DLE STX may follow

    def feed(self, chunk: bytes) -> list[SerialItem]:
        items: list[SerialItem] = []
        for byte in chunk:
            item = self._step(byte)
            if item is not None:
                items.append(item)
        return items

    def _step(self, byte: int) -> SerialItem | None:
        if self._crc is not None:
            return self._crc_byte(byte)
        if self._in_frame:
            return self._frame_byte(byte)
        if self._pending_dle:
            self._pending_dle = False
            if byte == STX:
                self._in_frame, self._dle, self._body = True, False, bytearray()
                return None
        if byte == DLE:
            self._pending_dle = True
            return None
        if byte in (ACK_BYTE, NAK_BYTE):
            return Control(byte)
        return None  # noise between frames

    def _frame_byte(self, byte: int) -> SerialItem | None:
        if not self._dle:
            if byte == DLE:
                self._dle = True
            else:
                self._body.append(byte)
            return self._too_long()
        self._dle = False
        if byte == DLE:
            self._body.append(DLE)
            return self._too_long()
        if byte == ETX:
            self._crc = bytearray()
            return None
        raw = bytes(self._body)
        self._in_frame = False
        if byte == STX:  # a new frame started inside this one: the first was cut off
            self._in_frame, self._body = True, bytearray()
        return BadFrame(raw, f"DLE {byte:02X} inside a frame")

    def _too_long(self) -> SerialItem | None:
        if len(self._body) <= MAX_FRAME_BYTES:
            return None
        raw = bytes(self._body)
        self._in_frame, self._body = False, bytearray()
        return BadFrame(raw[:32], "frame longer than any APDU")

    def _crc_byte(self, byte: int) -> SerialItem | None:
        assert self._crc is not None
        self._crc.append(byte)
        if len(self._crc) < 2:
            return None
        got = int.from_bytes(self._crc, "little")
        self._crc, self._in_frame = None, False
        apdu = bytes(self._body)
        want = crc16_kermit(apdu + bytes([ETX]))
        if got != want:
            return BadFrame(apdu, f"CRC {got:04X}, expected {want:04X}")
        size = header_length(apdu)
        if size is None or sum(size) != len(apdu):
            return BadFrame(apdu, "APDU length does not match its LEN")
        return Frame(apdu)

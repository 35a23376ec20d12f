"""Mettler Toledo 8213/8217 POS protocol codec (scanner-scales), pure.

Line 9600 7E1. Requests are single ASCII letters without terminator: `W` weight, `Z` zero,
`T` tare, `C` clear tare. A valid weight is `STX WW.WWW CR` in kg (gross), `STX WW.WWW N CR` net;
an invalid weight (in motion, over capacity, under zero) is `STX ? <status> CR`, where the status
character is decoded as bits (protocols.md §3.1), never as letters.
"""

from __future__ import annotations

import re

from hardware.errors import ProtocolError
from hardware.scales import Reply, ScaleStatus, Weight, to_grams
from hardware.serial_port import LineSettings

NAME = "toledo"
SETTINGS = LineSettings(baudrate=9600, bytesize=7, parity="E", stopbits=1)
STX, CR = b"\x02", b"\r"
MAX_FRAME = 32  # longer than any reply: a run of garbage without CR is flushed as one bad frame

MOTION, OVER, UNDER, OUTSIDE_ZERO, CENTRE_ZERO, NET, ALWAYS = 1, 2, 4, 8, 16, 32, 64

_KG = re.compile(rb"\x02 *(\d+\.\d{3})(N?)\r")
_LB = re.compile(rb"\x02 *(\d+\.\d{2})(N?)\r")
_STATUS = re.compile(rb"\x02\?([\x00-\x7f])\r")


def weight_request() -> bytes:
    return b"W"


def zero_request() -> bytes:
    return b"Z"


def tare_request() -> bytes:
    return b"T"


def clear_tare_request() -> bytes:
    return b"C"


def split(buffer: bytes) -> tuple[list[bytes], bytes]:
    """Cut complete frames (STX ... CR) off `buffer`; bytes before an STX come out as a frame too,
    so garbage is reported and the next frame still decodes (resynchronisation)."""
    frames: list[bytes] = []
    while buffer:
        stx = buffer.find(STX)
        if stx > 0:
            frames.append(buffer[:stx])
            buffer = buffer[stx:]
            continue
        cr = buffer.find(CR, 1 if stx == 0 else 0)
        if cr < 0:
            break
        frames.append(buffer[: cr + 1])
        buffer = buffer[cr + 1:]
    if len(buffer) > MAX_FRAME:
        frames.append(buffer)
        buffer = b""
    return frames, buffer


def decode_status(char: int, frame: bytes = b"") -> ScaleStatus:
    """The status character's bits as one ScaleStatus (the most serious condition wins)."""
    if not char & ALWAYS:
        raise ProtocolError(f"Toledo status byte 0x{char:02X} lacks bit 6 (always 1)", frame)
    if char & OVER:
        return ScaleStatus.OVERWEIGHT
    if char & UNDER:
        return ScaleStatus.UNDER_ZERO
    if char & MOTION:
        return ScaleStatus.UNSTABLE
    if char & CENTRE_ZERO:
        return ScaleStatus.ZERO
    if char & OUTSIDE_ZERO:
        return ScaleStatus.NOT_READY  # e.g. a zero request refused: outside the capture range
    return ScaleStatus.STABLE


def decode(frame: bytes) -> Reply:
    """One frame as a stable `Weight` (Toledo only sends valid weights) or a `ScaleStatus`."""
    if m := _KG.fullmatch(frame):
        grams = to_grams(m[1].decode("ascii"), "kg", stable=True, frame=frame)
        return Weight(grams, stable=True, net=bool(m[2]))
    if _LB.fullmatch(frame):
        raise ProtocolError(
            f"Toledo scale sent pounds {frame!r}; set it to kg (German stores weigh in kg)", frame)
    if m := _STATUS.fullmatch(frame):
        return decode_status(m[1][0], frame)
    raise ProtocolError(f"Toledo scale sent an unknown frame {frame!r}; ignored", frame)

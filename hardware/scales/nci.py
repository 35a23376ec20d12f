"""NCI / Avery Weigh-Tronix General Serial Communications Protocol codec (SCP-01/-02/-12), pure.

Line 9600 7E1. Requests are ASCII + CR: `W` weight, `S` status, `Z` zero (replies with status).
Replies run from LF to ETX, in three variants (protocols.md §3.2):

* `LF <weight 6> <unit 2> CR LF S <status> CR ETX`  (SCP-02/-12)
* `LF <weight 6> <unit 2> CR LF <status> CR ETX`    (SCP-01: no `S`)
* `LF <weight 6> <unit 2> CR <status> ETX`           (seen by serial-nci-scale)

and `LF [S] <status> CR ETX` for status only. Status bytes carry flags in bits 0-3; bits 4-5 are
always 1; bit 6 of byte 2 (or 3) says another byte follows. Unknown commands reply `LF ? CR ETX`.
"""

from __future__ import annotations

import re

from hardware.errors import ProtocolError
from hardware.scales import Ack, Reply, ScaleStatus, Weight, to_grams
from hardware.serial_port import LineSettings

NAME = "nci"
SETTINGS = LineSettings(baudrate=9600, bytesize=7, parity="E", stopbits=1)
LF, ETX = b"\n", b"\x03"
MAX_FRAME = 40

_WEIGHT = rb"(?P<wt>[ 0-9.\-]{6})(?P<unit>[A-Za-z ]{2})\r\n?"
_STATUS = rb"S?(?P<st>[\x30-\x3f][\x30-\x3f\x70-\x7f][\x30-\x3f\x70-\x7f]?)\r?"
_FRAME = re.compile(rb"\n(?:" + _WEIGHT + rb")?" + _STATUS + rb"\x03")
_UNKNOWN = b"\n?\r\x03"


def weight_request() -> bytes:
    return b"W\r"


def status_request() -> bytes:
    return b"S\r"


def zero_request() -> bytes:
    return b"Z\r"


def split(buffer: bytes) -> tuple[list[bytes], bytes]:
    """Cut complete frames (LF ... ETX) off `buffer`; bytes before the LF that starts a frame are
    returned as a frame of their own (garbage), so the next reply still decodes."""
    frames: list[bytes] = []
    while buffer:
        etx = buffer.find(ETX)
        if etx < 0:
            break
        frame, buffer = buffer[: etx + 1], buffer[etx + 1:]
        start = frame.find(LF)
        if start > 0:
            frames.append(frame[:start])
            frame = frame[start:]
        frames.append(frame)
    if len(buffer) > MAX_FRAME:
        frames.append(buffer)
        buffer = b""
    return frames, buffer


def _flags(status: bytes, frame: bytes) -> tuple[int, int, int]:
    b1, b2 = status[0], status[1]
    b3 = status[2] if len(status) > 2 else 0x30
    if (len(status) > 2) != bool(b2 & 0x40):
        raise ProtocolError(
            f"NCI status {status!r}: byte 2 says {'a' if b2 & 0x40 else 'no'} byte follows", frame)
    return b1, b2, b3


def decode(frame: bytes) -> Reply:
    """One frame as a `Weight` (stable unless in motion), a `ScaleStatus`, or an Ack refusal."""
    if frame == _UNKNOWN:
        return Ack("?", accepted=False, detail="scale did not understand the command")
    m = _FRAME.fullmatch(frame)
    if m is None:
        raise ProtocolError(f"NCI scale sent an unknown frame {frame!r}; ignored", frame)
    b1, b2, b3 = _flags(m["st"], frame)
    if b1 & 0x0C or b2 & 0x0C:
        return ScaleStatus.ERROR  # RAM/EEPROM (byte 1), ROM/calibration (byte 2)
    if b2 & 0x02:
        return ScaleStatus.OVERWEIGHT
    if b2 & 0x01:
        return ScaleStatus.UNDER_ZERO
    motion = bool(b1 & 0x01)
    if m["wt"] is not None:
        grams = to_grams(m["wt"].decode("ascii"), m["unit"].decode("ascii"),
                         stable=not motion, frame=frame)
        return Weight(grams, stable=not motion, net=bool(b3 & 0x04))
    if motion:
        return ScaleStatus.UNSTABLE
    return ScaleStatus.ZERO if b1 & 0x02 else ScaleStatus.STABLE

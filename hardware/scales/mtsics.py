"""Mettler Toledo MT-SICS codec (standalone balances and bagging scales), pure.

Line 9600 8N1; every request and reply ends with CR LF. Replies are
`<command> <status> [value field] [unit]`: `S S      1.234 kg` stable, `S D ...` dynamic,
`S I` not executable (busy / no stability in time), `S +` overload, `S -` underload; `Z A` zeroed,
`Z I`/`Z +`/`Z -` refused; `ZI S`/`ZI D` zeroed at once; `ES`/`ET`/`EL` general errors.
`SIR` makes the balance repeat the `SI` reply continuously (live weight).
"""

from __future__ import annotations

import re

from hardware.errors import ProtocolError
from hardware.scales import Ack, Reply, ScaleStatus, Weight, to_grams
from hardware.serial_port import LineSettings

NAME = "mtsics"
SETTINGS = LineSettings(baudrate=9600, bytesize=8, parity="N", stopbits=1)
EOL = b"\r\n"
MAX_FRAME = 80

_WEIGHT = re.compile(r"S ([SD]) +(-?[0-9.]+) +([A-Za-z]+)")
_WEIGHT_STATUS = {"I": ScaleStatus.NOT_READY, "+": ScaleStatus.OVERWEIGHT,
                  "-": ScaleStatus.UNDER_ZERO}
_ACK = re.compile(r"(Z|ZI|T|TA|TAC|@|I\d) ([ASDI+\-])(?: +(.*))?")
_ACCEPTED = {"A", "S", "D"}  # Z A, ZI S/D, T S, I4 A ...
_ERRORS = {"ES": "syntax error (command not known)",
           "ET": "transmission error (parity or overflow)",
           "EL": "logical error (command cannot be executed)"}


def _request(command: str) -> bytes:
    return command.encode("ascii") + EOL


def weight_request() -> bytes:
    """`S`: the next stable weight (the balance waits for stability)."""
    return _request("S")


def immediate_request() -> bytes:
    """`SI`: the weight now, stable or dynamic."""
    return _request("SI")


def repeat_request() -> bytes:
    """`SIR`: the `SI` reply over and over until reset (`@`)."""
    return _request("SIR")


def zero_request() -> bytes:
    return _request("Z")


def tare_request() -> bytes:
    return _request("T")


def reset_request() -> bytes:
    """`@`: cancel everything (including SIR) and reply with the serial number."""
    return _request("@")


def split(buffer: bytes) -> tuple[list[bytes], bytes]:
    """Cut complete lines (ending LF) off `buffer`; an over-long line is flushed as garbage."""
    frames: list[bytes] = []
    while (lf := buffer.find(b"\n")) >= 0:
        frames.append(buffer[: lf + 1])
        buffer = buffer[lf + 1:]
    if len(buffer) > MAX_FRAME:
        frames.append(buffer)
        buffer = b""
    return frames, buffer


def decode(frame: bytes) -> Reply:
    """One reply line as a `Weight`, a `ScaleStatus` or an `Ack`."""
    if not frame.endswith(EOL):
        raise ProtocolError(f"MT-SICS balance sent a line without CR LF {frame!r}; ignored", frame)
    try:
        text = frame[:-2].decode("ascii")
    except UnicodeDecodeError as err:
        raise ProtocolError(f"MT-SICS balance sent non-ASCII bytes {frame!r}; ignored",
                            frame) from err
    if m := _WEIGHT.fullmatch(text):
        stable = m[1] == "S"
        return Weight(to_grams(m[2], m[3], stable=stable, frame=frame), stable=stable)
    if text.startswith("S ") and text[2:] in _WEIGHT_STATUS:
        return _WEIGHT_STATUS[text[2:]]
    if text in _ERRORS:
        raise ProtocolError(f"MT-SICS balance replied {text}: {_ERRORS[text]}", frame)
    if m := _ACK.fullmatch(text):
        return Ack(m[1], accepted=m[2] in _ACCEPTED, detail=(m[3] or "").strip())
    raise ProtocolError(f"MT-SICS balance sent an unknown reply {frame!r}; ignored", frame)

"""Serial and USB-CDC barcode scanners: a pure framing codec and a thin driver.

Wire format (protocols.md §2.1): `[STX][AIM id][data]<CR | LF | CRLF>`. The STX prefix is
optional, the AIM symbology identifier (ISO/IEC 15424, `]` + code char + modifier, e.g. `]E0`
for EAN-13) is split off when present, and GS (0x1D) separators inside GS1 data are kept.

`ScanFramer` is the codec: bytes in (any chunking), `ScanData` or `ProtocolError` out, never a
raise. `BarcodeScanner` is the driver: a `SerialDevice` that emits `DataEvent(name, ScanData)` per
label and `ErrorEvent(name, ProtocolError)` for garbage, then carries on with the next label.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hardware.device import DataEvent, ErrorEvent
from hardware.errors import DeviceConfigError, ProtocolError
from hardware.serial_port import LineSettings, SerialDevice

STX = 0x02
CR = 0x0D
LF = 0x0A
MAX_FRAME_BYTES = 512  # longer than any GS1 symbol a POS reads; beyond it the line is noise

# Control characters that belong inside barcode data: GS separates GS1 fields (FNC1); FS and RS
# appear in ISO/IEC 15434 envelopes (DataMatrix). Everything else below 0x20 is line noise.
ALLOWED_CONTROLS = frozenset({"\x1c", "\x1d", "\x1e"})

SYMBOLOGIES = {
    "]E0": "EAN-13/UPC",
    "]E1": "EAN/UPC add-on (2)",
    "]E2": "EAN/UPC add-on (5)",
    "]E3": "EAN/UPC with add-on",
    "]E4": "EAN-8",
    "]C0": "Code 128",
    "]C1": "GS1-128",
    "]e0": "GS1 DataBar",
    "]d1": "Data Matrix",
    "]d2": "GS1 DataMatrix",
    "]Q1": "QR Code",
    "]Q3": "GS1 QR Code",
    "]I1": "ITF-14",
    "]A0": "Code 39",
    "]J1": "GS1 DotCode",
}


@dataclass(frozen=True, slots=True)
class ScanData:
    """One label as read: `raw` the frame bytes (without terminator), `text` the payload only,
    `aim` the AIM symbology id (`"]E0"`) or None, `source` which kind of reader ("serial",
    "wedge", "camera")."""

    raw: bytes
    text: str
    aim: str | None
    source: str

    @property
    def symbology(self) -> str | None:
        """A readable symbology name from the AIM id ("EAN-13/UPC"), or None when unknown."""
        return SYMBOLOGIES.get(self.aim) if self.aim else None


def split_aim(text: str) -> tuple[str | None, str]:
    """Split `]Xm` off the front: returns (aim, payload); (None, text) when there is none."""
    if len(text) >= 3 and text[0] == "]" and text[1].isascii() and text[1].isalpha() \
            and text[2].isascii() and text[2].isalnum():
        return text[:3], text[3:]
    return None, text


class ScanFramer:
    """Turns scanner bytes, in chunks of any size, into labels.

    `feed(chunk)` returns, in order, a `ScanData` per complete label and a `ProtocolError` per
    bad frame (undecodable bytes, control characters, a line over `max_frame_bytes` without a
    terminator). After an error it resynchronises at the next CR or LF. `label` names the device
    and port in error messages.
    """

    def __init__(self, source: str = "serial", *, label: str = "scanner",
                 max_frame_bytes: int = MAX_FRAME_BYTES) -> None:
        self.source = source
        self.label = label
        self.max_frame_bytes = max_frame_bytes
        self._buf = bytearray()
        self._after_cr = False  # the last frame ended in CR: a following LF is its CRLF tail
        self._discarding = False  # inside an over-long line: drop bytes until the terminator

    def reset(self) -> None:
        """Forget a partial frame (on reopen, bytes from before the outage mean nothing)."""
        self._buf.clear()
        self._after_cr = False
        self._discarding = False

    def feed(self, chunk: bytes) -> list[ScanData | ProtocolError]:
        """Consume `chunk`; return the labels and errors it completes."""
        out: list[ScanData | ProtocolError] = []
        for byte in chunk:
            if byte == LF and self._after_cr:
                self._after_cr = False
                continue
            self._after_cr = byte == CR
            if byte in (CR, LF):
                if self._discarding:
                    self._discarding = False
                else:
                    item = self._frame(bytes(self._buf))
                    if item is not None:
                        out.append(item)
                self._buf.clear()
            elif not self._discarding:
                self._buf.append(byte)
                if len(self._buf) > self.max_frame_bytes:
                    out.append(ProtocolError(
                        f"{self.label}: {len(self._buf)} bytes without a CR or LF "
                        f"(starting {bytes(self._buf[:16])!r}); check that the scanner sends a "
                        "CR suffix and the line settings match", bytes(self._buf)))
                    self._buf.clear()
                    self._discarding = True
        return out

    def _frame(self, raw: bytes) -> ScanData | ProtocolError | None:
        body = raw[1:] if raw[:1] == bytes((STX,)) else raw
        if not body:
            return None  # a bare terminator (or STX + terminator): nothing was scanned
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return ProtocolError(
                f"{self.label}: undecodable bytes {raw!r}; check the line settings (baud, "
                "parity) and that the scanner sends UTF-8/ASCII", raw)
        bad = [c for c in text if _is_noise(c)]
        if bad:
            return ProtocolError(
                f"{self.label}: control character {bad[0]!r} in {raw!r}; check the line "
                "settings and the scanner's prefix/suffix programming", raw)
        aim, payload = split_aim(text)
        if not payload:
            return ProtocolError(
                f"{self.label}: AIM id {aim} with no data in {raw!r}; rescan the item", raw)
        return ScanData(raw=raw, text=payload, aim=aim, source=self.source)


def _is_noise(char: str) -> bool:
    code = ord(char)
    is_control = code < 0x20 or 0x7F <= code <= 0x9F
    return is_control and char not in ALLOWED_CONTROLS


class BarcodeScanner(SerialDevice):
    """A scanner on a serial or USB-CDC port (`url`: a path, a udev symlink or a pyserial URL).

    Emits `DataEvent(name, ScanData)` per label and `ErrorEvent(name, ProtocolError)` for
    garbage. Line settings default to 9600 8N1 (USB-CDC ignores them).
    """

    def __init__(self, name: str, url: str, settings: LineSettings | None = None,
                 source: str = "serial") -> None:
        super().__init__(name, url, settings)
        self.source = source
        self._framer = ScanFramer(source, label=f"{name} on {url}")

    @classmethod
    def from_config(cls, name: str, cfg: Mapping[str, object]) -> BarcodeScanner:
        """Build from a config table: `port` (required), `baudrate`, `bytesize`, `parity`,
        `stopbits` (9600 8N1 when absent)."""
        port = cfg.get("port")
        if not isinstance(port, str) or not port:
            raise DeviceConfigError(
                f"{name}: 'port' must be a device path such as /dev/kiosk-scanner, got {port!r}")
        return cls(name, port, line_settings(name, cfg))

    async def _open(self) -> None:
        self._framer.reset()
        await super()._open()

    def _received(self, data: bytes) -> None:
        for item in self._framer.feed(data):
            if isinstance(item, ProtocolError):
                self._emit(ErrorEvent(self.name, item))
            else:
                self._emit(DataEvent(self.name, item))


def line_settings(name: str, cfg: Mapping[str, object]) -> LineSettings:
    """LineSettings from a config table (`baudrate`, `bytesize`, `parity`, `stopbits`)."""
    defaults = LineSettings()
    baudrate = cfg.get("baudrate", defaults.baudrate)
    bytesize = cfg.get("bytesize", defaults.bytesize)
    parity = cfg.get("parity", defaults.parity)
    stopbits = cfg.get("stopbits", defaults.stopbits)
    if isinstance(baudrate, bool) or not isinstance(baudrate, int) or baudrate <= 0:
        raise DeviceConfigError(f"{name}: baudrate must be a positive integer, got {baudrate!r}")
    if not isinstance(bytesize, int):
        raise DeviceConfigError(f"{name}: bytesize must be 5, 6, 7 or 8, got {bytesize!r}")
    if not isinstance(parity, str):
        raise DeviceConfigError(f"{name}: parity must be \"N\", \"E\" or \"O\", got {parity!r}")
    if not isinstance(stopbits, int | float):
        raise DeviceConfigError(f"{name}: stopbits must be 1, 1.5 or 2, got {stopbits!r}")
    try:
        return LineSettings(baudrate, bytesize, parity.upper(), stopbits)
    except DeviceConfigError as err:
        raise DeviceConfigError(f"{name}: {err}; fix the [devices] table") from err

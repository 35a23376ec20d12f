"""ESC/POS receipt printer: a pure renderer (document -> bytes) and a thin status-aware driver.

`render(items)` turns a document of `Text`, `Rule`, `QR`, `Feed` and `Cut` items into the exact
bytes an Epson-compatible printer takes (protocols.md §5): init `1B 40`, the code page pinned
with `1B 74 n` (CP858 = 19: CP850 plus €), style changes only where they change, text in that
code page (a character it lacks prints as '?', control characters too, so text can never smuggle
in a command), QR codes with GS ( k as python-escpos 3.1 emits them, and a cut that first feeds
the last line past the knife (`1B 64 06 1D 56 00`, python-escpos' `cut()`).

`ReceiptPrinter` prints on a serial port (a device path or udev symlink), on
"tcp://host:9100" (raw socket; the same status queries) or on "file:///path" (the demo: bytes
are appended, the status is always fine). Real-time status `DLE EOT n` (`10 04 n`) is asked for
before every print and every `status_interval_s` while open; a change is a `StatusEvent`:
"paper_near_end", "paper_out", "cover_open", "online", or "offline" (the printer stopped
answering: the Supervisor then reopens it, and the reopen fails until it answers again).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import termios
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import serial
from escpos import constants as esc

from hardware.device import DeviceState, ErrorEvent, StatusEvent
from hardware.errors import (
    DeviceConfigError,
    DeviceOfflineError,
    HardwareError,
    ProtocolError,
)
from hardware.serial_port import LineSettings, SerialDevice

log = logging.getLogger(__name__)

# -- the document --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Text:
    """One line of text (a "\\n" inside starts a new line). `size` is "normal" or "double"
    (twice as wide and tall: half the columns); `align` is "left", "center" or "right"."""

    text: str
    bold: bool = False
    align: str = "left"
    size: str = "normal"


@dataclass(frozen=True, slots=True)
class Rule:
    """A full-width line of `char` (one column wide)."""

    char: str = "-"


@dataclass(frozen=True, slots=True)
class QR:
    """A centred QR code of `data` (UTF-8), `size` = module size in dots (1-16)."""

    data: str
    size: int = 4


@dataclass(frozen=True, slots=True)
class Feed:
    """Feed `lines` empty lines (0-255)."""

    lines: int = 1


@dataclass(frozen=True, slots=True)
class Cut:
    """Feed the last line past the knife and cut the paper fully."""


PrintItem = Text | Rule | QR | Feed | Cut

# Code page numbers for ESC t n, from python-escpos' "default" (Epson) profile.
CODEPAGES = {"CP437": 0, "CP850": 2, "CP1252": 16, "CP852": 18, "CP858": 19}
ALIGN = {"left": 0, "center": 1, "centre": 1, "right": 2}
SIZE = {"normal": 0x00, "double": 0x11}  # GS ! n: high nibble width-1, low nibble height-1
QR_MAX_BYTES = 7089  # the largest QR code (version 40, ECC L) holds this many bytes
CUT = b"\x1b\x64\x06" + esc.PAPER_FULL_CUT  # python-escpos cut(): feed 6 lines, full cut


def _clean(text: str) -> str:
    """Control characters (ESC, DLE, ...) become '?': printed text never becomes a command."""
    return "".join(ch if ch >= " " and ch != "\x7f" else "?" for ch in text)


def qr_bytes(data: str, size: int = 4) -> bytes:
    """GS ( k for a model-2 QR with ECC L, module `size` (clamped to 1-16), then print it.

    Raises ProtocolError when `data` is longer than any QR code holds (7,089 bytes).
    """
    payload = data.encode("utf-8")
    if len(payload) > QR_MAX_BYTES:
        raise ProtocolError(f"QR data of {len(payload)} bytes is longer than a QR code holds "
                            f"({QR_MAX_BYTES}); shorten it", payload[:32])

    def fn(function: bytes, body: bytes) -> bytes:
        length = len(body) + 2  # cn and fn count, pL/pH do not
        return b"\x1d(k" + bytes((length & 0xFF, length >> 8)) + b"1" + function + body

    module = max(1, min(16, int(size)))
    # Model and error level go as ASCII digits ("2" = model 2, "0" = level L), as in escpos.
    return (fn(b"A", bytes((48 + esc.QR_MODEL_2, 0))) + fn(b"C", bytes((module,)))
            + fn(b"E", bytes((48 + esc.QR_ECLEVEL_L,))) + fn(b"P", b"0" + payload)
            + fn(b"Q", b"0"))


class _Renderer:
    """Builds the bytes, tracking the printer's style so only changes are sent."""

    def __init__(self, columns: int, page: str) -> None:
        self.columns = columns
        self.page = page
        self.out = bytearray(esc.HW_INIT + b"\x1bt" + bytes((CODEPAGES[page],)))
        self.align, self.bold, self.size = 0, False, 0  # the printer's state after init

    def style(self, align: int, bold: bool, size: int) -> None:
        if align != self.align:
            self.out += b"\x1ba" + bytes((align,))
        if bold != self.bold:
            self.out += esc.TXT_STYLE["bold"][bold]
        if size != self.size:
            self.out += b"\x1d!" + bytes((size,))
        self.align, self.bold, self.size = align, bold, size

    def line(self, text: str) -> None:
        self.out += _clean(text).encode(self.page, errors="replace") + b"\n"

    def item(self, item: PrintItem) -> None:
        if isinstance(item, Text):
            self.style(ALIGN.get(item.align, 0), bool(item.bold), SIZE.get(item.size, 0))
            for part in item.text.split("\n"):
                self.line(part)
        elif isinstance(item, Rule):
            self.style(0, False, 0)
            self.line((item.char or "-")[0] * max(1, self.columns))
        elif isinstance(item, QR):
            self.style(1, False, 0)
            self.out += qr_bytes(item.data, item.size)
        elif isinstance(item, Feed):
            self.out += b"\x1bd" + bytes((max(0, min(255, int(item.lines))),))
        elif isinstance(item, Cut):
            self.out += CUT


def render(items: Sequence[PrintItem], *, columns: int = 48, codepage: str = "CP858") -> bytes:
    """The document as ESC/POS bytes: init, code page, then each item (pure, no I/O).

    Styles are emitted only when they change. Never raises for any text; raises
    DeviceConfigError for an unknown `codepage` and ProtocolError for an oversized QR code.
    """
    page = codepage.upper()
    if page not in CODEPAGES:
        raise DeviceConfigError(f"printer code page {codepage!r} is not supported; "
                                f"use one of {sorted(CODEPAGES)}")
    renderer = _Renderer(columns, page)
    for item in items:
        renderer.item(item)
    return bytes(renderer.out)


# -- status --------------------------------------------------------------------------------

STATUS_QUERIES = (1, 2, 4)  # printer, offline cause, roll paper (DLE EOT n)


@dataclass(frozen=True, slots=True)
class PrinterStatus:
    """What the printer says: answering and online, cover open, paper "ok"/"near_end"/"out"."""

    online: bool
    cover_open: bool = False
    paper: str = "ok"

    @property
    def can_print(self) -> bool:
        """True unless offline, cover open or paper out (near the end still prints)."""
        return self.online and not self.cover_open and self.paper != "out"

    @property
    def key(self) -> str:
        """The StatusEvent key: cover_open, paper_out, offline, paper_near_end or online."""
        if self.cover_open:
            return "cover_open"
        if self.paper == "out":
            return "paper_out"
        if not self.online:
            return "offline"
        return "paper_near_end" if self.paper == "near_end" else "online"

    def problem(self) -> str:
        """"" when it can print, else a plain sentence: "paper out", "cover open", ..."""
        return {"cover_open": "cover open", "paper_out": "paper out",
                "offline": "printer offline"}.get(self.key, "")


OK_STATUS = PrinterStatus(online=True)
OFFLINE_STATUS = PrinterStatus(online=False)
WHAT_TO_DO = {"cover_open": "close the cover", "paper_out": "load a new roll",
              "offline": "check its power and cable"}


def is_status_byte(byte: int) -> bool:
    """A DLE EOT reply has bits 1 and 4 set and bits 0 and 7 clear."""
    return byte & 0x93 == 0x12


def decode_status(printer: int, cause: int, paper: int) -> PrinterStatus:
    """PrinterStatus from the replies to DLE EOT 1, 2 and 4 (python-escpos' masks)."""
    for byte in (printer, cause, paper):
        if not is_status_byte(byte):
            raise ProtocolError(f"printer status byte {byte:#04x} is not a DLE EOT reply",
                                bytes((byte,)))
    roll = "out" if paper & 0x60 else "near_end" if paper & 0x0C else "ok"
    return PrinterStatus(online=not printer & 0x08, cover_open=bool(cause & 0x04), paper=roll)


# -- the driver ----------------------------------------------------------------------------


class PrinterNotReadyError(HardwareError, RuntimeError):
    """The printer answers but cannot print now (paper out, cover open); `status` says why."""

    def __init__(self, message: str, status: PrinterStatus) -> None:
        super().__init__(message)
        self.status = status


class ReceiptPrinter(SerialDevice):
    """An ESC/POS printer on a serial port, "tcp://host:port" or "file:///path" (see module)."""

    def __init__(self, name: str, url: str, *, columns: int = 48, codepage: str = "CP858",
                 status_interval_s: float = 2.0, timeout_s: float = 0.2,
                 settings: LineSettings | None = None) -> None:
        if codepage.upper() not in CODEPAGES:
            raise DeviceConfigError(f"Printer '{name}' on {url}: code page {codepage!r} is not "
                                    f"supported; use one of {sorted(CODEPAGES)}")
        self.address = url  # as configured, for messages
        self.file_path: Path | None = None
        if url.startswith("file://"):
            self.file_path = Path(url.removeprefix("file://"))
        elif url.startswith("tcp://"):
            url = "socket://" + url.removeprefix("tcp://")
        super().__init__(name, url, settings)
        self.columns = columns
        self.codepage = codepage
        self.status_interval_s = status_interval_s
        self.timeout_s = timeout_s
        self.last_status: PrinterStatus | None = None
        self._lock = asyncio.Lock()  # one conversation with the printer at a time
        self._replies: asyncio.Queue[int] = asyncio.Queue()
        self._poller: asyncio.Task[None] | None = None

    # -- lifecycle --

    async def _open(self) -> None:
        if self.file_path is not None:
            if not self.file_path.parent.is_dir():
                raise DeviceOfflineError(f"Printer '{self.name}' on {self.address}: folder "
                                         f"{self.file_path.parent} does not exist; create it")
            return
        self._replies = asyncio.Queue()
        await super()._open()
        status = await self._query()
        if status.key == "offline":
            await super()._close()
            raise DeviceOfflineError(f"Printer '{self.name}' on {self.address}: does not answer "
                                     "status queries; check its power and cable")
        self.last_status = status
        if status.key != "online":
            self._emit(StatusEvent(self.name, status.key, status.problem()))
        self._poller = asyncio.get_running_loop().create_task(
            self._poll(), name=f"printer-status:{self.name}")

    async def _close(self) -> None:
        poller, self._poller = self._poller, None
        if poller is not None and poller is not asyncio.current_task():
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller
        if self.file_path is None:
            await super()._close()

    # -- status --

    def _received(self, data: bytes) -> None:
        for byte in data:
            if is_status_byte(byte):
                self._replies.put_nowait(byte)
            else:  # line noise: report it and wait for the next real reply
                self._emit(ErrorEvent(self.name, ProtocolError(
                    f"Printer '{self.name}' on {self.address}: byte {byte:#04x} is not a status "
                    "reply; ignored (check the cable and baud rate)", bytes((byte,)))))

    async def _query(self) -> PrinterStatus:
        """Ask DLE EOT 1, 2, 4 in turn; OFFLINE_STATUS when a reply does not come in time."""
        while not self._replies.empty():  # a late reply to an earlier query
            self._replies.get_nowait()
        replies: list[int] = []
        for n in STATUS_QUERIES:
            try:
                await asyncio.to_thread(self._send, b"\x10\x04" + bytes((n,)))
                replies.append(await asyncio.wait_for(self._replies.get(), self.timeout_s))
            except (TimeoutError, DeviceOfflineError, serial.SerialException, OSError,
                    termios.error):
                return OFFLINE_STATUS
        return decode_status(*replies)

    async def status(self) -> PrinterStatus:
        """The printer's status now (offline when it does not answer within timeout_s)."""
        self.check_open()
        if self.file_path is not None:
            return OK_STATUS
        async with self._lock:
            return await self._query()

    async def _poll(self) -> None:
        while self.is_open:
            await asyncio.sleep(self.status_interval_s)
            if not self.is_open:
                return
            self._noticed(await self.status())

    def _noticed(self, status: PrinterStatus) -> None:
        """Emit a StatusEvent when the status key changed; offline hands over to the Supervisor."""
        before = self.last_status
        self.last_status = status
        if before is not None and before.key == status.key:
            return
        if status.key == "offline":
            self._went_offline(f"{self.address}: printer does not answer")
            return
        self._emit(StatusEvent(self.name, status.key, status.problem()))

    # -- printing --

    async def print_items(self, items: Sequence[PrintItem]) -> None:
        """Render `items` and send them, after checking the status.

        Raises PrinterNotReadyError (paper out, cover open) or DeviceOfflineError (no answer,
        port gone), each naming the printer, its port and what to do.
        """
        self.check_open()
        data = render(items, columns=self.columns, codepage=self.codepage)
        async with self._lock:
            status = OK_STATUS if self.file_path is not None else await self._query()
            if not status.can_print:
                self._noticed(status)
                message = (f"Printer '{self.name}' on {self.address}: {status.problem()}; "
                           f"{WHAT_TO_DO[status.key]}")
                if status.key == "offline":
                    raise DeviceOfflineError(message)
                raise PrinterNotReadyError(message, status)
            self._state = DeviceState.BUSY
            try:
                await asyncio.to_thread(self._send, data)
            except (serial.SerialException, OSError, termios.error) as err:
                self._went_offline(f"{self.address}: write failed: {err}")
                raise DeviceOfflineError(f"Printer '{self.name}' on {self.address}: write "
                                         f"failed ({err}); check its cable") from err
            finally:
                if self._state is DeviceState.BUSY:
                    self._state = DeviceState.IDLE

    def _send(self, data: bytes) -> None:
        """Blocking write (run in a thread): the port, or append to the demo file."""
        if self.file_path is not None:
            with self.file_path.open("ab") as f:
                f.write(data)
            return
        port = self._port
        if port is None:
            raise DeviceOfflineError(f"Printer '{self.name}' on {self.address} is not open")
        port.write(data)
        port.flush()

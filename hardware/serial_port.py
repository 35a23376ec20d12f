"""Serial transport shared by scanners and scales: any pyserial URL, a reader thread, a loop.

Ports are `serial.serial_for_url` strings, so a device path (`/dev/ttyACM0`, a udev symlink such
as `/dev/kiosk-scanner`), a pty path from a simulator, or `socket://127.0.0.1:port` all work.
Reads happen in a thread with a short timeout and are posted to the asyncio loop; a vanished port
(unplugged USB, closed pty, dropped socket) ends the thread and reports the device offline.
"""

from __future__ import annotations

import contextlib
import logging
import termios
import threading
from abc import abstractmethod
from dataclasses import dataclass

import serial

from hardware.device import Device
from hardware.errors import DeviceClosedError, DeviceConfigError, DeviceOfflineError

log = logging.getLogger(__name__)

READ_TIMEOUT_S = 0.05  # how often the reader thread looks at its stop flag
READ_CHUNK = 256


@dataclass(frozen=True, slots=True)
class LineSettings:
    """Serial line settings: 9600 8N1 by default; Toledo and NCI scales use 9600 7E1."""

    baudrate: int = 9600
    bytesize: int = 8
    parity: str = "N"  # N, E, O
    stopbits: float = 1

    def __post_init__(self) -> None:
        if self.bytesize not in (5, 6, 7, 8):
            raise DeviceConfigError(f"bytesize {self.bytesize} must be 5, 6, 7 or 8")
        if self.parity not in ("N", "E", "O", "M", "S"):
            raise DeviceConfigError(f"parity {self.parity!r} must be N, E or O")
        if self.stopbits not in (1, 1.5, 2):
            raise DeviceConfigError(f"stopbits {self.stopbits} must be 1, 1.5 or 2")

    def frame_bits(self) -> int:
        """Bits on the wire per byte: start + data + parity + stop (for wire-time figures)."""
        return 1 + self.bytesize + (0 if self.parity == "N" else 1) + int(self.stopbits + 0.5)


class SerialDevice(Device):
    """A device on a serial port: opens `url`, feeds received bytes to `_received` on the loop.

    Subclasses implement `_received(data)` (run on the loop's thread, in order) and use
    `_write(data)` to send.
    """

    def __init__(self, name: str, url: str, settings: LineSettings | None = None) -> None:
        super().__init__(name)
        if not url:
            raise DeviceConfigError(f"{name}: no port given; set a device path or socket:// URL")
        self.url = url
        self.settings = settings or LineSettings()
        self._port: serial.SerialBase | None = None
        self._reader: threading.Thread | None = None
        self._stop = threading.Event()

    async def _open(self) -> None:
        s = self.settings
        try:
            port = serial.serial_for_url(
                self.url, baudrate=s.baudrate, bytesize=s.bytesize, parity=s.parity,
                stopbits=s.stopbits, timeout=READ_TIMEOUT_S, write_timeout=1.0,
                exclusive=True if not self.url.startswith(("socket://", "loop://")) else None,
            )
        except (serial.SerialException, OSError, ValueError, termios.error) as err:
            # termios.error: the port refuses these line settings (a pty refuses 7E1 here).
            raise DeviceOfflineError(f"{self.name}: cannot open {self.url}: {err}") from err
        self._port = port
        self._stop = threading.Event()
        self._reader = threading.Thread(
            target=self._read_forever, args=(port, self._stop), daemon=True,
            name=f"serial:{self.name}")
        self._reader.start()

    async def _close(self) -> None:
        self._stop.set()
        port, self._port = self._port, None
        if port is not None:
            # Already gone: closing a vanished port is not an error.
            with contextlib.suppress(serial.SerialException, OSError):
                port.close()
        reader, self._reader = self._reader, None
        if reader is not None and reader is not threading.current_thread():
            reader.join(timeout=1.0)

    def _read_forever(self, port: serial.SerialBase, stop: threading.Event) -> None:
        detail = "port closed"
        while not stop.is_set():
            try:
                # Block for the first byte only, then take what else is waiting: read(n) would
                # wait out the whole timeout whenever fewer than n bytes come (a scan is ~17).
                data = port.read(1)
                waiting = port.in_waiting if data else 0
                if waiting:
                    data += port.read(min(waiting, READ_CHUNK))
            except (serial.SerialException, OSError, TypeError, AttributeError) as err:
                # TypeError/AttributeError: pyserial's posix read after close() from another
                # thread; treat as the port going away.
                detail = f"{self.url}: {err}"
                break
            if data:
                self._call_threadsafe(self._received, data)
        if not stop.is_set():
            self._call_threadsafe(self._went_offline, detail)

    def _write(self, data: bytes) -> None:
        port = self._port
        if port is None or not self.is_open:
            raise DeviceClosedError(f"{self.name} is {self.state.value}; open it before writing")
        try:
            port.write(data)
            port.flush()
        except (serial.SerialException, OSError, termios.error) as err:
            # termios.error: flush() on a port whose device vanished (EIO)
            self._went_offline(f"{self.url}: write failed: {err}")
            raise DeviceOfflineError(f"{self.name}: write to {self.url} failed: {err}") from err

    @abstractmethod
    def _received(self, data: bytes) -> None:
        """Bytes from the port, in order, on the loop's thread."""

"""ZVT transports: whole APDUs in and out, over TCP or a serial line (protocols.md §4.2).

A link delivers every APDU the terminal sends to `on_apdu(apdu)` and calls `on_lost(detail)`
once when the connection goes, both on the event loop's thread. `send(apdu)` returns when the
APDU is on its way (TCP) or the terminal confirmed the frame with ACK 06 (serial; a NAK 15 makes
it resend, up to 3 times). The ZVT acknowledgement APDU 80 00 00 is the driver's business.

* `TcpLink("tcp://host:port")`: asyncio streams; APDUs reassembled from split or coalesced reads.
* `SerialLink(url)`: pyserial (a device path, a pty, any pyserial URL) at 9600 8N2 with a reader
  thread, DLE STX frames with CRC-16/KERMIT; a damaged frame from the terminal is answered NAK.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import termios
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import serial

from hardware.errors import (
    DeviceConfigError,
    DeviceOfflineError,
    DeviceTimeoutError,
    ProtocolError,
)
from hardware.zvt.framing import (
    ACK_BYTE,
    NAK_BYTE,
    ApduReassembler,
    BadFrame,
    Control,
    FrameParser,
    build_frame,
)

log = logging.getLogger(__name__)

DEFAULT_TCP_PORT = 20007
MAX_RESENDS = 3  # after a NAK (ecrterm transport_serial.py)
READ_TIMEOUT_S = 0.05  # how often the serial reader thread looks at its stop flag
READ_CHUNK = 1024


class Link(ABC):
    """One connection to a terminal. `name` and `address` go into every error message."""

    def __init__(self, name: str, address: str, *, on_apdu: Callable[[bytes], None],
                 on_lost: Callable[[str], None], ack_timeout_s: float = 5.0) -> None:
        self.name = name
        self.address = address
        self.ack_timeout_s = ack_timeout_s
        self._on_apdu = on_apdu
        self._on_lost = on_lost
        self._lost = False

    def _lose(self, detail: str) -> None:
        if not self._lost:
            self._lost = True
            self._on_lost(detail)

    @abstractmethod
    async def open(self) -> None:
        """Connect; DeviceOfflineError naming the address when the terminal cannot be reached."""

    @abstractmethod
    async def close(self) -> None:
        """Disconnect (idempotent; never raises for a link that is already gone)."""

    @abstractmethod
    async def send(self, apdu: bytes) -> None:
        """Send one APDU; DeviceOfflineError when it could not be written at all."""


def make_link(name: str, url: str, *, on_apdu: Callable[[bytes], None],
              on_lost: Callable[[str], None], ack_timeout_s: float = 5.0) -> Link:
    """TcpLink for "tcp://host[:port]", else SerialLink for a device path or pyserial URL."""
    cls: type[Link] = TcpLink if url.startswith("tcp://") else SerialLink
    return cls(name, url, on_apdu=on_apdu, on_lost=on_lost, ack_timeout_s=ack_timeout_s)


class TcpLink(Link):
    """Raw APDUs over TCP; the terminal listens (port 20007 unless the URL says otherwise)."""

    def __init__(self, name: str, address: str, *, on_apdu: Callable[[bytes], None],
                 on_lost: Callable[[str], None], ack_timeout_s: float = 5.0) -> None:
        super().__init__(name, address, on_apdu=on_apdu, on_lost=on_lost,
                         ack_timeout_s=ack_timeout_s)
        parts = urlsplit(address)
        try:
            port = parts.port or DEFAULT_TCP_PORT
        except ValueError as err:
            raise DeviceConfigError(f"{name}: bad terminal address {address!r} ({err}); "
                                    f"write it as tcp://HOST:PORT") from err
        if parts.scheme != "tcp" or not parts.hostname:
            raise DeviceConfigError(f"{name}: bad terminal address {address!r}; write it as "
                                    f"tcp://HOST:PORT")
        self.host, self.port = parts.hostname, port
        self._writer: asyncio.StreamWriter | None = None
        self._task: asyncio.Task[None] | None = None

    async def open(self) -> None:
        self._lost = False
        try:
            reader, self._writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port), self.ack_timeout_s)
        except (OSError, TimeoutError) as err:
            raise DeviceOfflineError(
                f"{self.name}: cannot connect to the card terminal at {self.address} "
                f"({err or 'timed out'}); check that it is on and its ECR port is "
                f"{self.port}") from err
        self._task = asyncio.get_running_loop().create_task(
            self._read_forever(reader), name=f"zvt-tcp:{self.name}")

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def _read_forever(self, reader: asyncio.StreamReader) -> None:
        reassembler = ApduReassembler()
        detail = "the terminal closed the connection"
        try:
            while data := await reader.read(4096):
                for apdu in reassembler.feed(data):
                    self._on_apdu(apdu)
        except OSError as err:
            detail = f"connection failed: {err}"
        self._lose(f"{self.address}: {detail}")

    async def send(self, apdu: bytes) -> None:
        writer = self._writer
        if writer is None or self._lost:
            raise DeviceOfflineError(f"{self.name}: not connected to {self.address}; the "
                                     f"terminal is reconnected in the background")
        try:
            writer.write(apdu)
            await writer.drain()
        except OSError as err:
            self._lose(f"{self.address}: write failed: {err}")
            raise DeviceOfflineError(f"{self.name}: sending {apdu[:2].hex(' ').upper()} to "
                                     f"{self.address} failed: {err}") from err


class SerialLink(Link):
    """DLE STX frames over a serial line at 9600 8N2, each confirmed by ACK 06 or NAK 15."""

    def __init__(self, name: str, address: str, *, on_apdu: Callable[[bytes], None],
                 on_lost: Callable[[str], None], ack_timeout_s: float = 5.0) -> None:
        super().__init__(name, address, on_apdu=on_apdu, on_lost=on_lost,
                         ack_timeout_s=ack_timeout_s)
        self._port: serial.SerialBase | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._parser = FrameParser()
        self._confirm: asyncio.Future[int] | None = None
        self._send_lock = asyncio.Lock()

    async def open(self) -> None:
        self._lost = False
        self._loop = asyncio.get_running_loop()
        self._parser = FrameParser()
        try:
            port = serial.serial_for_url(self.address, baudrate=9600, bytesize=8, parity="N",
                                         stopbits=2, timeout=READ_TIMEOUT_S, write_timeout=1.0)
        except (serial.SerialException, OSError, ValueError, termios.error) as err:
            raise DeviceOfflineError(
                f"{self.name}: cannot open the card terminal's port {self.address}: {err}; "
                f"check the cable and the path") from err
        self._port = port
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read_forever, args=(port, self._stop),
                                        daemon=True, name=f"zvt-serial:{self.name}")
        self._thread.start()

    async def close(self) -> None:
        self._stop.set()
        port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(serial.SerialException, OSError):
                port.close()
        thread, self._thread = self._thread, None
        if thread is not None:
            await asyncio.to_thread(thread.join, 1.0)

    def _read_forever(self, port: serial.SerialBase, stop: threading.Event) -> None:
        detail = "port closed"
        while not stop.is_set():
            try:
                data = port.read(1)
                waiting = port.in_waiting if data else 0
                if waiting:
                    data += port.read(min(waiting, READ_CHUNK))
            except (serial.SerialException, OSError, TypeError, AttributeError) as err:
                # TypeError/AttributeError: pyserial reading after close() from another thread
                detail = str(err)
                break
            if data:
                self._post(self._received, data)
        if not stop.is_set():
            self._post(self._lose, f"{self.address}: {detail}")

    def _post(self, fn: Callable[[Any], None], arg: object) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(fn, arg)

    def _received(self, data: bytes) -> None:
        for item in self._parser.feed(data):
            if isinstance(item, Control):
                confirm = self._confirm
                if confirm is not None and not confirm.done():
                    confirm.set_result(item.byte)
            elif isinstance(item, BadFrame):
                log.info("%s: damaged frame from %s (%s); asking for it again (NAK)",
                         self.name, self.address, item.reason)
                self._write_quiet(bytes([NAK_BYTE]))
            else:
                self._write_quiet(bytes([ACK_BYTE]))
                self._on_apdu(item.apdu)

    def _write(self, data: bytes) -> None:
        port = self._port
        if port is None or self._lost:
            raise DeviceOfflineError(f"{self.name}: the port {self.address} is not open; the "
                                     f"terminal is reconnected in the background")
        try:
            port.write(data)
            port.flush()
        except (serial.SerialException, OSError, termios.error) as err:
            self._lose(f"{self.address}: write failed: {err}")
            raise DeviceOfflineError(f"{self.name}: writing to {self.address} failed: {err}; "
                                     f"check the cable") from err

    def _write_quiet(self, data: bytes) -> None:
        with contextlib.suppress(DeviceOfflineError):
            self._write(data)

    async def send(self, apdu: bytes) -> None:
        """Send a frame and wait for ACK; resend on NAK up to 3 times.

        DeviceTimeoutError when neither ACK nor NAK comes within the ack timeout, ProtocolError
        when the terminal refuses the frame four times.
        """
        frame = build_frame(apdu)
        async with self._send_lock:
            for _attempt in range(1 + MAX_RESENDS):
                self._confirm = asyncio.get_running_loop().create_future()
                self._write(frame)
                try:
                    answer = await asyncio.wait_for(self._confirm, self.ack_timeout_s)
                except TimeoutError:
                    raise DeviceTimeoutError(
                        f"{self.name}: the terminal on {self.address} did not confirm the frame "
                        f"{frame.hex(' ').upper()} within {self.ack_timeout_s} s; check the "
                        f"cable and that the terminal is set to serial ECR mode") from None
                finally:
                    self._confirm = None
                if answer == ACK_BYTE:
                    return
            raise ProtocolError(
                f"{self.name}: the terminal on {self.address} refused the frame "
                f"{frame.hex(' ').upper()} {1 + MAX_RESENDS} times (NAK); check the line "
                f"settings (9600 8N2) and the cable", frame)

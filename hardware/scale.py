"""Scales on a serial port: one driver for the Toledo 8217, NCI and MT-SICS protocols.

`Scale(name, url, protocol)` opens the port with the protocol's real line settings (Toledo and
NCI 9600 7E1, MT-SICS 9600 8N1), polls the weight every `poll_s` (or, for MT-SICS with
`continuous=True`, lets the balance stream with `SIR`) and emits:

* `DataEvent(name, Weight)` for every weight reading (live weight: stable or not),
* `StatusEvent(name, key)` when the condition changes; keys are `ScaleStatus` values
  ("stable", "unstable", "zero", "overweight", "under_zero", "underweight", "not_ready",
  "error"), plus "silent" when the scale stops answering and "online" when it answers again,
* `ErrorEvent(name, ProtocolError)` for garbage; the driver resynchronises on the next frame.

After `offline_after_s` without an answer the scale is reported offline (the Supervisor reopens
it). `read_weight(timeout_s)` is the legal reading: the next *stable* weight, never a moving one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import termios
import time
from collections.abc import Callable
from dataclasses import dataclass

import serial

from hardware.device import DataEvent, DeviceState, ErrorEvent, StatusEvent
from hardware.errors import (
    DeviceClosedError,
    DeviceConfigError,
    DeviceOfflineError,
    DeviceTimeoutError,
    ProtocolError,
)
from hardware.scales import Ack, Reply, ScaleStatus, Weight, mtsics, nci, toledo
from hardware.serial_port import LineSettings, SerialDevice

log = logging.getLogger(__name__)

__all__ = ["PROTOCOLS", "Ack", "Reply", "Scale", "ScaleStatus", "Weight", "make_scale", "probe"]


@dataclass(frozen=True, slots=True)
class Codec:
    """One protocol as the driver needs it: settings, requests, framing and decoding."""

    name: str
    settings: LineSettings
    poll_request: bytes  # asks for the weight now (stable or not)
    zero_request: bytes
    split: Callable[[bytes], tuple[list[bytes], bytes]]
    decode: Callable[[bytes], Reply]


PROTOCOLS: dict[str, Codec] = {
    "toledo": Codec("toledo", toledo.SETTINGS, toledo.weight_request(), toledo.zero_request(),
                    toledo.split, toledo.decode),
    "nci": Codec("nci", nci.SETTINGS, nci.weight_request(), nci.zero_request(),
                 nci.split, nci.decode),
    "mtsics": Codec("mtsics", mtsics.SETTINGS, mtsics.immediate_request(),
                    mtsics.zero_request(), mtsics.split, mtsics.decode),
}
# A pty carries 8-bit bytes and ignores baud and parity (protocols.md §3.5), and some kernels
# refuse CS7/PARENB on one outright (EINVAL). Only then is the line opened 8N1 instead.
PTY_SETTINGS = LineSettings(baudrate=9600, bytesize=8, parity="N", stopbits=1)
_PTY_FALLBACK_LOGGED: set[str] = set()  # log the fallback once per port, not once per reopen
PROBE_ORDER = ("mtsics", "nci", "toledo")  # 8N1 first; the two 7E1 protocols share settings


def codec_for(protocol: str, device: str = "scale") -> Codec:
    codec = PROTOCOLS.get(protocol)
    if codec is None:
        raise DeviceConfigError(
            f"{device}: unknown scale protocol {protocol!r}; use one of "
            f"{', '.join(sorted(PROTOCOLS))}")
    return codec


class Scale(SerialDevice):
    """A weighing scale on `url` speaking `protocol` ("toledo", "nci" or "mtsics").

    `min_weight_g` is the scale's legal minimum (Min, e.g. 40 g at e = 2 g): lighter stable
    weights are reported as "underweight". Times are in seconds.
    """

    def __init__(
        self,
        name: str,
        url: str,
        protocol: str = "toledo",
        *,
        min_weight_g: int = 40,
        poll_s: float = 0.2,
        silent_after_s: float = 1.0,
        offline_after_s: float = 5.0,
        continuous: bool = False,
    ) -> None:
        codec = codec_for(protocol, name)
        super().__init__(name, url, codec.settings)
        if continuous and codec.name != "mtsics":
            raise DeviceConfigError(f"{name}: continuous mode needs MT-SICS, not {protocol}")
        if not 0 < poll_s <= silent_after_s <= offline_after_s:
            raise DeviceConfigError(
                f"{name}: need 0 < poll_s ({poll_s}) <= silent_after_s ({silent_after_s}) "
                f"<= offline_after_s ({offline_after_s})")
        self.codec = codec
        self.protocol = codec.name
        self.min_weight_g = min_weight_g
        self.poll_s = poll_s
        self.silent_after_s = silent_after_s
        self.offline_after_s = offline_after_s
        self.continuous = continuous
        self.status: ScaleStatus | None = None
        self.live_weight: Weight | None = None  # for display only; sales use read_weight()
        self._buffer = b""
        self._last_reply_s = 0.0
        self._silent = False
        self._paused = False
        self._streaming = False  # SIR sent since the port was opened
        self._poll_task: asyncio.Task[None] | None = None
        self._weight_waiters: list[asyncio.Future[Reply]] = []  # resolved with stable Weights
        self._reply_waiters: list[asyncio.Future[Reply]] = []

    # -- lifecycle ----------------------------------------------------------------------------

    async def _open(self) -> None:
        try:
            await super()._open()
        except termios.error as err:
            _refused(self.name, self.url, self.settings, err)
            self.settings = PTY_SETTINGS
            try:
                await super()._open()
            finally:
                self.settings = self.codec.settings
        self._buffer = b""
        self.status = None
        self._silent = False
        self._paused = False
        self._last_reply_s = time.monotonic()
        self._streaming = False
        self._poll_task = asyncio.get_running_loop().create_task(
            self._poll(), name=f"scale-poll:{self.name}")

    async def _close(self) -> None:
        task, self._poll_task = self._poll_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.continuous and self._state in (DeviceState.IDLE, DeviceState.BUSY):
            self._send(mtsics.reset_request())  # stop the stream for the next user of the port
        self._fail_waiters(DeviceClosedError(f"{self.name} on {self.url} was closed"))
        await super()._close()

    def _went_offline(self, detail: str) -> None:
        if self._state is DeviceState.OFFLINE:
            # Reader and poller both notice an unplug; a second "offline" left in the queue
            # would end the next connection's life as soon as the Supervisor reopened it.
            return
        super()._went_offline(detail)
        self._fail_waiters(DeviceOfflineError(
            f"{self.name} on {self.url} went offline ({detail}); check the cable and power"))

    # -- requests -----------------------------------------------------------------------------

    async def read_weight(self, timeout_s: float = 2.0) -> Weight:
        """The next stable weight (the legal reading); DeviceTimeoutError if none in time."""
        self.check_open()
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._weight_waiters.append(future)
        self._send(self.codec.poll_request)
        try:
            reply = await asyncio.wait_for(future, timeout_s)
        except TimeoutError:
            last = self.status.value if self.status else "no answer"
            raise DeviceTimeoutError(
                f"{self.name} on {self.url}: no stable weight within {timeout_s} s "
                f"(last status: {last}); let the weight settle and try again") from None
        finally:
            with contextlib.suppress(ValueError):
                self._weight_waiters.remove(future)
        if not isinstance(reply, Weight):  # pragma: no cover - only Weights resolve these
            raise ProtocolError(f"{self.name}: expected a weight, got {reply!r}")
        return reply

    async def zero(self, timeout_s: float = 2.0) -> bool:
        """Ask the scale to zero itself; True when it did. The scale refuses while the weight is
        moving or outside its zero range (it enforces that, we never fake a zero)."""
        self.check_open()
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._reply_waiters.append(future)
        self._paused = True  # a poll reply must not be mistaken for the zero reply
        try:
            self._send(self.codec.zero_request)
            reply = await asyncio.wait_for(future, timeout_s)
        except TimeoutError:
            raise DeviceTimeoutError(
                f"{self.name} on {self.url}: no answer to zero within {timeout_s} s; "
                f"check the cable") from None
        finally:
            self._paused = False
            with contextlib.suppress(ValueError):
                self._reply_waiters.remove(future)
        return reply is ScaleStatus.ZERO or (isinstance(reply, Ack) and reply.accepted)

    # -- receiving ----------------------------------------------------------------------------

    def _received(self, data: bytes) -> None:
        frames, self._buffer = self.codec.split(self._buffer + data)
        for frame in frames:
            try:
                reply = self.codec.decode(frame)
            except ProtocolError as err:
                self._emit(ErrorEvent(self.name, ProtocolError(
                    f"{self.name} on {self.url}: {err}", err.data)))
                continue
            self._answered()
            self._handle(reply)

    def _answered(self) -> None:
        self._last_reply_s = time.monotonic()
        if self._silent:
            self._silent = False
            self._emit(StatusEvent(self.name, "online", "answering again"))

    def _handle(self, reply: Reply) -> None:
        if isinstance(reply, Weight):
            self.live_weight = reply
            self._emit(DataEvent(self.name, reply))
            self._set_status(self._status_of(reply))
            if reply.stable:
                self._resolve(self._weight_waiters, reply)
            return
        if isinstance(reply, ScaleStatus):
            self._set_status(reply)
            if self.protocol == "mtsics":
                return  # an MT-SICS zero reply is always a `Z ...` Ack
        elif not reply.command.startswith("Z"):
            return
        self._resolve(self._reply_waiters, reply)

    def _status_of(self, weight: Weight) -> ScaleStatus:
        if weight.grams < 0:
            return ScaleStatus.UNDER_ZERO
        if not weight.stable:
            return ScaleStatus.UNSTABLE
        if weight.grams == 0:
            return ScaleStatus.ZERO
        if weight.grams < self.min_weight_g:
            return ScaleStatus.UNDERWEIGHT
        return ScaleStatus.STABLE

    def _set_status(self, status: ScaleStatus) -> None:
        if status is not self.status:
            self.status = status
            self._emit(StatusEvent(self.name, status.value))

    @staticmethod
    def _resolve(waiters: list[asyncio.Future[Reply]], value: Reply) -> None:
        for future in list(waiters):
            if not future.done():
                future.set_result(value)

    def _fail_waiters(self, error: Exception) -> None:
        for future in [*self._weight_waiters, *self._reply_waiters]:
            if not future.done():
                future.set_exception(error)

    # -- polling ------------------------------------------------------------------------------

    def _send(self, data: bytes) -> None:
        try:
            self._write(data)
        except (DeviceOfflineError, DeviceClosedError):
            pass  # a failed write already reported the device offline
        except termios.error as err:
            # pyserial's flush() (tcdrain) raises termios.error, not OSError, on a vanished port.
            self._went_offline(f"{self.url}: write failed: {err}")

    async def _poll(self) -> None:
        """Ask for the weight every poll_s; report silence, and offline after a long silence."""
        while self._state in (DeviceState.IDLE, DeviceState.BUSY, DeviceState.ERROR):
            if self.continuous and (self._silent or not self._streaming):
                self._streaming = True  # (again after silence: the balance may have reset)
                self._send(mtsics.repeat_request())
            elif not self.continuous and not self._paused:
                self._send(self.codec.poll_request)
            await asyncio.sleep(self.poll_s)
            silence_s = time.monotonic() - self._last_reply_s
            if silence_s >= self.offline_after_s:
                self._went_offline(f"{self.url}: no answer for {silence_s:.1f} s")
                return
            if silence_s >= self.silent_after_s and not self._silent:
                self._silent = True
                self._emit(StatusEvent(self.name, "silent", f"no answer for {silence_s:.1f} s"))


def make_scale(name: str, url: str, protocol: str, **options: object) -> Scale:
    """A Scale from config values (the `[devices]` table); DeviceConfigError when invalid."""
    try:
        return Scale(name, url, protocol, **options)  # type: ignore[arg-type]
    except TypeError as err:
        raise DeviceConfigError(f"{name}: bad scale option: {err}") from err


async def probe(url: str, *, timeout_s: float = 0.5) -> str | None:
    """Which scale protocol answers on `url` ("mtsics", "nci", "toledo"), or None when silent.

    Opens the port with each protocol's own settings in turn and sends its weight request.
    Raises DeviceOfflineError when the port cannot be opened at all.
    """
    for name in PROBE_ORDER:
        if await asyncio.to_thread(_answers, url, PROTOCOLS[name], timeout_s):
            return name
    return None


def _refused(name: str, url: str, settings: LineSettings, err: termios.error) -> None:
    """Raise unless `url` is a pty refusing its settings (then log once and let it go 8N1)."""
    line = f"{settings.bytesize}{settings.parity}{settings.stopbits:g}"
    if not os.path.realpath(url).startswith("/dev/pts/"):
        raise DeviceConfigError(
            f"{name}: {url} refuses the line settings {settings.baudrate} {line} ({err}); use "
            f"a serial adapter that supports them") from err
    if url not in _PTY_FALLBACK_LOGGED:
        _PTY_FALLBACK_LOGGED.add(url)
        log.info("%s: the pty %s refuses %s (%s); opening it 8N1, which a pty ignores anyway",
                 name, url, line, err)


def _open_port(url: str, settings: LineSettings) -> serial.SerialBase:
    s = settings
    try:
        try:
            return serial.serial_for_url(url, baudrate=s.baudrate, bytesize=s.bytesize,
                                         parity=s.parity, stopbits=s.stopbits, timeout=0.05)
        except termios.error as err:
            _refused("probe", url, s, err)
            return _open_port(url, PTY_SETTINGS)
    except (serial.SerialException, OSError, ValueError) as err:
        raise DeviceOfflineError(f"probe: cannot open {url}: {err}; check the path") from err


def _answers(url: str, codec: Codec, timeout_s: float) -> bool:
    port = _open_port(url, codec.settings)
    try:
        port.reset_input_buffer()
        port.write(codec.poll_request)
        buffer = b""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            frames, buffer = codec.split(buffer + port.read(256))
            for frame in frames:
                with contextlib.suppress(ProtocolError):
                    reply = codec.decode(frame)
                    if not isinstance(reply, Ack):
                        return True
        return False
    except (serial.SerialException, OSError) as err:
        raise DeviceOfflineError(f"probe: {url} failed while probing: {err}") from err
    finally:
        port.close()

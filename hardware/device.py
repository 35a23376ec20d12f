"""One lifecycle for every device, after UnifiedPOS without its COM plumbing.

A device is `open()`ed, used, and `close()`d (idempotent; also as an async context manager).
Its `state` is one of `DeviceState`; `power` says whether the hardware answers. What it has to
say arrives as events on `events()`, an async stream: `DataEvent` (a scan, a stable weight),
`StatusEvent` (weight unstable, offline, back online) and `ErrorEvent` (garbage on the line).
Using a closed device raises `DeviceClosedError`.

A `Supervisor` keeps a device running: when it goes offline it logs once, tells the listener
(the lane raises a device-fault intervention), reopens it with backoff, and when it is back logs
once more and tells the listener again (the intervention clears by itself).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from types import TracebackType
from typing import Any, Self

from hardware.errors import DeviceClosedError, HardwareError

log = logging.getLogger(__name__)


class DeviceState(Enum):
    """Where a device is in its life (UnifiedPOS State, plus OFFLINE)."""

    CLOSED = "closed"  # not opened, or closed again
    IDLE = "idle"  # open, waiting for input
    BUSY = "busy"  # open, doing something (a weighing, a print)
    ERROR = "error"  # open, but the last operation failed; usable again after recovery
    OFFLINE = "offline"  # opened once, the hardware went away; the supervisor reopens it


OPEN_STATES = frozenset({DeviceState.IDLE, DeviceState.BUSY, DeviceState.ERROR})
USABLE_STATES = frozenset({DeviceState.IDLE, DeviceState.BUSY})


class PowerState(Enum):
    """Whether the hardware answers (UnifiedPOS PowerState, simplified)."""

    UNKNOWN = "unknown"
    ONLINE = "online"
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class DataEvent:
    """Input from a device: `data` is the device's own value type (a scan, a weight)."""

    device: str
    data: Any
    at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True, slots=True)
class StatusEvent:
    """A change of condition: `status` is a short key ("online", "offline", "unstable", ...)."""

    device: str
    status: str
    detail: str = ""
    at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True, slots=True)
class ErrorEvent:
    """Something went wrong that the device survived (garbage on the line, a refused command)."""

    device: str
    error: HardwareError
    at: float = field(default_factory=time.monotonic)


Event = DataEvent | StatusEvent | ErrorEvent

EVENT_QUEUE_SIZE = 256  # bounded: a flood of garbage must not eat the kiosk's memory


class Device(ABC):
    """Base of every driver. Subclasses implement `_open` and `_close` and call `_emit`.

    Events are queued until read; when nobody reads and the queue is full, the oldest event is
    dropped (and logged once), so a flooding device never blocks its reader thread or grows memory.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._state = DeviceState.CLOSED
        self._power = PowerState.UNKNOWN
        self._queue: asyncio.Queue[Event] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._dropped = 0

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} {self._state.value}>"

    @property
    def state(self) -> DeviceState:
        return self._state

    @property
    def power(self) -> PowerState:
        return self._power

    @property
    def is_open(self) -> bool:
        return self._state in OPEN_STATES

    async def open(self) -> None:
        """Open the hardware; raises HardwareError (e.g. DeviceOfflineError) when it cannot."""
        if self.is_open:
            return
        self._loop = asyncio.get_running_loop()
        if self._queue is None:
            self._queue = asyncio.Queue(EVENT_QUEUE_SIZE)
        await self._open()
        self._state = DeviceState.IDLE
        self._power = PowerState.ONLINE

    async def close(self) -> None:
        """Release the hardware. Idempotent: closing a closed device does nothing."""
        if self._state is DeviceState.CLOSED:
            return
        try:
            await self._close()
        finally:
            self._state = DeviceState.CLOSED

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def events(self) -> AsyncIterator[Event]:
        """Events as they arrive, until the device is closed by its owner."""
        if self._queue is None:
            raise DeviceClosedError(f"{self.name}: open the device before reading its events")
        while True:
            yield await self._queue.get()

    def check_open(self) -> None:
        """Raise DeviceClosedError unless the device is open (use after close raises)."""
        if not self.is_open:
            raise DeviceClosedError(
                f"{self.name} is {self._state.value}; open it before using it"
            )

    # -- for subclasses -------------------------------------------------------------------

    @abstractmethod
    async def _open(self) -> None:
        """Acquire the hardware (open the port, start the reader)."""

    @abstractmethod
    async def _close(self) -> None:
        """Release the hardware; must not raise for a device that is already gone."""

    def _emit(self, event: Event) -> None:
        """Queue an event, on the loop's thread (other threads use `_emit_threadsafe`)."""
        queue = self._queue
        if queue is None:
            return
        if queue.full():
            queue.get_nowait()
            self._dropped += 1
            if self._dropped == 1:
                log.warning("%s: events are not being read; dropping the oldest", self.name)
        queue.put_nowait(event)

    def _emit_threadsafe(self, event: Event) -> None:
        """Queue an event from a reader thread."""
        self._call_threadsafe(self._emit, event)

    def _call_threadsafe(self, fn: Callable[..., object], *args: Any) -> None:
        """Run `fn(*args)` on the device's loop, from any thread; dropped once the loop is gone
        (the kiosk is shutting down)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(fn, *args)

    def _went_offline(self, detail: str) -> None:
        """Mark the hardware gone and say so on the event stream (call on the loop's thread)."""
        if self._state in (DeviceState.CLOSED, DeviceState.OFFLINE):
            return  # said once: the reader and a poller may both notice the same unplug
        self._state = DeviceState.OFFLINE
        self._power = PowerState.OFFLINE
        self._emit(StatusEvent(self.name, "offline", detail))


Listener = Callable[[str, str], Awaitable[None] | None]
DEFAULT_BACKOFF_S = (0.2, 0.5, 1.0, 2.0, 5.0, 10.0)


class Supervisor:
    """Keeps one device open: reopens it with backoff after it goes offline.

    `on_lost(name, detail)` and `on_back(name, detail)` are told once per outage (the lane turns
    them into the device_lost / device_back checkout commands). `on_event(event)` receives every
    event of the device while it runs. Logs once when the device goes and once when it returns,
    never once per retry.
    """

    def __init__(
        self,
        device: Device,
        *,
        on_event: Callable[[Event], Awaitable[None] | None],
        on_lost: Listener | None = None,
        on_back: Listener | None = None,
        backoff_s: Sequence[float] = DEFAULT_BACKOFF_S,
    ) -> None:
        self.device = device
        self.on_event = on_event
        self.on_lost = on_lost
        self.on_back = on_back
        self.backoff_s = tuple(backoff_s)
        self.outages = 0
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> asyncio.Task[None]:
        """Run in the background on the current loop; `stop()` ends it."""
        self._task = asyncio.get_running_loop().create_task(
            self.run(), name=f"supervisor:{self.device.name}")
        return self._task

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.device.close()

    async def run(self) -> None:
        """Open, pump events, and after every loss reopen with backoff, until cancelled."""
        down_since: float | None = None
        attempt = 0
        while not self._stopping:
            try:
                await self.device.open()
            except HardwareError as err:
                if down_since is None:  # never came up: this is an outage too
                    down_since = time.monotonic()
                    await self._tell_lost(str(err))
                await asyncio.sleep(self.backoff_s[min(attempt, len(self.backoff_s) - 1)])
                attempt += 1
                continue
            if down_since is not None:
                gone_s = time.monotonic() - down_since
                log.info("%s is back after %.1f s", self.device.name, gone_s)
                await _call(self.on_back, self.device.name, f"back after {gone_s:.1f} s")
                down_since = None
            attempt = 0
            detail = await self._pump()
            if self._stopping:
                return
            down_since = time.monotonic()
            await self.device.close()
            await self._tell_lost(detail)

    async def _pump(self) -> str:
        """Deliver events until the device reports itself offline; returns why."""
        async for event in self.device.events():
            if isinstance(event, StatusEvent) and event.status == "offline":
                return event.detail or "offline"
            result = self.on_event(event)
            if result is not None:
                await result
        return "event stream ended"  # pragma: no cover - events() never ends by itself

    async def _tell_lost(self, detail: str) -> None:
        self.outages += 1
        log.warning("%s is gone: %s; reopening in the background", self.device.name, detail)
        await _call(self.on_lost, self.device.name, detail)


async def _call(listener: Listener | None, name: str, detail: str) -> None:
    if listener is None:
        return
    result = listener(name, detail)
    if result is not None:
        await result

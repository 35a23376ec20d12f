"""The GPIO lane devices (gpiozero 2.x): tower light, help button, key switch, presence sensor
and buzzer. `hardware.gpio` is the public face (it re-exports these and adds `LanePeripherals`);
its docstring says why these are not `hardware.device.Device`s and how callbacks cross threads.

Each class is named after the physical thing and takes its pins (BCM numbers, or gpiozero pin
names such as "GPIO17") and an injected gpiozero pin factory. Pins are claimed at construction
and released by an idempotent `close()`; use after close raises `DeviceClosedError`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from types import TracebackType
from typing import Any, Self

from hardware.device import DeviceState
from hardware.errors import DeviceClosedError, DeviceConfigError

Pin = int | str

COLOURS = ("green", "yellow", "red")
MAX_BLINK_HZ = 20.0  # faster is a flicker a relay cannot follow

# The default scheme (protocols.md §6). A colour left out of a pattern is off.
DEFAULT_PATTERNS: Mapping[str, Mapping[str, str]] = {
    "closed": {},
    "idle": {"green": "on"},
    "in_transaction": {"green": "blink 0.5"},
    "help": {"yellow": "on"},
    "intervention": {"yellow": "blink 1"},
    "fault": {"red": "blink 2"},
    "out_of_service": {"red": "on"},
}

# Sounds as data: (frequency in Hz, or None for a pause; duration in seconds).
Tones = tuple[tuple[float | None, float], ...]
DEFAULT_SOUNDS: Mapping[str, Tones] = {
    "beep": ((2000.0, 0.08),),  # a scan: short and high
    "error": ((400.0, 0.15), (None, 0.08), (300.0, 0.25)),  # refused: two low tones
    "attention": ((1000.0, 0.2), (None, 0.15)) * 2 + ((1000.0, 0.2),),  # call a person
}


@dataclass(frozen=True, slots=True)
class Signal:
    """What one colour does: steady off, steady on, or blinking at `hz` (50 % duty)."""

    mode: str  # "off" | "on" | "blink"
    hz: float = 0.0


def parse_signal(text: str, *, where: str = "light pattern") -> Signal:
    """"off", "on" or "blink HZ" (e.g. "blink 0.5", "blink 2 Hz") -> Signal."""
    words = str(text).lower().replace("hz", " ").split()
    if words in (["off"], ["on"]):
        return Signal(words[0])
    if len(words) == 2 and words[0] == "blink":
        try:
            hz = float(words[1])
        except ValueError:
            hz = -1.0
        if 0 < hz <= MAX_BLINK_HZ:
            return Signal("blink", hz)
    raise DeviceConfigError(
        f"{where}: {text!r} is not a light signal; write \"off\", \"on\" or "
        f"\"blink HZ\" with 0 < HZ <= {MAX_BLINK_HZ:g} (e.g. \"blink 0.5\")")


def build_patterns(
    overrides: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, dict[str, Signal]]:
    """The default scheme with `overrides` (name -> colour -> signal text) replacing or adding
    whole patterns; raises DeviceConfigError naming an unknown colour or a bad signal."""
    raw = {**DEFAULT_PATTERNS, **(overrides or {})}
    patterns: dict[str, dict[str, Signal]] = {}
    for name, colours in raw.items():
        if not isinstance(colours, Mapping):
            raise DeviceConfigError(
                f"tower light pattern {name!r} must map colours to signals, got {colours!r}")
        unknown = sorted(set(colours) - set(COLOURS))
        if unknown:
            raise DeviceConfigError(
                f"tower light pattern {name!r} names unknown colour(s) {', '.join(unknown)}; "
                f"the colours are {', '.join(COLOURS)}")
        patterns[name] = {
            colour: parse_signal(colours.get(colour, "off"),
                                 where=f"tower light pattern {name!r}, {colour}")
            for colour in COLOURS
        }
    return patterns


def _claim(device: str, pin: Pin, make: Callable[[], Any]) -> Any:
    """Build a gpiozero device, turning gpiozero's pin errors into DeviceConfigError."""
    from gpiozero import GPIOZeroError

    try:
        return make()
    except (GPIOZeroError, ValueError) as err:
        raise DeviceConfigError(
            f"{device} on pin {pin!r}: {err}; check the pin numbers in [devices.gpio] "
            "(BCM numbering, each pin used once)") from err


class GpioDevice:
    """Shared close/context-manager/state plumbing over a list of gpiozero devices."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._parts: list[Any] = []
        self._closed = False

    @property
    def state(self) -> DeviceState:
        return DeviceState.CLOSED if self._closed else DeviceState.IDLE

    def check_open(self) -> None:
        if self._closed:
            raise DeviceClosedError(f"{self.name} is closed; build a new one to use the pins")

    def close(self) -> None:
        """Release the pins. Idempotent."""
        if self._closed:
            return
        self._closed = True
        for part in reversed(self._parts):
            part.close()
        self._parts.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _build(self, pin: Pin, make: Callable[[], Any]) -> Any:
        try:
            part = _claim(self.name, pin, make)
        except DeviceConfigError:
            self.close()  # release the pins already claimed
            raise
        self._parts.append(part)
        return part


class TowerLight(GpioDevice):
    """A green/yellow/red lane light (through a relay or MOSFET board); any colour may be
    unfitted (None). `show(name)` switches to a pattern; patterns are data (`build_patterns`)."""

    def __init__(self, green_pin: Pin | None, yellow_pin: Pin | None, red_pin: Pin | None, *,
                 pin_factory: Any, active_high: bool = True,
                 patterns: Mapping[str, Mapping[str, str]] | None = None) -> None:
        from gpiozero import LED

        super().__init__("tower light")
        self.patterns = build_patterns(patterns)
        self.pattern: str | None = None
        self._leds: dict[str, Any] = {}
        for colour, pin in zip(COLOURS, (green_pin, yellow_pin, red_pin), strict=True):
            if pin is not None:
                self._leds[colour] = self._build(pin, partial(
                    LED, pin, active_high=active_high, initial_value=False,
                    pin_factory=pin_factory))

    def show(self, pattern: str) -> None:
        """Switch the light to `pattern`; showing the current pattern again changes nothing
        (a blink keeps its rhythm)."""
        self.check_open()
        signals = self.patterns.get(pattern)
        if signals is None:
            raise DeviceConfigError(
                f"tower light has no pattern {pattern!r}; known: {', '.join(self.patterns)} "
                "(add it under [devices.gpio.patterns])")
        if pattern == self.pattern:
            return
        self.pattern = pattern
        for colour, led in self._leds.items():
            signal = signals[colour]
            if signal.mode == "blink":
                half_s = 0.5 / signal.hz
                led.blink(on_time=half_s, off_time=half_s, background=True)
            elif signal.mode == "on":
                led.on()
            else:
                led.off()


class _Input(GpioDevice):
    """One digital input with a callback per edge (on gpiozero's thread)."""

    def __init__(self, name: str, pin: Pin, *, pin_factory: Any, pull_up: bool,
                 bounce_s: float | None) -> None:
        from gpiozero import DigitalInputDevice

        super().__init__(name)
        self._input = self._build(pin, lambda: DigitalInputDevice(
            pin, pull_up=pull_up, bounce_time=bounce_s, pin_factory=pin_factory))

    @property
    def active(self) -> bool:
        self.check_open()
        return bool(self._input.is_active)


class HelpButton(_Input):
    """The shopper's help button (to ground, internal pull-up). `on_press()` once per press:
    presses within `bounce_s` of the last one are contact bounce and ignored (mock and some
    backends do not debounce)."""

    def __init__(self, pin: Pin, *, pin_factory: Any, on_press: Callable[[], None],
                 bounce_s: float = 0.05) -> None:
        super().__init__("help button", pin, pin_factory=pin_factory, pull_up=True,
                         bounce_s=bounce_s or None)
        self._bounce_s = bounce_s
        self._last_press = -float("inf")
        self._on_press = on_press
        self._input.when_activated = self._pressed

    def _pressed(self) -> None:
        now = time.monotonic()
        if now - self._last_press < self._bounce_s:
            return
        self._last_press = now
        self._on_press()


class KeySwitch(_Input):
    """The attendant key switch (to ground, pull-up). `on_turn(on)` on both edges; turning it
    on opens attendant mode, off leaves it. `is_on` is the current position."""

    def __init__(self, pin: Pin, *, pin_factory: Any, on_turn: Callable[[bool], None],
                 bounce_s: float | None = 0.05) -> None:
        super().__init__("key switch", pin, pin_factory=pin_factory, pull_up=True,
                         bounce_s=bounce_s)
        self._input.when_activated = lambda: on_turn(True)
        self._input.when_deactivated = lambda: on_turn(False)

    @property
    def is_on(self) -> bool:
        return self.active


class PresenceSensor(_Input):
    """A PIR or light-barrier output (drives the line high when someone is there; pull-down).
    `on_change(present)` on both edges; a shopper arriving wakes the attract screen."""

    def __init__(self, pin: Pin, *, pin_factory: Any, on_change: Callable[[bool], None],
                 bounce_s: float | None = None) -> None:
        super().__init__("presence sensor", pin, pin_factory=pin_factory, pull_up=False,
                         bounce_s=bounce_s)
        self._input.when_activated = lambda: on_change(True)
        self._input.when_deactivated = lambda: on_change(False)

    @property
    def present(self) -> bool:
        return self.active


class Buzzer(GpioDevice):
    """The lane buzzer. `tonal=True` drives a passive piezo with PWM (gpiozero TonalBuzzer, 250 to
    4000 Hz); `tonal=False` switches an active buzzer on and off (gpiozero Buzzer), so sounds
    differ by rhythm only. Sounds play in the background; a new sound cuts the current one."""

    def __init__(self, pin: Pin, *, pin_factory: Any, tonal: bool = True,
                 sounds: Mapping[str, Tones] | None = None) -> None:
        from gpiozero import Buzzer as PlainBuzzer
        from gpiozero import TonalBuzzer
        from gpiozero.tones import Tone

        super().__init__("buzzer")
        self.tonal = tonal
        self.sounds = {**DEFAULT_SOUNDS, **(sounds or {})}
        self._stop = threading.Event()
        self._player: threading.Thread | None = None
        if tonal:
            self._out = self._build(pin, lambda: TonalBuzzer(
                pin, mid_tone=Tone(1000.0), octaves=2, pin_factory=pin_factory))
        else:
            self._out = self._build(pin, lambda: PlainBuzzer(pin, pin_factory=pin_factory))

    def beep(self) -> None:
        """A short high beep: an item was scanned."""
        self.play("beep")

    def error(self) -> None:
        """Two low tones: a scan or an action was refused."""
        self.play("error")

    def attention(self) -> None:
        """Three medium beeps: a person is needed at the lane."""
        self.play("attention")

    def play(self, sound: str) -> None:
        """Play a named sound in the background; the first tone starts before this returns."""
        self.check_open()
        tones = self.sounds.get(sound)
        if tones is None:
            raise DeviceConfigError(
                f"buzzer has no sound {sound!r}; known: {', '.join(self.sounds)}")
        self._cut()
        self._stop = threading.Event()
        self._sound(tones[0][0])
        self._player = threading.Thread(target=self._run, args=(tones, self._stop),
                                        name=f"buzzer:{sound}", daemon=True)
        self._player.start()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait until the current sound has finished; True if it has."""
        player = self._player
        if player is not None:
            player.join(timeout_s)
            return not player.is_alive()
        return True

    def close(self) -> None:
        self._cut()
        super().close()

    def _cut(self) -> None:
        self._stop.set()
        if self._player is not None and self._player is not threading.current_thread():
            self._player.join()
        self._player = None

    def _run(self, tones: Tones, stop: threading.Event) -> None:
        for i, (hz, duration_s) in enumerate(tones):
            if i:
                self._sound(hz)
            if stop.wait(duration_s):
                break
        if not stop.is_set():
            self._sound(None)

    def _sound(self, hz: float | None) -> None:
        if self.tonal:
            if hz is None:
                self._out.stop()
            else:
                self._out.play(hz)
        elif hz is None:
            self._out.off()
        else:
            self._out.on()


"""Lane peripherals on GPIO (gpiozero 2.x): tower light, help button, key switch, presence sensor
and buzzer, and `LanePeripherals`, which owns them all from one `GpioConfig`.

Each class is named after the physical thing and takes its pins (BCM numbers, or gpiozero pin
names such as "GPIO17") and a gpiozero pin factory, injected rather than read from
`gpiozero.Device.pin_factory`, so tests pass a `MockFactory(pin_class=MockPWMPin)`.

Why these are not `hardware.device.Device`s: a GPIO line cannot go offline (an unplugged button
reads exactly like an unpressed one), so there is no outage for a `Supervisor` to heal, and
inputs are edges delivered as callbacks, not a stream to queue. They keep the rest of the device
contract: pins are claimed at construction (the gpiozero model) and released by an idempotent
`close()`, they are context managers, `state` is a `DeviceState`, and use after close raises
`DeviceClosedError`.

Threads: real pin factories call back from a gpiozero background thread (mock pins call back
synchronously in the caller's thread). The device classes call their callbacks on whatever
thread gpiozero uses; `LanePeripherals` always hands user callbacks to its `post` callable
(`loop.call_soon_threadsafe`, or a wrapper around Kivy's `Clock.schedule_once`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from types import TracebackType
from typing import Any, Self

from hardware.errors import DeviceConfigError
from hardware.gpio_devices import (
    COLOURS,
    DEFAULT_PATTERNS,
    DEFAULT_SOUNDS,
    Buzzer,
    GpioDevice,
    HelpButton,
    KeySwitch,
    Pin,
    PresenceSensor,
    Signal,
    Tones,
    TowerLight,
    build_patterns,
    parse_signal,
)

__all__ = ["COLOURS", "DEFAULT_PATTERNS", "DEFAULT_SOUNDS", "PIN_FACTORIES", "Buzzer",
           "GpioConfig", "HelpButton", "KeySwitch", "LanePeripherals", "Pin", "Post",
           "PresenceSensor", "Signal", "Tones", "TowerLight", "build_patterns",
           "make_pin_factory", "parse_signal"]

Post = Callable[[Callable[[], None]], object]  # loop.call_soon_threadsafe fits


PIN_FACTORIES: Mapping[str, tuple[str, str, str]] = {
    # name -> (module, class, what to install when the import fails)
    "lgpio": ("gpiozero.pins.lgpio", "LGPIOFactory", "pip install lgpio (the Pi 5 needs it)"),
    "rpigpio": ("gpiozero.pins.rpigpio", "RPiGPIOFactory",
                "pip install RPi.GPIO, or rpi-lgpio on a Pi 5"),
    "pigpio": ("gpiozero.pins.pigpio", "PiGPIOFactory",
               "pip install pigpio and run pigpiod (not on a Pi 5; no TonalBuzzer)"),
    "native": ("gpiozero.pins.native", "NativeFactory", "gpiozero 2.x"),
    "mock": ("gpiozero.pins.mock", "MockFactory", "gpiozero 2.x"),
}


def make_pin_factory(name: str) -> Any:
    """The gpiozero pin factory called `name` (a key of PIN_FACTORIES; mock pins
    support PWM). Imported only now, so a lane without GPIO never loads a backend."""
    spec = PIN_FACTORIES.get(name)
    if spec is None:
        raise DeviceConfigError(
            f"GPIO pin factory {name!r} is unknown; use one of {', '.join(PIN_FACTORIES)} "
            "(lgpio on a Raspberry Pi 5, mock without GPIO hardware)")
    module_name, class_name, install = spec
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except ImportError as err:
        raise DeviceConfigError(
            f"GPIO pin factory {name!r} cannot be loaded ({err}); {install}, "
            "or set pin_factory = \"mock\" to run without GPIO") from err
    if name == "mock":
        from gpiozero.pins.mock import MockPWMPin

        return cls(pin_class=MockPWMPin)
    try:
        return cls()
    except Exception as err:  # each backend fails its own way on a machine without GPIO
        raise DeviceConfigError(
            f"GPIO pin factory {name!r} does not start on this machine: {err}; is this a "
            "Raspberry Pi with /dev/gpiochip*? Use pin_factory = \"mock\" elsewhere") from err


_PINS = ("light_green", "light_yellow", "light_red", "help_button", "key_switch",
         "presence", "buzzer")


@dataclass(frozen=True, slots=True)
class GpioConfig:
    """Which pins the lane's peripherals are on (BCM numbers; None = not fitted), the pin
    factory name, and light patterns overriding or adding to the default scheme. Field names
    are the keys of the [devices.gpio] config table."""

    pin_factory: str = "lgpio"
    light_green: Pin | None = None
    light_yellow: Pin | None = None
    light_red: Pin | None = None
    light_active_high: bool = True  # False for relay boards that switch on a low input
    help_button: Pin | None = None
    help_bounce_s: float = 0.05
    key_switch: Pin | None = None
    presence: Pin | None = None
    buzzer: Pin | None = None
    buzzer_tonal: bool = True  # False for an active buzzer on a plain output
    patterns: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        seen: dict[Pin, str] = {}
        for key in _PINS:
            pin = getattr(self, key)
            if pin is None:
                continue
            if isinstance(pin, bool) or not isinstance(pin, int | str):
                raise DeviceConfigError(f"[devices.gpio] {key} = {pin!r} is not a pin number")
            if pin in seen:
                raise DeviceConfigError(
                    f"[devices.gpio] {key} and {seen[pin]} are both pin {pin!r}; "
                    "give each peripheral its own pin")
            seen[pin] = key
        build_patterns(self.patterns)  # fail at start, not at the first intervention

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> GpioConfig:
        """From the [devices.gpio] table of the kiosk's TOML config; unknown keys are errors."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise DeviceConfigError(
                f"[devices.gpio] has unknown key(s) {', '.join(unknown)}; "
                f"known keys: {', '.join(sorted(known))}")
        return cls(**dict(raw))


class LanePeripherals:
    """Every GPIO peripheral of one lane, built from a `GpioConfig`; unfitted ones are None.

    User callbacks (`on_help()`, `on_key(on)`, `on_presence(present)`) are always called through
    `post`, never on gpiozero's thread. `pin_factory` injects a factory (tests); otherwise the
    config's factory name is resolved here and closed again by `close()`.
    """

    def __init__(self, config: GpioConfig, *, post: Post,
                 on_help: Callable[[], None] | None = None,
                 on_key: Callable[[bool], None] | None = None,
                 on_presence: Callable[[bool], None] | None = None,
                 pin_factory: Any = None) -> None:
        self.config = config
        self._post = post
        self._own_factory = pin_factory is None
        self.pin_factory = make_pin_factory(config.pin_factory) if pin_factory is None \
            else pin_factory
        self.light: TowerLight | None = None
        self.help_button: HelpButton | None = None
        self.key_switch: KeySwitch | None = None
        self.presence: PresenceSensor | None = None
        self.buzzer: Buzzer | None = None
        self._closed = False
        try:
            self._build(on_help, on_key, on_presence)
        except BaseException:
            self.close()
            raise

    def _build(self, on_help: Callable[[], None] | None, on_key: Callable[[bool], None] | None,
               on_presence: Callable[[bool], None] | None) -> None:
        c, f = self.config, self.pin_factory
        if any(p is not None for p in (c.light_green, c.light_yellow, c.light_red)):
            self.light = TowerLight(c.light_green, c.light_yellow, c.light_red, pin_factory=f,
                                    active_high=c.light_active_high, patterns=c.patterns)
        if c.help_button is not None:
            self.help_button = HelpButton(c.help_button, pin_factory=f,
                                          on_press=self._posted0(on_help),
                                          bounce_s=c.help_bounce_s)
        if c.key_switch is not None:
            self.key_switch = KeySwitch(c.key_switch, pin_factory=f,
                                        on_turn=self._posted1(on_key))
        if c.presence is not None:
            self.presence = PresenceSensor(c.presence, pin_factory=f,
                                           on_change=self._posted1(on_presence))
        if c.buzzer is not None:
            self.buzzer = Buzzer(c.buzzer, pin_factory=f, tonal=c.buzzer_tonal)

    def _posted0(self, callback: Callable[[], None] | None) -> Callable[[], None]:
        def fire() -> None:
            if callback is not None and not self._closed:
                self._post(callback)
        return fire

    def _posted1(self, callback: Callable[[bool], None] | None) -> Callable[[bool], None]:
        def fire(value: bool) -> None:
            if callback is not None and not self._closed:
                self._post(lambda: callback(value))
        return fire

    @property
    def devices(self) -> Sequence[GpioDevice]:
        """The fitted peripherals."""
        found = (self.light, self.help_button, self.key_switch, self.presence, self.buzzer)
        return [d for d in found if d is not None]

    def show(self, pattern: str) -> None:
        """Show a light pattern (nothing happens without a tower light)."""
        if self.light is not None:
            self.light.show(pattern)

    def sound(self, name: str | None) -> None:
        """Play "beep", "error" or "attention" (None, or no buzzer fitted: silence)."""
        if name is not None and self.buzzer is not None:
            self.buzzer.play(name)

    def close(self) -> None:
        """Release every pin (and the pin factory this object made). Idempotent."""
        if self._closed:
            return
        self._closed = True
        for device in reversed(self.devices):
            device.close()
        if self._own_factory and self.pin_factory is not None:
            self.pin_factory.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

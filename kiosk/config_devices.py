"""The [devices] part of the config: which scanners, scales and lane peripherals a lane has.

```toml
[devices]
simulate = false            # true: start simulators on ptys instead of real hardware (demo)

[devices.scanner]           # a serial or USB-CDC scanner (AIM ids on, CR suffix)
port = "/dev/kiosk-scanner" # any pyserial URL: device path, pty, socket://host:port
baudrate = 9600             # bytesize, parity ("N"/"E"/"O"), stopbits likewise

[devices.wedge]             # a USB keyboard-wedge scanner, read through evdev (grabbed)
path = "/dev/input/by-id/usb-Datalogic-event-kbd"
layout = "de"               # the layout the SCANNER is programmed for: "de" or "us"

[devices.scale]             # the produce scale (legal for trade)
protocol = "toledo"         # toledo | nci | mtsics
port = "/dev/kiosk-scale"
min_weight_g = 40           # below this nothing is priced
max_weight_g = 15000

[devices.bagging]           # the security scale under the bagging area
protocol = "mtsics"
port = "/dev/kiosk-bagging"

[devices.camera]            # a camera reading barcodes and QR codes held up to it
source = "/dev/video0"      # /dev/videoN (USB, MJPG), "picamera" (Raspberry Pi), a video file
                            # or a folder of images replayed as frames (demo, tests)
width = 1280
height = 720                # (fps = 30; loop = true replays a file or folder forever)

[devices.gpio]              # tower light, help button, buzzer, presence sensor, key switch
pin_factory = "lgpio"       # lgpio (Pi 5) | rpigpio | native | mock
light_green = 17
light_yellow = 27
light_red = 22
help_button = 23
buzzer = 18
presence = 24
key_switch = 25

[devices.terminal]          # the card terminal (ZVT)
url = "tcp://192.168.1.50:20007"   # ZVT over TCP (raw APDUs), or a serial path: DLE/STX + CRC
password = "000000"         # the terminal's ECR password (6 digits)
completion_timeout_s = 120  # silence after the card prompt this long -> abort, then "unknown"

[devices.printer]           # the receipt printer (ESC/POS)
url = "/dev/kiosk-printer"  # a serial path, "tcp://host:9100", or "file:///path" (demo)
columns = 48                # 48 on 80 mm paper, 42 on 58 mm (font A)
codepage = "CP858"          # CP850 with the euro sign
```
Every table is optional; a lane without [devices] types codes on its screen. Errors name the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kiosk.errors import ConfigError

SCALE_PROTOCOLS = ("toledo", "nci", "mtsics")
PIN_FACTORIES = ("lgpio", "rpigpio", "pigpio", "native", "mock")
GPIO_PINS = ("light_green", "light_yellow", "light_red", "help_button", "buzzer", "presence",
             "key_switch")
# The line settings each scale protocol is specified with (protocols.md §3).
SCALE_LINE = {"toledo": (9600, 7, "E", 1), "nci": (9600, 7, "E", 1), "mtsics": (9600, 8, "N", 1)}


@dataclass(frozen=True, slots=True)
class SerialPortConfig:
    port: str
    baudrate: int = 9600
    bytesize: int = 8
    parity: str = "N"
    stopbits: int = 1


@dataclass(frozen=True, slots=True)
class WedgeConfig:
    path: str
    layout: str = "de"


@dataclass(frozen=True, slots=True)
class ScaleConfig:
    protocol: str
    line: SerialPortConfig
    min_weight_g: int = 40
    max_weight_g: int = 15000


@dataclass(frozen=True, slots=True)
class CameraConfig:
    source: str
    width: int = 1280
    height: int = 720
    fps: int = 30
    loop: bool = False  # a video file or image folder starts over at its end (demo)


@dataclass(frozen=True, slots=True)
class GpioConfig:
    pin_factory: str = "lgpio"
    pins: Mapping[str, int] = field(default_factory=dict)
    patterns: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TerminalConfig:
    url: str
    password: str = "000000"
    completion_timeout_s: int = 120


@dataclass(frozen=True, slots=True)
class PrinterConfig:
    url: str
    columns: int = 48
    codepage: str = "CP858"


@dataclass(frozen=True, slots=True)
class DevicesConfig:
    simulate: bool = False
    scanner: SerialPortConfig | None = None
    wedge: WedgeConfig | None = None
    scale: ScaleConfig | None = None
    bagging: ScaleConfig | None = None
    gpio: GpioConfig | None = None
    camera: CameraConfig | None = None
    terminal: TerminalConfig | None = None
    printer: PrinterConfig | None = None

    @property
    def any(self) -> bool:
        return any((self.scanner, self.wedge, self.scale, self.bagging, self.gpio, self.camera,
                    self.terminal, self.printer))


def parse_devices(raw: Mapping[str, Any]) -> DevicesConfig:
    """Typed devices from the raw [devices] table; ConfigError names the bad key and value."""
    known = {"simulate", "scanner", "wedge", "scale", "bagging", "gpio", "camera", "terminal",
             "printer"}
    _no_unknown("devices", raw, known)
    simulate = raw.get("simulate", False)
    if not isinstance(simulate, bool):
        raise ConfigError(f"devices.simulate: expected true or false, got {simulate!r}")
    return DevicesConfig(
        simulate=simulate,
        scanner=_serial("devices.scanner", _table(raw, "scanner")) if "scanner" in raw else None,
        wedge=_wedge(_table(raw, "wedge")) if "wedge" in raw else None,
        scale=_scale("devices.scale", _table(raw, "scale"), "toledo") if "scale" in raw else None,
        bagging=_scale("devices.bagging", _table(raw, "bagging"), "mtsics")
        if "bagging" in raw else None,
        gpio=_gpio(_table(raw, "gpio")) if "gpio" in raw else None,
        camera=_camera(_table(raw, "camera")) if "camera" in raw else None,
        terminal=_terminal(_table(raw, "terminal")) if "terminal" in raw else None,
        printer=_printer(_table(raw, "printer")) if "printer" in raw else None,
    )


def _terminal(t: Mapping[str, Any]) -> TerminalConfig:
    where = "devices.terminal"
    _no_unknown(where, t, {"url", "password", "completion_timeout_s"})
    password = t.get("password", "000000")
    if not isinstance(password, str) or len(password) != 6 or not password.isdigit():
        raise ConfigError(f"{where}.password: the terminal's password is 6 digits in quotes, "
                          f"got {password!r}")
    return TerminalConfig(url=_text(where, t, "url"), password=password,
                          completion_timeout_s=_int(where, t, "completion_timeout_s", 120, 1,
                                                    600))


def _printer(t: Mapping[str, Any]) -> PrinterConfig:
    where = "devices.printer"
    _no_unknown(where, t, {"url", "columns", "codepage"})
    codepage = t.get("codepage", "CP858")
    if codepage not in ("CP858", "CP850", "CP437"):
        raise ConfigError(f"{where}.codepage: 'CP858' (German with €), 'CP850' or 'CP437', "
                          f"got {codepage!r}")
    return PrinterConfig(url=_text(where, t, "url"),
                         columns=_int(where, t, "columns", 48, 32, 64), codepage=codepage)


def _camera(t: Mapping[str, Any]) -> CameraConfig:
    where = "devices.camera"
    _no_unknown(where, t, {"source", "width", "height", "fps", "loop"})
    loop = t.get("loop", False)
    if not isinstance(loop, bool):
        raise ConfigError(f"{where}.loop: expected true or false, got {loop!r}")
    return CameraConfig(
        source=_text(where, t, "source"),
        width=_int(where, t, "width", 1280, 160, 4096),
        height=_int(where, t, "height", 720, 120, 3072),
        fps=_int(where, t, "fps", 30, 1, 120),
        loop=loop,
    )


def _table(raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = raw[key]
    if not isinstance(value, Mapping):
        raise ConfigError(f"devices.{key}: expected a table like [devices.{key}], got {value!r}")
    return value


def _no_unknown(where: str, t: Mapping[str, Any], known: set[str]) -> None:
    import difflib

    for key in t:
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=1)
            hint = f"; did you mean {where}.{close[0]!r}" if close else ""
            raise ConfigError(f"unknown key {where}.{key!r}{hint}; known keys here: "
                              f"{', '.join(sorted(known))}")


def _int(where: str, t: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = t.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(f"{where}.{key}: must be a whole number from {low} to {high}, "
                          f"got {value!r}")
    return value


def _text(where: str, t: Mapping[str, Any], key: str, default: str | None = None) -> str:
    value = t.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}.{key}: expected a non-empty text in quotes, got {value!r}")
    return value


def _serial(where: str, t: Mapping[str, Any], defaults: tuple[int, int, str, int] = (
        9600, 8, "N", 1), extra: set[str] | None = None) -> SerialPortConfig:
    _no_unknown(where, t, {"port", "baudrate", "bytesize", "parity", "stopbits"} | (extra or set()))
    baud, bits, parity, stop = defaults
    parity_value = t.get("parity", parity)
    if parity_value not in ("N", "E", "O"):
        raise ConfigError(f"{where}.parity: 'N', 'E' or 'O', got {parity_value!r}")
    return SerialPortConfig(
        port=_text(where, t, "port"),
        baudrate=_int(where, t, "baudrate", baud, 300, 921600),
        bytesize=_int(where, t, "bytesize", bits, 7, 8),
        parity=parity_value,
        stopbits=_int(where, t, "stopbits", stop, 1, 2),
    )


def _wedge(t: Mapping[str, Any]) -> WedgeConfig:
    _no_unknown("devices.wedge", t, {"path", "layout"})
    layout = t.get("layout", "de")
    if layout not in ("de", "us"):
        raise ConfigError(f"devices.wedge.layout: 'de' or 'us' (the layout the scanner is "
                          f"programmed for), got {layout!r}")
    return WedgeConfig(path=_text("devices.wedge", t, "path"), layout=layout)


def _scale(where: str, t: Mapping[str, Any], default_protocol: str) -> ScaleConfig:
    protocol = t.get("protocol", default_protocol)
    if protocol not in SCALE_PROTOCOLS:
        raise ConfigError(f"{where}.protocol: one of {', '.join(SCALE_PROTOCOLS)}, "
                          f"got {protocol!r}")
    line = _serial(where, t, SCALE_LINE[protocol], {"protocol", "min_weight_g", "max_weight_g"})
    low = _int(where, t, "min_weight_g", 40, 0, 100_000)
    high = _int(where, t, "max_weight_g", 15_000, 1, 1_000_000)
    if high <= low:
        raise ConfigError(f"{where}: max_weight_g {high} must be above min_weight_g {low}")
    return ScaleConfig(protocol=protocol, line=line, min_weight_g=low, max_weight_g=high)


def _gpio(t: Mapping[str, Any]) -> GpioConfig:
    _no_unknown("devices.gpio", t, {"pin_factory", "patterns", *GPIO_PINS})
    factory = t.get("pin_factory", "lgpio")
    if factory not in PIN_FACTORIES:
        raise ConfigError(f"devices.gpio.pin_factory: one of {', '.join(PIN_FACTORIES)}, "
                          f"got {factory!r}")
    pins = {k: _int("devices.gpio", t, k, 0, 0, 53) for k in GPIO_PINS if k in t}
    used: dict[int, str] = {}
    for name, pin in pins.items():
        if pin in used:
            raise ConfigError(f"devices.gpio: {name} and {used[pin]} both use GPIO {pin}")
        used[pin] = name
    patterns = t.get("patterns", {})
    if not isinstance(patterns, Mapping):
        raise ConfigError(f"devices.gpio.patterns: expected a table, got {patterns!r}")
    return GpioConfig(pin_factory=factory, pins=pins, patterns=dict(patterns))

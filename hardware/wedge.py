"""USB HID keyboard-wedge scanners on Linux, read through evdev (protocols.md §2.2).

A wedge scanner "types" each label as key presses and ends it with Enter. The key CODES follow the
keyboard layout the SCANNER is programmed for, not the host's: a scanner set to German (QWERTZ)
sends KEY_Y for "z" and KEY_SLASH for "-". So the config names the scanner's layout ("de" or
"us"), and a German-configured scanner must be configured here as "de".

`WedgeDecoder` is pure: (type, code, value) triples in, a label's text out on Enter.
`WedgeScanner` is the Device: it opens `/dev/input/...` with evdev (imported only when opened; it
is an optional dependency, the `pi` extra), grabs it so keystrokes do not reach the Kivy window,
and emits `DataEvent(name, ScanData(source="wedge"))`. A wedge cannot carry GS or AIM ids
reliably: use it for EAN/UPC; GS1 scanners belong on USB-COM (CDC).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from hardware.device import DataEvent, Device, ErrorEvent
from hardware.errors import DeviceConfigError, DeviceOfflineError, ProtocolError
from hardware.scanner import ScanData, split_aim

# linux/input-event-codes.h
EV_KEY = 1
KEY_UP, KEY_DOWN, KEY_REPEAT = 0, 1, 2  # event values
KEY_1, KEY_2, KEY_3, KEY_7, KEY_8, KEY_9, KEY_0 = 2, 3, 4, 8, 9, 10, 11
KEY_MINUS, KEY_EQUAL = 12, 13
KEY_Q, KEY_W, KEY_E, KEY_R, KEY_T, KEY_Y, KEY_U, KEY_I, KEY_O, KEY_P = range(16, 26)
KEY_LEFTBRACE, KEY_RIGHTBRACE, KEY_ENTER = 26, 27, 28
KEY_A, KEY_S, KEY_D, KEY_F, KEY_G, KEY_H, KEY_J, KEY_K, KEY_L = range(30, 39)
KEY_SEMICOLON, KEY_APOSTROPHE, KEY_GRAVE, KEY_LEFTSHIFT, KEY_BACKSLASH = 39, 40, 41, 42, 43
KEY_Z, KEY_X, KEY_C, KEY_V, KEY_B, KEY_N, KEY_M = range(44, 51)
KEY_COMMA, KEY_DOT, KEY_SLASH, KEY_RIGHTSHIFT, KEY_KPASTERISK = 51, 52, 53, 54, 55
KEY_SPACE = 57
KEY_KP7, KEY_KP8, KEY_KP9, KEY_KPMINUS = 71, 72, 73, 74
KEY_KP4, KEY_KP5, KEY_KP6, KEY_KPPLUS = 75, 76, 77, 78
KEY_KP1, KEY_KP2, KEY_KP3, KEY_KP0, KEY_KPDOT = 79, 80, 81, 82, 83
KEY_102ND, KEY_KPENTER, KEY_KPSLASH, KEY_RIGHTALT = 86, 96, 98, 100

MAX_CODE_CHARS = 512

_LETTERS = {KEY_Q: "q", KEY_W: "w", KEY_E: "e", KEY_R: "r", KEY_T: "t", KEY_Y: "y",
            KEY_U: "u", KEY_I: "i", KEY_O: "o", KEY_P: "p", KEY_A: "a", KEY_S: "s",
            KEY_D: "d", KEY_F: "f", KEY_G: "g", KEY_H: "h", KEY_J: "j", KEY_K: "k",
            KEY_L: "l", KEY_Z: "z", KEY_X: "x", KEY_C: "c", KEY_V: "v", KEY_B: "b",
            KEY_N: "n", KEY_M: "m"}
_DIGITS = {KEY_1 + i: str((i + 1) % 10) for i in range(10)}  # KEY_1..KEY_9, KEY_0
_KEYPAD = {KEY_KP0: "0", KEY_KP1: "1", KEY_KP2: "2", KEY_KP3: "3", KEY_KP4: "4",
           KEY_KP5: "5", KEY_KP6: "6", KEY_KP7: "7", KEY_KP8: "8", KEY_KP9: "9",
           KEY_KPASTERISK: "*", KEY_KPMINUS: "-", KEY_KPPLUS: "+", KEY_KPSLASH: "/"}

# keycode -> (plain, shifted)
_US: dict[int, tuple[str, str]] = {
    **{k: (c, c.upper()) for k, c in _LETTERS.items()},
    **{k: (d, s) for (k, d), s in zip(_DIGITS.items(), "!@#$%^&*()", strict=True)},
    **{k: (c, c) for k, c in _KEYPAD.items()},
    KEY_KPDOT: (".", "."),
    KEY_MINUS: ("-", "_"), KEY_EQUAL: ("=", "+"), KEY_LEFTBRACE: ("[", "{"),
    KEY_RIGHTBRACE: ("]", "}"), KEY_SEMICOLON: (";", ":"), KEY_APOSTROPHE: ("'", '"'),
    KEY_GRAVE: ("`", "~"), KEY_BACKSLASH: ("\\", "|"), KEY_COMMA: (",", "<"),
    KEY_DOT: (".", ">"), KEY_SLASH: ("/", "?"), KEY_SPACE: (" ", " "), KEY_102ND: ("<", ">"),
}

_DE_SWAPPED = {KEY_Y: ("z", "Z"), KEY_Z: ("y", "Y")}  # QWERTZ
_DE: dict[int, tuple[str, str]] = {
    **{k: (c, c.upper()) for k, c in _LETTERS.items()},
    **_DE_SWAPPED,
    **{k: (d, s) for (k, d), s in zip(_DIGITS.items(), '!"§$%&/()=', strict=True)},
    **{k: (c, c) for k, c in _KEYPAD.items()},
    KEY_KPDOT: (",", ","),
    KEY_MINUS: ("ß", "?"), KEY_EQUAL: ("´", "`"), KEY_LEFTBRACE: ("ü", "Ü"),
    KEY_RIGHTBRACE: ("+", "*"), KEY_SEMICOLON: ("ö", "Ö"), KEY_APOSTROPHE: ("ä", "Ä"),
    KEY_GRAVE: ("^", "°"), KEY_BACKSLASH: ("#", "'"), KEY_COMMA: (",", ";"),
    KEY_DOT: (".", ":"), KEY_SLASH: ("-", "_"), KEY_SPACE: (" ", " "), KEY_102ND: ("<", ">"),
}
_DE_ALTGR = {KEY_Q: "@", KEY_E: "€", KEY_M: "µ", KEY_2: "²", KEY_3: "³", KEY_7: "{",
             KEY_8: "[", KEY_9: "]", KEY_0: "}", KEY_MINUS: "\\", KEY_RIGHTBRACE: "~",
             KEY_102ND: "|"}

LAYOUTS: dict[str, tuple[dict[int, tuple[str, str]], dict[int, str]]] = {
    "us": (_US, {}),
    "de": (_DE, _DE_ALTGR),
}


class WedgeDecoder:
    """Key events in, label text out. `layout` is the layout the scanner is programmed for.

    `feed(type, code, value)` returns the label when Enter (or keypad Enter) ends it, else None.
    Only key-down events type characters (key repeat is ignored: scanners do not hold keys);
    Shift (left or right) and, for "de", AltGr (right Alt) are tracked. A label holding a key
    with no character in this layout, or longer than MAX_CODE_CHARS, raises ProtocolError when
    it ends; the next label starts clean.
    """

    def __init__(self, layout: str = "de", *, label: str = "wedge scanner") -> None:
        if layout not in LAYOUTS:
            raise DeviceConfigError(
                f"{label}: keyboard layout {layout!r} is not supported; use one of "
                f"{', '.join(sorted(LAYOUTS))} (the layout the scanner is programmed for)")
        self.layout = layout
        self.label = label
        self._keys, self._altgr_keys = LAYOUTS[layout]
        self._shift: set[int] = set()
        self._altgr = False
        self._chars: list[str] = []
        self._unknown: list[int] = []

    def reset(self) -> None:
        """Forget a half-typed label and the modifier state."""
        self._shift.clear()
        self._altgr = False
        self._chars.clear()
        self._unknown.clear()

    def feed(self, ev_type: int, code: int, value: int) -> str | None:
        """One input event; returns the finished label on Enter, else None."""
        if ev_type != EV_KEY:
            return None
        if code in (KEY_LEFTSHIFT, KEY_RIGHTSHIFT):
            if value == KEY_UP:
                self._shift.discard(code)
            else:
                self._shift.add(code)
            return None
        if code == KEY_RIGHTALT:
            self._altgr = value != KEY_UP
            return None
        if value != KEY_DOWN:
            return None
        if code in (KEY_ENTER, KEY_KPENTER):
            return self._finish()
        char = self._char(code)
        if char is None:
            self._unknown.append(code)
        elif len(self._chars) < MAX_CODE_CHARS:
            self._chars.append(char)
        else:
            self._unknown.append(code)
        return None

    def _char(self, code: int) -> str | None:
        if self._altgr:
            return self._altgr_keys.get(code)
        pair = self._keys.get(code)
        if pair is None:
            return None
        return pair[1] if self._shift else pair[0]

    def _finish(self) -> str | None:
        text = "".join(self._chars)
        unknown = list(self._unknown)
        self._chars.clear()
        self._unknown.clear()
        if unknown:
            raise ProtocolError(
                f"{self.label}: keys {unknown} have no character in layout {self.layout!r} "
                f"(or the label is over {MAX_CODE_CHARS} characters), read so far {text!r}; "
                "check that the configured layout matches the scanner's programming",
                text.encode("utf-8"))
        return text or None


class WedgeScanner(Device):
    """A keyboard-wedge scanner at `path` (e.g. /dev/kiosk-wedge or /dev/input/by-id/...).

    Needs the optional `evdev` package and read access to the input device (group "input").
    """

    def __init__(self, name: str, path: str, layout: str = "de") -> None:
        super().__init__(name)
        if not path:
            raise DeviceConfigError(
                f"{name}: no input device given; set path = \"/dev/kiosk-wedge\" or a "
                "/dev/input/by-id/...-event-kbd path")
        self.path = path
        self.decoder = WedgeDecoder(layout, label=f"{name} on {path}")
        self._dev: Any = None
        self._task: asyncio.Task[None] | None = None

    async def _open(self) -> None:
        try:
            import evdev  # optional: only kiosks with a wedge scanner need it
        except ImportError as err:
            raise DeviceConfigError(
                f"{self.name}: reading a keyboard-wedge scanner at {self.path} needs the evdev "
                "package; pip install evdev (or install the kiosk with the 'pi' extra)") from err
        try:
            dev = evdev.InputDevice(self.path)
        except OSError as err:
            raise DeviceOfflineError(
                f"{self.name}: cannot open {self.path}: {err}; check the cable and that the "
                "kiosk user is in the 'input' group") from err
        try:
            dev.grab()  # keystrokes must not also reach the Kivy window as typing
        except OSError as err:
            dev.close()
            raise DeviceOfflineError(
                f"{self.name}: cannot grab {self.path}: {err}; another program holds it") from err
        self._dev = dev
        self.decoder.reset()
        self._task = asyncio.get_running_loop().create_task(
            self._read(dev), name=f"wedge:{self.name}")

    async def _read(self, dev: Any) -> None:
        try:
            async for event in dev.async_read_loop():
                self._on_key(int(event.type), int(event.code), int(event.value))
        except OSError as err:
            self._went_offline(f"{self.path}: {err}")

    def _on_key(self, ev_type: int, code: int, value: int) -> None:
        try:
            text = self.decoder.feed(ev_type, code, value)
        except ProtocolError as err:
            self._emit(ErrorEvent(self.name, err))
            return
        if text is not None:
            aim, payload = split_aim(text)
            if not payload:
                return
            self._emit(DataEvent(self.name, ScanData(
                raw=text.encode("utf-8"), text=payload, aim=aim, source="wedge")))

    async def _close(self) -> None:
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        dev, self._dev = self._dev, None
        if dev is not None:
            with contextlib.suppress(OSError):
                dev.ungrab()
            with contextlib.suppress(OSError):
                dev.close()

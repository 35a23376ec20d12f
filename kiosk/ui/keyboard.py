"""Keyboard-wedge input: characters typed anywhere in the window, Enter makes them a scan.

Until the serial scanner drivers are wired, a USB scanner in keyboard mode (or a person at a
keyboard) "scans" by typing a code and Enter. The window feeds text events and key codes here;
no field needs focus. Pure Python, so the rules are tested without a window.
"""

from __future__ import annotations

# Kivy/SDL key codes.
ENTER_KEYS = frozenset({13, 271})  # Return, keypad Enter
BACKSPACE = 8
ESCAPE = 27

MAX_CODE_CHARS = 256  # longer than any GS1 element string; a stuck key cannot grow memory
GS = "\x1d"  # GS1 group separator (FNC1) some scanners send inside a code


class ScanBuffer:
    """Collects typed characters; `key(Enter)` returns the code and starts a new one."""

    def __init__(self) -> None:
        self._chars: list[str] = []

    @property
    def text(self) -> str:
        """What has been typed since the last Enter or Escape."""
        return "".join(self._chars)

    def feed(self, text: str) -> None:
        """Add typed text: printable ASCII without spaces (digits, letters, ']', '(', ')', ...)
        and the GS1 separator; anything else (umlauts, control characters) is dropped.
        """
        for char in text:
            if len(self._chars) >= MAX_CODE_CHARS:
                return
            if char == GS or (char.isascii() and char.isprintable() and not char.isspace()):
                self._chars.append(char)

    def key(self, keycode: int) -> str | None:
        """Handle a special key. Enter returns the typed code (None if nothing was typed);
        Backspace drops the last character; Escape drops everything.
        """
        if keycode in ENTER_KEYS:
            code = self.text
            self._chars.clear()
            return code or None
        if keycode == BACKSPACE:
            if self._chars:
                self._chars.pop()
        elif keycode == ESCAPE:
            self._chars.clear()
        return None

    @staticmethod
    def handles(keycode: int) -> bool:
        """Whether `key()` acts on this key code (so the window can swallow it)."""
        return keycode in ENTER_KEYS or keycode in (BACKSPACE, ESCAPE)

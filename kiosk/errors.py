"""The kiosk's error tree.

Every error is a `KioskError` and also the natural built-in (`ValueError`, `LookupError`,
`PermissionError`, ...), so callers outside the project can catch what they expect. `str(err)`
is one plain sentence for logs and stderr: what was wrong, with the value, and what to do.
Errors a shopper may see also carry `shopper_text(lang)`, a short sentence for the screen.
"""

from __future__ import annotations

from collections.abc import Mapping


class KioskError(Exception):
    """Root of every error the kiosk raises on purpose."""


class ShopperFacingError(KioskError):
    """An error with a short text for the shopper, in each UI language.

    `texts` maps a language code ("de", "en") to the sentence; English is the fallback.
    """

    def __init__(self, message: str, texts: Mapping[str, str]) -> None:
        super().__init__(message)
        self.texts = dict(texts)

    def shopper_text(self, lang: str = "de") -> str:
        return self.texts.get(lang) or self.texts.get("en") or str(self)


class ConfigError(KioskError, ValueError):
    """The configuration file is malformed; the message names the key and the bad value."""


class CatalogError(KioskError, ValueError):
    """A catalog record is malformed; the message names the record and the field."""


class CodeError(ShopperFacingError, ValueError):
    """A scanned code cannot be used: bad check digit, unknown layout, garbled data.

    `reason` is a stable machine key ("bad_check_digit", "unknown_product", ...).
    """

    def __init__(self, message: str, texts: Mapping[str, str], *, code: str, reason: str) -> None:
        super().__init__(message, texts)
        self.code = code
        self.reason = reason


class FlowError(ShopperFacingError, RuntimeError):
    """An event is not allowed in the checkout's current state (e.g. pay with an empty basket)."""


class AuthError(KioskError, PermissionError):
    """An attendant could not be authenticated or is not allowed to do this (wrong PIN, lockout)."""


class JournalError(KioskError, RuntimeError):
    """The durable journal cannot be read or written; nothing already committed is lost."""

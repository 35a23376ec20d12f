"""The hub's errors: each a KioskError and the natural built-in, one plain sentence each."""

from __future__ import annotations

from kiosk.errors import KioskError


class HubError(KioskError, RuntimeError):
    """The hub's database cannot be opened, read or written; nothing half-done is kept."""


class EnrolRefused(KioskError, PermissionError):
    """An enrolment code is unknown, used, expired or made for another device (HTTP 403)."""


class BadRequest(KioskError, ValueError):
    """A request's body or a field in it is not what the API takes (HTTP 400)."""

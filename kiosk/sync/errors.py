"""Errors of the uploader process: each one plain sentence saying what to do."""

from __future__ import annotations

from kiosk.errors import KioskError


class SyncError(KioskError, RuntimeError):
    """The hub could not be used for this step (unreachable, refused, answered nonsense)."""


class HubAuthError(SyncError, PermissionError):
    """The hub refused this lane's credentials (401): the lane must be enrolled again."""


class EnrolError(SyncError):
    """Enrolment failed: the hub refused the code, or the token could not be stored."""


class TooLargeForHub(SyncError):
    """The hub refused the request body as too large (413): send fewer sales per request."""

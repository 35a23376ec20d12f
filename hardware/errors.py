"""The hardware layer's error tree.

Every error is a `HardwareError` and also the natural built-in. `str(err)` is one plain sentence:
what went wrong with which device (by name and port) and what to do. Nothing here imports `kiosk`.
"""

from __future__ import annotations


class HardwareError(Exception):
    """Root of every error the hardware layer raises on purpose."""


class DeviceClosedError(HardwareError, RuntimeError):
    """The device was used while closed (before `open()` or after `close()`)."""


class DeviceOfflineError(HardwareError, ConnectionError):
    """The device went away (unplugged, port vanished, peer closed) or does not answer."""


class DeviceTimeoutError(HardwareError, TimeoutError):
    """The device did not answer within its time limit."""


class ProtocolError(HardwareError, ValueError):
    """Bytes from a device do not follow its protocol (garbage, a truncated or unknown frame).

    `data` holds the offending bytes for the log.
    """

    def __init__(self, message: str, data: bytes = b"") -> None:
        super().__init__(message)
        self.data = data


class DeviceConfigError(HardwareError, ValueError):
    """A device's settings are invalid (unknown protocol, bad port URL, bad pin number)."""

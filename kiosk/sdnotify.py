"""systemd's notify protocol without systemd-python: READY=1, WATCHDOG=1, STATUS=...

The service manager passes a datagram socket in $NOTIFY_SOCKET (a path, or '@name' for the
abstract namespace) and, for watchdog units, the period in $WATCHDOG_USEC. Outside systemd
(a developer's shell, tests) the variables are unset and `notify` quietly returns False.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)

_warned: set[str] = set()  # socket addresses we already logged a failure for (log once)


def _address(raw: str) -> str:
    # '@' marks Linux's abstract namespace, which the kernel spells with a leading NUL byte.
    return "\0" + raw[1:] if raw.startswith("@") else raw


def notify(message: str, env: Mapping[str, str] | None = None) -> bool:
    """Send `message` (e.g. "READY=1", "WATCHDOG=1", "STATUS=Scanning") to the service manager.

    Returns True when the datagram was sent; False when $NOTIFY_SOCKET is unset or the socket
    cannot be reached. Never raises for a missing or dead socket: the first failure per socket
    is logged at WARNING, later ones are silent, so a watchdog loop cannot flood the journal.
    `env` defaults to os.environ.
    """
    raw = (os.environ if env is None else env).get("NOTIFY_SOCKET", "")
    if not raw:
        return False
    if not raw.startswith(("/", "@")):
        _warn_once(raw, f"NOTIFY_SOCKET {raw!r} is neither a path nor '@name'; not notifying")
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(_address(raw))
            sock.sendall(message.encode("utf-8"))
    except OSError as err:
        _warn_once(raw, f"cannot notify systemd at {raw!r} ({err}); is the service manager up?")
        return False
    _warned.discard(raw)  # it works again: a later failure is news worth one more line
    return True


def watchdog_interval_s(env: Mapping[str, str] | None = None) -> float | None:
    """How often to send WATCHDOG=1, in seconds: half of $WATCHDOG_USEC, as systemd advises.

    None when there is no watchdog: the variable is unset, not a positive integer, or
    $WATCHDOG_PID is set and names another process (the watchdog was meant for a parent).
    `env` defaults to os.environ.
    """
    e = os.environ if env is None else env
    usec_text = e.get("WATCHDOG_USEC", "").strip()
    if not usec_text:
        return None
    pid_text = e.get("WATCHDOG_PID", "").strip()
    if pid_text and pid_text != str(os.getpid()):
        return None
    try:
        usec = int(usec_text)
    except ValueError:
        _warn_once(f"WATCHDOG_USEC={usec_text}", f"WATCHDOG_USEC {usec_text!r} is not a number "
                   "of microseconds; running without a watchdog")
        return None
    if usec <= 0:
        return None
    return usec / 2_000_000


class StatusNotifier:
    """Keeps `systemctl status` showing what the lane is doing: STATUS=<text()> datagrams.

    `poll(now_s)` (from the UI tick; `now_s` any monotonic clock in seconds) asks `text()` at
    most once per `min_interval_s` and sends it only when it differs from the last one sent, so
    a busy lane cannot flood the service manager and a quiet one sends nothing. A newline in the
    text would start a new protocol field, so it becomes a space.
    """

    def __init__(self, text: Callable[[], str], *, min_interval_s: float = 2.0,
                 env: Mapping[str, str] | None = None) -> None:
        self.text = text
        self.min_interval_s = min_interval_s
        self.env = env
        self.sent: str | None = None  # the last status sent (or tried outside systemd)
        self._asked_at_s: float | None = None

    def poll(self, now_s: float) -> bool:
        """Send the status if it changed and the interval is over; True when one was sent."""
        if self._asked_at_s is not None and now_s - self._asked_at_s < self.min_interval_s:
            return False
        self._asked_at_s = now_s
        return self.send(self.text())

    def send(self, text: str, prefix: str = "") -> bool:
        """Send `prefix` (e.g. "READY=1\n") with STATUS=`text`, unless that status was the last
        one sent and there is no prefix; True when a datagram was sent."""
        text = " ".join(text.split("\n"))
        if text == self.sent and not prefix:
            return False
        self.sent = text
        return notify(f"{prefix}STATUS={text}", self.env)


def _warn_once(key: str, text: str) -> None:
    if key not in _warned:
        _warned.add(key)
        log.warning("%s", text)

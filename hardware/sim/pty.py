"""A pseudo-terminal with a stable symlink: the "cable" every serial simulator plugs into.

`PtyLink(link)` owns both ends of one pty pair while plugged in. The driver under test opens
`link` (a symlink that points at the slave, like a udev symlink such as `/dev/kiosk-scanner`)
with pyserial and its production settings; the simulator writes to and reads from the master.

    link = PtyLink(tmp_path / "kiosk-scale")
    link.plug()                 # openpty + raw slave + symlink -> /dev/pts/N
    link.write(b"...")          # bytes the driver will read
    link.read(timeout_s=0.5)    # bytes the driver wrote (b"" when nothing came)
    link.unplug()               # close both ends, remove the symlink: the driver's read fails
    link.plug()                 # a NEW pty; the same symlink now points at it
    link.close()                # unplug for good (idempotent)

Why keep the slave open inside the simulator: otherwise the master reads EIO whenever the driver
has the port closed (between reconnects), and the pty's raw settings would be lost.
Baud rate and parity are meaningless on a pty; the driver's settings are still applied.
The link replaces its symlink atomically, so a driver that retries never sees a half-made link.
"""

from __future__ import annotations

import contextlib
import errno
import os
import select
import threading
import tty
from pathlib import Path

from hardware.errors import DeviceOfflineError


class PtyLink:
    """One pty pair behind a stable symlink `link`; thread-safe `write`, single-reader `read`."""

    def __init__(self, link: Path | str) -> None:
        self.link = Path(link)
        self._master: int | None = None
        self._slave: int | None = None
        self._lock = threading.Lock()
        self._readers = 0  # reads in progress: their fd must stay open until they return
        self._to_close: list[int] = []

    def __enter__(self) -> PtyLink:
        self.plug()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def plugged(self) -> bool:
        return self._master is not None

    @property
    def slave_path(self) -> str:
        """The current /dev/pts/N behind the symlink (changes on every plug)."""
        with self._lock:
            if self._slave is None:
                raise DeviceOfflineError(f"simulated port {self.link} is unplugged; plug() it")
            return os.ttyname(self._slave)

    @property
    def master_fd(self) -> int:
        """The master file descriptor (for a simulator that runs its own select loop)."""
        fd = self._master
        if fd is None:
            raise DeviceOfflineError(f"simulated port {self.link} is unplugged; plug() it")
        return fd

    def plug(self) -> None:
        """Create a fresh pty and point the symlink at its slave. No-op when plugged."""
        with self._lock:
            if self._master is not None:
                return
            master, slave = os.openpty()
            tty.setraw(slave)
            tmp = self.link.with_name(f".{self.link.name}.{os.getpid()}.tmp")
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            os.symlink(os.ttyname(slave), tmp)
            os.replace(tmp, self.link)
            self._master, self._slave = master, slave

    def unplug(self) -> None:
        """Pull the cable: remove the symlink and close both ends (the driver's read fails)."""
        with self._lock:
            master, slave = self._master, self._slave
            self._master = self._slave = None
            # The symlink goes first, like udev removing it, so a reopen cannot find the old pty.
            with contextlib.suppress(FileNotFoundError):
                self.link.unlink()
            self._to_close += [fd for fd in (master, slave) if fd is not None]
            if not self._readers:
                self._close_pending()

    def close(self) -> None:
        """Unplug for good. Idempotent."""
        self.unplug()

    def write(self, data: bytes) -> None:
        """Send bytes to the driver; raises DeviceOfflineError while unplugged."""
        with self._lock:
            fd = self._master
            if fd is None:
                raise DeviceOfflineError(
                    f"simulated port {self.link} is unplugged; plug() it before sending")
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]

    def read(self, max_bytes: int = 4096, timeout_s: float = 0.0) -> bytes:
        """Bytes the driver wrote, waiting up to `timeout_s`; b"" when none (or unplugged).

        An `unplug()` during a read closes the pty when the read returns (within `timeout_s`):
        closing it under a waiting select would let the fd number be reused, e.g. by the
        driver's next open, and this read would then steal the driver's bytes.
        """
        with self._lock:
            fd = self._master
            if fd is None:
                return b""
            self._readers += 1
        try:
            ready, _, _ = select.select([fd], [], [], timeout_s)
            if not ready:
                return b""
            return os.read(fd, max_bytes)
        except OSError as err:
            if err.errno == errno.EIO:  # the other side hung up; nothing to read
                return b""
            raise
        finally:
            with self._lock:
                self._readers -= 1
                if not self._readers:
                    self._close_pending()

    def _close_pending(self) -> None:
        """Close the fds of an unplugged pty (call with the lock held, no read running)."""
        for fd in self._to_close:
            with contextlib.suppress(OSError):
                os.close(fd)
        self._to_close.clear()

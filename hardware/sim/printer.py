"""An ESC/POS receipt printer simulator on a pty behind a stable symlink.

It records every byte it receives and answers real-time status queries `DLE EOT n`
(`10 04 n`) wherever they appear in the stream, as a printer does, with the literal reply bytes
of protocols.md §5 (never built by our driver's code, so a decoding bug is not mirrored).

    with PrinterSimulator(tmp_path / "kiosk-printer") as sim:
        ReceiptPrinter("printer", str(sim.port))   # the driver opens the stable symlink
        sim.paper = "near_end"      # or "out"
        sim.cover_open = True
        sim.offline = True          # answers, with the offline bit set
        sim.silent = True           # no answers at all
        sim.garbage = True          # a noise byte before every answer
        sim.unplug(); sim.replug()  # the symlink points at a new pty
        sim.receipts()              # what was printed, one bytes object per cut

`run(...)` is the CLI entry (`kiosk sim printer`): it prints the port and takes fault words on
stdin.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TextIO

from hardware.errors import DeviceConfigError, DeviceOfflineError
from hardware.sim.pty import PtyLink

PAPER = ("ok", "near_end", "out")
DLE_EOT = b"\x10\x04"
# Cuts as protocols.md §5 lists them: full, partial, and "feed n then cut" (GS V 41 n).
CUTS = (b"\x1d\x56\x00", b"\x1d\x56\x01", b"\x1d\x56\x41")
NOISE = b"\xff"  # bits 0 and 7 set: no DLE EOT reply looks like this


class PrinterSimulator:
    """A printer on the master side of a pty; `port` is the stable symlink."""

    def __init__(self, link: Path | str, *, paper: str = "ok", cover_open: bool = False,
                 offline: bool = False, silent: bool = False, garbage: bool = False) -> None:
        if paper not in PAPER:
            raise DeviceConfigError(f"printer simulator: paper {paper!r} must be one of {PAPER}")
        self.port = Path(link)
        self.paper = paper
        self.cover_open = cover_open
        self.offline = offline
        self.silent = silent
        self.garbage = garbage
        self.queries: list[int] = []  # every n of DLE EOT n received, for tests
        self._received = bytearray()
        self._scan_from = 0  # where the search for the next DLE EOT starts
        self._link = PtyLink(self.port)
        self._lock = threading.Lock()
        self._running = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> Path:
        """Plug in and start answering; returns the port path (the symlink)."""
        self._link.plug()
        self._running.set()
        self._thread = threading.Thread(target=self._serve, daemon=True, name="sim-printer")
        self._thread.start()
        return self.port

    def stop(self) -> None:
        """Stop and unplug for good. Idempotent."""
        self._running.clear()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
        self._link.close()

    def __enter__(self) -> PrinterSimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def unplug(self) -> None:
        """Pull the cable: the driver's port fails."""
        self._link.unplug()

    def replug(self) -> None:
        """Plug back in on a new pty; the symlink at `port` points at it."""
        self._link.plug()

    # -- what was printed ---------------------------------------------------------------------

    @property
    def received(self) -> bytes:
        """Every byte received so far, status queries included."""
        with self._lock:
            return bytes(self._received)

    def receipts(self) -> list[bytes]:
        """The printed documents, each up to and including its cut, status queries removed."""
        data = self.received
        for n in range(256):
            data = data.replace(DLE_EOT + bytes((n,)), b"")
        found: list[bytes] = []
        start = 0
        while True:
            ends = [(i, cut) for cut in CUTS if (i := data.find(cut, start)) >= 0]
            if not ends:
                return found
            i, cut = min(ends)
            end = i + len(cut) + (1 if cut == CUTS[2] else 0)
            found.append(data[start:end])
            start = end

    def wait_for_receipts(self, count: int, timeout_s: float = 2.0) -> list[bytes]:
        """`receipts()` once there are at least `count` of them (or the time is up)."""
        deadline = time.monotonic() + timeout_s
        while len(found := self.receipts()) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return found

    # -- answers ------------------------------------------------------------------------------

    def status_reply(self, n: int) -> bytes:
        """The literal reply byte to DLE EOT n for the current flags (protocols.md §5)."""
        if n == 1:  # bit 3: offline (a printer is offline with its cover open or paper out)
            stopped = self.offline or self.cover_open or self.paper == "out"
            return b"\x1a" if stopped else b"\x12"
        if n == 2:  # bit 2: cover open (16); bit 5: stopped by paper end (32); both: 36
            return {(False, False): b"\x12", (True, False): b"\x16",
                    (False, True): b"\x32", (True, True): b"\x36"}[
                (self.cover_open, self.paper == "out")]
        if n == 4:  # bits 2+3: near end (1E); bits 5+6: out (72)
            return {"ok": b"\x12", "near_end": b"\x1e", "out": b"\x72"}[self.paper]
        return b"\x12"  # n=3: no cutter or other error

    def _serve(self) -> None:
        while self._running.is_set():
            if not self._link.plugged:
                time.sleep(0.01)
                continue
            data = self._link.read(timeout_s=0.01)
            if data:
                for n in self._take(data):
                    self._answer(n)

    def _take(self, data: bytes) -> list[int]:
        """Record `data`; return n of each complete DLE EOT n now in the stream."""
        asked: list[int] = []
        with self._lock:
            self._received += data
            while (i := self._received.find(DLE_EOT, self._scan_from)) >= 0 and \
                    i + 2 < len(self._received):
                asked.append(self._received[i + 2])
                self._scan_from = i + 3
            # Keep the search just short of the end: a query may be split across reads.
            self._scan_from = max(self._scan_from, len(self._received) - 2)
        self.queries += asked
        return asked

    def _answer(self, n: int) -> None:
        if self.silent:
            return
        reply = (NOISE if self.garbage else b"") + self.status_reply(n)
        with contextlib.suppress(DeviceOfflineError, OSError):  # unplugged meanwhile
            self._link.write(reply)


def start(link: Path | str | None = None, **options: object) -> PrinterSimulator:
    """A started simulator; `link` defaults to a fresh temporary `kiosk-printer` symlink."""
    if link is None:
        link = Path(tempfile.mkdtemp(prefix="kiosk-sim-")) / "kiosk-printer"
    sim = PrinterSimulator(link, **options)  # type: ignore[arg-type]
    sim.start()
    return sim


HELP = ("type: ok, near, out (paper), open, close (cover), offline, online, silent, talk, "
        "garbage, clean, unplug, replug, receipts, quit")


def _command(sim: PrinterSimulator, word: str) -> str:
    """Apply one stdin word to `sim`; returns what changed (for the person typing)."""
    flags: dict[str, tuple[str, object]] = {
        "ok": ("paper", "ok"), "near": ("paper", "near_end"), "out": ("paper", "out"),
        "open": ("cover_open", True), "close": ("cover_open", False),
        "offline": ("offline", True), "online": ("offline", False),
        "silent": ("silent", True), "talk": ("silent", False),
        "garbage": ("garbage", True), "clean": ("garbage", False)}
    if word in flags:
        attr, value = flags[word]
        setattr(sim, attr, value)
        return f"{attr} = {value}"
    if word in ("unplug", "replug"):
        getattr(sim, word)()
        return f"{word}ged"
    if word == "receipts":
        found = sim.receipts()
        return f"{len(found)} receipts, {sum(map(len, found))} bytes"
    return HELP


def run(link: Path | str | None = None, *, stdin: TextIO | None = None,
        stdout: TextIO | None = None, **options: object) -> int:
    """CLI entry: start a simulator, print its port, apply words from stdin until quit/EOF."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    sim = start(link, **options)
    try:
        print(f"receipt printer simulator on {sim.port}", file=stdout, flush=True)
        print(HELP, file=stdout, flush=True)
        for raw in stdin:
            word = raw.strip().lower()
            if word in ("quit", "q", "exit"):
                break
            if word:
                print(_command(sim, word), file=stdout, flush=True)
    finally:
        sim.stop()
    return 0


run_cli = run  # the name the issue gives the `kiosk sim printer` entry

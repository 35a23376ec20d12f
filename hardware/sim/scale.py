"""Scale simulators (Toledo 8217, NCI, MT-SICS) on a pty behind a stable symlink.

Every reply is built from the datasheet's literal frame layout (protocols.md §3.1-3.3), never by
calling our codecs, so a codec bug is not mirrored. A pty ignores baud rate and parity, so the
simulator writes the 7-bit ASCII a UART would deliver after stripping parity (§3.5).

    with ScaleSimulator("toledo", tmp_path / "kiosk-scale", weight_g=1234) as sim:
        Scale("scale", str(sim.port), "toledo")   # the driver opens the stable symlink
        sim.stable = False          # in motion
        sim.overload = True         # over capacity
        sim.silent = True           # no answers at all
        sim.garbage = True          # line noise before every reply
        sim.unplug(); sim.replug()  # the symlink points at a new pty

`run(...)` is the CLI entry (`kiosk sim scale`): it prints the port and takes weights in grams
(and fault words) from stdin.
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

PROTOCOLS = ("toledo", "nci", "mtsics")
NCI_VARIANTS = ("S", "plain", "hh")  # SCP-02 with 'S', SCP-01 without, serial-nci-scale's form
ZERO_RANGE_G = 300  # +-2 % of a 15 kg scale: zeroing further away is refused

# Line noise as a UART delivers it after a parity error, ending in the protocol's delimiter so
# it arrives as one bad frame before the good one.
GARBAGE = {"toledo": b"\x7f#%&\r", "nci": b"#%&\x7f\x03", "mtsics": b"\x7f#%&\r\n"}


def _kg(grams: int) -> str:
    """Integer grams as the datasheet's kg text with three decimals ("1.234", "-0.012")."""
    sign = "-" if grams < 0 else ""
    grams = abs(grams)
    return f"{sign}{grams // 1000}.{grams % 1000:03d}"


class ScaleSimulator:
    """A scale speaking `protocol` on the master side of a pty; `port` is the stable symlink."""

    def __init__(self, protocol: str, link: Path | str, *, weight_g: int = 0,
                 stable: bool = True, net: bool = False, nci_variant: str = "S",
                 stream_interval_s: float = 0.05) -> None:
        if protocol not in PROTOCOLS:
            raise DeviceConfigError(f"simulator: unknown protocol {protocol!r}; use {PROTOCOLS}")
        if nci_variant not in NCI_VARIANTS:
            raise DeviceConfigError(f"simulator: NCI variant {nci_variant!r} not in {NCI_VARIANTS}")
        self.protocol = protocol
        self.port = Path(link)
        self.weight_g = weight_g
        self.stable = stable
        self.net = net
        self.overload = False
        self.under_zero = False
        self.silent = False
        self.garbage = False
        self.nci_variant = nci_variant
        self.stream_interval_s = stream_interval_s
        self.streaming = False  # MT-SICS SIR
        self.requests: list[bytes] = []  # every request line/letter received, for tests
        self._link = PtyLink(self.port)
        self._buffer = b""
        self._running = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> Path:
        """Plug in and start answering; returns the port path (the symlink)."""
        self._link.plug()
        self._running.set()
        self._thread = threading.Thread(target=self._serve, daemon=True,
                                        name=f"sim-scale:{self.protocol}")
        self._thread.start()
        return self.port

    def stop(self) -> None:
        """Stop and unplug for good. Idempotent."""
        self._running.clear()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
        self._link.close()

    def __enter__(self) -> ScaleSimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def unplug(self) -> None:
        """Pull the cable: the driver's port fails; a balance forgets SIR when it loses power."""
        self.streaming = False
        self._link.unplug()
        self._buffer = b""

    def replug(self) -> None:
        """Plug back in on a new pty; the symlink at `port` points at it."""
        self._link.plug()

    # -- the serving thread -------------------------------------------------------------------

    def _serve(self) -> None:
        next_stream_s = 0.0
        while self._running.is_set():
            if not self._link.plugged:
                time.sleep(0.01)
                continue
            data = self._link.read(timeout_s=0.01)
            if data:
                self._buffer += data
                self._handle_buffer()
            if self.streaming and time.monotonic() >= next_stream_s:
                next_stream_s = time.monotonic() + self.stream_interval_s
                self._reply(self._mtsics_weight("SI"))

    def _handle_buffer(self) -> None:
        if self.protocol == "toledo":  # single letters, no terminator; a CR after T is allowed
            letters, self._buffer = self._buffer, b""
            for letter in letters.decode("ascii", "replace"):
                if letter.isalpha():
                    self.requests.append(letter.encode())
                    self._reply(self._toledo(letter))
            return
        while (cr := self._buffer.find(b"\r")) >= 0:
            line = self._buffer[:cr].replace(b"\n", b"").decode("ascii", "replace")
            self._buffer = self._buffer[cr + 1:]
            self.requests.append(line.encode())
            self._reply(self._nci(line) if self.protocol == "nci" else self._mtsics(line))

    def _reply(self, frame: str | None) -> None:
        if frame is None or self.silent:
            return
        data = frame.encode("ascii")
        if self.garbage:
            data = GARBAGE[self.protocol] + data
        with contextlib.suppress(DeviceOfflineError, OSError):  # unplugged meanwhile
            self._link.write(data)

    def _try_zero(self) -> bool:
        if not self.stable or self.overload or abs(self.weight_g) > ZERO_RANGE_G:
            return False
        self.weight_g, self.under_zero = 0, False
        return True

    # -- Toledo 8213/8217 (§3.1): STX WW.WWW [N] CR, or STX ? <status> CR --------------------

    def _toledo(self, letter: str) -> str | None:
        if letter == "W":
            if self.overload:
                return "\x02?B\r"  # bit 1 over capacity (+ bit 6)
            if self.under_zero or self.weight_g < 0:
                return "\x02?D\r"  # bit 2 under zero
            if not self.stable:
                return "\x02?a\r" if self.net else "\x02?A\r"  # bit 0 motion (+ bit 5 net)
            return f"\x02{self.weight_g // 1000:02d}.{self.weight_g % 1000:03d}" + (
                "N\r" if self.net else "\r")
        if letter == "Z":
            if not self.stable:
                return "\x02?A\r"
            return "\x02?P\r" if self._try_zero() else "\x02?H\r"  # centre of zero / outside
        return None  # T, C and unknown letters: not simulated

    # -- NCI general serial (§3.2): LF wt UU CR LF S st CR ETX ------------------------------

    def _nci_status(self) -> str:
        byte1 = "1" if not self.stable else "2" if self.weight_g == 0 else "0"
        byte2 = "2" if self.overload else "1" if self.under_zero or self.weight_g < 0 else "0"
        if self.net:  # byte 2 bit 6: a third byte follows; byte 3 bit 2: net
            byte2 = {"0": "p", "1": "q", "2": "r"}[byte2] + "4"
        return byte1 + byte2

    def _nci(self, line: str) -> str:
        if line == "W":
            weight = _kg(self.weight_g).rjust(6, "0") if self.weight_g >= 0 else \
                _kg(self.weight_g).rjust(6)
            status = self._nci_status()
            if self.nci_variant == "plain":
                return f"\n{weight}KG\r\n{status}\r\x03"
            if self.nci_variant == "hh":
                return f"\n{weight}KG\r{status}\x03"
            return f"\n{weight}KG\r\nS{status}\r\x03"
        if line == "S":
            return f"\nS{self._nci_status()}\r\x03"
        if line == "Z":
            self._try_zero()
            return f"\nS{self._nci_status()}\r\x03"
        return "\n?\r\x03"

    # -- MT-SICS (§3.3): "<cmd> <status> <value:10> <unit>" CR LF ---------------------------

    def _mtsics_weight(self, command: str) -> str:
        if self.overload:
            return "S +\r\n"
        if self.under_zero:
            return "S -\r\n"
        if command == "S" and not self.stable:
            return "S I\r\n"  # gave up waiting for stability
        flag = "S" if self.stable else "D"
        return f"S {flag} {_kg(self.weight_g):>10} kg\r\n"

    def _mtsics(self, line: str) -> str | None:
        if line in ("S", "SI"):
            return self._mtsics_weight(line)
        if line == "SIR":
            self.streaming = True
            return None  # the serving loop streams from now on
        if line == "Z":
            if not self.stable:
                return "Z I\r\n"
            return "Z A\r\n" if self._try_zero() else "Z +\r\n"
        if line == "ZI":
            flag = "S" if self.stable else "D"
            return f"ZI {flag}\r\n" if self._try_zero() or not self.stable else "ZI +\r\n"
        if line in ("@", "I4"):
            self.streaming = False
            return 'I4 A "0123456789"\r\n'
        return "ES\r\n"


def start(protocol: str = "toledo", link: Path | str | None = None, **options: object
          ) -> ScaleSimulator:
    """A started simulator; `link` defaults to a fresh temporary `kiosk-scale` symlink."""
    if link is None:
        link = Path(tempfile.mkdtemp(prefix="kiosk-sim-")) / "kiosk-scale"
    sim = ScaleSimulator(protocol, link, **options)  # type: ignore[arg-type]
    sim.start()
    return sim


HELP = ("type a weight in grams (e.g. 1234) for a stable weight, ~1234 for a moving one, or: "
        "over, under, ok, silent, talk, garbage, clean, unplug, replug, quit")


def _command(sim: ScaleSimulator, word: str) -> str:
    """Apply one stdin word to `sim`; returns what changed (for the person typing)."""
    flags = {"over": ("overload", True), "under": ("under_zero", True),
             "silent": ("silent", True), "talk": ("silent", False),
             "garbage": ("garbage", True), "clean": ("garbage", False)}
    if word in flags:
        attr, value = flags[word]
        setattr(sim, attr, value)
        return f"{attr} = {value}"
    if word == "ok":
        sim.overload = sim.under_zero = sim.silent = sim.garbage = False
        return "all faults cleared"
    if word in ("unplug", "replug"):
        getattr(sim, word)()
        return f"{word}ged"
    moving = word.startswith("~")
    try:
        grams = int(word.lstrip("~"))
    except ValueError:
        return HELP
    sim.weight_g, sim.stable = grams, not moving
    return f"{grams} g {'moving' if moving else 'stable'}"


def run(protocol: str = "toledo", link: Path | str | None = None, *,
        stdin: TextIO | None = None, stdout: TextIO | None = None, **options: object) -> int:
    """CLI entry: start a simulator, print its port, apply commands from stdin until quit/EOF."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    sim = start(protocol, link, **options)
    try:
        print(f"{protocol} scale simulator on {sim.port}", file=stdout, flush=True)
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

"""A serial barcode scanner on a pty, for tests, demos and `kiosk sim scanner`.

Frames are put together from the literal bytes of the wire format in protocols.md §2.1
(`[STX][AIM id][data][suffix]`), never with `hardware.scanner`, so a codec bug is not mirrored.
Faults are methods: `send_raw(b"...")` for garbage, not calling `scan` for silence, `unplug()` /
`replug()` for a pulled cable (the port path is a stable symlink that survives the replug).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from hardware.sim.pty import PtyLink

STX = b"\x02"
GS = b"\x1d"
SUFFIXES = {"cr": b"\r", "lf": b"\n", "crlf": b"\r\n"}

# The vectors of protocols.md §2.1, byte for byte, for tests and the demo.
DATASHEET_FRAMES = {
    "ean13": b"]E04006381333931\r",
    "ean8": b"]E496385074\r",
    "gs1_128": b"]C10109506000134352310300123417251231" + b"10ABC123\r",
}


class ScannerSimulator:
    """A scanner that 'reads' whatever code it is told to, on the pty behind `path`.

    `suffix` ends each frame (CR by default; LF or CRLF for other programming), `stx` sends an
    STX prefix, `aim=False` models a scanner with AIM ids switched off.
    """

    def __init__(self, path: Path | str, *, suffix: bytes = b"\r", stx: bool = False,
                 aim: bool = True) -> None:
        self.path = Path(path)
        self.suffix = suffix
        self.stx = stx
        self.aim = aim
        self._link = PtyLink(self.path)

    def __enter__(self) -> ScannerSimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def port(self) -> str:
        """The path a driver opens (the stable symlink)."""
        return str(self.path)

    def start(self) -> str:
        """Plug the scanner in; returns the port path."""
        self._link.plug()
        return self.port

    def frame(self, code_text: str, aim: str | None = "]E0") -> bytes:
        """The bytes this scanner sends for one label (GS written as '\\x1d' in `code_text`)."""
        prefix = STX if self.stx else b""
        aim_bytes = aim.encode("ascii") if self.aim and aim else b""
        return prefix + aim_bytes + code_text.encode("utf-8") + self.suffix

    def scan(self, code_text: str, aim: str | None = "]E0") -> None:
        """Send one label, e.g. `scan("4006381333931")` or `scan("96385074", aim="]E4")`."""
        self._link.write(self.frame(code_text, aim))

    def send_raw(self, data: bytes) -> None:
        """Send bytes as they are (garbage, a split frame, a datasheet vector)."""
        self._link.write(data)

    def unplug(self) -> None:
        """Pull the cable: the port vanishes and the driver's read fails."""
        self._link.unplug()

    def replug(self) -> None:
        """Plug back in: a new pty behind the same path."""
        self._link.plug()

    def close(self) -> None:
        """Stop for good (idempotent)."""
        self._link.close()


def aim_for(code_text: str) -> str:
    """The AIM id a scanner would put before `code_text` (digits 8 -> EAN-8, 12/13 -> EAN-13,
    GS inside -> GS1-128, else Code 128); used by the CLI, where a person types plain codes."""
    if code_text.isdigit() and len(code_text) == 8:
        return "]E4"
    if code_text.isdigit() and len(code_text) in (12, 13):
        return "]E0"
    if "\x1d" in code_text or (code_text.startswith("01") and code_text[:16].isdigit()):
        return "]C1"
    return "]C0"


def run_cli(argv: Sequence[str] | None = None, *, stdin: TextIO | None = None,
            stdout: TextIO | None = None) -> int:
    """`kiosk sim scanner`: print the port, then send each stdin line as a scan.

    A line that starts with `]` carries its own AIM id; `<GS>` in a line becomes the GS byte.
    Ends at end of input; returns the exit status.
    """
    parser = argparse.ArgumentParser(
        prog="kiosk sim scanner",
        description="Simulate a serial barcode scanner on a pseudo-terminal. Prints the port "
                    "to put into the config, then sends each line typed on stdin as a scan.")
    parser.add_argument("--port", type=Path, default=None,
                        help="path of the stable symlink to create (default: a temp dir)")
    parser.add_argument("--suffix", choices=sorted(SUFFIXES), default="cr",
                        help="frame terminator the scanner is programmed for (default: cr)")
    parser.add_argument("--stx", action="store_true", help="send an STX prefix")
    parser.add_argument("--no-aim", action="store_true", help="AIM ids switched off")
    args = parser.parse_args(argv)
    inp = stdin or sys.stdin
    out = stdout or sys.stdout
    with tempfile.TemporaryDirectory(prefix="kiosk-sim-") as tmp:
        path = args.port or Path(tmp) / "kiosk-scanner"
        sim = ScannerSimulator(path, suffix=SUFFIXES[args.suffix], stx=args.stx,
                               aim=not args.no_aim)
        with sim:
            print(sim.port, file=out, flush=True)
            for line in inp:
                code = line.strip().replace("<GS>", "\x1d")
                if not code:
                    continue
                if code.startswith("]") and len(code) > 3:
                    sim.scan(code[3:], aim=code[:3])
                else:
                    sim.scan(code, aim=aim_for(code))
    return 0


if __name__ == "__main__":  # pragma: no cover - manual use
    raise SystemExit(run_cli())

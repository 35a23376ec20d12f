"""A ZVT payment terminal (PT) simulator over loopback TCP or a pty, for tests, demos and
`kiosk sim terminal`.

It parses just enough of what the ECR (the kiosk) sends: Registration 06 00, Authorisation 06 01
with the BCD amount, Abort 06 B0, Repeat Receipt 06 20 and the 80 00 00 acknowledgements; any
other command gets 84 83 00. After each APDU of its own it waits for the ECR's 80 00 00 (T3,
`ack_timeout_s`); without one it gives up the transaction like a PT would (06 1E 9A). Replies come
from literal bytes in `hardware.sim.zvt_frames`, never from `hardware.zvt`.

    with ZvtSimulator(think_s=0.01) as sim:            # tcp://127.0.0.1:<free port>
        ZvtTerminal("pt", sim.address)
        sim.next_behaviour = "decline"                 # the next authorisation only
        sim.behaviour = "silence"                      # from now on
        sim.booked                                     # every approved transaction

Behaviours are the words in `BEHAVIOURS` (see the shared contract in the module docs of
hardware/payment.py). A transaction that was not booked answers a Repeat Receipt with 06 1E.
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from hardware.errors import DeviceConfigError
from hardware.sim import zvt_frames as zf
from hardware.sim.zvt_frames import Hangup, SerialWire, TcpWire, Wire

BEHAVIOURS = ("approve", "decline", "pin_retry", "customer_timeout", "hesitate", "silence",
              "lost_result", "no_ack", "split", "coalesce", "bad_crc", "unknown_command")



class ZvtSimulator:
    """A PT on `transport` "tcp" (loopback server) or "serial" (pty behind symlink `link`)."""

    def __init__(self, *, transport: str = "tcp", link: Path | str | None = None,
                 host: str = "127.0.0.1", port: int = 0, behaviour: str = "approve",
                 think_s: float = 0.05) -> None:
        if transport not in ("tcp", "serial"):
            raise DeviceConfigError(
                f"ZVT simulator: unknown transport {transport!r}; use 'tcp' or 'serial'")
        if transport == "serial" and link is None:
            raise DeviceConfigError("ZVT simulator: serial transport needs link=<symlink path>")
        self._check(behaviour)
        self.transport = transport
        self.behaviour = behaviour
        self.next_behaviour: str | None = None
        self.think_s = think_s            # pause between the PT's steps (card, PIN, host)
        self.ack_timeout_s = 5.0          # T3: how long the PT waits for the ECR's 80 00 00
        self.hesitate_s = 30.0            # hesitate: approve after this long without 06 B0
        self.split_pause_s = 0.05         # split: pause between the two halves of an APDU
        self.clock: Callable[[], datetime] = datetime.now  # BMP 0C/0D of an approval
        self.booked: list[dict[str, Any]] = []
        self.received: list[bytes] = []
        self.config_byte = 0              # from the last registration
        self._trace = 0
        self._receipt = 0
        self._last: list[bytes] | None = None  # 04 0F + 06 D1 lines of the last booked payment
        self._abort_requested = False
        self._behaviour = behaviour  # the behaviour of the command in progress
        self._running = threading.Event()
        self._thread: threading.Thread | None = None
        self._server: socket.socket | None = None
        self._serial: SerialWire | None = None
        self._wire: Wire | None = None
        if transport == "tcp":
            self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._server.bind((host, port))
            self._server.listen(1)
            self._server.settimeout(0.05)
            bound_host, bound_port = self._server.getsockname()[:2]
            self.address = f"tcp://{bound_host}:{bound_port}"
        else:
            assert link is not None
            self._serial = SerialWire(link)
            self.address = str(link)

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> str:
        """Start serving; returns `address` (what ZvtTerminal(url=...) takes)."""
        if self._serial is not None:
            self._serial.link.plug()
        self._running.set()
        self._thread = threading.Thread(target=self._serve, daemon=True,
                                        name=f"sim-zvt:{self.transport}")
        self._thread.start()
        return self.address

    def close(self) -> None:
        """Stop and release the port or socket. Idempotent."""
        self._running.clear()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
        if self._server is not None:
            self._server.close()
        if self._serial is not None:
            self._serial.link.close()

    def __enter__(self) -> ZvtSimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def unplug(self) -> None:
        """Serial only: pull the cable (the symlink vanishes, the driver's port fails)."""
        if self._serial is not None:
            self._serial.link.unplug()
            self._serial.drop()

    def replug(self) -> None:
        """Serial only: plug back in on a new pty behind the same symlink."""
        if self._serial is not None:
            self._serial.link.plug()

    @staticmethod
    def _check(behaviour: str) -> None:
        if behaviour not in BEHAVIOURS:
            raise DeviceConfigError(
                f"ZVT simulator: unknown behaviour {behaviour!r}; use one of {BEHAVIOURS}")

    # -- serving ------------------------------------------------------------------------------

    def _serve(self) -> None:
        while self._running.is_set():
            if self._serial is not None:
                self._session(self._serial)
                continue
            assert self._server is not None
            try:
                conn, _ = self._server.accept()
            except (TimeoutError, OSError):
                continue
            # A terminal answers each APDU at once; without this, Nagle's algorithm holds every
            # second small write until the kiosk's delayed ACK (~40 ms a payment step).
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            wire = TcpWire(conn)
            try:
                self._session(wire)
            finally:
                wire.drop()

    def _session(self, wire: Wire) -> None:
        """Answer commands on `wire` until the ECR hangs up or the simulator stops."""
        self._wire = wire
        wire.alive = self._running.is_set
        with contextlib.suppress(Hangup):
            while self._running.is_set():
                command = self._read(0.05)
                if command is not None:
                    self._command(command)

    def _read(self, timeout_s: float) -> bytes | None:
        assert self._wire is not None
        data = self._wire.read_apdu(timeout_s)
        if data is not None:
            self.received.append(data)
        return data

    def _command(self, command: bytes) -> None:
        head = command[:2]
        self._behaviour = self.behaviour
        if head in (zf.ACK[:2], zf.ACK_MORE_TIME[:2]):
            return  # a stray acknowledgement: nothing to answer
        if self.behaviour == "unknown_command":
            self._send([zf.NOT_POSSIBLE])
        elif head == zf.REGISTRATION and len(command) >= 7:
            self.config_byte = command[6]
            self._send([zf.ACK])
            self._play([zf.COMPLETION])
        elif head == zf.AUTHORISATION:
            self._authorise(command)
        elif head == zf.REPEAT_RECEIPT:
            self._send([zf.ACK])
            self._play([*self._last, zf.COMPLETION] if self._last else [zf.ABORT_NO_RECEIPT])
        elif head == zf.ECR_ABORT:
            self._send([zf.ACK])  # nothing runs: acknowledged, nothing to abort
        else:
            self._send([zf.NOT_POSSIBLE])

    # -- sending and acknowledgements --------------------------------------------------------

    def _send(self, apdus: list[bytes]) -> bool:
        assert self._wire is not None
        self._wire.split_pause_s = self.split_pause_s if self._behaviour == "split" else 0.0
        if self._serial is not None:
            self._serial.bad_crc = self._behaviour == "bad_crc"
        return self._wire.send(apdus)

    def _play(self, apdus: list[bytes]) -> bool:
        """Send each APDU and wait for its acknowledgement (all in one write for coalesce).

        False when the ECR did not acknowledge one in time (the PT then gives up)."""
        batches = [apdus] if self._behaviour == "coalesce" else [[one] for one in apdus]
        for batch in batches:
            if not self._send(batch):
                return False
            for _ in batch:
                if not self._wait_ack():
                    return False
        return True

    def _wait_ack(self) -> bool:
        """Wait up to T3 for 80 00 00 (84 9C 00 re-arms it); notes a 06 B0 that comes first."""
        deadline = time.monotonic() + self.ack_timeout_s
        while (left_s := deadline - time.monotonic()) > 0:
            answer = self._read(left_s)
            if answer is None:
                break
            if answer in (zf.ACK, zf.ACK_ALSO):
                return True
            if answer == zf.ACK_MORE_TIME:
                deadline = time.monotonic() + self.ack_timeout_s
            elif answer[:2] == zf.ECR_ABORT:
                self._abort_requested = True
                self._send([zf.ACK])
            elif answer[:1] == b"\x84":
                return False  # a negative acknowledgement
            else:
                self._send([zf.NOT_POSSIBLE])  # busy: no other command during a payment
        return False

    def _think(self, pause_s: float) -> None:
        """Pause like a PT waiting for the card or the host; a 06 B0 meanwhile is noted."""
        deadline = time.monotonic() + pause_s
        while (left_s := deadline - time.monotonic()) > 0 and not self._abort_requested:
            answer = self._read(min(left_s, 0.05))
            if answer is None:
                continue
            if answer[:2] == zf.ECR_ABORT:
                self._abort_requested = True
                self._send([zf.ACK])
            elif answer[:2] not in (zf.ACK[:2], zf.ACK_MORE_TIME[:2]):
                self._send([zf.NOT_POSSIBLE])

    # -- the payment --------------------------------------------------------------------------

    def _authorise(self, command: bytes) -> None:
        amount_cents = zf.authorisation_amount(command)
        self._behaviour = self.next_behaviour or self.behaviour
        self.next_behaviour = None
        self._abort_requested = False
        if amount_cents is None:
            self._send([zf.NOT_POSSIBLE])
            return
        self._run(self._behaviour, amount_cents)

    def _run(self, behaviour: str, amount_cents: int) -> None:
        if behaviour == "no_ack":
            return  # the PT never answers: the ECR's T3 runs out
        self._send([zf.ACK])
        if behaviour == "silence":
            self._last = None  # acknowledged, then nothing: not booked
            return
        if behaviour == "coalesce":
            self._run_coalesced(amount_cents)
            return
        steps = {"pin_retry": [zf.STATUS_INSERT_CARD, zf.STATUS_WATCH_PIN_PAD,
                               zf.STATUS_INCORRECT_PIN, zf.STATUS_WATCH_PIN_PAD,
                               zf.STATUS_PLEASE_WAIT],
                 "customer_timeout": [zf.STATUS_INSERT_CARD],
                 "hesitate": [zf.STATUS_INSERT_CARD]}.get(
            behaviour, [zf.STATUS_INSERT_CARD, zf.STATUS_WATCH_PIN_PAD, zf.STATUS_PLEASE_WAIT])
        for status in steps:
            self._think(self.think_s)
            if self._abort_requested:
                self._end([zf.ABORT_TIMEOUT])
                return
            if not self._play([status]):
                self._give_up()
                return
        if behaviour == "hesitate":
            self._think(self.hesitate_s)
        self._think(self.think_s)
        if self._abort_requested or behaviour == "customer_timeout":
            self._end([zf.ABORT_TIMEOUT])
        elif behaviour == "decline":
            self._trace += 1
            self._end([zf.STATUS_DECLINED_RC05, zf.ABORT_DECLINED])
        else:
            self._approve(behaviour, amount_cents)

    def _run_coalesced(self, amount_cents: int) -> None:
        """Approve with several APDUs per write: the statuses together, then the result,
        its receipt lines and the completion together (the ECR must cut them by LEN)."""
        if not self._play([zf.STATUS_INSERT_CARD, zf.STATUS_WATCH_PIN_PAD,
                           zf.STATUS_PLEASE_WAIT]):
            self._give_up()
            return
        self._think(self.think_s)
        if self._abort_requested:
            self._end([zf.ABORT_TIMEOUT])
            return
        result = self._result(amount_cents)
        if self._play([*result, zf.COMPLETION]):
            self._book(amount_cents, result)
        else:
            self._give_up()

    def _approve(self, behaviour: str, amount_cents: int) -> None:
        result = self._result(amount_cents)
        if behaviour == "lost_result":
            self._book(amount_cents, result)
            assert self._wire is not None
            if self._serial is None:
                self._wire.drop()  # the TCP connection breaks before the result is sent
                raise Hangup
            return  # serial: it just goes silent
        if not self._play(result):
            self._give_up()
            return
        self._book(amount_cents, result)
        self._play([zf.COMPLETION])

    def _end(self, apdus: list[bytes]) -> None:
        """End a transaction that booked nothing."""
        self._last = None
        self._play(apdus)

    def _give_up(self) -> None:
        """The ECR did not acknowledge in time: the PT ends the transaction unsuccessfully."""
        self._last = None
        self._send([zf.ABORT_PROTOCOL])

    def _book(self, amount_cents: int, result: list[bytes]) -> None:
        self._last = result
        self.booked.append({"amount_cents": amount_cents,
                            "trace_number": f"{self._trace:06d}",
                            "receipt_number": f"{self._receipt:04d}"})

    def _result(self, amount_cents: int) -> list[bytes]:
        """A new approval's 04 0F and, when the ECR prints, its 06 D1 receipt lines."""
        self._trace += 1
        self._receipt += 1
        prints = bool(self.config_byte & zf.PRINTS_PAYMENT_RECEIPTS)
        return zf.approval(amount_cents, self._trace, self._receipt, self.clock(),
                           print_lines=prints)


def start(transport: str = "tcp", link: Path | str | None = None, **options: Any
          ) -> ZvtSimulator:
    """A started simulator; a serial `link` defaults to a fresh temporary `kiosk-terminal`."""
    if transport == "serial" and link is None:
        link = Path(tempfile.mkdtemp(prefix="kiosk-sim-")) / "kiosk-terminal"
    sim = ZvtSimulator(transport=transport, link=link, **options)
    sim.start()
    return sim


HELP = (f"type a behaviour for every payment from now on ({', '.join(BEHAVIOURS)}), "
        "'next <behaviour>' for the next payment only, 'booked', or quit")


def _command(sim: ZvtSimulator, line: str) -> str:
    """Apply one stdin line to `sim`; returns what changed (for the person typing)."""
    words = line.split()
    if words == ["booked"]:
        return f"{len(sim.booked)} booked: {sim.booked}"
    if len(words) == 2 and words[0] == "next" and words[1] in BEHAVIOURS:
        sim.next_behaviour = words[1]
        return f"next payment: {words[1]}"
    if len(words) == 1 and words[0] in BEHAVIOURS:
        sim.behaviour = words[0]
        return f"every payment: {words[0]}"
    return HELP


def run_cli(argv: Sequence[str] | None = None, *, stdin: TextIO | None = None,
            stdout: TextIO | None = None) -> int:
    """`kiosk sim terminal [--serial LINK] [--port N]`: print the address, then read behaviour
    words from stdin until quit or end of input; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="kiosk sim terminal",
        description="Simulate a ZVT card payment terminal on loopback TCP (default) or a "
                    "pseudo-terminal. Prints the address to put into the config.")
    parser.add_argument("--serial", type=Path, default=None, metavar="LINK",
                        help="serve on a pty behind this symlink instead of TCP")
    parser.add_argument("--port", type=int, default=20007,
                        help="TCP port on 127.0.0.1 (default 20007, 0 = any free port)")
    parser.add_argument("--behaviour", choices=BEHAVIOURS, default="approve")
    parser.add_argument("--think", type=float, default=0.5, dest="think_s",
                        help="seconds between the terminal's steps (default 0.5)")
    args = parser.parse_args(argv)
    inp = stdin or sys.stdin
    out = stdout or sys.stdout
    transport = "serial" if args.serial else "tcp"
    sim = start(transport, args.serial, port=args.port, behaviour=args.behaviour,
                think_s=args.think_s)
    try:
        print(sim.address, file=out, flush=True)
        print(HELP, file=out, flush=True)
        for raw in inp:
            line = raw.strip().lower()
            if line in ("quit", "q", "exit"):
                break
            if line:
                print(_command(sim, line), file=out, flush=True)
    finally:
        sim.close()
    return 0


if __name__ == "__main__":  # pragma: no cover - manual use
    raise SystemExit(run_cli())

"""The update health gate: `kiosk healthy` confirms the running OS slot to RAUC.

After an update the Pi boots the new slot once ("tryboot"). Only `rauc status mark-good` makes
that slot the one the firmware boots from then on; without it the next reboot, for whatever
reason, starts the previous slot again. kiosk-healthy.timer runs this check 10 minutes after
boot. It marks the slot good only when kiosk.service

- is active and running (systemd calls a Type=notify unit active only after READY=1, i.e. the
  attract screen was drawn),
- has not been restarted by systemd since boot (NRestarts = 0: no crash, no watchdog kill), and
- has been active for at least `stable_s` seconds without a break.

Otherwise it marks nothing and says why: the slot stays unconfirmed and a reboot rolls back.
The facts come from `systemctl show`; the mark from `rauc`, both found on PATH.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.errors import KioskError

UNIT = "kiosk.service"
STABLE_S = 300  # how long the kiosk must have stayed up without a restart before we trust it
SHOW_PROPERTIES = ("ActiveState", "SubState", "NRestarts", "ActiveEnterTimestampMonotonic")
COMMAND_TIMEOUT_S = 60.0

EXIT_HEALTHY = 0
EXIT_NOT_HEALTHY = 1


class HealthCheckError(KioskError, RuntimeError):
    """The health gate could not ask systemd or RAUC; the message names the command and why."""


@dataclass(frozen=True)
class UnitHealth:
    """What systemd says about a unit. `active_since_us` is CLOCK_MONOTONIC in microseconds
    when the unit last entered the active state (0: it never did since boot)."""

    unit: str
    active_state: str
    sub_state: str
    restarts: int
    active_since_us: int


@dataclass(frozen=True)
class Verdict:
    """The gate's decision and one sentence a technician can act on."""

    healthy: bool
    reason: str


def parse_show(unit: str, text: str) -> UnitHealth:
    """Read `systemctl show -p ActiveState,SubState,NRestarts,ActiveEnterTimestampMonotonic`."""
    values = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    missing = [name for name in SHOW_PROPERTIES if name not in values]
    if missing:
        raise HealthCheckError(
            f"systemctl show {unit} did not report {', '.join(missing)}; "
            "is this systemd 252 or newer?")
    try:
        restarts = int(values["NRestarts"])
        since_us = int(values["ActiveEnterTimestampMonotonic"])
    except ValueError as err:
        raise HealthCheckError(
            f"systemctl show {unit} gave a number that is not one ({err}); "
            "run it by hand to see what it prints") from None
    return UnitHealth(unit, values["ActiveState"], values["SubState"], restarts, since_us)


def decide(health: UnitHealth, now_us: int, stable_s: int = STABLE_S) -> Verdict:
    """Is the unit healthy enough to confirm the slot? `now_us` is CLOCK_MONOTONIC in µs."""
    name = health.unit
    if health.active_state != "active" or health.sub_state != "running":
        return Verdict(False, f"{name} is {health.active_state}/{health.sub_state}, not "
                       "active/running (it never reported READY, or it stopped)")
    if health.restarts > 0:
        times = "time" if health.restarts == 1 else "times"
        return Verdict(False, f"{name} was restarted {health.restarts} {times} since boot "
                       "(a crash or a watchdog kill)")
    up_s = max(0, now_us - health.active_since_us) // 1_000_000
    if health.active_since_us <= 0 or up_s < stable_s:
        return Verdict(False, f"{name} has been up for {up_s} s, less than the {stable_s} s "
                       "it must stay up; run the check again later")
    return Verdict(True, f"{name} reached READY and stayed up for {up_s} s without a restart")


def run_healthy(unit: str = UNIT, *, stable_s: int = STABLE_S, dry_run: bool = False,
                say: Callable[[str], None] = print) -> int:
    """`kiosk healthy`: check `unit` and, when healthy, mark the booted RAUC slot good.

    Returns EXIT_HEALTHY (0) when the slot was marked good (or, with dry_run, would be), and
    EXIT_NOT_HEALTHY (1) when it was left unconfirmed.
    """
    text = _run(["systemctl", "show", "-p", ",".join(SHOW_PROPERTIES), unit])
    # Taken right after systemctl answered, on the clock systemd's *Monotonic values use.
    now_us = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
    verdict = decide(parse_show(unit, text), now_us, stable_s)
    if not verdict.healthy:
        say(f"Not marking this slot good: {verdict.reason}. It stays unconfirmed, so the next "
            "reboot after an update starts the previous slot.")
        return EXIT_NOT_HEALTHY
    if dry_run:
        say(f"Healthy: {verdict.reason}. Dry run: would run `rauc status mark-good booted`.")
        return EXIT_HEALTHY
    _run(["rauc", "status", "mark-good", "booted"])
    say(f"Healthy: {verdict.reason}. Marked the booted slot good.")
    return EXIT_HEALTHY


def _run(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S,
                              check=False)
    except FileNotFoundError:
        raise HealthCheckError(
            f"{argv[0]} is not on PATH; the health gate runs on the appliance image, "
            "which has systemd and rauc installed") from None
    except subprocess.TimeoutExpired:
        raise HealthCheckError(
            f"`{' '.join(argv)}` did not answer within {COMMAND_TIMEOUT_S:.0f} s; "
            "check that systemd and RAUC respond") from None
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise HealthCheckError(
            f"`{' '.join(argv)}` failed with exit status {done.returncode}: {detail}")
    return done.stdout

"""The update health gate: `kiosk healthy` marks the booted slot good only when kiosk.service
reached READY, was never restarted since boot and stayed up long enough.

The decision is tested on `systemctl show` text (tests/updates/fixtures, captured from the real
kiosk.service under systemd 252 by tests/systemd/test_nspawn.py, which also checks that they
still match it); the command line runs as a real process against fake `systemctl` and `rauc`
executables first on PATH (the edge of the process): the fake systemctl prints a fixture as if
the unit became active N seconds ago, the fake rauc records how it was called.

The gate against a real systemd, as kiosk-healthy.service with its hardening, is in
tests/systemd/test_nspawn.py (the same boot as the watchdog and start-limit tests): it marks
the slot good after a stable start and refuses after a watchdog restart or the start limit.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.app_health import HealthCheckError, UnitHealth, decide, parse_show

FIXTURES = Path(__file__).parent / "fixtures"
STABLE_S = 300
S = 1_000_000  # microseconds per second


def fixture(name: str) -> UnitHealth:
    return parse_show("kiosk.service", (FIXTURES / f"show_{name}.txt").read_text())


def test_a_kiosk_that_reached_ready_and_stayed_up_is_healthy() -> None:
    health = fixture("ready")
    verdict = decide(health, health.active_since_us + 600 * S, STABLE_S)
    assert verdict.healthy
    assert verdict.reason == ("kiosk.service reached READY and stayed up for 600 s "
                              "without a restart")


def test_a_kiosk_up_for_less_than_the_window_is_not_yet_trusted() -> None:
    health = fixture("ready")
    verdict = decide(health, health.active_since_us + 299 * S, STABLE_S)
    assert not verdict.healthy
    assert "has been up for 299 s, less than the 300 s" in verdict.reason


def test_a_kiosk_that_was_restarted_is_not_healthy_however_long_it_ran_since() -> None:
    health = fixture("restarted")
    verdict = decide(health, health.active_since_us + 3600 * S, STABLE_S)
    assert not verdict.healthy
    assert verdict.reason == ("kiosk.service was restarted 1 time since boot "
                              "(a crash or a watchdog kill)")


def test_a_kiosk_restarted_more_than_once_is_counted_in_the_reason() -> None:
    text = (FIXTURES / "show_restarted.txt").read_text().replace("NRestarts=1", "NRestarts=3")
    health = parse_show("kiosk.service", text)
    verdict = decide(health, health.active_since_us + 3600 * S, STABLE_S)
    assert not verdict.healthy
    assert "was restarted 3 times since boot" in verdict.reason


@pytest.mark.parametrize(("name", "state"), [
    ("waiting_for_ready", "activating/start"),
    ("auto_restart", "activating/auto-restart"),
    ("start_limit", "failed/failed"),
])
def test_a_kiosk_that_is_not_running_after_ready_is_not_healthy(name: str, state: str) -> None:
    health = fixture(name)
    verdict = decide(health, 10_000 * S, STABLE_S)
    assert not verdict.healthy
    assert f"kiosk.service is {state}, not active/running" in verdict.reason


def test_show_output_without_the_restart_count_is_an_error_naming_it() -> None:
    with pytest.raises(HealthCheckError, match="did not report NRestarts"):
        parse_show("kiosk.service", "ActiveState=active\nSubState=running\n"
                   "ActiveEnterTimestampMonotonic=5\n")


# --- the command line, against fake systemctl and rauc -------------------------------------

FAKE_SYSTEMCTL = """#!{python}
import os, sys, time
props = "ActiveState,SubState,NRestarts,ActiveEnterTimestampMonotonic"
assert sys.argv[1:4] == ["show", "-p", props], sys.argv
now_us = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
for line in open(os.environ["FAKE_SHOW"]).read().splitlines():
    key, _, value = line.partition("=")
    if key == "ActiveEnterTimestampMonotonic" and value != "0":
        value = str(now_us - int(os.environ["FAKE_UP_S"]) * 1_000_000)
    print(f"{{key}}={{value}}")
"""

FAKE_RAUC = """#!/bin/sh
echo "$*" >> "$FAKE_RAUC_LOG"
[ "${FAKE_RAUC_FAIL:-}" = "" ] || { echo "rauc: $FAKE_RAUC_FAIL" >&2; exit 1; }
"""


class Appliance:
    """PATH with fake systemctl and rauc; `healthy(...)` runs `kiosk healthy` there."""

    def __init__(self, folder: Path) -> None:
        self.bin = folder / "bin"
        self.bin.mkdir()
        for name, text in (("systemctl", FAKE_SYSTEMCTL.format(python=sys.executable)),
                           ("rauc", FAKE_RAUC)):
            (self.bin / name).write_text(text)
            (self.bin / name).chmod(0o755)
        self.rauc_log = folder / "rauc.log"

    def healthy(self, fixture_name: str, up_s: int, *args: str,
                rauc_fails: str = "") -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PATH": f"{self.bin}:{os.environ['PATH']}",
               "FAKE_SHOW": str(FIXTURES / f"show_{fixture_name}.txt"), "FAKE_UP_S": str(up_s),
               "FAKE_RAUC_LOG": str(self.rauc_log), "FAKE_RAUC_FAIL": rauc_fails}
        return subprocess.run([sys.executable, "-m", "kiosk", "healthy", *args], env=env,
                              capture_output=True, text=True, timeout=60, check=False)

    def rauc_calls(self) -> list[str]:
        return self.rauc_log.read_text().splitlines() if self.rauc_log.exists() else []


@pytest.fixture
def appliance(tmp_path: Path) -> Appliance:
    return Appliance(tmp_path)


def test_kiosk_healthy_marks_the_booted_slot_good_after_a_stable_start(
        appliance: Appliance) -> None:
    result = appliance.healthy("ready", 600)
    assert result.returncode == 0, result.stderr
    assert appliance.rauc_calls() == ["status mark-good booted"]
    assert "Marked the booted slot good." in result.stdout


def test_kiosk_healthy_leaves_a_restarted_kiosks_slot_unconfirmed_and_says_why(
        appliance: Appliance) -> None:
    result = appliance.healthy("restarted", 600)
    assert result.returncode == 1
    assert appliance.rauc_calls() == []
    assert ("Not marking this slot good: kiosk.service was restarted 1 time since boot"
            in result.stdout)
    assert "the next reboot after an update starts the previous slot" in result.stdout


def test_kiosk_healthy_waits_for_the_stable_window_given(appliance: Appliance) -> None:
    assert appliance.healthy("ready", 90, "--stable-s", "120").returncode == 1
    assert appliance.healthy("ready", 150, "--stable-s", "120").returncode == 0
    assert appliance.rauc_calls() == ["status mark-good booted"]


def test_a_dry_run_decides_but_never_calls_rauc(appliance: Appliance) -> None:
    result = appliance.healthy("ready", 600, "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "Dry run: would run `rauc status mark-good booted`" in result.stdout
    assert appliance.rauc_calls() == []


def test_a_failing_rauc_is_reported_as_one_sentence_and_exit_1(appliance: Appliance) -> None:
    result = appliance.healthy("ready", 600, rauc_fails="Failed to determine booted slot")
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "kiosk: `rauc status mark-good booted` failed with exit status 1: "
        "rauc: Failed to determine booted slot")

"""kiosk.service and the update health gate under real systemd: the host's OS booted with
`systemd-nspawn -D / --volatile=yes -b` (tests/systemd/nspawn_host.py; nothing to build).

One boot (45-50 s here) runs the units from systemd/ as they are, with test drop-ins that only
change what a container without a screen or a tty needs (SDL's offscreen driver, no tty1), a 4 s
watchdog instead of 15 s, the gate's 3 s stable window instead of 300 s and a fake `rauc`, and
keep the repo's venv Python readable. The probe unit (tests/systemd/nspawn_probe.py) drives the
kiosk and writes a report that these tests read: READY arrives, a hung UI is killed by the
watchdog and restarted, the open basket survives the restart, the start limit leads to the
out-of-order unit, and kiosk-healthy.service marks the slot good only after a stable start.

Without root or systemd-nspawn the tests are skipped with the install line; in CI (CI=true)
that is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.systemd import nspawn_host

BOOT_TIMEOUT_S = 240.0
# `boot`: in `make test`; `make test-boot` runs only these.
pytestmark = [pytest.mark.slow, pytest.mark.boot,
              pytest.mark.timeout(BOOT_TIMEOUT_S + 60)]

REPO = Path(__file__).resolve().parents[2]
VENV = Path(sys.prefix)
UNITS = REPO / "systemd"
SHOW_FIXTURES = REPO / "tests" / "updates" / "fixtures"
WATCHDOG_S = 4

# What the container cannot give the kiosk, and why each line is here. Everything else in
# kiosk.service (user, groups, state directory, hardening, restart and start limit) stays.
HEADLESS_DROP_IN = f"""\
[Service]
# No screen in the container: SDL draws offscreen with Mesa's software GL (EGL).
Environment=SDL_VIDEODRIVER=offscreen
# No /dev/tty1 in the container.
StandardInput=null
TTYReset=no
TTYVHangup=no
TTYVTDisallocate=no
# A shorter watchdog than the appliance's 15 s, so the hang is noticed quickly.
WatchdogSec={WATCHDOG_S}
"""
# The repo, its venv or the venv's Python (pyenv) may live under /root or /home, which
# ProtectHome=yes hides; on the appliance everything is in /opt/kiosk.
KIOSK_IN_HOME = "ProtectHome=read-only\n"

# The update health gate as the appliance runs it, but with a 3 s stable window instead of 300 s
# and a fake `rauc` (the probe writes it) first on PATH, which may write its record.
GATE_DROP_IN = """\
[Service]
ExecStart=
ExecStart=/opt/kiosk/venv/bin/kiosk healthy --stable-s 3
Environment=PATH=/run/kiosk-nspawn-test/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin
ReadWritePaths=/run/kiosk-nspawn-test/log
"""

PROBE_UNIT = f"""\
[Unit]
Description=Probe: kiosk.service behaviour under systemd (tests/systemd/test_nspawn.py)
After=basic.target systemd-sysusers.service systemd-tmpfiles-setup.service

[Service]
Type=oneshot
ExecStart={VENV}/bin/python {REPO}/tests/systemd/nspawn_probe.py
ExecStopPost=/usr/bin/systemctl poweroff --no-block
TimeoutStartSec={int(BOOT_TIMEOUT_S)}
"""


TARGET = "kiosk-nspawn-test.target"
TARGET_UNIT = """\
[Unit]
Description=Boot target of tests/systemd/test_nspawn.py: sysinit.target and the probe only
Wants=kiosk-probe.service
"""


def _stage(etc: Path) -> dict[str, Path]:
    """Lay out what is bound under the container's /etc: the units, their test drop-ins, the
    probe and its boot target, sysusers, tmpfiles and the journald drop-in. Returns the binds
    (path under /etc -> staged folder)."""
    binds = {"systemd/system": etc / "system", "sysusers.d": etc / "sysusers.d",
             "tmpfiles.d": etc / "tmpfiles.d", "systemd/journald.conf.d": etc / "journald"}
    system = binds["systemd/system"]
    system.mkdir(parents=True)
    drop_in = HEADLESS_DROP_IN
    prefix = nspawn_host.python_prefix(VENV)
    used = [REPO, VENV.resolve(), *([prefix] if prefix is not None else [])]
    gate_drop_in = GATE_DROP_IN
    if any(path.is_relative_to(home) for path in used for home in ("/root", "/home")):
        drop_in += KIOSK_IN_HOME
        gate_drop_in += KIOSK_IN_HOME
    binds["tmpfiles.d"].mkdir()
    if any(path.is_relative_to("/root") for path in used):
        # The container's /root is made 0750 on its tmpfs root; the kiosk user must reach the
        # repo or pyenv Python below it. Read first (00-), so this wins over provision.conf.
        (binds["tmpfiles.d"] / "00-nspawn-test-root.conf").write_text("z /root 0755 - - -\n")
    # A checkout under /tmp (as CI may make one) would vanish behind the unit's PrivateTmp=yes:
    # the service gets an empty /tmp of its own. Bind the repo (and its venv, Python) back in.
    in_tmp = [path for path in used if path.is_relative_to("/tmp")]
    if in_tmp:
        bind_back = "BindReadOnlyPaths=" + " ".join(str(p) for p in in_tmp) + "\n"
        drop_in += bind_back
        gate_drop_in += bind_back
    for unit, text in (("kiosk.service", drop_in), ("kiosk-out-of-order.service", drop_in),
                       ("kiosk-healthy.service", gate_drop_in)):
        (system / unit).write_text((UNITS / unit).read_text())
        (system / f"{unit}.d").mkdir()
        (system / f"{unit}.d" / "50-nspawn-test.conf").write_text(text)
    (system / "kiosk-probe.service").write_text(PROBE_UNIT)
    (system / TARGET).write_text(TARGET_UNIT)
    for folder, source in (("sysusers.d", UNITS / "sysusers.d"),
                           ("tmpfiles.d", UNITS / "tmpfiles.d"),
                           ("systemd/journald.conf.d", UNITS / "journald.conf.d")):
        binds[folder].mkdir(exist_ok=True)
        for conf in source.glob("*.conf"):
            (binds[folder] / conf.name).write_text(conf.read_text())
    return binds


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Boot the tree once and return the probe's report (the console output on failure)."""
    reason = nspawn_host.missing_reason()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the systemd-nspawn tests, but {reason}")
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("nspawn")
    (work / "out").mkdir()
    binds = _stage(work / "etc")
    # On disk even where the pytest temp dir is a tmpfs (see nspawn_host.boot_command).
    systemd_state = Path(tempfile.mkdtemp(prefix="kiosk-nspawn-", dir="/var/tmp"))
    try:
        command = nspawn_host.boot_command(etc=binds, out_dir=work / "out",
                                           systemd_state=systemd_state, repo=REPO, venv=VENV,
                                           target=TARGET)
        status, console = nspawn_host.run_boot(command, BOOT_TIMEOUT_S)
    finally:
        shutil.rmtree(systemd_state, ignore_errors=True)
    report_file = work / "out" / "report.json"
    if not report_file.exists():
        pytest.fail(f"the container wrote no report (exit {status}); its console ends:\n"
                    f"{console[-4000:]}")
    data: dict[str, Any] = json.loads(report_file.read_text())
    data["console"] = console[-4000:]
    print(f"\nnspawn: READY {data.get('ready_s')} s after start, watchdog restart READY "
          f"{data.get('restart_s')} s after SIGSTOP, out-of-order {data.get('start_limit_s')} s "
          "after the config broke")
    yield data


def _explain(report: dict[str, Any]) -> str:
    return (f"\nprobe error: {report.get('error')}\nkiosk log:\n"
            + "\n".join(report["kiosk_log"][-60:]))


def test_kiosk_service_becomes_active_once_the_kiosk_sends_ready(
        report: dict[str, Any]) -> None:
    assert "ready" in report["phases"], _explain(report)
    after = report["after_ready"]
    assert (after["ActiveState"], after["SubState"]) == ("active", "running"), _explain(report)


def test_a_hung_ui_is_killed_by_the_watchdog_and_a_new_kiosk_becomes_ready(
        report: dict[str, Any]) -> None:
    assert "watchdog" in report["phases"], _explain(report)
    log = "\n".join(report["kiosk_log"])
    assert f"Watchdog timeout (limit {WATCHDOG_S}s)!" in log, _explain(report)
    assert "SIGABRT" in log, _explain(report)
    after = report["after_restart"]
    assert after["ActiveState"] == "active"
    assert int(after["NRestarts"]) >= 1
    assert int(after["MainPID"]) != report["hung_pid"]


def test_a_lane_not_enrolled_starts_and_gets_its_token_once_enrolment_wrote_it(
        report: dict[str, Any]) -> None:
    """No hub token yet must not keep the lane from selling; after enrolment wrote the
    encrypted token, the next kiosk process finds it in $CREDENTIALS_DIRECTORY."""
    assert "watchdog" in report["phases"], _explain(report)
    assert (report["token_before"], report["unit_token_before"]) == (False, False)
    assert report["unit_token_after"] is True


def test_the_open_basket_is_still_open_after_the_watchdog_restart(
        report: dict[str, Any]) -> None:
    """The item scanned before the hang and the one scanned after the restart are in the same
    basket: the new process replayed the journal instead of starting a fresh basket."""
    assert "watchdog" in report["phases"], _explain(report)
    facts = report["basket_facts"]
    kinds = [fact["kind"] for fact in facts]
    assert kinds == ["basket_opened", "lines_added", "lines_added"], facts
    assert len({fact["basket_id"] for fact in facts}) == 1, facts


def test_repeated_failed_starts_hit_the_start_limit_and_start_the_out_of_order_unit(
        report: dict[str, Any]) -> None:
    assert "start_limit" in report["phases"], _explain(report)
    kiosk = report["after_start_limit"]
    assert kiosk["ActiveState"] == "failed", _explain(report)
    log = "\n".join(report["kiosk_log"])
    assert "Start request repeated too quickly." in log, _explain(report)
    assert "Triggering OnFailure= dependencies." in log, _explain(report)
    assert "lane.window_size" in log, "the kiosk's own reason for failing is in its journal"
    screen = report["out_of_order"]
    assert screen["ExecMainStartTimestampMonotonic"] not in ("", "0")
    # Still up a few seconds later: the out-of-order screen does not crash-loop itself.
    assert (screen["ActiveState"], screen["NRestarts"]) == ("active", "0"), \
        "\n".join(report["out_of_order_log"][-40:])


# --- the update health gate (kiosk-healthy.service) against the real kiosk.service ----------


def _gate(report: dict[str, Any], when: str) -> dict[str, Any]:
    gate: dict[str, Any] | None = report.get(f"gate_{when}")
    assert gate is not None, _explain(report)
    return gate


def test_the_health_gate_marks_the_slot_good_once_the_kiosk_stayed_up(
        report: dict[str, Any]) -> None:
    gate = _gate(report, "after_ready")
    assert (gate["result"], gate["status"]) == ("success", "0"), gate["log"]
    assert gate["rauc"] == ["status mark-good booted"], gate["log"]
    assert any("reached READY and stayed up for" in line
               and "Marked the booted slot good." in line for line in gate["said"]), gate["log"]


def test_the_health_gate_refuses_after_a_watchdog_restart_and_says_why(
        report: dict[str, Any]) -> None:
    gate = _gate(report, "after_restart")
    assert (gate["result"], gate["status"]) == ("exit-code", "1"), gate["log"]
    assert gate["rauc"] == [], "a restarted kiosk's slot must stay unconfirmed"
    assert any("Not marking this slot good: kiosk.service was restarted 1 time since boot"
               in line for line in gate["said"]), gate["log"]


def test_the_health_gate_refuses_when_the_kiosk_hit_the_start_limit(
        report: dict[str, Any]) -> None:
    gate = _gate(report, "after_start_limit")
    assert (gate["result"], gate["status"]) == ("exit-code", "1"), gate["log"]
    assert gate["rauc"] == []
    assert any("kiosk.service is failed/failed, not active/running" in line
               for line in gate["said"]), gate["log"]


def _keys_and_states(text: str) -> list[tuple[str, str]]:
    """The lines of a `systemctl show` text, with timestamps reduced to set (1) or unset (0)."""
    lines = []
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.endswith("Monotonic"):
            value = "0" if value == "0" else "1"
        lines.append((key, value))
    return lines


def test_the_health_gate_fixtures_are_what_systemd_prints_in_those_states(
        report: dict[str, Any]) -> None:
    """tests/updates/fixtures were captured from this boot; they must still match it (keys,
    their order and the states, not the timestamps). KIOSK_WRITE_SHOW_FIXTURES=1 rewrites
    them from the boot."""
    shows: dict[str, str] = report["shows"]
    assert set(shows) == {"waiting_for_ready", "ready", "restarted", "auto_restart",
                          "start_limit"}, _explain(report)
    for name, captured in shows.items():
        fixture = SHOW_FIXTURES / f"show_{name}.txt"
        if os.environ.get("KIOSK_WRITE_SHOW_FIXTURES") == "1":
            fixture.write_text(captured)
        assert _keys_and_states(fixture.read_text()) == _keys_and_states(captured), (
            f"{fixture} no longer matches what systemd printed:\n{captured}"
            "(rewrite with KIOSK_WRITE_SHOW_FIXTURES=1)")

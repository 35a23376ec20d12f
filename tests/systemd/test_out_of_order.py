"""`kiosk out-of-order`: what the lane's screen says after kiosk.service gave up.

systemd passes the failure in $MONITOR_* variables; the failed unit's last error comes from
journalctl when it can be read. journalctl is replaced at the process edge by a script on PATH.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.ui.out_of_order import last_error, reason

START_TIMEOUT_S = 60.0


def kiosk_text(tmp_path: Path, env: dict[str, str], journalctl: str | None) -> str:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    if journalctl is not None:
        script = bin_dir / "journalctl"
        script.write_text(f"#!/bin/sh\n{journalctl}\n")
        script.chmod(0o755)
    full = {"PATH": str(bin_dir), "HOME": str(tmp_path), **env}
    done = subprocess.run([sys.executable, "-m", "kiosk", "out-of-order", "--text"],
                          env=full, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_screen_says_out_of_order_in_german_and_english_with_the_reason(
        tmp_path: Path) -> None:
    text = kiosk_text(tmp_path, {"MONITOR_SERVICE_RESULT": "start-limit-hit",
                                 "MONITOR_UNIT": "kiosk.service"}, journalctl=None)
    assert text.startswith("Außer Betrieb\nOut of order\n")
    assert "Bitte benutzen Sie eine andere Kasse" in text and "Please use another checkout" in text
    assert "mehrmals hintereinander ausgefallen" in text and "failed several times" in text


def test_the_failed_units_last_error_is_shown_for_the_technician(tmp_path: Path) -> None:
    log = ("printf '%s\\n' 'INFO kiosk: lane lane-3 ready' 'Traceback (most recent call last):' "
           "'  File \"x.py\", line 1' 'sqlite3.OperationalError: disk I/O error' "
           "'INFO kiosk: stopping'")
    text = kiosk_text(tmp_path, {"MONITOR_SERVICE_RESULT": "exit-code",
                                 "MONITOR_EXIT_STATUS": "1", "MONITOR_UNIT": "kiosk.service"},
                      journalctl=log)
    assert "The lane stopped with exit status 1." in text
    assert "kiosk.service: sqlite3.OperationalError: disk I/O error" in text


def test_an_unreadable_journal_leaves_the_generic_reason(tmp_path: Path) -> None:
    text = kiosk_text(tmp_path, {}, journalctl="echo 'No journal files were opened due to "
                      "insufficient permissions.' >&2; exit 1")
    assert "Ein technischer Fehler ist aufgetreten.\nA technical fault occurred." in text
    assert "kiosk.service:" not in text


def test_a_hanging_journal_does_not_keep_the_screen_away(tmp_path: Path) -> None:
    text = kiosk_text(tmp_path, {"MONITOR_SERVICE_RESULT": "watchdog"}, journalctl="exec sleep 60")
    assert "The lane stopped responding (watchdog)." in text


@pytest.mark.parametrize(("result", "status", "english"), [
    ("watchdog", "ABRT", "The lane stopped responding (watchdog)."),
    ("signal", "KILL", "The lane was killed by signal KILL."),
    ("core-dump", "SEGV", "The lane crashed (signal SEGV)."),
    ("timeout", "", "The lane did not start in time."),
    ("something-new", "", "A technical fault occurred."),
])
def test_each_way_a_service_fails_has_words(result: str, status: str, english: str) -> None:
    de, en = reason({"MONITOR_SERVICE_RESULT": result, "MONITOR_EXIT_STATUS": status})
    assert en == english and de and "{" not in de


def test_only_error_lines_are_taken_and_long_ones_are_cut() -> None:
    assert last_error(["INFO all fine", "DEBUG still fine"]) is None
    long = "2026-11-22 ERROR kiosk.app: " + "x" * 400
    cut = last_error([long, "INFO after"])
    assert cut is not None and len(cut) == 200 and cut.endswith("…")


@pytest.mark.ui
def test_the_out_of_order_window_is_drawn_and_stops_on_sigterm(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "KIVY_GL_BACKEND", "KIVY_WINDOW")}
    env.update(KIVY_HOME=str(tmp_path / "kivy"), MONITOR_SERVICE_RESULT="start-limit-hit")
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "out-of-order"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            seen.append(line)
            if "out-of-order screen shown" in line:
                break
        assert "failed several times in a row" in seen[-1], "".join(seen)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=START_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()
    assert not any("Traceback" in line for line in seen), "".join(seen)

"""The probe that runs INSIDE the nspawn container, as a root oneshot unit, after boot.

It plays the store's day against the real kiosk.service under systemd 252 as PID 1 and writes
what it saw to /out/report.json (then the unit's ExecStopPost powers the container off):

1. start kiosk.service (Type=notify) of a lane not enrolled yet (no hub token) and wait until
   systemd calls it active: READY=1 arrived;
2. scan an item through a scanner on 127.0.0.1 (the kiosk's config names it
   socket://127.0.0.1:PORT, so the frame goes through the real serial driver and checkout);
3. encrypt a hub token as first boot does after enrolment; SIGSTOP the kiosk's main process
   (a hung UI: no more WATCHDOG=1) and wait for systemd's watchdog kill and restart (the new
   process gets the token), then scan a second item into the basket the new process replayed;
4. break the config and kill the kiosk, so every restart fails, until the start limit fails the
   unit and OnFailure= starts kiosk-out-of-order.service.

The update health gate runs three times on the way, as kiosk-healthy.service (with a test
drop-in: a 3 s stable window and a fake `rauc` first on PATH that records its arguments): after
READY and the stable window (it must mark the slot good), after the watchdog restart and after
the start limit (it must refuse and say why). At each state the gate's own `systemctl show`
question is recorded verbatim: tests/updates/fixtures are these texts.

Standard library only: it runs with the venv's Python but must not import the kiosk.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

CONFIG = Path("/etc/kiosk/kiosk.toml")
JOURNAL_DB = Path("/var/lib/kiosk/journal.sqlite")
REPORT = Path("/out/report.json")
CREDENTIAL = Path("/var/lib/kiosk/credstore/hub-token.cred")
UNIT_TOKEN = Path("/run/credentials/kiosk.service/hub-token")  # what the running kiosk reads
TOKEN = b"nspawn-test-token"
UNIT = "kiosk.service"
OUT_OF_ORDER = "kiosk-out-of-order.service"
PROPS = ("ActiveState,SubState,Result,MainPID,NRestarts,ExecMainStatus,"
         "ExecMainStartTimestampMonotonic")
# EAN-13 frames exactly as a scanner sends them (AIM id ]E0, CR suffix): two demo catalog items.
FIRST_ITEM = b"]E04200100000016\r"
SECOND_ITEM = b"]E04200100000023\r"
READY_TIMEOUT_S = 60.0
STEP_TIMEOUT_S = 40.0
# The health gate (kiosk/app_health.py asks exactly this) and its test double for rauc.
GATE = "kiosk-healthy.service"
GATE_PROPS = "ActiveState,SubState,NRestarts,ActiveEnterTimestampMonotonic"
GATE_STABLE_S = 3  # the drop-in's --stable-s (the appliance's is 300)
RAUC_CONF = Path("/etc/rauc/system.conf")  # kiosk-healthy.service's ConditionPathExists=
FAKE_BIN = Path("/run/kiosk-nspawn-test/bin")  # first on the gate's PATH (the drop-in)
FAKE_LOG_DIR = Path("/run/kiosk-nspawn-test/log")  # ReadWritePaths= in the drop-in
RAUC_LOG = FAKE_LOG_DIR / "rauc.log"


class Scanner:
    """A scanner on 127.0.0.1 that the kiosk connects to; `scan` sends to the newest link."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._server.getsockname()[1])
        self._links: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            link, _ = self._server.accept()
            with self._lock:
                self._links.append(link)

    def links(self) -> int:
        with self._lock:
            return len(self._links)

    def scan(self, frame: bytes) -> None:
        with self._lock:
            self._links[-1].sendall(frame)


def show(unit: str) -> dict[str, str]:
    out = subprocess.run(["systemctl", "show", "-p", PROPS, unit], capture_output=True,
                         text=True, check=False).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def wait_for(what: str, check: Callable[[], bool], timeout_s: float = STEP_TIMEOUT_S) -> float:
    """Poll `check()` until it is true; seconds it took. Raises naming `what` on timeout."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        if check():
            return round(time.monotonic() - started, 2)
        time.sleep(0.2)
    raise TimeoutError(f"{what}: not within {timeout_s} s (kiosk: {show(UNIT)})")


def basket_facts() -> list[dict[str, Any]]:
    """The journal's basket facts in order: kind and basket id (empty before the first)."""
    if not JOURNAL_DB.exists():
        return []
    db = sqlite3.connect(f"file:{JOURNAL_DB}?mode=ro", uri=True, timeout=5)
    try:
        rows = db.execute(
            "SELECT kind, basket_id FROM facts WHERE kind IN ('basket_opened', 'lines_added',"
            " 'basket_closed', 'sale_finished') ORDER BY seq").fetchall()
    except sqlite3.OperationalError:
        return []  # the kiosk is still creating its tables
    finally:
        db.close()
    return [{"kind": kind, "basket_id": basket_id} for kind, basket_id in rows]


def lines_added() -> int:
    return sum(1 for fact in basket_facts() if fact["kind"] == "lines_added")


def gate_show() -> str:
    """`systemctl show` of kiosk.service as the health gate asks it, verbatim."""
    return subprocess.run(["systemctl", "show", "-p", GATE_PROPS, UNIT], capture_output=True,
                          text=True, check=False).stdout


def install_fake_rauc() -> None:
    """What the gate needs on a lane without RAUC: its config (the unit's condition) and a
    `rauc` that records how it was called."""
    RAUC_CONF.parent.mkdir(parents=True, exist_ok=True)
    RAUC_CONF.write_text("# kiosk-nspawn-test: only kiosk-healthy.service's condition\n")
    FAKE_BIN.mkdir(parents=True, exist_ok=True)
    FAKE_LOG_DIR.mkdir(parents=True, exist_ok=True)
    rauc = FAKE_BIN / "rauc"
    rauc.write_text(f'#!/bin/sh\necho "$*" >> {RAUC_LOG}\n')
    rauc.chmod(0o755)


def run_gate() -> dict[str, Any]:
    """Start kiosk-healthy.service (a oneshot: returns when it is done) and say what it did:
    its result, exit status, what it printed and the rauc calls it made."""
    before = len(journal(GATE))
    RAUC_LOG.unlink(missing_ok=True)
    subprocess.run(["systemctl", "start", GATE], capture_output=True, check=False)
    state = subprocess.run(["systemctl", "show", "-p", "Result,ExecMainStatus", GATE],
                           capture_output=True, text=True, check=False).stdout
    values = dict(line.split("=", 1) for line in state.splitlines() if "=" in line)

    def said() -> list[str]:
        return [line for line in journal(GATE)[before:]
                if "Healthy:" in line or "Not marking" in line or "kiosk:" in line]

    # The service's stdout reaches the journal a moment after systemd saw it exit; a verdict
    # that never comes shows as an empty "said" in the report.
    with contextlib.suppress(TimeoutError):
        wait_for("the gate's verdict in its journal", lambda: bool(said()), 10.0)
    return {"result": values.get("Result"), "status": values.get("ExecMainStatus"),
            "said": said(), "log": journal(GATE)[before:],
            "rauc": RAUC_LOG.read_text().splitlines() if RAUC_LOG.exists() else []}


def journal(unit: str) -> list[str]:
    out = subprocess.run(["journalctl", "--no-pager", "-o", "cat", "-u", unit],
                         capture_output=True, text=True, check=False).stdout
    return out.splitlines()[-300:]


def is_active() -> bool:
    return show(UNIT).get("ActiveState") == "active"


def phase_ready(report: dict[str, Any], scanner: Scanner) -> None:
    CONFIG.parent.mkdir(parents=True, exist_ok=True)
    CONFIG.write_text(
        '[lane]\nid = "lane-nspawn"\n\n[paths]\ndata_dir = "/var/lib/kiosk"\n\n'
        # A lane that comes back by itself after a power cut (or a watchdog kill) sells at once.
        '[policy]\nopen_on_start = true\n\n'
        f'[devices.scanner]\nport = "socket://127.0.0.1:{scanner.port}"\n')
    # A lane not enrolled yet: no hub token on the data partition. It must start all the same.
    report["token_before"] = CREDENTIAL.exists()
    subprocess.run(["systemctl", "start", "--no-block", UNIT], check=True)
    started = time.monotonic()
    wait_for("kiosk.service activating", lambda: show(UNIT).get("ActiveState") != "inactive")
    report["shows"]["waiting_for_ready"] = gate_show()
    wait_for("kiosk.service active (READY=1)", is_active, READY_TIMEOUT_S)
    report["ready_s"] = round(time.monotonic() - started, 2)
    report["after_ready"] = show(UNIT)
    report["shows"]["ready"] = gate_show()


def phase_gate_after_ready(report: dict[str, Any]) -> None:
    install_fake_rauc()
    time.sleep(GATE_STABLE_S + 1)  # the stable window, from READY
    report["gate_after_ready"] = run_gate()


def phase_watchdog(report: dict[str, Any], scanner: Scanner) -> None:
    wait_for("the kiosk connects to the scanner", lambda: scanner.links() >= 1)
    scanner.scan(FIRST_ITEM)
    wait_for("the first scan in the journal", lambda: lines_added() >= 1)
    report["unit_token_before"] = UNIT_TOKEN.exists()
    # Enrolment finishes meanwhile: first boot encrypts the token where systemd searches it.
    encrypt = subprocess.run(["systemd-creds", "encrypt", "--name=hub-token", "-",
                              str(CREDENTIAL)], input=TOKEN, capture_output=True, check=False)
    if encrypt.returncode != 0:
        raise RuntimeError(f"systemd-creds encrypt: exit {encrypt.returncode}: "
                           f"{encrypt.stderr.decode(errors='replace')}")
    hung_pid = int(show(UNIT)["MainPID"])
    report["hung_pid"] = hung_pid
    os.kill(hung_pid, signal.SIGSTOP)  # the UI loop stops: no more WATCHDOG=1

    def restarted() -> bool:
        now = show(UNIT)
        return now.get("ActiveState") == "active" and now.get("MainPID") not in ("0", str(hung_pid))

    report["restart_s"] = wait_for("a new kiosk process READY after the hang", restarted)
    report["after_restart"] = show(UNIT)
    report["shows"]["restarted"] = gate_show()
    report["unit_token_after"] = UNIT_TOKEN.exists() and UNIT_TOKEN.read_bytes() == TOKEN
    wait_for("the restarted kiosk connects to the scanner", lambda: scanner.links() >= 2)
    scanner.scan(SECOND_ITEM)
    wait_for("the second scan in the journal", lambda: lines_added() >= 2)
    report["basket_facts"] = basket_facts()


def phase_start_limit(report: dict[str, Any]) -> None:
    # A config the kiosk refuses: every start now exits 1 with the reason, as after a bad update.
    CONFIG.write_text("[lane]\nwindow_size = [0, 800]\n")
    os.kill(int(show(UNIT)["MainPID"]), signal.SIGKILL)
    # Between the crash and the restart (RestartSec=2), as the gate would see it.
    wait_for("kiosk.service waiting to restart",
             lambda: show(UNIT).get("SubState") == "auto-restart", 10.0)
    report["shows"]["auto_restart"] = gate_show()

    def out_of_order_started() -> bool:
        return show(OUT_OF_ORDER).get("ExecMainStartTimestampMonotonic", "0") not in ("", "0")

    report["start_limit_s"] = wait_for("kiosk-out-of-order.service started by OnFailure=",
                                       out_of_order_started, 60.0)
    time.sleep(3.0)  # the out-of-order screen should still be up, not restarting itself
    report["after_start_limit"] = show(UNIT)
    report["shows"]["start_limit"] = gate_show()
    report["out_of_order"] = show(OUT_OF_ORDER)


def main() -> None:
    report: dict[str, Any] = {"phases": [], "shows": {}}
    scanner = Scanner()
    try:
        phase_ready(report, scanner)
        report["phases"].append("ready")
        phase_gate_after_ready(report)
        phase_watchdog(report, scanner)
        report["phases"].append("watchdog")
        report["gate_after_restart"] = run_gate()
        phase_start_limit(report)
        report["phases"].append("start_limit")
        report["gate_after_start_limit"] = run_gate()
    except Exception:  # the report says what failed; the test turns that into its message
        report["error"] = traceback.format_exc()
    finally:
        report["kiosk_log"] = journal(UNIT)
        report["out_of_order_log"] = journal(OUT_OF_ORDER)
        REPORT.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()

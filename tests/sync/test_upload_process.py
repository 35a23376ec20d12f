"""`kiosk upload` and `kiosk enrol` as processes: killed mid-batch, the uploader resumes from
the outbox alone and the hub holds every sale once; doctor shows the queue and quarantine."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.journal import sales
from kiosk.journal.db import open_db

from .fake_hub import DEVICE, TOKEN, FakeHub, hub_in_thread
from .test_uploader import sale

ROOT = Path(__file__).resolve().parents[2]


def config(tmp_path: Path, hub_url: str, batch: int = 3) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(f'[lane]\nid = "{DEVICE}"\n[paths]\ndata_dir = "{tmp_path}"\n'
                    f'[sync]\nhub_url = "{hub_url}"\nbatch = {batch}\ninterval_s = 1\n')
    return path


def kiosk(cfg: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "kiosk", "-c", str(cfg), *args], cwd=ROOT,
                            env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finished(proc: subprocess.Popen[str], timeout_s: float = 60) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout_s)
    return proc.returncode, out, err


def queue(tmp_path: Path) -> sales.OutboxStatus:
    db = open_db(tmp_path / "journal.sqlite")
    try:
        return sales.outbox_status(db)
    finally:
        db.close()


def fill(tmp_path: Path, count: int) -> None:
    db = open_db(tmp_path / "journal.sqlite")
    for n in range(1, count + 1):
        sales.record_sale(db, sale(n))
    db.close()


@pytest.mark.slow
def test_an_uploader_killed_mid_batch_resumes_and_the_hub_has_each_sale_once(
        tmp_path: Path) -> None:
    fill(tmp_path, 7)
    (tmp_path / "hub-token").write_text(TOKEN)
    hub = FakeHub()
    hub.catalogs = {0: {"version": 0, "full": False, "products": [], "removed": [],
                        "promotions": None}}
    hub.stall_s = 60.0  # the batch is stored, its answer never comes before the kill
    with hub_in_thread(hub) as url:
        cfg = config(tmp_path, url)
        first = kiosk(cfg, "upload")
        assert hub.received.wait(30), finished(first, 5)
        first.send_signal(signal.SIGKILL)
        finished(first)
        assert queue(tmp_path).pending == 7  # nothing acked: the answer was lost
        hub.stall_s = 0.0
        second = kiosk(cfg, "upload")
        deadline = time.monotonic() + 60
        while queue(tmp_path).pending and time.monotonic() < deadline:
            time.sleep(0.1)
        second.send_signal(signal.SIGTERM)
        status, _, err = finished(second)
    assert status == 0, err
    assert queue(tmp_path).pending == 0
    assert sorted(sid for _, sid in hub.stored) == sorted(f"S-L1-{n}" for n in range(1, 8))
    assert hub.posts[1] == hub.posts[0]  # the same batch again, answered duplicate


def test_upload_once_says_what_it_sent_and_doctor_shows_the_quarantine(tmp_path: Path) -> None:
    fill(tmp_path, 2)
    (tmp_path / "hub-token").write_text(TOKEN + "\n")
    hub = FakeHub()
    hub.reject["S-L1-2"] = "breaks the hash chain at seq 2"
    with hub_in_thread(hub) as url:
        status, out, err = finished(kiosk(config(tmp_path, url), "upload", "--once"))
    assert status == 0, err
    assert "sent 2 sale(s): 1 acknowledged (0 already at the hub), 1 quarantined" in out
    status, out, _ = finished(kiosk(config(tmp_path, url), "doctor"))
    assert "0 sale(s) waiting for upload" in out
    assert ("1 sale(s) refused by the hub and set aside (kept, not sent again); newest reason: "
            "breaks the hash chain at seq 2") in out


def test_upload_without_enrolment_says_how_to_enrol(tmp_path: Path) -> None:
    fill(tmp_path, 1)
    status, _, err = finished(kiosk(config(tmp_path, "http://127.0.0.1:9"), "upload", "--once"))
    assert status == 1
    assert "this lane is not enrolled" in err and "kiosk enrol --hub URL --code CODE" in err


def test_the_upload_service_waits_for_enrolment_instead_of_failing_at_once(
        tmp_path: Path) -> None:
    # Under systemd an uploader that exits at once would hit its start limit and stay down
    # while the lane waits for its enrolment code; it waits, and stops promptly on SIGTERM.
    fill(tmp_path, 1)
    log = tmp_path / "upload.log"
    with log.open("w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "-c", str(config(tmp_path, "http://127.0.0.1:9")),
             "upload"], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and "checking again" not in log.read_text():
                time.sleep(0.2)
            assert proc.poll() is None  # still waiting, not failed
        finally:
            proc.send_signal(signal.SIGTERM)
            status = proc.wait(timeout=20)
    err = log.read_text()
    assert status == 1
    assert "this lane is not enrolled" in err and "checking again in 60 s" in err


def test_enrol_on_the_command_line_stores_the_token(tmp_path: Path) -> None:
    hub = FakeHub()
    with hub_in_thread(hub) as url:
        cfg = config(tmp_path, "")
        status, out, err = finished(kiosk(cfg, "enrol", "--hub", url, "--code", "CODE-1"))
        assert status == 0, err
        assert "enrolled as L1 in store S1" in out
        assert (tmp_path / "hub-token").read_text().strip() == "n" * 43
        status, _, err = finished(kiosk(cfg, "enrol", "--hub", url, "--code", "CODE-1"))
    assert status == 1 and "403" in err and "kiosk hub enrol-code --device L1" in err


def test_without_a_hub_nothing_uploads(tmp_path: Path) -> None:
    status, out, _ = finished(kiosk(config(tmp_path, ""), "upload"))
    assert status == 0 and "no hub configured" in out

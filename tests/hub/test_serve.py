"""`kiosk hub` as an operator starts it: a real process serving on 127.0.0.1, stopped by SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

KIOSK = [sys.executable, "-m", "kiosk"]


def test_the_hub_process_serves_health_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    db = tmp_path / "hub.sqlite"
    proc = subprocess.Popen([*KIOSK, "hub", "--db", str(db), "--store-id", "markt-17",
                             "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "listening on http://127.0.0.1:" in line, line
        url = line.split("listening on ", 1)[1].strip()
        with urllib.request.urlopen(f"{url}/api/v1/health", timeout=10) as answer:
            health = json.loads(answer.read())
        assert health["ok"] is True and health["store_id"] == "markt-17"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        if proc.stdout is not None:
            proc.stdout.close()
    assert db.exists()

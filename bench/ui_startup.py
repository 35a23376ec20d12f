"""Kiosk start to attract screen: seconds from exec to READY=1 and RSS at ready, beside a bare
Kivy app.

    .venv/bin/python bench/ui_startup.py [--runs 5] [--size 1280x800]

`kiosk run` is started as systemd starts it: a real process with a notify socket. It sends
READY=1 once the first frame of its first screen is drawn; with `[policy] open_on_start` that
screen is the attract screen. Measured per run: seconds from `Popen` (exec) to READY=1, and the
process's resident memory (VmRSS in /proc/PID/status) read the moment READY=1 arrives. Each run
is a cold journal in a fresh temp folder (the demo catalog is imported at start), then SIGTERM.

Baseline, measured in the same run: a bare Kivy App whose root is one Label, sending READY=1
to the same socket from its first on_flip (the same moment the kiosk reports). The difference
is what the kiosk itself costs: its imports, the journal, the catalog and its widget tree.

Rendering is offscreen (SDL2 over EGL, DISPLAY unset), like the UI tests. Prints readable
lines, then the figures as one JSON object on the last line (medians over --runs).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

START_TIMEOUT_S = 60.0

# The baseline: the least a Kivy window costs to show one text, reporting like the kiosk does.
BARE_APP = """
import os, socket
os.environ.setdefault("KIVY_NO_ARGS", "1")
from kivy.config import Config
Config.set("graphics", "width", "{width}")
Config.set("graphics", "height", "{height}")
from kivy.app import App
from kivy.core.window import Window
from kivy.uix.label import Label

def ready(*_args):
    Window.unbind(on_flip=ready)
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.sendto(b"READY=1", os.environ["NOTIFY_SOCKET"])

class Bare(App):
    def build(self):
        Window.bind(on_flip=ready)
        return Label(text="Willkommen", font_size=48)

Bare().run()
"""


def rss_kib(pid: int) -> int:
    """Resident set size of `pid` in KiB (VmRSS from /proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def child_env(tmp: Path, notify: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "KIVY_GL_BACKEND", "KIVY_WINDOW")}
    env.update(NOTIFY_SOCKET=str(notify), KIVY_HOME=str(tmp / "kivy"), KIVY_NO_CONSOLELOG="1",
               KIVY_NO_ARGS="1")
    return env


def one_run(argv: list[str], tmp: Path) -> tuple[float, int]:
    """Start `argv`; returns (seconds to READY=1, RSS KiB at READY=1). Stops it with SIGTERM."""
    notify = tmp / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(notify))
        sock.settimeout(0.2)  # short, so a child that died is noticed
        log = (tmp / "stderr.log").open("w+")
        started = time.perf_counter()
        proc = subprocess.Popen(argv, env=child_env(tmp, notify), stdout=subprocess.DEVNULL,
                                stderr=log, text=True)
        try:
            while True:
                try:
                    message = sock.recv(4096).decode()
                except TimeoutError:
                    if proc.poll() is None and time.perf_counter() - started < START_TIMEOUT_S:
                        continue
                    proc.kill()
                    log.seek(0)
                    raise RuntimeError(f"{argv[-1]} sent no READY=1; its stderr ends: "
                                       f"{log.read()[-2000:]}") from None
                if "READY=1" in message:
                    ready_s = time.perf_counter() - started
                    rss = rss_kib(proc.pid)
                    break
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            log.close()
    return ready_s, rss


def summary(samples: list[tuple[float, int]]) -> dict[str, Any]:
    seconds = [s for s, _ in samples]
    rss_mib = [r / 1024 for _, r in samples]
    return {"ready_s": round(statistics.median(seconds), 3), "ready_s_min": round(min(seconds), 3),
            "ready_s_max": round(max(seconds), 3), "rss_mib": round(statistics.median(rss_mib), 1)}


def measure(runs: int, width: int, height: int) -> dict[str, Any]:
    kiosk: list[tuple[float, int]] = []
    bare: list[tuple[float, int]] = []
    for i in range(runs):
        # alternate, so a machine getting busier mid-run shows in both
        with tempfile.TemporaryDirectory(prefix="bench-ui-start-") as tmp_name:
            tmp = Path(tmp_name)
            config = tmp / "kiosk.toml"
            config.write_text(
                '[paths]\ndata_dir = "data"\n[policy]\nopen_on_start = true\n'
                f"[lane]\nwindow_size = [{width}, {height}]\n", encoding="utf-8")
            kiosk.append(one_run([sys.executable, "-m", "kiosk", "--config", str(config), "run"],
                                 tmp))
        with tempfile.TemporaryDirectory(prefix="bench-ui-bare-") as tmp_name:
            script = Path(tmp_name) / "bare_kivy_label.py"  # Kivy's App wants a source file
            script.write_text(BARE_APP.format(width=width, height=height), encoding="utf-8")
            bare.append(one_run([sys.executable, str(script)], Path(tmp_name)))
        print(f"run {i + 1}: kiosk {kiosk[-1][0]:.2f} s {kiosk[-1][1] / 1024:.0f} MiB, "
              f"bare Kivy {bare[-1][0]:.2f} s {bare[-1][1] / 1024:.0f} MiB", flush=True)
    ours, base = summary(kiosk), summary(bare)
    return {
        "bench": "ui_startup", "runs": runs, "window": [width, height],
        "kiosk_run": ours, "bare_kivy_label": base,
        "extra_s": round(ours["ready_s"] - base["ready_s"], 3),
        "extra_rss_mib": round(ours["rss_mib"] - base["rss_mib"], 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", default="1280x800", help="window WIDTHxHEIGHT in pixels")
    args = parser.parse_args(argv)
    width, height = (int(x) for x in args.size.split("x"))
    result = measure(args.runs, width, height)
    ours, base = result["kiosk_run"], result["bare_kivy_label"]
    print(f"kiosk run to attract screen: median {ours['ready_s']} s "
          f"({ours['ready_s_min']}-{ours['ready_s_max']}), RSS {ours['rss_mib']} MiB")
    print(f"bare Kivy app, one Label:    median {base['ready_s']} s "
          f"({base['ready_s_min']}-{base['ready_s_max']}), RSS {base['rss_mib']} MiB")
    print(f"the kiosk's own cost: +{result['extra_s']} s, +{result['extra_rss_mib']} MiB")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

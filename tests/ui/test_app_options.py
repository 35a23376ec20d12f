"""KioskApp's options are checked before any window opens (real subprocess: Kivy stays out of
the test process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """
from kiosk.ui.app import KioskApp
try:
    KioskApp(object(), size=(1280,))
except ValueError as err:
    print(err)
"""


def test_a_window_size_that_is_not_width_and_height_is_refused_clearly(tmp_path: Path) -> None:
    env = dict(os.environ, KIVY_NO_ARGS="1", KIVY_NO_CONSOLELOG="1", KIVY_HOME=str(tmp_path))
    env.pop("DISPLAY", None)
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "window size (1280,) is not two positive pixel counts" in done.stdout

"""A real kiosk window per test module, in its own process (tests/ui/harness.py).

Kivy keeps one Window and global state per process, so re-creating the App in the pytest
process is fragile; a child process per module is robust and costs about a second. The child
renders offscreen (SDL2 falls back to EGL when DISPLAY is unset); if that fails on a machine,
it is retried under xvfb-run. Screenshots land in tests/ui/screenshots/ (gitignored).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import pickle
import queue
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.ui.viewmodel import LaneView

HERE = Path(__file__).resolve().parent
SCREENSHOTS = HERE / "screenshots"
REPLY_TIMEOUT_S = 30.0
START_TIMEOUT_S = 60.0


def _dump(value: Any) -> str:
    return base64.b64encode(pickle.dumps(value)).decode("ascii")


class KioskWindow:
    """Drives the window in the child process; each method waits for the child's answer."""

    def __init__(self, argv: list[str], env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log,
            env=env, text=True, bufsize=1,
        )
        self._replies: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        try:
            self._wait(START_TIMEOUT_S)  # {"ready": true} after the first frame
        except AssertionError:
            self.close()
            raise

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("@@ "):
                self._replies.put(json.loads(line[3:]))
        self._replies.put(None)

    def _wait(self, timeout_s: float) -> Any:
        try:
            answer = self._replies.get(timeout=timeout_s)
        except queue.Empty:
            raise AssertionError(
                f"kiosk window did not answer in {timeout_s} s{self._tail()}"
            ) from None
        if answer is None:
            raise AssertionError(f"kiosk window exited ({self.proc.poll()}){self._tail()}")
        if "error" in answer:
            raise AssertionError("kiosk window raised:\n" + answer["error"])
        return answer.get("result")

    def _tail(self) -> str:
        self._log.flush()
        text = self.log_path.read_text(errors="replace")[-3000:]
        return f"; its stderr ends:\n{text}" if text else ""

    def call(self, op: str, **args: Any) -> Any:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"op": op, **args}) + "\n")
        self.proc.stdin.flush()
        return self._wait(REPLY_TIMEOUT_S)

    # -- what the tests use -----------------------------------------------------------------

    def show(self, view: LaneView, *then: LaneView) -> None:
        """Draw `view`; each intent the window sends moves the controller to the next of `then`."""
        self.call("show", view=_dump(view), then=[_dump(v) for v in then])

    def set_view(self, view: LaneView) -> None:
        """Make the controller answer `view` from now on, without sending an intent."""
        self.call("set_view", view=_dump(view))

    def reset(self) -> None:
        self.call("reset")

    def type(self, text: str) -> None:
        """Type `text` as key events ("\\n" is Enter), like a keyboard-wedge scanner."""
        self.call("type", text=text)

    def key(self, keycode: int) -> bool:
        return bool(self.call("key", keycode=keycode))

    def tap(self, key: str | None = None, text: str | None = None, index: int = -1) -> None:
        """Touch the visible widget with this `key` (or exact `text`) at its centre."""
        self.call("tap", key=key, text=text, index=index)

    def widget(self, key: str | None = None, text: str | None = None, index: int = -1) -> Any:
        return self.call("widget", key=key, text=text, index=index)

    def texts(self) -> list[str]:
        """Texts of every visible label, in drawing order."""
        return list(self.call("texts"))

    def buttons(self) -> dict[str, dict[str, Any]]:
        """Visible buttons by key (the last one wins when a key repeats)."""
        return {b["key"]: b for b in self.call("buttons")}

    def layout_problems(self) -> list[str]:
        """Text spilling out of its widget, buttons cut off or overlapping ([] when fine)."""
        return list(self.call("layout_problems"))

    def sent(self) -> list[Any]:
        """Intents the controller received since the last call."""
        return list(pickle.loads(base64.b64decode(self.call("sent"))))

    def state(self) -> dict[str, Any]:
        return dict(self.call("state"))

    def screenshot(self, name: str) -> Path:
        return Path(self.call("screenshot", name=name))

    def look(self, name: str) -> Path:
        """Screenshot `name` for a person to look at, after checking what a machine can see:
        no text spilling out of its widget, no button cut off or covering another.
        """
        problems = self.layout_problems()
        assert problems == [], f"{name}: {problems}"
        return self.screenshot(name)

    def resize(self, width: int, height: int) -> None:
        self.call("resize", width=width, height=height)

    def wait(self, seconds: float) -> None:
        self.call("wait", seconds=seconds)

    def kill(self) -> None:
        """Pull the plug: SIGKILL, as a power cut or a watchdog kill would end the kiosk."""
        self.proc.kill()
        self.proc.wait()
        self._reader.join(timeout=5)
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()
        self._log.close()

    def close(self) -> None:
        # A child that already died (a crash the test reports) still leaves pipes and the log
        # to close: otherwise its failure would also show as ResourceWarnings.
        if self.proc.stdin is not None and not self.proc.stdin.closed:
            with contextlib.suppress(BrokenPipeError):  # it may be gone already
                self.proc.stdin.close()  # the child stops its app when stdin ends
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(timeout=5)  # it ends at the pipe's EOF
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._log.close()


def _child_env(kivy_home: Path, size_px: tuple[int, int] = (1280, 800)) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "KIVY_GL_BACKEND", "KIVY_WINDOW"):
        env.pop(name, None)  # offscreen EGL; the mock GL backend would draw nothing
    # MIXED: Kivy's own log stays out of the console, but Python's stderr (tracebacks) is not
    # swallowed into it, so a failing child explains itself in the test's error.
    env.update(
        KIVY_NO_ARGS="1", KIVY_NO_CONSOLELOG="1", KIVY_LOG_MODE="MIXED", KIVY_HOME=str(kivy_home),
        KIOSK_TEST_WINDOW_PX=f"{size_px[0]}x{size_px[1]}",  # the size the window starts at
    )
    return env


def start_window(
    tmp: Path, config: Path | None = None, size_px: tuple[int, int] = (1280, 800)
) -> KioskWindow:
    """A kiosk window process: over a scripted controller, or over the real lane of `config`.

    It starts at `size_px` (width, height): an offscreen window shrinks with `resize()` but
    cannot grow beyond the size it started at, so a larger panel needs its own window.
    """
    SCREENSHOTS.mkdir(exist_ok=True)
    tmp.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, str(HERE / "harness.py"), str(SCREENSHOTS)]
    if config is not None:
        argv.append(str(config))
    try:
        return KioskWindow(argv, _child_env(tmp / "kivy", size_px), tmp / "window.log")
    except AssertionError as offscreen_failed:
        xvfb = shutil.which("xvfb-run")
        if xvfb is None:
            raise
        env = _child_env(tmp / "kivy-x", size_px)
        try:
            return KioskWindow([xvfb, "-a", *argv], env, tmp / "window-x.log")
        except AssertionError as xvfb_failed:
            raise AssertionError(f"{offscreen_failed}\nand under xvfb-run: {xvfb_failed}") from None


@pytest.fixture(scope="module")
def kiosk_window(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KioskWindow]:
    window = start_window(tmp_path_factory.mktemp("kiosk-window"))
    yield window
    window.close()


@pytest.fixture()
def window(kiosk_window: KioskWindow) -> KioskWindow:
    """The module's window with a fresh widget tree and nothing sent yet."""
    kiosk_window.reset()
    return kiosk_window

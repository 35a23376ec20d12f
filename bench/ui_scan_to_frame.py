"""Scan to the line visible on screen: p50/p95 from a keyboard-wedge scan to the first frame drawn
with the new line, in a real kiosk window over the real lane, beside a plain redraw.

    .venv/bin/python bench/ui_scan_to_frame.py [--scans 100] [--dir DIR]

The lane is the one `kiosk run` builds (kiosk.app.build_controller + make_window) from a temp
config: SQLite journal (WAL, synchronous=FULL) with the demo catalog, lane opened on start,
1280x800 window rendered offscreen (SDL2 over EGL, DISPLAY unset), no devices. A scan is typed
as a keyboard-wedge scanner types it: key-down and text-input events on the Window per digit,
then Enter. The app sends CodeEntered to the controller, which journals the line (COMMIT)
before it returns the new view; the app puts the line into the widget tree. Measured per scan:

- scan_to_tree: first key event to the line in the widget tree (the synchronous part);
- scan_to_frame: first key event to the first Window on_flip after that, i.e. the first frame
  drawn with the line (handlers bound to on_flip run once the frame is drawn, before the swap).

Baseline, measured in the same window and run: a label change with no journal commit (the
digits of a code typed without Enter: the header echoes them) to its first frame drawn.
Kivy draws at most 60 frames a second, so a frame can be up to 16.7 ms away from any change;
the baseline shows that share. Scans are 0.1 s apart; every 20 scans the basket is paid and
finished (not timed), so baskets stay shopper-sized. Prints readable lines, then the figures as
one JSON object on the last line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# Demo items without age limits or weighing, so every scan is one plain line.
CODES = ("4200200000015", "4200400000013", "4200200000084", "4201200000029", "40090023",
         "4200800000019", "4201500000019")
BASKET_SIZE = 20
GAP_S = 0.1  # between measurements: lets the previous frame and any clock work settle


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def figures(samples_ms: Sequence[float]) -> dict[str, float]:
    return {"p50_ms": round(statistics.median(samples_ms), 2),
            "p95_ms": round(percentile(samples_ms, 95), 2),
            "max_ms": round(max(samples_ms), 2)}


class Bench:
    """Runs inside the kiosk's Kivy loop: one measurement per Clock callback, chained."""

    def __init__(self, config_path: Path, scans: int) -> None:
        from kiosk.app import build_controller, load, make_window

        self.scans = scans
        self.controller = build_controller(load(config_path))
        self.app = make_window(self.controller, size=(1280, 800),
                               on_first_frame=self._started)
        self.tree_ms: list[float] = []
        self.frame_ms: list[float] = []
        self.redraw_ms: list[float] = []
        self.lines_seen: list[int] = []
        self.error: BaseException | None = None

    # -- Kivy side -----------------------------------------------------------------------------

    def _started(self) -> None:
        self._next(0)

    def _next(self, i: int) -> None:
        from kivy.clock import Clock

        if i >= 2 * self.scans:
            self.app.stop()
            return
        step = self._scan if i % 2 == 0 else self._label_change
        Clock.schedule_once(lambda _dt: self._guarded(step, i), GAP_S)

    def _guarded(self, step: Callable[[int], None], i: int) -> None:
        try:
            step(i)
        except BaseException as err:  # report it after the loop ends, not inside Kivy
            self.error = err
            self.app.stop()

    def _type(self, text: str) -> None:
        from kivy.core.window import Window

        for char in text:
            if char == "\n":
                Window.dispatch("on_key_down", 13, 40, None, [])
            else:
                Window.dispatch("on_key_down", ord(char), 0, char, [])
                Window.dispatch("on_textinput", char)

    def _after_next_frame(
        self, started: float, into: list[float], then: Callable[[], None]
    ) -> None:
        from kivy.core.window import Window

        def flipped(_window: Any) -> None:
            into.append((time.perf_counter() - started) * 1000)
            Window.unbind(on_flip=flipped)
            then()

        Window.bind(on_flip=flipped)

    def _scan(self, i: int) -> None:
        lines_before = self.controller.view().lines
        code = CODES[(i // 2) % len(CODES)]
        started = time.perf_counter()
        self._type(code + "\n")
        self.tree_ms.append((time.perf_counter() - started) * 1000)
        shown = self.app.view
        # a new line, or a repeated item's line with one more piece
        assert shown is not None and shown.lines != lines_before, f"scan {code} changed no line"
        self.lines_seen.append(len(shown.lines))
        self._after_next_frame(started, self.frame_ms, lambda: self._end_of_scan(i))

    def _end_of_scan(self, i: int) -> None:
        if (i // 2 + 1) % BASKET_SIZE == 0:
            self._finish_basket()
        self._next(i + 1)

    def _label_change(self, i: int) -> None:
        from kivy.core.window import Window

        started = time.perf_counter()
        self._type(CODES[(i // 2) % len(CODES)])  # echoed in the header, nothing journaled

        def clear() -> None:
            Window.dispatch("on_key_down", 27, 41, None, [])  # Escape empties the typed code
            self._next(i + 1)

        self._after_next_frame(started, self.redraw_ms, clear)

    def _finish_basket(self) -> None:
        from kiosk.domain import commands as cmd

        checkout = self.controller.checkout
        total = checkout.amount_due_cents()
        self.controller.perform(cmd.Pay())
        self.controller.perform(cmd.PaymentResult(approved=True, amount_cents=total,
                                                  reference="BENCH", detail="bench"))
        self.controller.perform(cmd.Finish())
        self.app.render(self.controller.view())


def measure(folder: Path, scans: int) -> dict[str, Any]:
    config = folder / "kiosk.toml"
    config.write_text('[paths]\ndata_dir = "data"\n[policy]\nopen_on_start = true\n',
                      encoding="utf-8")
    bench = Bench(config, scans)
    bench.app.run()
    if bench.error is not None:
        raise bench.error
    if len(bench.frame_ms) != scans:
        raise RuntimeError(f"only {len(bench.frame_ms)} of {scans} scans were measured")
    frame, redraw = figures(bench.frame_ms), figures(bench.redraw_ms)
    return {
        "bench": "ui_scan_to_frame", "scans": scans, "window": [1280, 800],
        "max_lines": max(bench.lines_seen),
        "scan_to_tree": figures(bench.tree_ms),
        "scan_to_frame": frame,
        "label_change_to_frame": redraw,
        "p95_vs_label_change": round(frame["p95_ms"] / redraw["p95_ms"], 2),
    }


def offscreen_env(kivy_home: Path) -> None:
    """Render offscreen like the UI tests; set before Kivy is imported."""
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "KIVY_GL_BACKEND", "KIVY_WINDOW"):
        os.environ.pop(name, None)
    os.environ.update(KIVY_NO_ARGS="1", KIVY_NO_CONSOLELOG="1", KIVY_HOME=str(kivy_home))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=100)
    parser.add_argument("--dir", type=Path, default=None, help="folder on the disk to measure")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench-ui-scan-") as tmp:
        offscreen_env(Path(tmp) / "kivy")
        result = measure(Path(tmp), args.scans)
    print(f"{result['scans']} scans, baskets of up to {result['max_lines']} lines, 1280x800")
    for name in ("scan_to_tree", "scan_to_frame", "label_change_to_frame"):
        f = result[name]
        print(f"{name + ':':24} p50 {f['p50_ms']} ms, p95 {f['p95_ms']} ms, max {f['max_ms']} ms")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

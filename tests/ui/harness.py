"""A kiosk window in its own process, driven over stdin by the UI tests (see conftest.py).

The controller here is the UI's process edge: it answers `view()` with the view the test gave
and records every intent `send()` receives, answering with the next scripted view. Everything
else is the real KioskApp: real Kivy widgets, real key and touch events, real frames.

Protocol: one JSON object per line on stdin ({"op": ..., ...}); one reply per request on stdout
as a line starting with "@@ " followed by JSON. Pickled values (views, intents) travel base64.
"""

from __future__ import annotations

import base64
import json
import os
import pickle
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from kivy.base import EventLoop
from kivy.clock import Clock
from kivy.input.motionevent import MotionEvent
from kivy.uix.label import Label
from kivy.uix.screenmanager import ScreenManager

from kiosk.errors import CodeError
from kiosk.ui.app import KioskApp
from kiosk.ui.viewmodel import LaneView

OUT_DIR = Path(sys.argv[1])
# The window starts at the size under test: an offscreen (EGL) surface never grows beyond the
# size it was created at, so a later resize to a larger panel would draw garbage.
_WIDTH, _HEIGHT = os.environ.get("KIOSK_TEST_WINDOW_PX", "1280x800").split("x")
START_SIZE_PX = (int(_WIDTH), int(_HEIGHT))
FRAME_SETTLE_S = 0.15  # layouts that depend on texture sizes settle within a few frames


def _dump(value: Any) -> str:
    return base64.b64encode(pickle.dumps(value)).decode("ascii")


def _load(text: str) -> Any:
    return pickle.loads(base64.b64decode(text))


def reply(payload: dict[str, Any]) -> None:
    sys.stdout.write("@@ " + json.dumps(payload) + "\n")
    sys.stdout.flush()


class ScriptedController:
    """view() returns the current view; send() records the intent and moves to the next view
    the test scripted (or stays), or raises the error the test queued.
    """

    def __init__(self, view: LaneView) -> None:
        self.current = view
        self.script: list[Any] = []
        self.sent: list[Any] = []

    def view(self) -> LaneView:
        return self.current

    def send(self, intent: Any) -> LaneView:
        self.sent.append(intent)
        if self.script:
            step = self.script.pop(0)
            if isinstance(step, Exception):
                raise step
            self.current = step
        return self.current


class Touch(MotionEvent):
    """A finger at window pixel (x, y), dispatched like SDL's touches."""

    def __init__(self, x: float, y: float) -> None:
        win = EventLoop.window
        super().__init__(
            "harness", 1, {"x": x / (win.width - 1.0), "y": y / (win.height - 1.0)},
            is_touch=True, type_id="touch",
        )
        self.profile = ["pos"]

    def depack(self, args: dict[str, float]) -> None:
        self.sx = args["x"]
        self.sy = args["y"]
        super().depack(args)


def visible(widget: Any) -> Any:
    """Widgets a user can see, in drawing order (later ones are on top)."""
    if widget.opacity == 0 or widget.width <= 0 or widget.height <= 0:
        return
    yield widget
    if isinstance(widget, ScreenManager):
        if widget.current_screen is not None:
            yield from visible(widget.current_screen)
        return
    for child in reversed(widget.children):
        yield from visible(child)


def _broken_words(label: Label) -> list[str]:
    """Words too wide for a wrapping label's width: Kivy would break them mid-word."""
    from kivy.core.text import Label as CoreLabel

    width = label.text_size[0]
    if width is None:
        return []
    measure = CoreLabel(font_size=label.font_size, font_name=label.font_name, bold=label.bold)
    room = width - label.padding[0] - label.padding[2]
    return [
        f"word {word!r} of {label.text!r} is broken: {measure.get_extents(word)[0]} px "
        f"wide, {int(room)} px room"
        for word in label.text.split() if measure.get_extents(word)[0] > room + 1
    ]


class Harness:
    """The window over a scripted controller, or with `config` over the real lane: the real
    LaneController, journal and checkout built by kiosk.app from that config file."""

    def __init__(self, config: str | None = None) -> None:
        self.first_frames = 0
        self.ticks = 0
        if config is None:
            self.controller: Any = ScriptedController(LaneView(screen="closed"))
            self.app = KioskApp(
                self.controller,
                size=START_SIZE_PX,
                on_first_frame=self._first_frame,
                on_tick=self._tick,
            )
        else:
            from kiosk.app import build_controller, load, make_window

            self.controller = build_controller(load(Path(config)))
            self.app = make_window(
                self.controller,
                size=START_SIZE_PX,
                on_first_frame=self._first_frame,
                on_tick=self._tick,
            )

    def _first_frame(self) -> None:
        self.first_frames += 1
        if self.first_frames == 1:
            threading.Thread(target=self._read_stdin, daemon=True).start()
            reply({"ready": True})

    def _tick(self) -> None:
        self.ticks += 1

    def _read_stdin(self) -> None:
        for line in sys.stdin:
            request = json.loads(line)
            Clock.schedule_once(lambda _dt, r=request: self.handle(r), 0)
        Clock.schedule_once(lambda _dt: self.app.stop(), 0)

    def handle(self, request: dict[str, Any]) -> None:
        try:
            op = request.pop("op")
            result = getattr(self, "op_" + op)(**request)
        except Exception:
            reply({"error": traceback.format_exc()})
            return
        if result is not _LATER:
            reply({"result": result})

    # -- operations -----------------------------------------------------------------------

    def op_show(self, view: str, then: list[str] | None = None) -> None:
        self.controller.current = _load(view)
        self.controller.script = [_load(v) for v in then or ()]
        self.app.render(self.controller.current)

    def op_queue_code_error(self, message: str, de: str, en: str) -> None:
        self.controller.script.append(
            CodeError(message, {"de": de, "en": en}, code="x", reason="unknown_product")
        )

    def op_reset(self) -> None:
        """Forget the previous test's half-typed input; nothing sent, nothing scripted."""
        self.app.forget_local_state()
        self.controller.sent.clear()
        self.controller.script.clear()

    def op_type(self, text: str) -> None:
        """Type like a keyboard-wedge scanner: key down and text input per character."""
        from kivy.core.window import Window

        for char in text:
            if char == "\n":
                Window.dispatch("on_key_down", 13, 40, None, [])
            else:
                # SDL sends both for a printable key, whatever the key handler returned.
                Window.dispatch("on_key_down", ord(char), 0, char, [])
                Window.dispatch("on_textinput", char)

    def op_key(self, keycode: int) -> bool:
        """Press a special key as SDL does: on_keyboard (Kivy's Escape/F1 handling) follows
        only when no on_key_down handler took the key. Returns whether one took it.
        """
        from kivy.core.window import Window

        taken = bool(Window.dispatch("on_key_down", keycode, 0, None, []))
        if not taken:
            Window.dispatch("on_keyboard", keycode, 0, None, [])
        return taken

    def op_set_view(self, view: str) -> None:
        """Change what the controller answers without an intent (as a timeout would)."""
        self.controller.current = _load(view)

    def _find(self, key: str | None, text: str | None, index: int) -> Any:
        from kivy.core.window import Window

        found = [
            w for w in visible(Window.children[0])
            if (key is not None and getattr(w, "key", None) == key)
            or (text is not None and getattr(w, "text", None) == text)
        ]
        if not found:
            raise LookupError(f"no visible widget with key={key!r} text={text!r}")
        return found[index]

    def op_tap(self, key: str | None = None, text: str | None = None, index: int = -1) -> None:
        """Touch down and up at the centre of the widget (touches go through the real tree)."""
        widget = self._find(key, text, index)
        x, y = widget.to_window(*widget.center)
        touch = Touch(x, y)
        EventLoop.post_dispatch_input("begin", touch)
        EventLoop.post_dispatch_input("end", touch)

    def op_touches(self, steps: list[list[Any]], key: str | None = None,
                   text: str | None = None, index: int = -1) -> int:
        """Play raw touch events near the widget's centre, as several input providers would:
        each step is [etype, finger, dx_px, dy_px, t_ms, device] ("begin", "update" or "end"; a
        finger is one MotionEvent from input provider `device`; t_ms its read time after the
        first). Returns how many duplicate touch-downs the app has dropped so far.
        """
        widget = self._find(key, text, index)
        cx, cy = widget.to_window(*widget.center)
        # time_start is read from time.time(); the last step is now, none in the future
        start_s = time.time() - max((step[4] for step in steps), default=0) / 1000.0
        fingers: dict[int, Touch] = {}
        for etype, finger, dx, dy, t_ms, device in steps:
            if finger not in fingers:
                fingers[finger] = Touch(cx + dx, cy + dy)
                fingers[finger].device = device
            touch = fingers[finger]
            if etype == "begin":
                touch.time_start = start_s + t_ms / 1000.0
            EventLoop.post_dispatch_input(etype, touch)
        return int(self.app.touches.dropped)

    def op_widget(self, key: str | None = None, text: str | None = None, index: int = -1) -> Any:
        w = self._find(key, text, index)
        x, y = w.to_window(w.x, w.y)
        return {"text": getattr(w, "text", ""), "disabled": bool(w.disabled),
                "rect": [x, y, w.width, w.height]}

    def op_texts(self) -> list[str]:
        from kivy.core.window import Window

        return [w.text for w in visible(Window.children[0]) if isinstance(w, Label) and w.text]

    def op_buttons(self) -> list[dict[str, Any]]:
        from kivy.core.window import Window

        return [
            {"key": w.key, "text": w.text, "disabled": bool(w.disabled)}
            for w in visible(Window.children[0]) if getattr(w, "key", "")
        ]

    def op_layout_problems(self) -> object:
        """What a person would call broken (see `_layout_problems`), judged after the layouts
        settled: a check in the same frame as `show` could see a half-laid-out tree (under
        load, the clean-clone CI saw buttons of a freshly rebuilt high-contrast tree still at
        their old places, "cut off by the window edge")."""
        Clock.schedule_once(lambda _dt: reply({"result": self._layout_problems()}),
                            FRAME_SETTLE_S)
        return _LATER

    def _layout_problems(self) -> list[str]:
        """What a person would call broken: text spilling out of its widget, a button cut off
        by the window edge, two buttons on top of each other.
        """
        from kivy.core.window import Window
        from kivy.uix.button import Button

        problems = []
        shown = list(visible(Window.children[0]))
        for w in shown:
            if isinstance(w, Label) and w.text and not w.shorten:
                tw, th = w.texture_size
                if tw > w.width + 2 or th > w.height + 2:
                    problems.append(f"text {w.text!r} ({tw}x{th}) spills out of "
                                    f"{int(w.width)}x{int(w.height)}")
                problems += _broken_words(w)
        overlay = self.app.root.overlay
        above = set(visible(overlay)) if overlay.parent is not None else set()
        # Buttons under the overlay are covered on purpose; only the top layer must be clean.
        buttons = [(w, w.to_window(w.x, w.y)) for w in shown if isinstance(w, Button)
                   and (not above or w in above or not overlay.collide_point(
                       *overlay.to_widget(*w.to_window(*w.center))))]
        for w, (x, y) in buttons:
            right, top = x + w.width, y + w.height
            if x < -1 or y < -1 or right > Window.width + 1 or top > Window.height + 1:
                problems.append(f"button {w.text!r} is cut off by the window edge")
        for i, (a, (ax, ay)) in enumerate(buttons):
            for b, (bx, by) in buttons[i + 1:]:
                if ax < bx + b.width - 1 and bx < ax + a.width - 1 and \
                        ay < by + b.height - 1 and by < ay + a.height - 1:
                    problems.append(f"buttons {a.text!r} and {b.text!r} overlap")
        return problems

    def op_preview(self, width: int, height: int) -> bool:
        """Push a camera preview frame: a blue counter with a white label of black bars, and a
        red band along the top edge (so an upside-down preview shows in the screenshot)."""
        import numpy as np

        frame = np.zeros((height, width, 3), np.uint8)
        frame[:, :] = (40, 90, 200)  # RGB: blue
        top, left = height // 4, width // 4
        frame[top:3 * top, left:3 * left] = 255
        for x in range(left + 4, 3 * left - 4, 6):
            frame[top + 4:3 * top - 4, x:x + 3] = 0
        frame[: height // 8, :] = (220, 30, 30)
        self.app.show_preview(frame)
        return bool(self.app.root.has_preview)

    def op_sent(self) -> str:
        sent, self.controller.sent = self.controller.sent, []
        return _dump(sent)

    def op_state(self) -> dict[str, Any]:
        from kivy.core.window import Window

        return {
            "screen": self.app.root.ids.sm.current,
            "overlay": self.app.root.overlay.parent is not None,
            "first_frames": self.first_frames,
            "ticks": self.ticks,
            "scale": self.app.scale,
            "window": list(Window.size),
            "typed": self.app.scan.text,
            "message": self.app.root.message_text,
            "window_children": len(Window.children),
        }

    def op_resize(self, width: int, height: int) -> object:
        from kivy.core.window import Window

        Window.size = (width, height)
        Clock.schedule_once(lambda _dt: reply({"result": list(Window.size)}), FRAME_SETTLE_S)
        return _LATER

    def op_screenshot(self, name: str) -> object:
        from kivy.core.window import Window

        target = OUT_DIR / f"{name}.png"

        def capture(_window: Any) -> None:
            # Bound handlers run before the window's own on_flip swaps buffers: the back buffer
            # still holds the frame just drawn.
            Window.unbind(on_flip=capture)
            path = Window.screenshot(name=str(target))
            os.replace(path, target)
            reply({"result": str(target)})

        def later(_dt: float) -> None:
            Window.bind(on_flip=capture)
            Window.canvas.ask_update()

        Clock.schedule_once(later, FRAME_SETTLE_S)
        return _LATER

    def op_wait(self, seconds: float) -> object:
        Clock.schedule_once(lambda _dt: reply({"result": None}), seconds)
        return _LATER


_LATER = object()

if __name__ == "__main__":
    Harness(sys.argv[2] if len(sys.argv) > 2 else None).app.run()

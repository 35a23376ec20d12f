"""The kiosk window: `KioskApp(controller)` draws the controller's LaneView and sends it intents.

The app owns no checkout state. After every intent it draws the view `controller.send()`
returned (the controller journals before it returns, so the screen never shows an uncommitted
scan); a Clock tick (2 Hz) redraws `controller.view()` so timeouts show, and calls `on_tick`
(the composition root pings the systemd watchdog from there, on the UI thread: a frozen UI
stops the pings). Typing a code and Enter anywhere is a scan. Nothing here blocks, so
`App.async_run()` shares the asyncio loop with the drivers.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from kivy.app import App
from kivy.clock import Clock
from kivy.config import Config
from kivy.lang import Builder
from kivy.properties import NumericProperty, StringProperty

from kiosk.errors import KioskError, ShopperFacingError
from kiosk.ui import strings, theme
from kiosk.ui.intents import CodeEntered, Intent
from kiosk.ui.keyboard import ScanBuffer
from kiosk.ui.viewmodel import LaneView, MessageView

log = logging.getLogger(__name__)

UI_DIR = Path(__file__).resolve().parent
# Widgets first: screens' rules use the widget classes' rules.
KV_FILES = (
    "widgets/buttons.kv", "widgets/keypad.kv", "widgets/lines.kv", "widgets/osk.kv",
    "widgets/produce.kv",
    "widgets/overlay.kv", "screens/attract.kv", "screens/basket.kv", "screens/weighing.kv",
    "screens/paying.kv", "screens/thanks.kv", "screens/notice.kv", "widgets/demo_panel.kv",
    "root.kv",
)
TICK_S = 0.5
DEMO_PANEL_KEY = 283  # F2 (SDL key code): opens and closes the demo panel in `make run`
# Two touch-downs this close in time and place are one finger seen twice (kivy issue 8494: a
# Raspberry Pi touchscreen reaches Kivy both as SDL's emulated mouse and through probesysfs'
# hidinput/mtdev provider). A person's fastest deliberate double tap is about 100 ms apart.
DUPLICATE_TOUCH_S = 0.05
DUPLICATE_TOUCH_PX = 24.0


class TouchDeduplicator:
    """Swallows the second copy of one finger, with its moves and its touch-up: a touch-down
    within `window_s` seconds and `distance_px` window pixels of an accepted one that came from
    another input provider (device), or from the same one while that touch is still down.

    A provider's own down-up-down at one spot stays two taps (a quick re-tap of "+"). Bind
    `on_motion` to the Window: returning True stops Kivy from dispatching the event.
    """

    def __init__(
        self, window_s: float = DUPLICATE_TOUCH_S, distance_px: float = DUPLICATE_TOUCH_PX
    ) -> None:
        self.window_s = window_s
        self.distance_px = distance_px
        self.dropped = 0  # duplicate touch-downs swallowed so far
        # accepted touch-downs: (time_s, x_px, y_px, device, uid)
        self._recent: list[tuple[float, float, float, str, int]] = []
        self._down: set[int] = set()  # uids of accepted touches not yet up
        self._swallowed: set[int] = set()  # uids whose moves and touch-up must go too

    def on_motion(self, window: Any, etype: str, touch: Any) -> bool:
        if not getattr(touch, "is_touch", False):
            return False
        uid = touch.uid
        if etype != "begin":
            if etype == "end":
                self._down.discard(uid)
            if uid not in self._swallowed:
                return False
            if etype == "end":
                self._swallowed.discard(uid)
            return True
        # spos is 0..1 whatever the provider's own units; time_start is when it was read
        now_s, x, y = float(touch.time_start), touch.sx * window.width, touch.sy * window.height
        device = str(touch.device)
        self._recent = [r for r in self._recent if abs(now_s - r[0]) <= self.window_s]
        if any(abs(x - rx) <= self.distance_px and abs(y - ry) <= self.distance_px
               and (rdevice != device or ruid in self._down)
               for _t, rx, ry, rdevice, ruid in self._recent):
            self._swallowed.add(uid)
            self.dropped += 1
            log.debug("duplicate touch-down from %s at (%.0f, %.0f) dropped", device, x, y)
            return True
        self._recent.append((now_s, x, y, device, uid))
        self._down.add(uid)
        return False


class Controller(Protocol):
    """What the window needs from the checkout side (the composition root implements it)."""

    def view(self) -> LaneView: ...

    def send(self, intent: Intent) -> LaneView: ...


class KioskApp(App):
    """The kiosk's Kivy app. `size` is (width, height) of the window in pixels when not
    `fullscreen`; anything else raises ValueError.

    `on_first_frame()` is called once, after the first frame was drawn (the composition root
    sends READY=1 from it); `on_tick()` every TICK_S seconds on the UI thread.
    """

    scale = NumericProperty(1.0)  # layout sizes in .kv rules are multiplied by this
    font_scale = NumericProperty(1.0)  # and font sizes by this (see theme.font_scale_for)
    touch_min = NumericProperty(53.0)  # least button size in px (theme.min_touch_px)
    lang = StringProperty("de")
    root: Any  # the KioskRoot; replaced when the palette switches

    def __init__(
        self,
        controller: Controller,
        *,
        fullscreen: bool = False,
        size: Sequence[int] = theme.DESIGN_SIZE_PX,
        on_first_frame: Callable[[], None] | None = None,
        on_tick: Callable[[], None] | None = None,
        **kwargs: Any,
    ) -> None:
        if len(size) != 2 or not all(isinstance(x, int) and x > 0 for x in size):
            raise ValueError(
                f"window size {tuple(size)!r} is not two positive pixel counts; "
                "give width and height, e.g. (1280, 800)"
            )
        # Before the window exists: Escape must never close a kiosk, and a right click must
        # not leave multitouch-emulation dots on the screen.
        Config.set("kivy", "exit_on_escape", "0")
        # disable_on_activity: the emulated mouse stays quiet while a real touch is down, so a
        # touchscreen seen as mouse and touch device counts once (kivy issue 8494).
        Config.set("input", "mouse", "mouse,multitouch_on_demand,disable_on_activity")
        # The window is created at its final size when it does not exist yet; an offscreen
        # (EGL) surface does not follow a later resize.
        Config.set("graphics", "width", str(size[0]))
        Config.set("graphics", "height", str(size[1]))
        Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
        super().__init__(**kwargs)
        self.title = "Self-Checkout"
        self.controller = controller
        self.fullscreen = fullscreen
        self.window_size = (size[0], size[1])
        self.on_first_frame = on_first_frame
        self.on_tick = on_tick
        self.scan = ScanBuffer()
        self.view: LaneView | None = None
        self._local_message: MessageView | None = None
        self._events: list[Any] = []
        self.touches = TouchDeduplicator()
        self.palette_switch_s: float | None = None  # how long the last palette switch took

    # -- lifecycle -------------------------------------------------------------------------

    def build(self) -> Any:
        from kivy.core.window import Window  # creating the Window is a side effect: not at import

        from kiosk.ui.root import KioskRoot  # imports every widget class the kv rules name

        for name in KV_FILES:
            path = str(UI_DIR / name)
            if path not in Builder.files:
                Builder.load_file(path)

        if self.fullscreen:
            Window.fullscreen = "auto"
            Window.show_cursor = False
        elif tuple(Window.size) != tuple(self.window_size):
            Window.size = self.window_size
        Window.clearcolor = theme.BACKGROUND
        self._on_resize(Window, Window.size)
        Window.bind(
            size=self._on_resize, on_key_down=self._on_key_down, on_textinput=self._on_textinput
        )
        Window.bind(on_flip=self._on_flip)
        Window.bind(on_motion=self.touches.on_motion)
        first = self.controller.view()
        theme.use_palette(first.high_contrast)
        Window.clearcolor = theme.BACKGROUND
        root = KioskRoot(self.send)
        self._render_into(root, first)
        self._events.append(Clock.schedule_interval(self._tick, TICK_S))
        return root

    def on_stop(self) -> None:
        from kivy.core.window import Window

        for event in self._events:
            event.cancel()
        self._events.clear()
        Window.unbind(
            size=self._on_resize, on_key_down=self._on_key_down, on_textinput=self._on_textinput
        )
        Window.unbind(on_flip=self._on_flip)
        Window.unbind(on_motion=self.touches.on_motion)

    # -- intents and views -----------------------------------------------------------------

    def send(self, intent: Intent) -> None:
        """Hand `intent` to the controller and draw the view it returns.

        A ShopperFacingError becomes a red banner in the shopper's language; another
        KioskError a generic one (and a log line). Anything else is a bug and propagates:
        the service restarts and the journal replays the basket.
        """
        self._local_message = None
        lang = self.view.lang if self.view else "de"
        try:
            view = self.controller.send(intent)
        except ShopperFacingError as err:
            log.info("%r refused: %s", intent, err)
            self._local_message = MessageView("error", err.shopper_text(lang))
            view = self.controller.view()
        except KioskError as err:
            log.warning("%r failed: %s", intent, err)
            self._local_message = MessageView("error", strings.t("error_generic", lang))
            view = self.controller.view()
        self.render(view)

    def show_preview(self, frame: Any) -> None:
        """Show the camera's downscaled RGB preview (an H x W x 3 uint8 array) in the header, so
        a shopper sees where to hold a code. Call on the UI thread (the camera posts it there)."""
        from kivy.graphics.texture import Texture

        root = self.root
        if root is None:
            return
        height, width = int(frame.shape[0]), int(frame.shape[1])
        texture = root.preview_texture
        if texture is None or tuple(texture.size) != (width, height):
            texture = Texture.create(size=(width, height), colorfmt="rgb")
            texture.flip_vertical()  # numpy rows run top-down, GL textures bottom-up
            root.preview_texture = texture
        texture.blit_buffer(frame.tobytes(), colorfmt="rgb", bufferfmt="ubyte")
        root.ids.preview.texture = texture
        root.ids.preview.canvas.ask_update()
        root.has_preview = True

    def render(self, view: LaneView) -> None:
        """Draw `view` (nothing happens when it equals the one on screen)."""
        if self.root is not None:
            self._render_into(self.root, view)

    def _render_into(self, root: Any, view: LaneView) -> None:
        if self._local_message is not None and view.message is None:
            view = replace(view, message=self._local_message)
        if view == self.view:
            return
        started_s = time.perf_counter()
        switch = view.high_contrast != theme.high_contrast and root is self.root
        if switch:
            root = self._rebuild_root(view.high_contrast)
        self.view = view
        self.lang = view.lang
        root.show(view)
        if switch:
            self.palette_switch_s = time.perf_counter() - started_s
            log.info("palette switched (high contrast %s) in %.3f s", view.high_contrast,
                     self.palette_switch_s)

    def _rebuild_root(self, high_contrast: bool) -> Any:
        """Make the palette current and build the widget tree again from the kv rules (they
        read `theme.X` when applied); the camera preview and the half-typed scan carry over.

        A tree built ahead for the other palette goes stale: rules it re-evaluates while hidden
        read the palette on screen. So the tree is built at the switch (about 0.8 s, plus the
        basket's rows, on a software-GL desktop)."""
        from kivy.core.window import Window

        from kiosk.ui.root import KioskRoot

        old = self.root
        theme.use_palette(high_contrast)
        Window.clearcolor = theme.BACKGROUND
        new = KioskRoot(self.send)
        new.typed_text = old.typed_text
        if old.preview_texture is not None:
            new.preview_texture = new.ids.preview.texture = old.preview_texture
            new.has_preview = old.has_preview
        # Whatever lies above the root (a demo panel) stays above it; the Window's add_widget
        # takes no index, so those go and come back in their order.
        index = next((i for i, w in enumerate(Window.children) if w is old), 0)
        above = list(Window.children[:index])
        for widget in [*above, old]:
            Window.remove_widget(widget)
        for widget in [new, *reversed(above)]:
            Window.add_widget(widget)
        self.root = new
        _release(old)
        return new


    def forget_local_state(self) -> None:
        """Forget half-typed input (scan buffer, keypads, PIN pad) and redraw the next view in
        full; the checkout itself is untouched.
        """
        self.scan = ScanBuffer()
        self.view = None
        if self.root is not None:
            self.root.typed_text = ""
            self.root.forget_local_state()

    def tr(self, key: str, lang: str | None = None, **values: object) -> str:
        """A fixed text for kv rules: `app.tr('pay', app.lang)` re-evaluates on a language
        switch because the rule reads `app.lang`.
        """
        return strings.t(key, lang or self.lang, **values)

    def open_settings(self, *_args: Any) -> bool:
        # Kivy opens its settings panel on F1; a shopper must never reach it.
        return False

    # -- window events ---------------------------------------------------------------------

    def _tick(self, _dt: float) -> None:
        if self.on_tick is not None:
            self.on_tick()
        self.render(self.controller.view())

    def _on_flip(self, _window: Any) -> None:
        from kivy.core.window import Window

        Window.unbind(on_flip=self._on_flip)
        if self.on_first_frame is not None:
            callback = self.on_first_frame
            # The frame has been drawn and is being flipped; report once it is on screen.
            self._events.append(Clock.schedule_once(lambda _dt: callback(), 0))

    def _on_resize(self, _window: Any, size: tuple[int, int]) -> None:
        self.scale = theme.scale_for(*size)
        self.font_scale = theme.font_scale_for(self.scale)
        self.touch_min = theme.min_touch_px(*size)

    def _on_key_down(
        self, _window: Any, key: int, _scancode: int, _codepoint: str | None, _mods: Any
    ) -> bool:
        if key == DEMO_PANEL_KEY:  # the demo panel (only a simulated lane has one)
            demo = getattr(self.root, "ids", {}).get("demo")
            return bool(demo is not None and demo.toggle())
        if not ScanBuffer.handles(key):
            return False
        code = self.scan.key(key)
        self._show_typed()
        if code is not None:
            self.send(CodeEntered(code))
        return True  # swallowed: Escape in particular must not reach Kivy's quit handler

    def _on_textinput(self, _window: Any, text: str) -> None:
        self.scan.feed(text)
        self._show_typed()

    def _show_typed(self) -> None:
        if self.root is not None:
            self.root.typed_text = self.scan.text


def _release(tree: Any) -> None:
    """Drop the kv rules' bindings of a widget tree no longer shown: they tie every widget to
    the app's properties (scale, lang), so the tree would otherwise live, and be updated, on."""
    from kivy.lang import Builder

    parts = [tree, *tree.ids.sm.screens, tree.overlay, tree.overlay.pin_pad,
             tree.overlay.attendant_panel]
    seen: set[int] = set()
    for part in parts:
        for widget in part.walk(restrict=True):
            if widget.uid not in seen:
                seen.add(widget.uid)
                Builder.unbind_widget(widget.uid)

"""The demo control panel (rules in demo_panel.kv): only in a simulated lane (`make run`).

A small "Demo" tab under the header's right end opens a panel over the right-hand column, above
the Pay and Help buttons (never over them). Its buttons say in words what they do to the
simulated devices: scan a demo item through the scanner simulator, put weight on the produce or
bagging scale, press the GPIO help button, make the card terminal approve or decline the next
payment. Each button emits a `Demo*` intent; the controller hands it to its `demo`
(kiosk.app_demo.DemoControls), which drives the simulators, so everything after that is the
real drivers, rules and journal. F2 toggles the panel too.

The panel exists only when the controller has a `demo` (a simulated config): in a production
lane the tab has no size, is invisible and disabled.
"""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.properties import BooleanProperty, ListProperty
from kivy.uix.floatlayout import FloatLayout

from kiosk.ui.intents import DemoBagging, DemoHelp, DemoScan, DemoTerminal, DemoWeight


class DemoPanel(FloatLayout):
    """The tab and the panel; `available` when the lane runs simulators, `open` when shown.
    `features` lists what is running (see DemoControls.features); other buttons are greyed."""

    available = BooleanProperty(False)
    open = BooleanProperty(False)
    features = ListProperty([])

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.available = self._demo() is not None

    @staticmethod
    def _demo() -> Any:
        return getattr(getattr(App.get_running_app(), "controller", None), "demo", None)

    def on_parent(self, _panel: Any, parent: Any) -> None:
        # The root's ids are filled once its whole rule is applied: look on the next frame.
        Clock.schedule_once(lambda _dt: self._watch_layer(parent), 0)

    def _watch_layer(self, parent: Any) -> None:
        layer = getattr(parent, "ids", {}).get("layer") if parent is not None else None
        if layer is not None:
            layer.bind(children=self._on_layer)

    def _on_layer(self, _layer: Any, children: list[Any]) -> None:
        # The intervention overlay came up: step aside, so the attendant's PIN pad is free
        # (the tab opens the panel again).
        if children:
            self.open = False

    def toggle(self) -> bool:
        """Open or close the panel (F2, the tab); False (nothing happens) when not a demo."""
        if not self.available:
            return False
        # What runs is read on opening: the simulators start beside the window.
        self.features = sorted(getattr(self._demo(), "features", ()))
        self.open = not self.open
        return True

    # -- buttons -> intents ----------------------------------------------------------------

    def emit(self, intent: Any) -> None:
        App.get_running_app().send(intent)

    def scan(self, code: str) -> None:
        self.emit(DemoScan(code=code))

    def weigh(self, weight_g: int, stable: bool = True) -> None:
        self.emit(DemoWeight(weight_g=weight_g, stable=stable))

    def bagging(self, action: str) -> None:
        self.emit(DemoBagging(action=action))

    def help(self) -> None:
        self.emit(DemoHelp())

    def terminal(self, behaviour: str) -> None:
        self.emit(DemoTerminal(behaviour=behaviour))

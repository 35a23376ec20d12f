"""The "Obst & Gemüse" picker (rules in produce.kv): tiles for common produce and a PLU pad.

Picking a tile or typing a PLU and OK emits SelectItem; the checkout then asks for the weight.
"""

from __future__ import annotations

from collections.abc import Callable

from kivy.properties import ObjectProperty
from kivy.uix.boxlayout import BoxLayout

from kiosk.ui.intents import Intent, SelectItem
from kiosk.ui.viewmodel import ProduceView
from kiosk.ui.widgets.buttons import KButton

# A tile is at least this wide (design px, scaled with the text) so a long word like
# "festkochend" is never broken; the grid takes as many columns as fit.
TILE_WIDTH = 140


class ProduceTile(KButton):
    """One product tile; its `key` is the PLU."""


class ProducePicker(BoxLayout):
    """Tiles for `show(produce)` plus a keypad; `emit` receives SelectItem, `leave` is
    called when the shopper goes back to the basket.
    """

    emit = ObjectProperty(None, allownone=True)
    leave = ObjectProperty(None, allownone=True)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._shown: tuple[ProduceView, ...] | None = None

    def show(self, produce: tuple[ProduceView, ...]) -> None:
        if produce == self._shown:
            return
        self._shown = produce
        grid = self.ids.tiles
        grid.clear_widgets()
        for item in produce:
            tile = ProduceTile(text=f"{item.name}\n{item.price_text}", key=item.plu)
            tile.bind(on_release=lambda button: self.select(button.key))
            grid.add_widget(tile)

    def select(self, plu: str) -> None:
        """Emit SelectItem for `plu` (ignored when empty) and clear the pad."""
        if plu and self.emit is not None:
            self.ids.pad.value = ""
            emit: Callable[[Intent], None] = self.emit
            emit(SelectItem(plu))

    def back(self) -> None:
        self.ids.pad.value = ""
        if self.leave is not None:
            self.leave()

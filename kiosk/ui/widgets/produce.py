"""The "item without barcode" lookup (rules in produce.kv): categories, a picture grid of
loose items, and search by name or PLU on an on-screen keyboard.

Picking a tile emits SelectItem(plu); the checkout then asks for the weight (or the count).
Where the shopper is (category, search) is the widget's own state: looking commits nothing,
and every opening starts again at the categories.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from kivy.properties import (
    BooleanProperty,
    ColorProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.utils import get_color_from_hex

from kiosk.ui import lookup
from kiosk.ui.intents import Intent, SelectItem
from kiosk.ui.viewmodel import ProduceView
from kiosk.ui.widgets.buttons import KButton
from kiosk.ui.widgets.osk import OnScreenKeyboard

# A tile is at least this wide (design px, scaled with the text) so a long word like
# "mehligkochend" is never broken; the grid takes as many columns as fit.
TILE_WIDTH = 170
CATEGORY_TILE_WIDTH = 240
# Dark enough for white initials (WCAG AA); a category keeps its colour in both languages
# because it is picked by the category's place in the catalog.
TILE_COLOURS = tuple(get_color_from_hex(c) for c in (
    "#2E7D32", "#8D5524", "#1565C0", "#6A1B9A", "#00695C", "#B3261E", "#9A4A00", "#455A64",
))


def tile_colour(index: int) -> list[float]:
    return list(TILE_COLOURS[index % len(TILE_COLOURS)])


class CategoryTile(KButton):
    """A category: its name and how many items it holds; `key` is "category:" + the name."""

    category = StringProperty("")
    count = NumericProperty(0)


class ProduceTile(ButtonBehavior, BoxLayout):
    """One loose item: its picture (or initials on the category's colour), name and price.
    `key` is the PLU.
    """

    key = StringProperty("")
    text = StringProperty("")  # name and price on two lines: what a screen reader or test reads
    name = StringProperty("")
    price_text = StringProperty("")
    picture = StringProperty("")  # an existing image file, or "" for the initials
    initials = StringProperty("")
    colour = ColorProperty(TILE_COLOURS[0])


class ProducePicker(BoxLayout):
    """The lookup for `show(produce)`; `emit` receives SelectItem, `leave` is called when the
    shopper goes back to the basket. `ids.pad` is the on-screen keyboard (its `value` is the
    search text).
    """

    emit = ObjectProperty(None, allownone=True)
    leave = ObjectProperty(None, allownone=True)
    category = StringProperty("")  # "" shows the category tiles
    typing = BooleanProperty(False)  # the keyboard is up
    nothing_found = BooleanProperty(False)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._shown: tuple[ProduceView, ...] = ()
        self._drawn: object = None
        keyboard: OnScreenKeyboard = self.ids.pad
        keyboard.bind(value=lambda *_: self.refresh())
        keyboard.done = self.stop_typing

    def show(self, produce: tuple[ProduceView, ...]) -> None:
        if produce == self._shown:
            return
        self._shown = produce
        if self.category not in lookup.categories(produce):
            self.category = ""  # e.g. the language changed the category's name
        self.refresh()

    def on_parent(self, _instance: object, parent: object) -> None:
        # Each opening starts at the categories with an empty search.
        if parent is not None:
            self.reset()

    def reset(self) -> None:
        self.typing = False
        self.category = ""
        self.ids.pad.value = ""
        self.refresh()

    def on_category(self, _instance: object, _category: str) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Draw the tiles for where the shopper is: search results, one category, or the
        categories (skipped when there is only one)."""
        query = self.ids.pad.value.strip()
        groups = lookup.categories(self._shown)
        if query:
            items: tuple[ProduceView, ...] | None = lookup.search(self._shown, query)
        elif self.category or len(groups) == 1:
            items = lookup.in_category(self._shown, self.category or groups[0])
        else:
            items = None
        key = (self._shown, items)
        if key == self._drawn:
            return
        self._drawn = key
        self.nothing_found = items == ()
        grid = self.ids.tiles
        grid.clear_widgets()
        self.ids.scroll.scroll_y = 1
        if items is None:
            grid.tile_width = CATEGORY_TILE_WIDTH
            for index, name in enumerate(groups):
                grid.add_widget(self._category_tile(name, index))
        else:
            grid.tile_width = TILE_WIDTH
            for item in items:
                grid.add_widget(self._item_tile(item, groups.index(item.category)))

    def _category_tile(self, name: str, index: int) -> CategoryTile:
        tile = CategoryTile(category=name, key=f"category:{name}", bg=tile_colour(index),
                            count=len(lookup.in_category(self._shown, name)))
        tile.bind(on_release=lambda button: setattr(self, "category", button.category))
        return tile

    def _item_tile(self, item: ProduceView, index: int) -> ProduceTile:
        # A missing picture file is a catalog slip, not a reason to show a broken image.
        picture = item.image if item.image and os.path.isfile(item.image) else ""
        tile = ProduceTile(key=item.plu, text=f"{item.name}\n{item.price_text}",
                           name=item.name, price_text=item.price_text,
                           picture=picture, initials=lookup.initials(item.name),
                           colour=tile_colour(index))
        tile.bind(on_release=lambda button: self.select(button.key))
        return tile

    def start_typing(self) -> None:
        self.typing = True

    def stop_typing(self) -> None:
        self.typing = False

    def select(self, plu: str) -> None:
        """Emit SelectItem for `plu` (ignored when empty)."""
        if plu and self.emit is not None:
            emit: Callable[[Intent], None] = self.emit
            emit(SelectItem(plu))

    def back(self) -> None:
        """One step back: out of the search, then out of the category, then to the basket."""
        if self.typing or self.ids.pad.value:
            self.typing = False
            self.ids.pad.value = ""
        elif self.category and len(lookup.categories(self._shown)) > 1:
            self.category = ""
        elif self.leave is not None:
            self.leave()

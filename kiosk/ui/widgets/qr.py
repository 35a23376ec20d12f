"""A QR code drawn as a Kivy texture: `QrCode(data="https://...")`.

The matrix comes from segno (error correction M, quiet zone of 4 modules as the standard asks).
It is uploaded as a one-pixel-per-module texture and drawn with nearest-neighbour filtering at
the largest whole number of pixels per module that fits the widget, so every module is a crisp
square a phone camera can read. Always black on white: scanners expect dark modules on a light
ground, whatever the window's colour theme.
"""

from __future__ import annotations

import segno
from kivy.graphics import Color, Rectangle
from kivy.graphics.texture import Texture
from kivy.properties import NumericProperty, StringProperty
from kivy.uix.widget import Widget

QUIET_ZONE_MODULES = 4
DARK_RGBA = b"\x00\x00\x00\xff"
LIGHT_RGBA = b"\xff\xff\xff\xff"


def qr_rows(data: str, border: int = QUIET_ZONE_MODULES) -> list[list[bool]]:
    """The QR code of `data` as rows of modules (True = dark), top row first, `border`
    light modules around it."""
    code = segno.make(data, error="m", micro=False)
    return [[bool(m) for m in row] for row in code.matrix_iter(scale=1, border=border)]


def qr_texture(rows: list[list[bool]]) -> Texture:
    """One texel per module (RGBA, so rows stay 4-byte aligned), nearest-neighbour scaled."""
    size = len(rows)
    texture = Texture.create(size=(size, size), colorfmt="rgba")
    texture.mag_filter = "nearest"
    texture.min_filter = "nearest"
    # A texture's first row is drawn at the bottom: upload the bottom row first.
    pixels = b"".join(DARK_RGBA if m else LIGHT_RGBA for row in reversed(rows) for m in row)
    texture.blit_buffer(pixels, colorfmt="rgba", bufferfmt="ubyte")
    return texture


class QrCode(Widget):
    """Draws `data` as a QR code centred in the widget, as big as fits in whole pixels per
    module; `module_px` is that size (0 while nothing is drawn)."""

    data = StringProperty("")
    module_px = NumericProperty(0)

    def __init__(self, **kwargs: object) -> None:
        self._texture: Texture | None = None
        self._modules = 0
        super().__init__(**kwargs)
        self.bind(pos=self._redraw, size=self._redraw)
        self._redraw()

    def on_data(self, _widget: object, data: str) -> None:
        if data:
            rows = qr_rows(data)
            self._texture, self._modules = qr_texture(rows), len(rows)
        else:
            self._texture, self._modules = None, 0
        self._redraw()

    def _redraw(self, *_args: object) -> None:
        if self.canvas is None:  # `data` given to the constructor: drawn right after
            return
        self.canvas.clear()
        if self._texture is None or self._modules == 0:
            self.module_px = 0
            return
        module_px = int(min(self.width, self.height) // self._modules)
        self.module_px = module_px
        if module_px < 1:
            return
        side = module_px * self._modules
        # Whole pixels: a module straddling a pixel edge would blur into its neighbour.
        x, y = int(self.center_x - side / 2), int(self.center_y - side / 2)
        with self.canvas:
            Color(1, 1, 1, 1)
            Rectangle(texture=self._texture, pos=(x, y), size=(side, side))

"""Colours and sizes of the kiosk window, shared by every .kv file (`#:import theme ...`).

Colours are RGBA tuples of floats 0..1. The palette is high contrast (dark text on light
surfaces, white on dark) for a shopper standing at arm's length. Sizes in the .kv files are
designed for 1280x800 and multiplied by the app's `scale`, so smaller screens shrink evenly.
"""

from __future__ import annotations

Rgba = tuple[float, float, float, float]

DESIGN_SIZE_PX = (1280, 800)
MIN_SCALE = 0.55  # 800x480 gives 0.6; below this, text would be too small to read anyway.
MIN_FONT_SCALE = 0.7  # text shrinks less than the layout: 20 px small print stays 14 px


def _hex(code: str, alpha: float = 1.0) -> Rgba:
    code = code.lstrip("#")
    r, g, b = (int(code[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return (r, g, b, alpha)


BACKGROUND = _hex("#EEF1F5")
SURFACE = _hex("#FFFFFF")
TEXT = _hex("#111418")
TEXT_MUTED = _hex("#5A6270")
TEXT_ON_DARK = _hex("#FFFFFF")
HEADER = _hex("#0B2545")
DIVIDER = _hex("#D5DAE1")

PAY = _hex("#137333")
HELP = _hex("#FFC20E")
NEUTRAL = _hex("#DCE2EA")
ACCENT = _hex("#0B5CAD")
DANGER = _hex("#B3261E")

INFO = _hex("#0B5CAD")
WARNING = _hex("#FFC20E")
ERROR = _hex("#B3261E")

OVERLAY_DIM = _hex("#000000", 0.6)
OVERLAY_PANEL = _hex("#FFD100")
VOIDED = _hex("#8A919C")

BANNER_COLOURS: dict[str, tuple[Rgba, Rgba]] = {
    # level: (background, text)
    "info": (INFO, TEXT_ON_DARK),
    "warning": (WARNING, TEXT),
    "error": (ERROR, TEXT_ON_DARK),
}


def pressed(colour: Rgba) -> Rgba:
    """A button's colour while pressed: 25 % darker, so the shopper sees the touch land."""
    r, g, b, a = colour
    return (r * 0.75, g * 0.75, b * 0.75, a)


def disabled(colour: Rgba) -> Rgba:
    """A button's colour when it cannot be used: washed out towards the background."""
    r, g, b, _ = colour
    return (r * 0.35 + 0.6, g * 0.35 + 0.6, b * 0.35 + 0.6, 1.0)


def text_on(colour: Rgba) -> Rgba:
    """Black or white text, whichever contrasts more with `colour` (WCAG relative luminance)."""
    r, g, b, _ = colour

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)
    return TEXT if luminance > 0.18 else TEXT_ON_DARK


def scale_for(width_px: int, height_px: int) -> float:
    """How much to scale the 1280x800 design to fit a window of this size (never upscale
    beyond the window, never below MIN_SCALE).
    """
    w, h = DESIGN_SIZE_PX
    return max(MIN_SCALE, min(width_px / w, height_px / h))


def font_scale_for(scale: float) -> float:
    """Text scale for a layout `scale`: the same, but never below MIN_FONT_SCALE, so a 7" panel
    keeps legible small print (the layout tests check that nothing spills).
    """
    return max(MIN_FONT_SCALE, scale)

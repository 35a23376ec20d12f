"""Colours and sizes of the kiosk window, shared by every .kv file (`#:import theme ...`).

Colours are RGBA tuples of floats 0..1. Two palettes: the normal one (dark text on light
surfaces, at least 4.5:1) and a shopper-chosen high-contrast one (black ground, white text,
yellow accent, at least 7:1); `use_palette()` switches between them. Sizes in the .kv files are
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


# Dark ink and white paper that never swap: text on a coloured button is one of these.
INK = _hex("#111418")
PAPER = _hex("#FFFFFF")

# The palettes. `use_palette()` copies one into this module's names; the .kv rules read
# `theme.X` when they are applied, so the window rebuilds its widgets after a switch.
NORMAL: dict[str, Rgba] = {
    "BACKGROUND": _hex("#EEF1F5"),
    "SURFACE": _hex("#FFFFFF"),
    "TEXT": INK,
    "TEXT_MUTED": _hex("#4F5663"),
    "TEXT_ON_DARK": PAPER,
    "HEADER": _hex("#0B2545"),
    "HEADER_MUTED": _hex("#CCD9EB"),  # second-rank text on the header
    "DIVIDER": _hex("#D5DAE1"),
    "PAY": _hex("#137333"),
    "HELP": _hex("#FFC20E"),
    "NEUTRAL": _hex("#DCE2EA"),
    "ACCENT": _hex("#0B5CAD"),
    "DANGER": _hex("#B3261E"),
    "INFO": _hex("#0B5CAD"),
    "WARNING": _hex("#FFC20E"),
    "ERROR": _hex("#B3261E"),
    "OVERLAY_DIM": _hex("#000000", 0.6),
    "OVERLAY_PANEL": _hex("#FFD100"),
    "VOIDED": _hex("#5F6773"),
    "ONLINE": _hex("#137333"),
    "OFFLINE": _hex("#B3261E"),
}

# Black ground, white text, yellow accent; buttons are bright fields with black text.
HIGH_CONTRAST: dict[str, Rgba] = {
    "BACKGROUND": _hex("#000000"),
    "SURFACE": _hex("#000000"),
    "TEXT": PAPER,
    "TEXT_MUTED": PAPER,
    "TEXT_ON_DARK": PAPER,
    "HEADER": _hex("#000000"),
    "HEADER_MUTED": PAPER,
    "DIVIDER": PAPER,
    "PAY": _hex("#5DF08A"),
    "HELP": _hex("#FFE600"),
    "NEUTRAL": PAPER,
    "ACCENT": _hex("#FFE600"),
    "DANGER": _hex("#A30000"),  # a field with white text (age badge, Reject)
    "INFO": _hex("#FFE600"),
    "WARNING": _hex("#FFE600"),
    "ERROR": _hex("#A30000"),
    "OVERLAY_DIM": _hex("#000000", 0.85),
    "OVERLAY_PANEL": _hex("#000000"),
    "VOIDED": _hex("#D0D0D0"),
    "ONLINE": _hex("#5DF08A"),
    "OFFLINE": _hex("#FF9C9C"),
}

# Which text is drawn on which ground, per palette, for the contrast test (WCAG 2.x): every
# pair must reach 4.5:1 in the normal palette and 7:1 in high contrast.
TEXT_PAIRS: tuple[tuple[str, str], ...] = (
    ("TEXT", "BACKGROUND"), ("TEXT", "SURFACE"), ("TEXT_MUTED", "BACKGROUND"),
    ("TEXT_MUTED", "SURFACE"), ("TEXT_ON_DARK", "HEADER"), ("HEADER_MUTED", "HEADER"),
    ("VOIDED", "SURFACE"), ("TEXT", "OVERLAY_PANEL"), ("TEXT_MUTED", "OVERLAY_PANEL"),
    ("ONLINE", "SURFACE"), ("OFFLINE", "SURFACE"), ("HELP", "HEADER"), ("TEXT_ON_DARK", "DANGER"),
)
BUTTON_COLOURS = ("PAY", "HELP", "NEUTRAL", "ACCENT", "DANGER", "INFO", "WARNING", "ERROR")

high_contrast = False
BACKGROUND = SURFACE = TEXT = TEXT_MUTED = TEXT_ON_DARK = HEADER = HEADER_MUTED = INK
DIVIDER = PAY = HELP = NEUTRAL = ACCENT = DANGER = INFO = WARNING = ERROR = INK
OVERLAY_DIM = OVERLAY_PANEL = VOIDED = ONLINE = OFFLINE = INK
BANNER_COLOURS: dict[str, tuple[Rgba, Rgba]] = {}  # level: (background, text)


def use_palette(high: bool) -> None:
    """Make the high-contrast palette (`high`) or the normal one current. Widgets built
    afterwards use it; the window rebuilds its widget tree to show it.
    """
    global high_contrast
    high_contrast = high
    palette = HIGH_CONTRAST if high else NORMAL
    globals().update(palette)
    BANNER_COLOURS.clear()
    BANNER_COLOURS.update({
        level: (palette[name], text_on(palette[name]))
        for level, name in (("info", "INFO"), ("warning", "WARNING"), ("error", "ERROR"))
    })


def luminance(colour: Rgba) -> float:
    """WCAG relative luminance of `colour` (0 black .. 1 white)."""
    r, g, b, _ = colour

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def contrast_ratio(a: Rgba, b: Rgba) -> float:
    """WCAG contrast ratio of two opaque colours (1:1 .. 21:1), returned as the first number."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def pressed(colour: Rgba) -> Rgba:
    """A button's colour while pressed: 25 % darker, so the shopper sees the touch land."""
    r, g, b, a = colour
    return (r * 0.75, g * 0.75, b * 0.75, a)


def disabled(colour: Rgba) -> Rgba:
    """A button's colour when it cannot be used: washed out towards the background."""
    r, g, b, _ = colour
    if high_contrast:  # towards black: a dim field with the black ground around it
        return (r * 0.35, g * 0.35, b * 0.35, 1.0)
    return (r * 0.35 + 0.6, g * 0.35 + 0.6, b * 0.35 + 0.6, 1.0)


def disabled_text(colour: Rgba) -> Rgba:
    """Text on a disabled button of colour `colour` (inactive controls need no 4.5:1)."""
    return _hex("#B0B0B0") if high_contrast else TEXT_MUTED


def text_on(colour: Rgba) -> Rgba:
    """Black or white text, whichever contrasts more with `colour` (WCAG relative luminance)."""
    return INK if luminance(colour) > 0.18 else PAPER


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



# The smallest button a finger hits reliably is about 9 mm. The window does not know its glass,
# so the panels are assumed by size: a 7" 800x480 (~133 dpi), a 7" 1024x600 (~170 dpi), a 10.1"
# 1280x800 (~149 dpi), a 15.6" 1920x1080 (~141 dpi).
TOUCH_MM = 9.0
PANEL_DPI = ((480, 133.0), (600, 170.0), (800, 149.0), (10_000, 141.0))  # (up to height px, dpi)


def min_touch_px(width_px: int, height_px: int) -> float:
    """The least size of a button, in window pixels, to be TOUCH_MM on the assumed panel."""
    dpi = next(d for most, d in PANEL_DPI if height_px <= most)
    return round(TOUCH_MM / 25.4 * dpi)


use_palette(False)

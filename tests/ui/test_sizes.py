"""The same screens on the other panels a store may have: 1024x768 (4:3), 800x480 (7"), and
the two the lane is built for, 1024x600 (7") and 1920x1080 (15.6"), in German and English,
normal and high contrast.

Everything scales from the 1280x800 design; nothing may spill, be cut off or overlap, and every
button must be at least 9 mm on the panel's glass.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from kiosk.ui.viewmodel import DeviceRowView, LaneView, LineView
from ui import views
from ui.conftest import KioskWindow, start_window

pytestmark = pytest.mark.ui

SCREENS: dict[str, LaneView] = {
    "attract": views.ATTRACT,
    "basket": views.NOT_FOUND,
    "overlay": views.AGE_CHECK,
    "overlay_attendant": views.AGE_CHECK_STAFF,
    "weighing": views.WEIGHING,
    "paying": views.PAYING,
    "thanks": views.THANKS,
    "out_of_service": views.OUT_OF_SERVICE,
}


@pytest.fixture(scope="module", params=[(1024, 768), (800, 480)], ids=["1024x768", "800x480"])
def sized(kiosk_window: KioskWindow, request: pytest.FixtureRequest) -> Iterator[KioskWindow]:
    width, height = request.param
    kiosk_window.resize(width, height)
    yield kiosk_window


@pytest.mark.parametrize("name", list(SCREENS))
def test_every_screen_fits_a_smaller_panel(sized: KioskWindow, name: str) -> None:
    sized.reset()
    sized.show(SCREENS[name])
    state = sized.state()
    width, height = state["window"]
    assert state["scale"] == pytest.approx(min(width / 1280, height / 800))
    sized.look(f"{width}x{height}_{name}")


def test_the_produce_picker_fits_the_smallest_panel(sized: KioskWindow) -> None:
    sized.reset()
    sized.show(views.BASKET)
    sized.tap(key="produce")
    width, height = sized.state()["window"]
    sized.look(f"{width}x{height}_produce_picker")


# -- the lane's own panels: every screen and overlay, both languages, both palettes ------------

LONG_NAME = "Bio-Vollkornbrot mit Sonnenblumen- und Kürbiskernen, geschnitten, 750 g"
# As many lines as the list shows at once (the layout check counts rows scrolled out of the
# list as cut off), the first with a name far too long for its row.
MANY_LINES = (
    LineView(1, LONG_NAME, "2 x 3,49 €", "3,49 €", "6,98 €", quantity=2, can_change_quantity=True),
    *views.LINES[1:],
)
DEVICES = (
    DeviceRowView("Scanner", "in Betrieb"),
    DeviceRowView("Waage", "getrennt", online=False, outages_text="3× ausgefallen"),
    DeviceRowView("Kartenterminal", "in Betrieb"),
)
LANE: dict[str, LaneView] = {
    "attract": views.ATTRACT,
    "basket_long": replace(views.NOT_FOUND, lines=MANY_LINES, item_count=25,
                           loyalty_text="Kundenkarte ···1234"),
    "produce_keyboard": views.LOOKUP,
    "weighing": views.WEIGHING,
    "paying": views.PAYING,
    "thanks": views.THANKS,
    "closed": views.CLOSED,
    "out_of_service": views.OUT_OF_SERVICE,
    "intervention": views.AGE_CHECK,
    "pin_pad": replace(views.CLOSED, staff_panel=True),
    "attendant_panel": replace(views.AGE_CHECK_STAFF, device_rows=DEVICES,
                               lane_actions=("close_lane", "cancel_basket"),
                               upload_text="3 Verkäufe warten, ältester seit 12 Min."),
}
# The smallest button a finger hits reliably is about 9 mm: in pixels at each panel's density
# (7" 1024x600 ~ 170 dpi, 10.1" 1280x800 ~ 149 dpi, 15.6" 1920x1080 ~ 141 dpi).
MIN_TOUCH_PX = {(1024, 600): 60, (1280, 800): 53, (1920, 1080): 50}
# Lane panels first, each palette in one run (a palette switch rebuilds the widget tree).
CASES = [(name, lang, contrast) for contrast in (False, True) for name in LANE
         for lang in ("de", "en")]


def _draw(window: KioskWindow, name: str, lang: str, contrast: bool) -> None:
    window.reset()
    window.show(replace(LANE[name], lang=lang, high_contrast=contrast))
    if name == "produce_keyboard":
        window.tap(key="produce")
        window.tap(key="lookup_search")


def _too_small(window: KioskWindow, least_px: int) -> list[str]:
    small = []
    for key in window.buttons():
        _x, _y, w, h = window.widget(key=key)["rect"]
        if min(w, h) < least_px - 0.5:
            small.append(f"{key} {int(w)}x{int(h)} px")
    return small


@pytest.fixture(scope="module", params=[(1024, 600), (1920, 1080)], ids=["1024x600", "1920x1080"])
def panel(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[KioskWindow]:
    """A window started at the panel's size (an offscreen window cannot grow later)."""
    width, height = request.param
    tmp = tmp_path_factory.mktemp(f"panel-{width}x{height}")
    window = start_window(tmp, size_px=(width, height))
    try:
        yield window
    finally:
        window.close()


@pytest.mark.slow
@pytest.mark.parametrize(("name", "lang", "contrast"), CASES,
                         ids=[f"{n}-{lang}-{'hc' if c else 'normal'}" for n, lang, c in CASES])
def test_every_screen_fits_the_lane_s_panels_in_both_languages_and_palettes(
    panel: KioskWindow, name: str, lang: str, contrast: bool
) -> None:
    _draw(panel, name, lang, contrast)
    width, height = panel.state()["window"]
    panel.look(f"fit_{width}x{height}_{name}_{lang}{'_hc' if contrast else ''}")


@pytest.mark.parametrize("name", list(LANE))
def test_every_button_is_at_least_9_mm_on_the_lane_s_panels(panel: KioskWindow, name: str) -> None:
    _draw(panel, name, "de", False)
    width, height = panel.state()["window"]
    assert _too_small(panel, MIN_TOUCH_PX[(width, height)]) == []


def test_the_window_is_drawn_edge_to_edge_at_the_panel_s_size(panel: KioskWindow) -> None:
    import cv2

    panel.reset()
    panel.show(views.BASKET)
    width, height = panel.state()["window"]
    shot = cv2.imread(str(panel.screenshot(f"edge_to_edge_{width}x{height}")))
    assert shot.shape[:2] == (height, width)
    header, ground = [69, 37, 11], [245, 241, 238]  # BGR of theme.NORMAL HEADER, BACKGROUND
    # A window that outgrew its offscreen surface draws noise and stale frames out there.
    assert shot[4, 4].tolist() == header and shot[4, width - 5].tolist() == header
    assert shot[height - 3, width - 3].tolist() == ground

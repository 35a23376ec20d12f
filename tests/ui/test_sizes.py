"""The same screens on the other panels a store may have: 1024x768 (4:3) and 800x480 (7").

Everything scales from the 1280x800 design; nothing may spill, be cut off or overlap.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kiosk.ui.viewmodel import LaneView
from ui import views
from ui.conftest import KioskWindow

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

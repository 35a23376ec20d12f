"""Accessibility: high contrast, the language buttons, the loyalty and badge hints, big enough
touch targets, and nothing said by colour alone.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from kiosk.app import build_controller, load
from kiosk.app_lane import LaneController
from kiosk.ui import intents as ui
from kiosk.ui import theme
from kiosk.ui.viewmodel import DeviceRowView
from ui import views
from ui.conftest import KioskWindow

# -- the palettes (no window) ------------------------------------------------------------------


@pytest.mark.parametrize(("palette", "least"), [(theme.NORMAL, 4.5), (theme.HIGH_CONTRAST, 7.0)],
                         ids=["normal", "high_contrast"])
def test_every_text_colour_stands_out_from_its_background(
    palette: dict[str, theme.Rgba], least: float
) -> None:
    weak = [
        f"{text} on {ground}: {theme.contrast_ratio(palette[text], palette[ground]):.2f}:1"
        for text, ground in theme.TEXT_PAIRS
        if theme.contrast_ratio(palette[text], palette[ground]) < least
    ]
    weak += [
        f"button text on {name}: "
        f"{theme.contrast_ratio(theme.text_on(palette[name]), palette[name]):.2f}:1"
        for name in theme.BUTTON_COLOURS
        if theme.contrast_ratio(theme.text_on(palette[name]), palette[name]) < least
    ]
    assert weak == []


def test_both_palettes_name_the_same_colours() -> None:
    assert set(theme.NORMAL) == set(theme.HIGH_CONTRAST)


def test_high_contrast_is_white_on_black_with_a_yellow_accent() -> None:
    try:
        theme.use_palette(True)
        assert theme.BACKGROUND[:3] == (0.0, 0.0, 0.0) and theme.TEXT[:3] == (1.0, 1.0, 1.0)
        red, green, blue, _ = theme.ACCENT
        assert red > 0.9 and green > 0.8 and blue < 0.2
        assert theme.BANNER_COLOURS["error"][0] == theme.HIGH_CONTRAST["ERROR"]
    finally:
        theme.use_palette(False)
    assert theme.NORMAL["BACKGROUND"] == theme.BACKGROUND


def test_the_contrast_ratio_follows_wcag() -> None:
    black, white = (0.0, 0.0, 0.0, 1.0), (1.0, 1.0, 1.0, 1.0)
    assert theme.contrast_ratio(black, white) == pytest.approx(21.0)
    assert theme.contrast_ratio(white, white) == pytest.approx(1.0)


# -- the controller: the mode ends with the basket, languages from the store -----------------------


def _cheap_hash(text: str) -> str:
    salt = bytes(range(16))
    key = hashlib.scrypt(text.encode(), salt=salt, n=1024, r=1, p=1, dklen=32)
    return f"scrypt$1024$1$1${salt.hex()}${key.hex()}"


@pytest.fixture()
def controller(tmp_path: Path) -> Iterator[LaneController]:
    path = tmp_path / "kiosk.toml"
    path.write_text(
        '[paths]\ndata_dir = "data"\n[policy]\nopen_on_start = true\n'
        f'[[attendants]]\nid = "1001"\nname = "Anna"\nrole = "attendant"\n'
        f'pin_hash = "{_cheap_hash("1234")}"\n',
        encoding="utf-8")
    built = build_controller(load(path))
    try:
        yield built
    finally:
        built.durable.db.conn.close()


DEMO_MILK = "4200200000015"


def test_high_contrast_chosen_on_the_attract_screen_lasts_until_the_basket_is_over(
    controller: LaneController,
) -> None:
    assert controller.view().high_contrast is False
    assert controller.send(ui.ToggleContrast()).high_contrast is True
    assert controller.send(ui.Start()).high_contrast is True
    assert controller.send(ui.CodeEntered(DEMO_MILK)).high_contrast is True
    controller.send(ui.AttendantPin("1001", "1234"))
    view = controller.send(ui.Cancel())  # the attendant cancels the basket: the lane is idle
    assert view.screen == "attract"
    assert view.high_contrast is False
    controller.send(ui.AttendantLogout())
    assert controller.send(ui.Start()).high_contrast is False  # the next shopper starts normal


def test_high_contrast_switches_off_again_on_a_second_touch(controller: LaneController) -> None:
    controller.send(ui.Start())
    controller.send(ui.CodeEntered(DEMO_MILK))
    assert controller.send(ui.ToggleContrast()).high_contrast is True
    assert controller.send(ui.ToggleContrast()).high_contrast is False


def test_a_language_is_chosen_only_from_the_store_s_languages(controller: LaneController) -> None:
    assert controller.view().lang == "de"
    assert controller.send(ui.ChooseLanguage("en")).lang == "en"
    assert controller.send(ui.ChooseLanguage("xx")).lang == "en"
    assert controller.send(ui.ChooseLanguage("de")).lang == "de"


# -- the window ----------------------------------------------------------------------------------

HC = {"high_contrast": True}


@pytest.mark.ui
def test_the_contrast_switch_is_in_the_header_of_the_attract_and_basket_screens(
    window: KioskWindow,
) -> None:
    for view in (views.ATTRACT, views.BASKET):
        window.show(view)
        button = window.buttons()["contrast"]
        assert button["text"] == "◐ Kontrast: aus"  # an icon and a word, its state in words
        window.tap(key="contrast")
        assert window.sent() == [ui.ToggleContrast()]
    for view in (views.PAYING, views.THANKS, views.CLOSED):
        window.show(view)
        assert "contrast" not in window.buttons()


@pytest.mark.ui
def test_high_contrast_redraws_the_window_white_on_black_in_under_a_second(
    window: KioskWindow,
) -> None:
    import cv2

    window.show(views.BASKET)
    started = time.perf_counter()
    window.show(replace(views.BASKET, high_contrast=True))
    switch_s = time.perf_counter() - started
    assert window.buttons()["contrast"]["text"] == "◐ Kontrast: an"
    assert "Vollmilch 3,5 % 1 l" in window.texts()  # the basket is drawn again
    shot = cv2.imread(str(window.look("a11y_basket_high_contrast_de")))
    height, width = shot.shape[:2]
    assert shot[height - 3, width // 2].tolist() == [0, 0, 0]  # black ground
    print(f"palette switch and redraw: {switch_s:.3f} s")
    # The whole widget tree is rebuilt: ~1.3 s for this basket on a quiet 2-core software-GL
    # desktop (~0.8 s of it the empty tree), 2-2.5 s while other suites load it; the bound only
    # catches a switch that builds far more than one tree.
    assert switch_s < 6.0
    window.show(views.BASKET)
    shot = cv2.imread(str(window.screenshot("a11y_basket_normal_again")))
    assert shot[height - 3, width // 2].tolist() != [0, 0, 0]


def _ticked(window: KioskWindow) -> str:
    """The key of the language button with the tick beside its name."""
    window.wait(0.1)  # the tick is placed beside the name once the layout has settled
    x, y, w, h = window.widget(text="✓")["rect"]
    for code in ("de", "en"):
        bx, by, bw, bh = window.widget(key=f"lang_{code}")["rect"]
        if bx <= x and x + w <= bx + bw and by <= y and y + h <= by + bh:
            return f"lang_{code}"
    raise AssertionError(f"the tick at {(x, y, w, h)} is on no language button")


@pytest.mark.ui
def test_the_attract_screen_offers_each_language_in_its_own_words(window: KioskWindow) -> None:
    window.show(views.ATTRACT)
    buttons = window.buttons()
    assert buttons["lang_de"]["text"] == "Deutsch"
    assert buttons["lang_en"]["text"] == "English"
    assert _ticked(window) == "lang_de"  # the current one: a tick (and bold type)
    assert window.texts().count("✓") == 1
    assert "language" not in buttons  # the header's toggle gives way to the buttons
    assert "Kundenkarte? Einfach jederzeit scannen." in window.texts()
    window.look("a11y_attract_de")
    window.tap(key="lang_en")
    assert window.sent() == [ui.ChooseLanguage("en")]  # and no Start: choosing is not starting
    window.show(views.english(views.ATTRACT))
    assert _ticked(window) == "lang_en"
    assert "Loyalty card? Scan it any time." in window.texts()
    window.look("a11y_attract_en")
    window.show(views.BASKET)
    assert "language" in window.buttons()  # other screens keep the toggle


@pytest.mark.ui
def test_a_touch_outside_the_language_buttons_starts(window: KioskWindow) -> None:
    window.show(views.ATTRACT)
    window.tap(text="Willkommen!")
    assert window.sent() == [ui.Start()]


@pytest.mark.ui
def test_the_basket_header_shows_the_loyalty_card(window: KioskWindow) -> None:
    window.show(replace(views.BASKET, loyalty_text="Kundenkarte ···1234"))
    assert "Kundenkarte ···1234" in window.texts()
    window.look("a11y_basket_loyalty")
    window.show(replace(views.ATTRACT, loyalty_text="Kundenkarte ···1234"))
    assert "Kundenkarte ···1234" not in window.texts()


@pytest.mark.ui
def test_the_pin_pad_says_a_staff_badge_works_too(window: KioskWindow) -> None:
    window.show(views.AGE_CHECK)
    assert "oder Mitarbeiterausweis scannen" in window.texts()
    window.show(views.english(views.AGE_CHECK))
    assert "or scan your staff badge" in window.texts()


@pytest.mark.ui
def test_a_device_s_state_is_written_not_only_coloured(window: KioskWindow) -> None:
    rows = (DeviceRowView("Waage", "in Betrieb", online=True),
            DeviceRowView("Drucker", "getrennt", online=False, outages_text="2× weg"))
    window.show(replace(views.AGE_CHECK_STAFF, device_rows=rows, high_contrast=True))
    texts = window.texts()
    assert "in Betrieb" in texts and "getrennt" in texts
    window.look("a11y_attendant_devices_high_contrast")


@pytest.mark.ui
def test_a_voided_line_is_struck_through_not_only_greyed(window: KioskWindow) -> None:
    window.show(views.BASKET)
    voided = window.widget(text="Schokolade Zartbitter")
    assert voided["text"] == "Schokolade Zartbitter"
    # the strike is drawn into the text texture; the harness reports the label's flag
    window.look("a11y_voided_line")


@pytest.mark.ui
def test_a_category_with_one_item_says_item_not_items(window: KioskWindow) -> None:
    for view, one in ((views.LOOKUP, "1 Artikel"), (views.LOOKUP_EN, "1 item")):
        window.show(view)
        window.tap(key="produce")
        counts = [text.split("\n")[1] for text in window.texts() if "\n" in text]
        assert one in counts
        assert not [c for c in counts if c.startswith("1 ") and c != one]
        window.tap(key="produce_back")


@pytest.mark.ui
def test_in_high_contrast_the_overlay_panel_has_a_yellow_edge(window: KioskWindow) -> None:
    import cv2

    window.show(replace(views.AGE_CHECK, **HC))
    shot = cv2.imread(str(window.look("a11y_overlay_high_contrast")))
    height, width = shot.shape[:2]
    row = shot[height // 2]
    blue, green, red = (row[: width // 10].astype(int)).T
    assert ((red > 200) & (green > 200) & (blue < 80)).any()  # the edge, left of the panel
    assert row[width // 5].tolist() == [0, 0, 0]  # the panel itself stays black

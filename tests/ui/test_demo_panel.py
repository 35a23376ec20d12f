"""The demo control panel in a real window over the real demo lane with its simulators (as in
`make run`, see demo_harness.py): F2 or the "Demo" tab opens it; its buttons scan through the
scanner simulator, weigh on the simulated scale and press the GPIO help button. A lane without
simulators has no panel at all. Screenshots of the open panel over the basket at 1280x800 and
1024x600.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ui.conftest import HERE, SCREENSHOTS, KioskWindow, _child_env, start_window

pytestmark = [pytest.mark.ui, pytest.mark.slow]

F2 = 283
BANANAS_PLU = "4011"  # 1,69 €/kg


def demo_config(tmp: Path) -> Path:
    """The demo's devices (simulated scanner, Toledo produce scale, mock GPIO help button)."""
    path = tmp / "kiosk.toml"
    path.write_text(
        '[store]\nname = "Demo-Markt"\n[lane]\nid = "kasse-1"\n'
        '[paths]\ndata_dir = "data"\n[policy]\nopen_on_start = true\n'
        '[devices]\nsimulate = true\n'
        '[devices.scale]\nprotocol = "toledo"\nport = "simulated"\n'
        '[devices.gpio]\npin_factory = "mock"\nlight_green = 17\nlight_yellow = 27\n'
        "light_red = 22\nbuzzer = 18\nhelp_button = 23\n",
        encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KioskWindow]:
    tmp = tmp_path_factory.mktemp("demo-window")
    SCREENSHOTS.mkdir(exist_ok=True)
    argv = [sys.executable, str(HERE / "demo_harness.py"), str(SCREENSHOTS),
            str(demo_config(tmp))]
    window = KioskWindow(argv, _child_env(tmp / "kivy"), tmp / "window.log")
    yield window
    window.close()


def lane(window: KioskWindow) -> dict[str, Any]:
    return dict(window.call("lane"))


def wait_until(window: KioskWindow, check: Callable[[dict[str, Any]], bool], what: str,
               timeout_s: float = 10.0) -> dict[str, Any]:
    waited = 0.0
    while not check(state := lane(window)):
        assert waited < timeout_s, f"timed out waiting until {what}: {state}"
        window.wait(0.1)
        waited += 0.1
    return state


def overlaps(a: list[float], b: list[float]) -> bool:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    return ax < bx + bw and bx < ax + aw and ay < by + bh and by < ay + ah


def panel_problems(window: KioskWindow) -> list[str]:
    """The open panel's buttons must lie inside the window and leave Pay and Help free."""
    width, height = window.state()["window"]
    panel = [b for key, b in window.buttons().items() if key.startswith("demo_")]
    problems = []
    for b in panel:
        rect = window.widget(key=b["key"])["rect"]
        x, y, w, h = rect
        if x < 0 or y < 0 or x + w > width + 1 or y + h > height + 1:
            problems.append(f"{b['text']!r} is cut off")
        for keep in ("pay", "help"):
            if overlaps(rect, window.widget(key=keep)["rect"]):
                problems.append(f"{b['text']!r} covers {keep}")
    return problems


def test_f2_opens_the_panel_and_its_scan_button_puts_the_line_in_the_basket(
    demo: KioskWindow,
) -> None:
    assert "demo_tab" in demo.buttons()  # the tab is there, the panel is not
    assert "demo_scan_water" not in demo.buttons()
    assert demo.key(F2)
    assert lane(demo)["demo_open"]
    assert demo.buttons()["demo_scan_water"]["text"] == "Wasser + Pfand"
    demo.tap(key="demo_scan_water")  # bytes over the scanner simulator's pty
    state = wait_until(demo, lambda s: len(s["lines"]) == 2, "the bottle and its deposit")
    assert state["state"] == "scanning"
    demo.wait(0.3)
    texts = demo.texts()
    assert any("Mineralwasser" in text for text in texts), texts
    assert any("Pfand" in text for text in texts), texts
    assert panel_problems(demo) == []
    demo.screenshot("demo_panel_de_1280x800")


def test_the_weight_buttons_load_the_simulated_scale_the_lane_weighs_from(
    demo: KioskWindow,
) -> None:
    demo.call("intent", name="SelectItem", plu=BANANAS_PLU)
    assert demo.state()["screen"] == "weighing", (demo.state(), lane(demo))
    demo.tap(key="demo_weight_unstable")
    demo.wait(0.5)
    assert lane(demo)["state"] == "weighing"  # a moving weight is never priced
    demo.tap(key="demo_weight_250")
    state = wait_until(demo, lambda s: s["state"] == "scanning", "the bananas are weighed")
    assert state["lines"][-1][1:] == [250, 42]  # 0,25 kg x 1,69 €/kg
    demo.wait(0.3)
    assert any("0,250 kg" in text for text in demo.texts())
    demo.screenshot("demo_panel_after_weighing_de_1280x800")


def test_the_help_button_presses_the_gpio_pin_and_an_attendant_is_called(
    demo: KioskWindow,
) -> None:
    demo.tap(key="demo_help")
    wait_until(demo, lambda s: s["interventions"] == ["help"], "help is called")
    demo.wait(0.3)
    assert demo.state()["overlay"]  # the intervention overlay is up ...
    assert not lane(demo)["demo_open"]  # ... and the panel stepped aside for the PIN pad
    assert "demo_tab" in demo.buttons()
    demo.screenshot("demo_panel_closed_over_help_de_1280x800")
    demo.tap(key="demo_tab")  # the tab brings it back
    assert lane(demo)["demo_open"]


def test_the_panel_fits_in_english_at_1024x600_and_closes_again(demo: KioskWindow) -> None:
    demo.call("intent", name="ToggleLanguage")
    demo.resize(1024, 600)
    demo.wait(0.3)
    assert demo.buttons()["demo_terminal_decline"]["text"] == "Decline payment"
    assert panel_problems(demo) == []
    demo.screenshot("demo_panel_en_1024x600")
    demo.tap(key="demo_close")
    assert not lane(demo)["demo_open"]
    assert "demo_scan_water" not in demo.buttons()
    demo.resize(1280, 800)


def test_a_lane_without_simulators_has_no_demo_panel(tmp_path: Path) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('[paths]\ndata_dir = "data"\n[policy]\nopen_on_start = true\n',
                      encoding="utf-8")
    window = start_window(tmp_path, config)
    try:
        assert "demo_tab" not in window.buttons()
        assert not window.key(F2)  # F2 does nothing in a production lane
        assert "demo_scan_water" not in window.buttons()
    finally:
        window.close()

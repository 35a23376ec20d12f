"""GPIO lane peripherals on gpiozero's mock pins: what the lane light, buttons and buzzer do."""

from __future__ import annotations

import asyncio
import importlib.util
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin
from hypothesis import given
from hypothesis import strategies as st

from hardware.device import DeviceState
from hardware.errors import DeviceClosedError, DeviceConfigError
from hardware.gpio import (
    DEFAULT_PATTERNS,
    Buzzer,
    GpioConfig,
    HelpButton,
    KeySwitch,
    LanePeripherals,
    PresenceSensor,
    TowerLight,
    make_pin_factory,
    parse_signal,
)

GREEN, YELLOW, RED = 17, 27, 22
HELP, KEY, PRESENCE, BUZZER = 5, 6, 13, 12

FULL = GpioConfig(pin_factory="mock", light_green=GREEN, light_yellow=YELLOW, light_red=RED,
                  help_button=HELP, key_switch=KEY, presence=PRESENCE,
                  buzzer=BUZZER)


@pytest.fixture
def factory() -> Iterator[MockFactory]:
    f = MockFactory(pin_class=MockPWMPin)
    yield f
    f.reset()
    f.close()


@pytest.fixture
def light(factory: MockFactory) -> Iterator[TowerLight]:
    with TowerLight(GREEN, YELLOW, RED, pin_factory=factory) as tower:
        yield tower


def lit(factory: MockFactory) -> tuple[bool, bool, bool]:
    return tuple(bool(factory.pin(p).state) for p in (GREEN, YELLOW, RED))  # type: ignore[return-value]


def wait_for(condition: Callable[[], bool], timeout_s: float = 3.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.002)


# -- tower light ------------------------------------------------------------------------------

@pytest.mark.parametrize(("pattern", "green", "yellow", "red"), [
    ("idle", True, False, False),
    ("closed", False, False, False),
    ("help", False, True, False),
    ("out_of_service", False, False, True),
])
def test_steady_patterns_light_the_documented_colours(
        factory: MockFactory, light: TowerLight, pattern: str, green: bool, yellow: bool,
        red: bool) -> None:
    light.show(pattern)
    assert lit(factory) == (green, yellow, red)


@pytest.mark.parametrize(("pattern", "pin", "hz"), [
    ("in_transaction", GREEN, 0.5),
    ("intervention", YELLOW, 1.0),
    ("fault", RED, 2.0),
])
def test_blinking_patterns_blink_their_colour_at_the_documented_rate(
        factory: MockFactory, light: TowerLight, pattern: str, pin: int, hz: float) -> None:
    blinking = factory.pin(pin)
    blinking.clear_states()
    light.show(pattern)
    wait_for(lambda: len(blinking.states) >= 3)
    blinking.assert_states([False, True, False])
    on_s = blinking.states[2].timestamp
    assert 0.5 / hz - 0.02 <= on_s <= 0.5 / hz + 0.15  # half the period, some slack for load
    others = [factory.pin(p) for p in (GREEN, YELLOW, RED) if p != pin]
    assert not any(p.state for p in others)


def test_a_new_pattern_stops_the_blinking(factory: MockFactory, light: TowerLight) -> None:
    light.show("fault")
    light.show("idle")
    red = factory.pin(RED)
    red.clear_states()
    time.sleep(0.3)  # longer than the fault blink's half period
    assert lit(factory) == (True, False, False)
    assert len(red.states) == 1


def test_showing_the_same_blink_again_keeps_its_rhythm(
        factory: MockFactory, light: TowerLight) -> None:
    light.show("fault")
    red = factory.pin(RED)
    red.clear_states()
    light.show("fault")
    assert len(red.states) == 1  # no restart, no glitch


def test_config_patterns_override_the_default_and_add_new_ones(factory: MockFactory) -> None:
    patterns = {"help": {"yellow": "on", "red": "on"}, "cleaning": {"green": "blink 20 Hz"}}
    with TowerLight(GREEN, YELLOW, RED, pin_factory=factory, patterns=patterns) as tower:
        tower.show("help")
        assert lit(factory) == (False, True, True)
        green = factory.pin(GREEN)
        green.clear_states()
        tower.show("cleaning")
        wait_for(lambda: len(green.states) >= 5)
        green.assert_states([False, True, False, True, False])
        tower.show("idle")  # the defaults not overridden are still there
        assert lit(factory) == (True, False, False)


def test_a_relay_board_switching_on_low_gets_inverted_outputs(factory: MockFactory) -> None:
    with TowerLight(GREEN, YELLOW, RED, pin_factory=factory, active_high=False) as tower:
        tower.show("idle")
        assert lit(factory) == (False, True, True)


def test_a_tower_without_red_still_shows_the_other_colours(factory: MockFactory) -> None:
    with TowerLight(GREEN, YELLOW, None, pin_factory=factory) as tower:
        tower.show("out_of_service")
        tower.show("help")
        assert (factory.pin(GREEN).state, factory.pin(YELLOW).state) == (False, True)


def test_an_unknown_pattern_name_is_a_config_error_naming_it(light: TowerLight) -> None:
    with pytest.raises(DeviceConfigError, match=r"'party'.*idle"):
        light.show("party")


@pytest.mark.parametrize(("patterns", "named"), [
    ({"help": {"blue": "on"}}, "'help'.*blue.*green, yellow, red"),
    ({"help": {"yellow": "flash"}}, "'help', yellow.*'flash'"),
    ({"fault": {"red": "blink 0"}}, "'fault', red.*'blink 0'"),
    ({"fault": {"red": "blink 50"}}, "'blink 50'.*20"),
    ({"odd": "on"}, "'odd' must map colours"),
])
def test_bad_patterns_in_config_are_refused_before_any_pin_is_touched(
        factory: MockFactory, patterns: Any, named: str) -> None:
    with pytest.raises(DeviceConfigError, match=named):
        GpioConfig(pin_factory="mock", light_green=GREEN, patterns=patterns)
    with pytest.raises(DeviceConfigError, match=named):
        TowerLight(GREEN, YELLOW, RED, pin_factory=factory, patterns=patterns)
    TowerLight(GREEN, YELLOW, RED, pin_factory=factory).close()  # nothing was left claimed


@given(st.text(max_size=20))
def test_any_signal_text_is_a_signal_or_a_config_error(text: str) -> None:
    try:
        signal = parse_signal(text)
    except DeviceConfigError:
        return
    assert signal.mode in {"off", "on", "blink"}


def test_using_a_closed_light_is_refused(factory: MockFactory) -> None:
    tower = TowerLight(GREEN, YELLOW, RED, pin_factory=factory)
    tower.close()
    tower.close()
    assert tower.state is DeviceState.CLOSED
    with pytest.raises(DeviceClosedError, match="tower light"):
        tower.show("idle")


# -- inputs -----------------------------------------------------------------------------------

def test_a_help_press_calls_once_even_when_the_contact_bounces(factory: MockFactory) -> None:
    presses: list[str] = []
    with HelpButton(HELP, pin_factory=factory, on_press=lambda: presses.append("help"),
                    bounce_s=0.05):
        pin = factory.pin(HELP)
        for _ in range(3):  # one press that bounces: low, high, low, ... within 50 ms
            pin.drive_low()
            pin.drive_high()
        assert presses == ["help"]
        time.sleep(0.06)
        pin.drive_low()
        pin.drive_high()
        assert presses == ["help", "help"]


def test_the_key_switch_reports_both_positions(factory: MockFactory) -> None:
    turns: list[bool] = []
    with KeySwitch(KEY, pin_factory=factory, on_turn=turns.append) as key:
        assert not key.is_on
        factory.pin(KEY).drive_low()
        assert key.is_on
        factory.pin(KEY).drive_high()
        assert turns == [True, False]
        assert not key.is_on


def test_the_presence_sensor_reports_arrival_and_leaving(factory: MockFactory) -> None:
    seen: list[bool] = []
    with PresenceSensor(PRESENCE, pin_factory=factory, on_change=seen.append) as sensor:
        factory.pin(PRESENCE).drive_high()
        assert sensor.present
        factory.pin(PRESENCE).drive_low()
        assert seen == [True, False]


# -- buzzer -----------------------------------------------------------------------------------

class ToneRecordingPin(MockPWMPin):
    """A mock PWM pin that also keeps every frequency it was set to (None = silent)."""

    def __init__(self, factory: MockFactory, info: Any) -> None:
        super().__init__(factory, info)
        self.tones: list[float | None] = []

    def _set_frequency(self, value: float | None) -> None:
        super()._set_frequency(value)
        self.tones.append(value)


def recording_buzzer(factory: MockFactory) -> tuple[Buzzer, ToneRecordingPin]:
    pin = factory.pin(BUZZER, pin_class=ToneRecordingPin)
    buzzer = Buzzer(BUZZER, pin_factory=factory)
    pin.tones.clear()  # gpiozero sets a default PWM frequency while building the buzzer
    return buzzer, pin


def tones_heard(buzzer: Buzzer, pin: ToneRecordingPin, sound: str) -> list[float | None]:
    """The tones `sound` plays, in order, None for each pause."""
    pin.tones.clear()
    buzzer.play(sound)
    assert buzzer.wait(2.0)
    assert pin.frequency is None  # silent once done
    return pin.tones


def test_a_scan_beep_is_one_short_high_tone(factory: MockFactory) -> None:
    buzzer, pin = recording_buzzer(factory)
    with buzzer:
        started = time.monotonic()
        assert tones_heard(buzzer, pin, "beep") == [2000.0, None]
        assert time.monotonic() - started < 0.5


def test_the_error_sound_is_two_low_tones_unlike_the_beep(factory: MockFactory) -> None:
    buzzer, pin = recording_buzzer(factory)
    with buzzer:
        buzzer.error()
        assert factory.pin(BUZZER).frequency == 400.0  # starts at once
        assert buzzer.wait(2.0)
        heard = pin.tones
        assert heard[1::2] == [None, None]  # a pause between the tones, silence after
        assert len(heard) == 4
        assert all(hz is not None and hz <= 500 for hz in heard[::2])


def test_attention_is_three_beeps(factory: MockFactory) -> None:
    buzzer, pin = recording_buzzer(factory)
    with buzzer:
        assert tones_heard(buzzer, pin, "attention") == [1000.0, None] * 3


def test_a_new_sound_cuts_the_one_playing(factory: MockFactory) -> None:
    with Buzzer(BUZZER, pin_factory=factory) as buzzer:
        buzzer.attention()
        buzzer.beep()
        assert factory.pin(BUZZER).frequency == 2000.0
        assert buzzer.wait(1.0)
        assert factory.pin(BUZZER).frequency is None


def test_a_plain_buzzer_tells_sounds_apart_by_rhythm(factory: MockFactory) -> None:
    with Buzzer(BUZZER, pin_factory=factory, tonal=False) as buzzer:
        pin = factory.pin(BUZZER)
        pin.clear_states()
        buzzer.beep()
        buzzer.wait()
        pin.assert_states([False, True, False])
        assert len(pin.states) == 3
        pin.clear_states()
        buzzer.error()
        buzzer.wait()
        pin.assert_states([False, True, False, True, False])
        assert len(pin.states) == 5


def test_closing_the_buzzer_mid_sound_silences_it(factory: MockFactory) -> None:
    buzzer = Buzzer(BUZZER, pin_factory=factory)
    buzzer.attention()
    buzzer.close()
    assert not factory.pin(BUZZER).frequency
    with pytest.raises(DeviceClosedError):
        buzzer.beep()


# -- the lane's peripherals -------------------------------------------------------------------

def test_every_fitted_peripheral_works_through_one_object(factory: MockFactory) -> None:
    posted: list[Callable[[], None]] = []
    events: list[Any] = []
    with LanePeripherals(FULL, post=posted.append, pin_factory=factory,
                         on_help=lambda: events.append("help"), on_key=events.append,
                         on_presence=lambda present: events.append(("present", present))) as lane:
        lane.show("help")
        assert lit(factory) == (False, True, False)
        lane.sound("beep")
        assert factory.pin(BUZZER).frequency == 2000.0
        factory.pin(HELP).drive_low()
        factory.pin(KEY).drive_low()
        factory.pin(PRESENCE).drive_high()
        assert events == []  # nothing runs on the pin's thread; all of it waits for `post`
        for call in posted:
            call()
        assert events == ["help", True, ("present", True)]
        assert len(lane.devices) == 5


def test_callbacks_from_a_pin_thread_run_on_the_event_loop(factory: MockFactory) -> None:
    async def main() -> int:
        loop = asyncio.get_running_loop()
        pressed = asyncio.Event()
        where: list[int] = []

        def on_help() -> None:
            where.append(threading.get_ident())
            pressed.set()

        with LanePeripherals(FULL, post=loop.call_soon_threadsafe, pin_factory=factory,
                             on_help=on_help):
            # real pin factories call back from their own thread, like this one
            pin_thread = threading.Thread(target=factory.pin(HELP).drive_low)
            pin_thread.start()
            await asyncio.wait_for(pressed.wait(), 2.0)
            pin_thread.join()
        return where[0]

    assert asyncio.run(main()) == threading.get_ident()


def test_closing_releases_every_pin_for_the_next_owner(factory: MockFactory) -> None:
    lane = LanePeripherals(FULL, post=lambda call: call(), pin_factory=factory)
    lane.close()
    lane.close()
    assert all(d.state is DeviceState.CLOSED for d in lane.devices)
    with LanePeripherals(FULL, post=lambda call: call(), pin_factory=factory) as again:
        again.show("fault")
        again.sound("error")


def test_a_lane_without_gpio_parts_ignores_lights_and_sounds(factory: MockFactory) -> None:
    with LanePeripherals(GpioConfig(pin_factory="mock"), post=lambda call: call(),
                         pin_factory=factory) as lane:
        lane.show("fault")
        lane.sound("attention")
        assert lane.devices == []


def test_the_mock_factory_by_name_runs_a_lane_without_hardware() -> None:
    with LanePeripherals(FULL, post=lambda call: call()) as lane:
        lane.show("in_transaction")
        lane.sound("beep")


def test_a_pin_used_twice_is_refused_naming_both_uses() -> None:
    with pytest.raises(DeviceConfigError, match="buzzer and light_green are both pin 17"):
        GpioConfig(light_green=17, buzzer=17)


def test_a_pin_the_board_lacks_is_a_config_error_and_leaves_nothing_claimed(
        factory: MockFactory) -> None:
    bad = GpioConfig(pin_factory="mock", light_green=GREEN, light_yellow=YELLOW, light_red=RED,
                     buzzer=99)
    with pytest.raises(DeviceConfigError, match="buzzer on pin 99"):
        LanePeripherals(bad, post=lambda call: call(), pin_factory=factory)
    with LanePeripherals(FULL, post=lambda call: call(), pin_factory=factory):
        pass


@pytest.mark.parametrize(("raw", "named"), [
    ({"buzer_pin": 12}, "unknown key.*buzer_pin"),
    ({"help_button": True}, "help_button = True is not a pin"),
    ({"help_button": 4.5}, "help_button = 4.5 is not a pin"),
])
def test_bad_gpio_config_is_a_clear_error(raw: dict[str, Any], named: str) -> None:
    with pytest.raises(DeviceConfigError, match=named):
        GpioConfig.from_mapping(raw)


def test_config_from_toml_table_builds_the_lane(factory: MockFactory) -> None:
    cfg = GpioConfig.from_mapping({"pin_factory": "mock", "light_green": GREEN,
                                   "patterns": {"idle": {"green": "blink 1"}}})
    assert cfg.patterns["idle"] == {"green": "blink 1"}


def test_an_unknown_pin_factory_is_named_with_the_choices() -> None:
    with pytest.raises(DeviceConfigError, match=r"'pigpio2'.*lgpio, rpigpio, pigpio, native, mock"):
        make_pin_factory("pigpio2")


@pytest.mark.skipif(importlib.util.find_spec("lgpio") is not None,
                    reason="lgpio is installed here")
def test_a_missing_gpio_library_says_what_to_install() -> None:
    with pytest.raises(DeviceConfigError, match=r"pip install lgpio.*mock"):
        make_pin_factory("lgpio")


def test_the_default_scheme_has_every_lane_pattern() -> None:
    assert set(DEFAULT_PATTERNS) == {"closed", "idle", "in_transaction", "help",
                                     "intervention", "fault", "out_of_service"}

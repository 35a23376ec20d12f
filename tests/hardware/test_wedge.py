"""The keyboard-wedge decoder, fed with synthesized evdev key events (US and German layouts)."""

from __future__ import annotations

import asyncio
import importlib.util

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.errors import DeviceConfigError, ProtocolError
from hardware.wedge import (
    EV_KEY,
    KEY_0,
    KEY_1,
    KEY_7,
    KEY_8,
    KEY_102ND,
    KEY_DOWN,
    KEY_ENTER,
    KEY_KP4,
    KEY_KPENTER,
    KEY_LEFTSHIFT,
    KEY_MINUS,
    KEY_Q,
    KEY_REPEAT,
    KEY_RIGHTALT,
    KEY_RIGHTBRACE,
    KEY_RIGHTSHIFT,
    KEY_SLASH,
    KEY_UP,
    KEY_Y,
    KEY_Z,
    WedgeDecoder,
    WedgeScanner,
)

EV_SYN, EV_MSC = 0, 4
KEY_A, KEY_B, KEY_C = 30, 48, 46
KEY_F13 = 183  # no character in any layout
MSC_SCAN = 4

Triple = tuple[int, int, int]


def tap(code: int) -> list[Triple]:
    """What a scanner sends for one key: a scan-code report, down, sync, up, sync."""
    return [(EV_MSC, MSC_SCAN, 0x70000 + code), (EV_KEY, code, KEY_DOWN), (EV_SYN, 0, 0),
            (EV_KEY, code, KEY_UP), (EV_SYN, 0, 0)]


def held(modifier: int, *codes: int) -> list[Triple]:
    events = [(EV_KEY, modifier, KEY_DOWN)]
    for code in codes:
        events += tap(code)
    return [*events, (EV_KEY, modifier, KEY_UP)]


def digits(text: str) -> list[Triple]:
    return [e for ch in text for e in tap(KEY_0 if ch == "0" else KEY_1 + int(ch) - 1)]


def decode(layout: str, events: list[Triple]) -> list[str]:
    decoder = WedgeDecoder(layout)
    out = []
    for event in events:
        text = decoder.feed(*event)
        if text is not None:
            out.append(text)
    return out


@pytest.mark.parametrize("layout", ["us", "de"])
def test_an_ean13_reads_the_same_on_both_layouts(layout: str) -> None:
    assert decode(layout, digits("4006381333931") + tap(KEY_ENTER)) == ["4006381333931"]


def test_keypad_enter_also_ends_a_label() -> None:
    assert decode("de", digits("96385074") + tap(KEY_KPENTER)) == ["96385074"]


def test_keypad_digits_read_as_digits() -> None:
    assert decode("us", tap(KEY_KP4) + tap(KEY_ENTER)) == ["4"]


def test_german_layout_swaps_y_and_z() -> None:
    events = tap(KEY_Y) + tap(KEY_Z) + tap(KEY_ENTER)
    assert decode("de", events) == ["zy"]
    assert decode("us", events) == ["yz"]


def test_symbols_sit_on_different_keys_in_german_and_us() -> None:
    # The coupon "COUPON-5EUR" typed by a German-programmed scanner: '-' is KEY_SLASH.
    assert decode("de", tap(KEY_SLASH) + tap(KEY_ENTER)) == ["-"]
    assert decode("us", tap(KEY_MINUS) + tap(KEY_ENTER)) == ["-"]
    assert decode("de", held(KEY_LEFTSHIFT, KEY_7) + tap(KEY_ENTER)) == ["/"]
    assert decode("us", tap(KEY_SLASH) + tap(KEY_ENTER)) == ["/"]
    assert decode("de", tap(KEY_RIGHTBRACE) + tap(KEY_ENTER)) == ["+"]
    assert decode("us", tap(KEY_RIGHTBRACE) + tap(KEY_ENTER)) == ["]"]


def test_shift_left_or_right_makes_capitals_only_while_held() -> None:
    events = (held(KEY_LEFTSHIFT, KEY_C) + held(KEY_RIGHTSHIFT, KEY_A) + tap(KEY_B)
              + tap(KEY_ENTER))
    assert decode("us", events) == ["CAb"]


def test_both_shifts_overlapping_keep_shift_until_both_are_released() -> None:
    events = [(EV_KEY, KEY_LEFTSHIFT, KEY_DOWN), (EV_KEY, KEY_RIGHTSHIFT, KEY_DOWN),
              (EV_KEY, KEY_LEFTSHIFT, KEY_UP), *tap(KEY_A), (EV_KEY, KEY_RIGHTSHIFT, KEY_UP),
              *tap(KEY_A), *tap(KEY_ENTER)]
    assert decode("us", events) == ["Aa"]


def test_german_altgr_gives_the_third_level_symbols() -> None:
    events = held(KEY_RIGHTALT, KEY_Q, KEY_8, KEY_102ND, KEY_MINUS) + tap(KEY_ENTER)
    assert decode("de", events) == ["@[|\\"]


def test_a_german_coupon_code_reads_as_printed() -> None:
    # C O U P O N - 5 E U R with shift held for the letters, as a scanner types it.
    o, u, p, n, e, r = 24, 22, 25, 49, 18, 19
    events = (held(KEY_LEFTSHIFT, KEY_C, o, u, p, o, n) + tap(KEY_SLASH) + digits("5")
              + held(KEY_LEFTSHIFT, e, u, r) + tap(KEY_ENTER))
    assert decode("de", events) == ["COUPON-5EUR"]


def test_key_repeat_does_not_type_extra_characters() -> None:
    events = [(EV_KEY, KEY_A, KEY_DOWN), (EV_KEY, KEY_A, KEY_REPEAT), (EV_KEY, KEY_A, KEY_UP),
              *tap(KEY_ENTER)]
    assert decode("us", events) == ["a"]


def test_a_label_split_across_reads_comes_out_whole() -> None:
    decoder = WedgeDecoder("de")
    first = [decoder.feed(*e) for e in digits("400638")]
    second = [decoder.feed(*e) for e in digits("1333931") + tap(KEY_ENTER)]
    assert set(first) == {None}
    assert [t for t in second if t] == ["4006381333931"]


def test_consecutive_labels_do_not_run_together() -> None:
    events = digits("96385074") + tap(KEY_ENTER) + digits("4006381333931") + tap(KEY_ENTER)
    assert decode("us", events) == ["96385074", "4006381333931"]


def test_enter_alone_is_not_a_scan() -> None:
    assert decode("de", tap(KEY_ENTER) + tap(KEY_KPENTER)) == []


def test_a_key_with_no_character_spoils_only_its_own_label() -> None:
    decoder = WedgeDecoder("de", label="wedge on /dev/kiosk-wedge")
    for event in digits("123") + tap(KEY_F13):
        decoder.feed(*event)
    with pytest.raises(ProtocolError, match=r"wedge on /dev/kiosk-wedge.*layout 'de'"):
        for event in tap(KEY_ENTER):
            decoder.feed(*event)
    assert decode_with(decoder, digits("96385074") + tap(KEY_ENTER)) == ["96385074"]


def decode_with(decoder: WedgeDecoder, events: list[Triple]) -> list[str]:
    return [t for e in events if (t := decoder.feed(*e)) is not None]


def test_an_unknown_layout_is_a_config_error_naming_the_choices() -> None:
    with pytest.raises(DeviceConfigError, match=r"'fr'.*de, us"):
        WedgeDecoder("fr")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 300), st.integers(-1, 3)),
                max_size=200), st.sampled_from(["de", "us"]))
def test_arbitrary_events_never_raise_anything_but_protocol_errors(
        events: list[Triple], layout: str) -> None:
    decoder = WedgeDecoder(layout)
    for event in events:
        try:
            text = decoder.feed(*event)
        except ProtocolError:
            continue
        assert text is None or (text and "\n" not in text)


@pytest.mark.skipif(importlib.util.find_spec("evdev") is not None,
                    reason="evdev is installed here")
def test_without_evdev_opening_a_wedge_says_what_to_install() -> None:
    async def main() -> None:
        await WedgeScanner("wedge", "/dev/input/event99", "de").open()

    with pytest.raises(DeviceConfigError, match="pip install evdev"):
        asyncio.run(main())


def test_a_wedge_without_a_path_is_a_config_error() -> None:
    with pytest.raises(DeviceConfigError, match="kiosk-wedge"):
        WedgeScanner("wedge", "", "de")

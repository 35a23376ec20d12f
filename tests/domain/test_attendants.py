"""Attendants: PIN hashes in the configured format, login, and the wrong-PIN lockout."""

from __future__ import annotations

import hashlib

import pytest

from kiosk.domain import commands as c
from kiosk.domain.attendants import (
    AttendantAuthError,
    hash_pin,
    is_valid_pin_hash,
    verify_pin,
)
from kiosk.domain.facts import Fact
from kiosk.domain.policy import Policy
from kiosk.errors import AuthError, FlowError

from .checkout_helpers import ANNA_PIN, MILK, Lane

SALT = bytes.fromhex("00112233445566778899aabbccddeeff")


def test_a_pin_hash_has_exactly_the_configured_format() -> None:
    text = hash_pin("1234", SALT)
    key = hashlib.scrypt(b"1234", salt=SALT, n=16384, r=8, p=1, dklen=32)
    assert text == f"scrypt$16384$8$1${SALT.hex()}${key.hex()}"


def test_the_right_pin_verifies_and_a_wrong_one_does_not() -> None:
    text = hash_pin("4711", SALT)
    assert verify_pin("4711", text)
    assert not verify_pin("4712", text)
    assert not verify_pin("47110", text)


@pytest.mark.parametrize("bad", [
    "", "scrypt", "bcrypt$16384$8$1$00112233445566778899aabbccddeeff$00",
    "scrypt$16384$8$1$zz$00", "scrypt$abc$8$1$0011223344556677$" + "00" * 32,
    "scrypt$1000$8$1$0011223344556677$" + "00" * 32,  # n not a power of two
    "scrypt$1073741824$8$1$0011223344556677$" + "00" * 32,  # would need gigabytes
    "scrypt$16384$8$1$0011$" + "00" * 32,  # salt too short
    "scrypt$16384$8$1$0011223344556677",  # no key
])
def test_a_malformed_hash_is_rejected_cleanly(bad: str) -> None:
    assert not is_valid_pin_hash(bad)
    assert verify_pin("1234", bad) is False


@pytest.mark.parametrize("pin", ["123", "123456789", "12a4", "", "١٢٣٤"])
def test_only_4_to_8_digit_pins_can_be_hashed(pin: str) -> None:
    with pytest.raises(AuthError, match="4 to 8 digits"):
        hash_pin(pin, SALT)


def test_a_short_salt_is_refused() -> None:
    with pytest.raises(AuthError, match="salt"):
        hash_pin("1234", b"short")


def test_the_pin_never_shows_in_a_command_repr() -> None:
    assert "1234" not in repr(c.AttendantLogin("1001", "1234"))


def test_a_wrong_pin_says_how_many_tries_are_left_and_is_recorded() -> None:
    lane = Lane()
    with pytest.raises(AttendantAuthError) as err:
        lane.do(c.AttendantLogin("1001", "0000"))
    assert str(err.value) == "Wrong PIN for attendant 1001 (4 of 5 tries left)"
    assert err.value.shopper_text("de") == "Falsche PIN für 1001 (noch 4 von 5 Versuchen)."
    assert [f.kind for f in err.value.facts] == ["pin_rejected"]
    assert lane.co.session is None


def test_an_unknown_id_counts_like_a_wrong_pin_and_says_the_same() -> None:
    lane = Lane()
    with pytest.raises(AttendantAuthError) as err:
        lane.do(c.AttendantLogin("4242", "0000"))
    assert str(err.value) == "Wrong PIN for attendant 4242 (4 of 5 tries left)"
    assert lane.co.pins.failures == {"4242": ["2026-03-02T09:00:00.000Z"]}


def test_a_pin_of_the_wrong_shape_is_refused_without_counting() -> None:
    lane = Lane()
    with pytest.raises(AttendantAuthError, match="4 to 8 digits"):
        lane.do(c.AttendantLogin("1001", "12"))
    assert lane.co.pins.failures == {}


def _fail(lane: Lane, times: int, who: str = "1001") -> AttendantAuthError:
    last = None
    for _ in range(times):
        with pytest.raises(AttendantAuthError) as err:
            lane.do(c.AttendantLogin(who, "0000"))
        last = err.value
        lane.tick(10)
    assert last is not None
    return last


def test_five_wrong_pins_lock_the_id_even_for_the_right_pin() -> None:
    lane = Lane()
    fifth = _fail(lane, 5)
    assert "now locked for 5 minute(s) after 5 wrong PINs" in str(fifth)
    lane.tick(60)
    with pytest.raises(AttendantAuthError) as err:
        lane.do(c.AttendantLogin("1001", ANNA_PIN))
    assert str(err.value) == ("Attendant 1001 is locked for 4 more minute(s) after 5 wrong PINs; "
                              "wait, or ask a supervisor")
    assert err.value.facts == ()  # a refusal while locked does not extend the lock
    lane.login("9001")  # other ids are not affected
    assert lane.co.session is not None and lane.co.session["attendant_id"] == "9001"


def test_the_lock_ends_after_the_lockout_and_the_count_starts_again() -> None:
    lane = Lane()
    _fail(lane, 5)
    lane.tick(300)
    lane.do(c.AttendantLogin("1001", ANNA_PIN))
    assert lane.co.session is not None
    assert lane.co.pins.failures == {} and lane.co.pins.locked_until == {}


def test_wrong_pins_outside_the_window_do_not_add_up() -> None:
    lane = Lane(Policy(pin_max_failures=3, pin_failure_window_s=60))
    _fail(lane, 2)
    lane.tick(60)
    third = _fail(lane, 1)
    assert "(2 of 3 tries left)" in str(third)


def test_a_correct_pin_resets_the_count() -> None:
    lane = Lane()
    _fail(lane, 4)
    lane.do(c.AttendantLogin("1001", ANNA_PIN))
    lane.do(c.AttendantLogout())
    assert "(4 of 5 tries left)" in str(_fail(lane, 1))


def test_a_lockout_survives_a_snapshot_restore() -> None:
    lane = Lane()
    _fail(lane, 5)
    restored = lane.restored(lane.co.snapshot())
    lane.co = restored
    with pytest.raises(AttendantAuthError, match="is locked"):
        lane.do(c.AttendantLogin("1001", ANNA_PIN))


def test_a_lockout_survives_a_full_replay_of_the_journal() -> None:
    lane = Lane()
    lane.do(c.Scan(MILK))
    _fail(lane, 5)
    replayed = lane.fresh()
    for fact in lane.facts:
        replayed.apply(Fact.from_json(fact.to_json()))
    assert replayed.snapshot() == lane.co.snapshot()
    lane.co = replayed
    with pytest.raises(AttendantAuthError, match="is locked"):
        lane.do(c.AttendantLogin("1001", ANNA_PIN))


def test_a_new_login_replaces_the_previous_session() -> None:
    lane = Lane()
    lane.login("1001")
    facts = lane.do(c.AttendantLogin("9001", "9999"))
    assert [f.kind for f in facts] == ["attendant_logged_out", "attendant_logged_in"]
    assert lane.co.attendant is not None and lane.co.attendant.name == "Sven"


def test_logging_out_with_nobody_logged_in_is_refused() -> None:
    lane = Lane()
    with pytest.raises(FlowError, match="nobody"):
        lane.do(c.AttendantLogout())


def test_opening_the_lane_needs_that_attendant_logged_in() -> None:
    lane = Lane(open_lane=False)
    with pytest.raises(AttendantAuthError, match="no attendant is logged in"):
        lane.do(c.Open("1001"))
    lane.login("1001")
    facts = lane.do(c.Open("1001"))
    assert [f.kind for f in facts] == ["lane_opened", "attendant_logged_out"]


def test_the_session_ends_when_a_basket_opens() -> None:
    lane = Lane()
    lane.login()
    facts = lane.do(c.Scan(MILK))
    assert [f.kind for f in facts] == ["attendant_logged_out", "basket_opened", "lines_added"]

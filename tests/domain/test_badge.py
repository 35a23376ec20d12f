"""Attendant badges and idle sessions: a scanned badge logs its attendant in, an unknown badge
counts toward a lockout like a wrong PIN, and a session ends by itself after
`policy.attendant_idle_s` without an attendant command, exactly the same on replay.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.domain import commands as c
from kiosk.domain.attendants import (
    BADGE_KEY,
    AttendantAuthError,
    hash_badge,
    is_valid_pin_hash,
    verify_badge,
)
from kiosk.domain.policy import Policy
from kiosk.errors import AuthError

from .checkout_helpers import ANNA_PIN, BEER, FAST_ATTENDANTS, MILK, Lane

SALT = bytes(range(16))
ANNA_BADGE = "STAFF-7F3K9Q2M"
SVEN_BADGE = "STAFF-Z8W2P4XR"


def cheap_badge_hash(code: str) -> str:
    """A valid scrypt string with n=1024, r=1 (the real default is slow on purpose)."""
    key = hashlib.scrypt(code.encode(), salt=SALT, n=1024, r=1, p=1, dklen=32)
    return f"scrypt$1024$1$1${SALT.hex()}${key.hex()}"


BADGED = {
    "1001": replace(FAST_ATTENDANTS["1001"], badge_hash=cheap_badge_hash(ANNA_BADGE)),
    "9001": replace(FAST_ATTENDANTS["9001"], badge_hash=cheap_badge_hash(SVEN_BADGE)),
}


def lane(policy: Policy | None = None, *, open_lane: bool = True) -> Lane:
    return Lane(policy, open_lane=open_lane, attendants=BADGED)


# -- badges -------------------------------------------------------------------------------------


def test_a_badge_hash_has_the_pin_hash_format_and_verifies_only_its_code() -> None:
    text = hash_badge(ANNA_BADGE, SALT)
    key = hashlib.scrypt(ANNA_BADGE.encode(), salt=SALT, n=16384, r=8, p=1, dklen=32)
    assert text == f"scrypt$16384$8$1${SALT.hex()}${key.hex()}"
    assert is_valid_pin_hash(text)
    assert verify_badge(ANNA_BADGE, text)
    assert not verify_badge(SVEN_BADGE, text)
    assert not verify_badge(ANNA_BADGE, "scrypt$broken")


@pytest.mark.parametrize("code", ["", "STAFF", "STAFF 12345", "x" * 65, "STAFF-\x00123"])
def test_a_code_that_cannot_be_a_badge_is_not_hashed(code: str) -> None:
    with pytest.raises(AuthError, match="badge code"):
        hash_badge(code, SALT)


def test_the_badge_code_never_shows_in_the_command_repr() -> None:
    assert ANNA_BADGE not in repr(c.AttendantBadge(ANNA_BADGE))


def test_a_scanned_badge_logs_its_attendant_in() -> None:
    la = lane()
    facts = la.do(c.AttendantBadge(SVEN_BADGE))
    assert la.kinds(facts) == ["attendant_logged_in"]
    assert facts[0].data == {"attendant_id": "9001", "name": "Sven", "role": "supervisor",
                             "method": "badge"}
    assert la.co.attendant is not None and la.co.attendant.name == "Sven"


def test_a_badge_logs_in_on_a_closed_lane_so_it_can_be_opened() -> None:
    la = lane(open_lane=False)
    la.do(c.AttendantBadge(ANNA_BADGE))
    la.do(c.Open("1001"))
    assert la.co.state.value == "idle"


def test_a_badge_while_an_age_check_waits_lets_the_attendant_clear_it() -> None:
    la = lane()
    la.do(c.Scan(BEER))
    la.do(c.AttendantBadge(ANNA_BADGE))
    la.do(c.Approve(la.open_ids()[0]))
    assert la.open_ids() == []


def test_an_unknown_badge_is_refused_without_naming_anyone_and_is_journaled() -> None:
    la = lane()
    with pytest.raises(AttendantAuthError) as err:
        la.do(c.AttendantBadge("STAFF-NOTKNOWN"))
    assert err.value.shopper_text("de") == "Ausweis nicht erkannt."
    assert err.value.shopper_text("en") == "Badge not recognised."
    assert la.kinds(la.facts[-1:]) == ["pin_rejected"]
    assert la.facts[-1].data["attendant_id"] == BADGE_KEY
    assert la.co.session is None
    assert "Anna" not in str(err.value) and "1001" not in str(err.value)


def test_too_many_unknown_badges_lock_badge_login_but_not_the_pin_pad() -> None:
    la = lane(Policy(pin_max_failures=3, pin_lockout_s=300))
    for _ in range(3):
        with pytest.raises(AttendantAuthError):
            la.do(c.AttendantBadge("STAFF-GUESS123"))
    with pytest.raises(AttendantAuthError) as err:
        la.do(c.AttendantBadge(ANNA_BADGE))  # even the right badge waits out the lock
    assert "5 Min." in err.value.shopper_text("de")
    la.do(c.AttendantLogin("1001", ANNA_PIN))
    assert la.co.attendant is not None
    la.tick(301)
    la.do(c.AttendantBadge(SVEN_BADGE))
    assert la.co.session is not None and la.co.session["attendant_id"] == "9001"


def test_a_badge_lockout_survives_a_replay_of_the_journal() -> None:
    la = lane(Policy(pin_max_failures=2))
    for _ in range(2):
        with pytest.raises(AttendantAuthError):
            la.do(c.AttendantBadge("STAFF-GUESS123"))
    replayed = la.fresh()
    for fact in la.facts:
        replayed.apply(fact)
    assert replayed.pins.locked_until == la.co.pins.locked_until
    assert BADGE_KEY in replayed.pins.locked_until


@settings(max_examples=60, deadline=None)
@given(code=st.text(max_size=80))
def test_any_scanned_text_as_a_badge_is_a_login_or_a_typed_refusal(code: str) -> None:
    la = lane(Policy(pin_max_failures=1000))
    try:
        la.do(c.AttendantBadge(code))
    except AttendantAuthError:
        assert la.co.session is None
    else:
        assert code.strip() in (ANNA_BADGE, SVEN_BADGE)


# -- idle sessions ------------------------------------------------------------------------------


def test_an_attendant_who_does_nothing_is_logged_out_after_the_idle_time() -> None:
    la = lane(Policy(attendant_idle_s=120))
    la.do(c.AttendantBadge(ANNA_BADGE))
    la.tick(119)
    assert not la.co.timeout_due(la.now)
    la.tick(1)
    assert la.co.timeout_due(la.now)
    facts = la.do(c.Timeout())
    assert [(f.kind, f.data) for f in facts] == [
        ("attendant_logged_out", {"attendant_id": "1001", "cause": "idle"})]
    assert la.co.session is None
    assert not la.co.timeout_due(la.now)


def test_each_attendant_action_restarts_the_idle_time() -> None:
    la = lane(Policy(attendant_idle_s=120, idle_timeout_s=600))
    la.do(c.Scan(BEER))
    la.do(c.Help())
    la.login()
    la.tick(100)
    age_check = next(i for i in la.co.interventions if i.reason.value == "age_check")
    la.do(c.Approve(age_check.intervention_id))  # help is still open: the session goes on
    la.tick(110)
    assert la.co.session is not None and not la.co.timeout_due(la.now)
    la.tick(10)
    assert la.co.timeout_due(la.now)
    assert la.kinds(la.do(c.Timeout())) == ["attendant_logged_out"]


def test_a_shoppers_scans_do_not_keep_an_attendant_logged_in() -> None:
    la = lane(Policy(attendant_idle_s=120, idle_timeout_s=600))
    la.do(c.Scan(BEER))
    la.login()
    for _ in range(4):
        la.tick(30)
        la.do(c.Scan(MILK))
    assert la.co.timeout_due(la.now)
    la.do(c.Timeout())
    assert la.co.session is None
    assert len(la.co.interventions) == 1  # the age check still waits for someone


def test_an_idle_logout_and_an_idle_empty_basket_end_in_one_timeout() -> None:
    la = lane(Policy(attendant_idle_s=120, idle_timeout_s=120))
    la.do(c.Start())
    la.login()
    la.tick(120)
    facts = la.do(c.Timeout())
    assert la.kinds(facts) == ["attendant_logged_out", "basket_closed"]
    assert facts[0].data["cause"] == "idle"
    assert la.co.state.value == "idle"


def test_no_timeout_is_due_on_a_quiet_lane_without_an_attendant() -> None:
    la = lane()
    la.tick(10_000)
    assert not la.co.timeout_due(la.now)


def test_replay_and_a_snapshot_restore_log_out_at_the_same_moment() -> None:
    la = lane(Policy(attendant_idle_s=120, idle_timeout_s=600))
    la.do(c.Scan(BEER))
    la.do(c.Help())
    la.do(c.AttendantBadge(ANNA_BADGE))
    la.tick(60)
    age_check = next(i for i in la.co.interventions if i.reason.value == "age_check")
    la.do(c.Approve(age_check.intervention_id))
    replayed = la.fresh()
    for fact in la.facts:
        replayed.apply(fact)
    restored = la.restored(la.co.snapshot())
    assert replayed.snapshot() == la.co.snapshot() == restored.snapshot()
    for seconds, due in ((119, False), (1, True)):
        la.tick(seconds)
        assert [co.timeout_due(la.now) for co in (la.co, replayed, restored)] == [due] * 3

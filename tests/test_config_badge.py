"""Config for attendant badges and idle sessions: badge_hash per attendant, the badge prefix and
the idle time in [policy], each mistake named."""

from __future__ import annotations

import pytest

from kiosk.config import config_from_dict, main
from kiosk.domain.attendants import hash_badge, hash_pin, verify_badge
from kiosk.domain.policy import Policy
from kiosk.errors import ConfigError

SALT = bytes(range(16))
PIN_HASH = hash_pin("1234", SALT)
BADGE_HASH = hash_badge("STAFF-7F3K9Q2M", SALT)


def _attendant(**kw: object) -> dict[str, object]:
    return {"id": "1001", "name": "Anna", "role": "attendant", "pin_hash": PIN_HASH, **kw}


def test_an_attendant_may_carry_a_badge_hash() -> None:
    config = config_from_dict({"attendants": [_attendant(badge_hash=BADGE_HASH),
                                              _attendant(id="1002", name="Ben")]})
    anna, ben = config.attendants
    assert anna.badge_hash is not None and verify_badge("STAFF-7F3K9Q2M", anna.badge_hash)
    assert ben.badge_hash is None


@pytest.mark.parametrize("bad", ["STAFF-7F3K9Q2M", 1234, "scrypt$1$1$1$00$00"])
def test_a_malformed_badge_hash_is_named_with_the_fix(bad: object) -> None:
    with pytest.raises(ConfigError, match=r"attendants\[0\]\.badge_hash: expected .*hash-badge"):
        config_from_dict({"attendants": [_attendant(badge_hash=bad)]})


def test_badge_prefix_and_attendant_idle_time_have_defaults_and_come_from_the_file() -> None:
    assert config_from_dict({}).policy.badge_prefix == "STAFF-"
    assert config_from_dict({}).policy.attendant_idle_s == Policy().attendant_idle_s == 120
    policy = config_from_dict({"policy": {"badge_prefix": "MA#", "attendant_idle_s": 45}}).policy
    assert (policy.badge_prefix, policy.attendant_idle_s) == ("MA#", 45)
    assert config_from_dict({"policy": {"badge_prefix": ""}}).policy.badge_prefix == ""


def test_an_idle_time_under_ten_seconds_is_refused() -> None:
    with pytest.raises(ConfigError, match="attendant_idle_s"):
        config_from_dict({"policy": {"attendant_idle_s": 5}})


def test_hash_badge_prints_a_badge_hash_for_the_scanned_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "STAFF-7F3K9Q2M\n")
    assert main(["hash-badge"]) == 0
    printed = capsys.readouterr().out.strip()
    assert verify_badge("STAFF-7F3K9Q2M", printed)

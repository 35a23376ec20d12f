"""Attendants, their PINs, and the lockout after too many wrong PINs.

PIN hashes are scrypt, stored as "scrypt$16384$8$1$<salt hex>$<hash hex>" (n, r, p, then the
salt and the 32-byte key, both lower-case hex). The config file holds them; the kiosk never
stores a PIN.

Lockout (`PinGuard`): `policy.pin_max_failures` wrong PINs for one attendant id within
`policy.pin_failure_window_s` lock that id for `policy.pin_lockout_s`. An id that does not exist
counts like a wrong PIN, and the messages are the same, so the PIN pad never reveals which ids
exist. Every wrong PIN is a fact (`pin_rejected`) whose data holds the id's recent failures and
any lock, so a restart, a snapshot restore or a replay keeps a lockout exactly.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from kiosk.domain.facts import Fact, iso
from kiosk.domain.policy import Policy, Role
from kiosk.errors import AuthError, ShopperFacingError

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SCRYPT_DKLEN = 32
PIN_MIN_DIGITS = 4
PIN_MAX_DIGITS = 8


class AttendantAuthError(AuthError, ShopperFacingError):
    """An attendant action refused: wrong PIN, locked id, not logged in, role may not clear.

    It has texts for the lane screen like every shopper-facing error. `facts` holds what must
    still be journaled and applied although the command was refused: a wrong PIN is refused and
    also recorded (a `pin_rejected` fact), so the lockout survives a restart.
    """

    def __init__(
        self, message: str, texts: Mapping[str, str], *, facts: tuple[Fact, ...] = ()
    ) -> None:
        super().__init__(message, texts)
        self.facts = facts


@dataclass(frozen=True, slots=True)
class Attendant:
    """A person who may clear interventions; `pin_hash` is the scrypt string above."""

    attendant_id: str
    name: str
    role: Role
    pin_hash: str = field(repr=False)
    badge_hash: str | None = field(default=None, repr=False)


def is_valid_pin(pin: str) -> bool:
    """True for 4 to 8 ASCII digits."""
    return pin.isascii() and pin.isdigit() and PIN_MIN_DIGITS <= len(pin) <= PIN_MAX_DIGITS


def hash_pin(pin: str, salt: bytes) -> str:
    """The scrypt hash string of `pin` with `salt` (at least 8 bytes, e.g. os.urandom(16))."""
    if not is_valid_pin(pin):
        raise AuthError(f"a PIN must be {PIN_MIN_DIGITS} to {PIN_MAX_DIGITS} digits; "
                        f"got {len(pin)} characters")
    return _scrypt_hash(pin, salt, "PIN")


def _scrypt_hash(secret: str, salt: bytes, what: str) -> str:
    """"scrypt$N$r$p$<salt hex>$<hash hex>" for a PIN or a badge code (one format for both)."""
    if len(salt) < 8:
        raise AuthError(f"a {what} salt must be at least 8 bytes, got {len(salt)}")
    key = hashlib.scrypt(secret.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                         dklen=SCRYPT_DKLEN)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${key.hex()}"


def _parse_hash(pin_hash: str) -> tuple[int, int, int, bytes, bytes] | None:
    parts = pin_hash.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return None
    try:
        n, r, p = (int(x) for x in parts[1:4])
        salt, key = bytes.fromhex(parts[4]), bytes.fromhex(parts[5])
    except ValueError:
        return None
    # Bounds keep a hand-edited config from asking scrypt for gigabytes or hours.
    sane = (2**10 <= n <= 2**16 and n & (n - 1) == 0 and 1 <= r <= 16 and 1 <= p <= 4
            and len(salt) >= 8 and 16 <= len(key) <= 64)
    return (n, r, p, salt, key) if sane else None


def is_valid_pin_hash(pin_hash: str) -> bool:
    """True when `pin_hash` is a well-formed scrypt string (for config validation)."""
    return _parse_hash(pin_hash) is not None


def verify_pin(pin: str, pin_hash: str) -> bool:
    """True when `pin` matches `pin_hash`; False for a wrong PIN or a malformed hash."""
    return is_valid_pin(pin) and _scrypt_matches(pin, pin_hash)


def _scrypt_matches(secret: str, secret_hash: str) -> bool:
    """True when `secret` hashes to `secret_hash`; False when the hash is malformed."""
    parsed = _parse_hash(secret_hash)
    if parsed is None:
        return False
    n, r, p, salt, key = parsed
    got = hashlib.scrypt(secret.encode(), salt=salt, n=n, r=r, p=p, dklen=len(key),
                         maxmem=256 * n * r * p)
    return hmac.compare_digest(got, key)


BADGE_KEY = "badge"
BADGE_MIN_CHARS = 6
BADGE_MAX_CHARS = 64


def is_valid_badge(code: str) -> bool:
    """True for 6 to 64 printable ASCII characters without spaces (what a badge code holds)."""
    return (code.isascii() and code.isprintable() and " " not in code
            and BADGE_MIN_CHARS <= len(code) <= BADGE_MAX_CHARS)


def hash_badge(code: str, salt: bytes) -> str:
    """The scrypt hash string of the badge code text `code` (prefix included), like hash_pin."""
    if not is_valid_badge(code):
        raise AuthError(f"a badge code must be {BADGE_MIN_CHARS} to {BADGE_MAX_CHARS} printable "
                        f"characters without spaces; got {len(code)} characters")
    return _scrypt_hash(code, salt, "badge")


def verify_badge(code: str, badge_hash: str) -> bool:
    """True when the scanned `code` matches `badge_hash`; False otherwise or when malformed."""
    return is_valid_badge(code) and _scrypt_matches(code, badge_hash)


def authenticate_badge(attendants: Mapping[str, Attendant], code: str) -> Attendant | None:
    """The attendant whose badge is `code`, else None. Every badge hash is checked (no early
    return), so the time taken does not depend on which attendant matched."""
    found: Attendant | None = None
    for attendant in attendants.values():
        if attendant.badge_hash is not None and verify_badge(code, attendant.badge_hash) \
                and found is None:
            found = attendant
    return found


def badge_locked_error(left_s: float) -> AttendantAuthError:
    """Badge login is locked for `left_s` more seconds after too many unknown badges."""
    mins = _minutes(left_s)
    return AttendantAuthError(
        f"badge login is locked for {mins} more minute(s) after too many unknown badges; "
        "log in with number and PIN, or wait",
        _texts(f"Zu viele unbekannte Ausweise: Ausweis-Anmeldung noch {mins} Min. gesperrt. "
               "Bitte mit Nummer und PIN anmelden.",
               f"Too many unknown badges: badge login is locked for {mins} more min. "
               "Please log in with number and PIN."),
    )


def badge_rejection_error(data: Mapping[str, Any], policy: Policy, facts: tuple[Fact, ...]
                          ) -> AttendantAuthError:
    """The error shown for the unknown badge recorded in `data` (a `pin_rejected` fact)."""
    if data["locked_until"] is not None:
        mins = _minutes(policy.pin_lockout_s)
        return AttendantAuthError(
            f"unknown attendant badge; badge login is now locked for {mins} minute(s) after "
            f"{policy.pin_max_failures} unknown badges",
            _texts(f"Ausweis nicht erkannt. Ausweis-Anmeldung {mins} Min. gesperrt.",
                   f"Badge not recognised. Badge login locked for {mins} min."),
            facts=facts)
    return AttendantAuthError(
        "unknown attendant badge (no attendant has this badge_hash); check the config",
        _texts("Ausweis nicht erkannt.", "Badge not recognised."), facts=facts)


def _texts(de: str, en: str) -> dict[str, str]:
    return {"de": de, "en": en}


def _minutes(seconds: float) -> int:
    return max(1, -(-int(seconds) // 60))


@dataclass
class PinGuard:
    """Wrong-PIN bookkeeping per attendant id: recent failure times and locks (ISO UTC)."""

    failures: dict[str, list[str]] = field(default_factory=dict)
    locked_until: dict[str, str] = field(default_factory=dict)

    def check_not_locked(self, attendant_id: str, now: datetime, policy: Policy) -> None:
        """Raise AttendantAuthError while `attendant_id` is locked."""
        until = self.locked_until.get(attendant_id)
        if until is None:
            return
        left_s = (datetime.fromisoformat(until) - now).total_seconds()
        if left_s <= 0:
            return
        mins = _minutes(left_s)
        raise AttendantAuthError(
            f"Attendant {attendant_id} is locked for {mins} more minute(s) after "
            f"{policy.pin_max_failures} wrong PINs; wait, or ask a supervisor",
            _texts(f"Zu viele falsche PINs: {attendant_id} ist noch {mins} Min. gesperrt.",
                   f"Too many wrong PINs: {attendant_id} is locked for {mins} more min."),
        )

    def rejection(self, attendant_id: str, now: datetime, policy: Policy) -> dict[str, Any]:
        """The data of the `pin_rejected` fact for one more wrong PIN at `now`."""
        window_start = now - timedelta(seconds=policy.pin_failure_window_s)
        recent = [t for t in self.failures.get(attendant_id, [])
                  if datetime.fromisoformat(t) > window_start]
        recent.append(iso(now))
        locks = len(recent) >= policy.pin_max_failures
        return {
            "attendant_id": attendant_id,
            "failures": [] if locks else recent,
            "failure_count": len(recent),
            "locked_until": iso(now + timedelta(seconds=policy.pin_lockout_s)) if locks else None,
            "prune_before": iso(window_start),
        }

    @staticmethod
    def rejection_error(data: Mapping[str, Any], policy: Policy, facts: tuple[Fact, ...]
                        ) -> AttendantAuthError:
        """The error shown for the wrong PIN recorded in `data`."""
        who = data["attendant_id"]
        if data["locked_until"] is not None:
            mins = _minutes(policy.pin_lockout_s)
            return AttendantAuthError(
                f"Wrong PIN for attendant {who}; it is now locked for {mins} minute(s) after "
                f"{policy.pin_max_failures} wrong PINs",
                _texts(f"Falsche PIN. {who} ist jetzt {mins} Min. gesperrt.",
                       f"Wrong PIN. {who} is now locked for {mins} min."),
                facts=facts,
            )
        left = policy.pin_max_failures - int(data["failure_count"])
        return AttendantAuthError(
            f"Wrong PIN for attendant {who} ({left} of {policy.pin_max_failures} tries left)",
            _texts(f"Falsche PIN für {who} (noch {left} von {policy.pin_max_failures} Versuchen).",
                   f"Wrong PIN for {who} ({left} of {policy.pin_max_failures} tries left)."),
            facts=facts,
        )

    def record_rejection(self, data: Mapping[str, Any]) -> None:
        """Apply a `pin_rejected` fact: uses only its data."""
        who = str(data["attendant_id"])
        prune_before = datetime.fromisoformat(str(data["prune_before"]))
        # Forget other ids' failures that have left the window, so the table stays small.
        for other in list(self.failures):
            kept = [t for t in self.failures[other] if datetime.fromisoformat(t) > prune_before]
            if kept:
                self.failures[other] = kept
            else:
                del self.failures[other]
        if data["failures"]:
            self.failures[who] = list(data["failures"])
        else:
            self.failures.pop(who, None)
        if data["locked_until"] is not None:
            self.locked_until[who] = str(data["locked_until"])

    def record_success(self, attendant_id: str) -> None:
        """A correct PIN clears that id's failures and any expired lock."""
        self.failures.pop(attendant_id, None)
        self.locked_until.pop(attendant_id, None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "failures": {k: list(v) for k, v in sorted(self.failures.items())},
            "locked_until": dict(sorted(self.locked_until.items())),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PinGuard:
        return cls(
            failures={str(k): [str(t) for t in v] for k, v in d.get("failures", {}).items()},
            locked_until={str(k): str(v) for k, v in d.get("locked_until", {}).items()},
        )


def authenticate(
    attendants: Mapping[str, Attendant], attendant_id: str, pin: str
) -> Attendant | None:
    """The attendant when id and PIN match, else None (unknown id or wrong PIN alike).

    An unknown id still costs one scrypt run with the store's own parameters (another
    attendant's hash; the result is thrown away), so timing does not tell which ids exist.
    """
    found = attendants.get(attendant_id)
    if found is None:
        stand_in = next(iter(attendants.values()), None)
        verify_pin(pin, stand_in.pin_hash if stand_in else _DUMMY_HASH)
        return None
    return found if verify_pin(pin, found.pin_hash) else None


# A valid hash of no real PIN (salt and key are arbitrary), for a lane with no attendants.
_DUMMY_HASH = "scrypt$16384$8$1$" + "00" * 16 + "$" + "00" * 32

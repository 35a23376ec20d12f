"""Attendant logins for the console: attendants, lockout, sessions and the audit trail.

Attendants live in the hub database (table `attendants`, PIN and badge as the scrypt strings of
kiosk.domain.attendants). Wrong logins follow the PinGuard rules and are kept per attendant id
(badges under the one key "badge") in `console_login_failures`, so a restart keeps a lock. An
unknown id counts like a wrong PIN and gets the same answer.

A session is a random 32-byte cookie value stored only as its SHA-256, with the attendant and a
CSRF token; it ends after SESSION_IDLE_S without a request or SESSION_MAX_S after login.

Functions taking a `store` run on the store's worker thread (`await store.call(...)`); scrypt
(about 50 ms on purpose) runs in a thread of its own (`asyncio.to_thread`), never on the loop
and never holding up the store's thread.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from kiosk.domain.attendants import (
    BADGE_KEY,
    Attendant,
    AttendantAuthError,
    PinGuard,
    authenticate,
    authenticate_badge,
    hash_badge,
    hash_pin,
)
from kiosk.domain.policy import Policy, Role
from kiosk.errors import AuthError
from kiosk.hub.errors import BadRequest
from kiosk.hub.reports_common import STORE_TZ
from kiosk.hub.store import HubStore, sha256_hex

SESSION_IDLE_S = 15 * 60
SESSION_MAX_S = 12 * 3600
# last_seen_at is written at most this often, so polling the lanes is not a write per request.
TOUCH_EVERY_S = 30
ATTENDANT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
WRONG_LOGIN = "Wrong ID or PIN."
WRONG_BADGE = "Badge not recognised."


class LoginRefused(Exception):
    """A login refused: `status` 401 (wrong) or 429 (locked), `message` for the page."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class Session:
    """A logged-in attendant's session (`key` is the cookie's SHA-256)."""

    key: str
    attendant_id: str
    name: str
    role: str
    csrf_token: str

    def attendant(self) -> dict[str, str]:
        return {"id": self.attendant_id, "name": self.name, "role": self.role}


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def check_attendant_id(value: object) -> str:
    """`value` if it is 1-32 letters, digits, '.', '_' or '-'; else BadRequest."""
    if not isinstance(value, str) or not ATTENDANT_ID.match(value):
        raise BadRequest(f"attendant id {str(value)[:40]!r} must be 1 to 32 letters, digits, "
                         "'.', '_' or '-', e.g. 1001")
    return value


# --- attendants (command line) -------------------------------------------------------------

def add_attendant(store: HubStore, attendant_id: str, name: str, role: str, pin: str,
                  badge: str | None = None, *, now: datetime | None = None) -> None:
    """Store a new attendant with scrypt hashes of `pin` (and `badge`); BadRequest when the id
    is taken, the role unknown or the PIN/badge malformed (nothing is stored then)."""
    check_attendant_id(attendant_id)
    if role not in (Role.ATTENDANT.value, Role.SUPERVISOR.value):
        raise BadRequest(f"role {role!r} must be attendant or supervisor")
    if not name.strip():
        raise BadRequest("name must not be empty; give the name the console shows")
    try:
        pin_hash = hash_pin(pin, os.urandom(16))
        badge_hash = hash_badge(badge, os.urandom(16)) if badge else None
    except AuthError as e:  # a malformed PIN or badge
        raise BadRequest(str(e)) from None
    with store.transaction() as tx:
        taken = tx.execute("SELECT 1 FROM attendants WHERE attendant_id = ?",
                           (attendant_id,)).fetchone()
        if taken is not None:
            raise BadRequest(f"attendant {attendant_id} already exists; choose another id")
        tx.execute("INSERT INTO attendants (attendant_id, name, role, pin_hash, badge_hash, "
                   "active, created_at) VALUES (?, ?, ?, ?, ?, 1, ?)",
                   (attendant_id, name.strip(), role, pin_hash, badge_hash, _iso(_now(now))))


def list_attendants(store: HubStore) -> list[dict[str, Any]]:
    """Every attendant: id, name, role, active, has_badge (never a hash), by id."""
    return [{"id": r[0], "name": r[1], "role": r[2], "active": bool(r[3]),
             "has_badge": r[4] is not None}
            for r in store.query("SELECT attendant_id, name, role, active, badge_hash "
                                 "FROM attendants ORDER BY attendant_id")]


def disable_attendant(store: HubStore, attendant_id: str) -> bool:
    """Disable the attendant and end their sessions; False when there is no such id."""
    with store.transaction() as tx:
        found = tx.execute("SELECT 1 FROM attendants WHERE attendant_id = ?",
                           (attendant_id,)).fetchone()
        if found is None:
            return False
        tx.execute("UPDATE attendants SET active = 0 WHERE attendant_id = ?", (attendant_id,))
        tx.execute("DELETE FROM console_sessions WHERE attendant_id = ?", (attendant_id,))
    return True


def _attendant(row: tuple[Any, ...]) -> Attendant:
    return Attendant(str(row[0]), str(row[1]), Role(str(row[2])), str(row[3]),
                     None if row[4] is None else str(row[4]))


def active_attendant(store: HubStore, attendant_id: str) -> Attendant | None:
    rows = store.query("SELECT attendant_id, name, role, pin_hash, badge_hash FROM attendants "
                       "WHERE attendant_id = ? AND active = 1", (attendant_id,))
    return _attendant(rows[0]) if rows else None


def badge_holders(store: HubStore) -> dict[str, Attendant]:
    rows = store.query("SELECT attendant_id, name, role, pin_hash, badge_hash FROM attendants "
                       "WHERE active = 1 AND badge_hash IS NOT NULL ORDER BY attendant_id")
    return {str(r[0]): _attendant(r) for r in rows}


# --- lockout -------------------------------------------------------------------------------

def _guard(store: HubStore, key: str) -> PinGuard:
    rows = store.query("SELECT failures, locked_until FROM console_login_failures "
                       "WHERE guard_key = ?", (key,))
    if not rows:
        return PinGuard()
    failures, until = rows[0]
    return PinGuard(failures={key: list(json.loads(failures))} if failures != "[]" else {},
                    locked_until={key: str(until)} if until else {})


def locked_until(store: HubStore, key: str, policy: Policy, now: datetime) -> str | None:
    """The ISO time `key` stays locked until, or None when it is not locked at `now`."""
    guard = _guard(store, key)
    try:
        guard.check_not_locked(key, now, policy)
    except AttendantAuthError:
        return guard.locked_until[key]
    return None


def record_failure(store: HubStore, key: str, policy: Policy, now: datetime) -> str | None:
    """Count one wrong login for `key` at `now`; the ISO lock end when this one locks it."""
    guard = _guard(store, key)
    data = guard.rejection(key, now, policy)
    at = _iso(now)
    with store.transaction() as tx:
        tx.execute("DELETE FROM console_login_failures WHERE guard_key = ?", (key,))
        tx.execute("INSERT INTO console_login_failures (guard_key, failures, locked_until, "
                   "last_at) VALUES (?, ?, ?, ?)",
                   (key, json.dumps(data["failures"]), data["locked_until"], at))
        # Forget other ids whose failures left the window and whose lock ended: the table
        # holds at most the ids tried recently.
        tx.execute("DELETE FROM console_login_failures WHERE last_at < ? AND "
                   "(locked_until IS NULL OR locked_until < ?)",
                   (str(data["prune_before"]), at))
    return None if data["locked_until"] is None else str(data["locked_until"])


def record_success(store: HubStore, key: str) -> None:
    with store.transaction() as tx:
        tx.execute("DELETE FROM console_login_failures WHERE guard_key = ?", (key,))


def locked_message(who: str, until_iso: str) -> str:
    local = datetime.fromisoformat(until_iso).astimezone(STORE_TZ)
    return f"{who} is locked until {local:%H:%M} after too many wrong tries; wait, or ask a " \
           "supervisor."


# --- sessions ------------------------------------------------------------------------------

def create_session(store: HubStore, attendant_id: str, now: datetime) -> tuple[str, str]:
    """A new session for the attendant: (cookie value, csrf token). Expired sessions go."""
    cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    at = _iso(now)
    with store.transaction() as tx:
        tx.execute("INSERT INTO console_sessions (session_sha256, attendant_id, csrf_token, "
                   "created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)",
                   (sha256_hex(cookie), attendant_id, csrf, at, at))
        tx.execute("DELETE FROM console_sessions WHERE created_at < ? OR last_seen_at < ?",
                   (_iso(now - timedelta(seconds=SESSION_MAX_S)),
                    _iso(now - timedelta(seconds=SESSION_IDLE_S))))
    return cookie, csrf


def session_for(store: HubStore, cookie: str, now: datetime, *, touch: bool = True
                ) -> Session | None:
    """The live session of `cookie`, or None: unknown, idle, too old, or the attendant was
    disabled. `touch`: this request counts as activity (an open events websocket does not)."""
    key = sha256_hex(cookie)
    rows = store.query(
        "SELECT s.attendant_id, a.name, a.role, a.active, s.csrf_token, s.created_at, "
        "s.last_seen_at FROM console_sessions s JOIN attendants a "
        "ON a.attendant_id = s.attendant_id WHERE s.session_sha256 = ?", (key,))
    if not rows:
        return None
    attendant_id, name, role, active, csrf, created, seen = rows[0]
    created_at, seen_at = datetime.fromisoformat(created), datetime.fromisoformat(seen)
    if (not active or now - created_at > timedelta(seconds=SESSION_MAX_S)
            or now - seen_at > timedelta(seconds=SESSION_IDLE_S)):
        delete_session(store, cookie)
        return None
    if touch and now - seen_at > timedelta(seconds=TOUCH_EVERY_S):
        with store.transaction() as tx:
            tx.execute("UPDATE console_sessions SET last_seen_at = ? WHERE session_sha256 = ?",
                       (_iso(now), key))
    return Session(key, str(attendant_id), str(name), str(role), str(csrf))


def delete_session(store: HubStore, cookie: str) -> None:
    with store.transaction() as tx:
        tx.execute("DELETE FROM console_sessions WHERE session_sha256 = ?", (sha256_hex(cookie),))


# --- audit ---------------------------------------------------------------------------------

def audit(store: HubStore, *, action: str, result: str, attendant_id: str | None = None,
          lane_id: str | None = None, target: str | None = None, command_id: str | None = None,
          reason: str = "", remote_addr: str | None = None, now: datetime | None = None) -> None:
    """Append one line to the console's audit trail."""
    with store.transaction() as tx:
        tx.execute("INSERT INTO console_audit (at, attendant_id, lane_id, action, target, "
                   "command_id, result, reason, remote_addr) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (_iso(_now(now)), attendant_id, lane_id, action, target, command_id, result,
                    reason[:300], remote_addr))


AUDIT_FIELDS = ("at", "attendant_id", "lane_id", "action", "target", "command_id", "result",
                "reason", "remote_addr")


def audit_rows(store: HubStore, limit: int) -> list[dict[str, Any]]:
    """The newest `limit` audit lines, newest first."""
    rows = store.query(f"SELECT {', '.join(AUDIT_FIELDS)} FROM console_audit "
                       "ORDER BY at DESC LIMIT ?", (limit,))
    return [dict(zip(AUDIT_FIELDS, r, strict=True)) for r in rows]


# --- login ---------------------------------------------------------------------------------

async def login(store: HubStore, policy: Policy, body: dict[str, Any],
                remote_addr: str | None) -> tuple[Session, str]:
    """Log in with {"attendant_id", "pin"} or {"badge"}: (session, cookie value).

    LoginRefused 401 for a wrong id, PIN or badge; 429 while locked. Every outcome is audited.
    """
    badge = body.get("badge")
    if isinstance(badge, str) and "pin" not in body:
        key, who = BADGE_KEY, "Badge login"
    else:
        key = check_attendant_id(body.get("attendant_id"))
        who = f"Attendant {key}"
    now = datetime.now(UTC)

    async def note(result: str, reason: str = "", attendant_id: str | None = None) -> None:
        await store.call(audit, store, action="login", result=result, reason=reason,
                         attendant_id=attendant_id or (None if key == BADGE_KEY else key),
                         remote_addr=remote_addr, now=now)

    until = await store.call(locked_until, store, key, policy, now)
    if until is not None:
        await note("locked")
        raise LoginRefused(429, locked_message(who, until))
    found = await _check_secret(store, key, body)
    if found is None:
        until = await store.call(record_failure, store, key, policy, now)
        await note("locked" if until else "failed")
        if until is not None:
            raise LoginRefused(429, locked_message(who, until))
        raise LoginRefused(401, WRONG_BADGE if key == BADGE_KEY else WRONG_LOGIN)
    await store.call(record_success, store, key)
    cookie, _ = await store.call(create_session, store, found.attendant_id, now)
    session = await store.call(session_for, store, cookie, now)
    if session is None:  # disabled in the same instant
        raise LoginRefused(401, WRONG_LOGIN)
    await note("ok", attendant_id=found.attendant_id)
    return session, cookie


async def _check_secret(store: HubStore, key: str, body: dict[str, Any]) -> Attendant | None:
    if key == BADGE_KEY:
        holders = await store.call(badge_holders, store)
        return await asyncio.to_thread(authenticate_badge, holders, str(body["badge"]))
    pin = body.get("pin")
    if not isinstance(pin, str):
        raise BadRequest('pin must be the attendant\'s PIN as text, e.g. {"attendant_id": '
                         '"1001", "pin": "1234"}')
    found = await store.call(active_attendant, store, key)
    # An unknown id still costs one scrypt run (authenticate's stand-in), like a known one.
    return await asyncio.to_thread(authenticate, {key: found} if found else {}, key, pin)


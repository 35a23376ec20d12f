"""Manager tokens: the bearer tokens that open the store manager's reports.

Staff, not lanes and not the public, read reports; a lane's device token never does. A token is
made on the hub's own command line (`kiosk hub manager-token`), printed once and stored only as
its SHA-256 (table `manager_tokens`), like device tokens. The attendant console with personal
logins comes with a later issue; this stays separate and small.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime

from kiosk.hub.store import HubStore, now_utc, sha256_hex


def create_manager_token(store: HubStore, *, now: datetime | None = None) -> str:
    """A new random manager token (43 URL-safe characters); only its SHA-256 is kept."""
    token = secrets.token_urlsafe(32)
    at = (now or now_utc()).isoformat(timespec="seconds")
    with store.transaction() as tx:
        tx.execute("INSERT INTO manager_tokens (token_sha256, created_at) VALUES (?, ?)",
                   (sha256_hex(token), at))
    return token


def is_manager_token(store: HubStore, token: str) -> bool:
    """True when `token` is a manager token; every stored hash is compared in constant time."""
    wanted = sha256_hex(token)
    found = False
    for (stored,) in store.query("SELECT token_sha256 FROM manager_tokens"):
        found |= hmac.compare_digest(str(stored), wanted)
    return found

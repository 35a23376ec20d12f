"""The hub's database: schema migrations, device enrolment and tokens, sales export.

SQLite by default (kiosk.hub.db_sqlite), PostgreSQL for a chain (kiosk.hub.db_postgres), behind
one interface; this module is backend neutral. An answer "accepted" is only sent after the
sale's COMMIT is durable, so a lane may prune it. Secrets are never stored: enrolment codes and
device tokens are kept as their SHA-256 and compared with `hmac.compare_digest`.

Sales ingest is in `kiosk.hub.ingest`, the catalog in `kiosk.hub.catalog`; both work inside
`HubStore.transaction()`.
"""

from __future__ import annotations

import asyncio
import csv
import functools
import hashlib
import hmac
import io
import random
import re
import secrets
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from kiosk.hub.db import Database, Tx, WriteConflict
from kiosk.hub.db_postgres import PostgresDatabase, is_url
from kiosk.hub.db_sqlite import SqliteDatabase
from kiosk.hub.errors import BadRequest, EnrolRefused, HubError

# A write that loses a race (PostgreSQL serialization failure) is run again this many times in
# all before the request gets 503, which the uploader retries later.
WRITE_TRIES = 5
RETRY_PAUSE_S = 0.02
DEVICE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# Enrolment codes are typed by a technician: 20 characters of Crockford-like base32 (100 bits)
# in groups of four; dashes, spaces and case do not count.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ0123456789"
_CODE_GROUPS = 5

# Frozen SQL, append only: a shipped migration is never edited (as in kiosk/journal/db.py).
# Migrations 1 and 2 are SQLite's own; their PostgreSQL equivalents are frozen in
# kiosk/hub/db_postgres.py. From 3 on, each is portable DDL (TEXT, BIGINT, DOUBLE PRECISION,
# no AUTOINCREMENT, no triggers, statements ending in ';') and written here once for both.
_BASE = """
CREATE TABLE store_info (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    store_id TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE enrol_codes (
    code_sha256 TEXT PRIMARY KEY,
    device_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at TEXT
);
CREATE TABLE devices (
    device_id TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL UNIQUE,
    enrolled_at TEXT NOT NULL
);
CREATE TABLE sales (
    lane_id TEXT NOT NULL,
    sale_id TEXT NOT NULL,
    seq INTEGER NOT NULL CHECK (seq >= 1),
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    finished_at TEXT,
    total_cents INTEGER,
    received_at TEXT NOT NULL,
    PRIMARY KEY (lane_id, sale_id),
    UNIQUE (lane_id, seq)
);
CREATE INDEX sales_by_finished ON sales (finished_at);
CREATE TRIGGER sales_no_update BEFORE UPDATE ON sales
BEGIN SELECT RAISE(ABORT, 'sales are append-only'); END;
CREATE TRIGGER sales_no_delete BEFORE DELETE ON sales
BEGIN SELECT RAISE(ABORT, 'sales are append-only'); END;
"""

# The published catalog: each product's JSON record with the version that last changed it,
# and a tombstone per removed sku, so a lane at version V gets exactly what changed after V.
_CATALOG = """
CREATE TABLE catalog_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL,
    promotions TEXT,
    promotions_version INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT,
    source TEXT
);
INSERT INTO catalog_state (id, version) VALUES (1, 0);
CREATE TABLE catalog_products (
    sku TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    version INTEGER NOT NULL
);
CREATE INDEX catalog_products_by_version ON catalog_products (version);
CREATE TABLE catalog_removed (
    sku TEXT PRIMARY KEY,
    version INTEGER NOT NULL
);
"""

# Manager tokens (kiosk.hub.managers) open the reports; only their SHA-256 is stored.
_MANAGERS = """
CREATE TABLE manager_tokens (
    token_sha256 TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
);
"""

# Learned bagging weights: each lane's running Welford totals per product, keyed by the device
# of the token that sent them (a lane's resend replaces its own row, so nothing counts twice).
# sales_by_sale_id: the e-receipt page finds a sale by its id alone.
_WEIGHTS = """
CREATE TABLE lane_weights (
    device_id TEXT NOT NULL,
    sku TEXT NOT NULL,
    sample_count BIGINT NOT NULL CHECK (sample_count >= 1),
    mean_g DOUBLE PRECISION NOT NULL,
    m2 DOUBLE PRECISION NOT NULL CHECK (m2 >= 0),
    received_at TEXT NOT NULL,
    PRIMARY KEY (device_id, sku)
);
CREATE INDEX lane_weights_by_sku ON lane_weights (sku);
CREATE INDEX sales_by_sale_id ON sales (sale_id);
"""

# The attendant console (kiosk.hub.console_auth): attendants with scrypt PIN/badge hashes,
# wrong-login counts and locks per attendant id (so a restart keeps a lockout), sessions stored
# as the SHA-256 of their cookie, and the audit trail of every login and command.
_CONSOLE = """
CREATE TABLE attendants (
    attendant_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('attendant', 'supervisor')),
    pin_hash TEXT NOT NULL,
    badge_hash TEXT,
    active BIGINT NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL
);
CREATE TABLE console_login_failures (
    guard_key TEXT PRIMARY KEY,
    failures TEXT NOT NULL,
    locked_until TEXT,
    last_at TEXT NOT NULL
);
CREATE TABLE console_sessions (
    session_sha256 TEXT PRIMARY KEY,
    attendant_id TEXT NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE TABLE console_audit (
    at TEXT NOT NULL,
    attendant_id TEXT,
    lane_id TEXT,
    action TEXT NOT NULL,
    target TEXT,
    command_id TEXT,
    result TEXT NOT NULL,
    reason TEXT,
    remote_addr TEXT
);
CREATE INDEX console_audit_by_at ON console_audit (at);
"""

# Each lane's count of held sales and its highest seq, kept by ingest in the batch's own
# transaction: a lane holds no gap exactly when sales == max_seq (seq is unique and >= 1), so
# the gap report is one primary-key read instead of a count over the lane's sales. Back-filled
# here from the sales already held.
_PROGRESS = """
CREATE TABLE lane_progress (
    lane_id TEXT PRIMARY KEY,
    sales BIGINT NOT NULL CHECK (sales >= 0),
    max_seq BIGINT NOT NULL CHECK (max_seq >= 0)
);
INSERT INTO lane_progress (lane_id, sales, max_seq)
SELECT lane_id, COUNT(*), MAX(seq) FROM sales GROUP BY lane_id;
"""

MIGRATIONS: tuple[str, ...] = (_BASE, _CATALOG, _MANAGERS, _WEIGHTS, _CONSOLE, _PROGRESS)


def now_utc() -> datetime:
    return datetime.now(UTC)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds")


def sha256_hex(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def normalise_code(code: str) -> str:
    """An enrolment code as compared: upper case, without dashes and spaces."""
    return "".join(c for c in code.upper() if c not in "- \t")


def check_device_id(device_id: object) -> str:
    """`device_id` if it is 1-64 letters, digits, '.', '_' or '-'; else BadRequest."""
    if not isinstance(device_id, str) or not DEVICE_ID.match(device_id):
        raise BadRequest(f"device_id {str(device_id)[:70]!r} must be 1 to 64 letters, digits, "
                         "'.', '_' or '-', starting with a letter or digit")
    return device_id


P = ParamSpec("P")
R = TypeVar("R")


class HubStore:
    """The hub's database, SQLite or PostgreSQL: one connection, one thread at a time.

    Request handlers never touch it on the event loop: `await store.call(fn, ...)` runs the
    work on the store's own single worker thread, so a slow disk or a remote database never
    stalls other requests. Command-line actions and tests call methods directly (`run` when the
    work writes and should survive a lost race). SQL is portable: `?` placeholders, ISO-8601
    UTC text for times.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self.path = db.where  # for messages: a PostgreSQL URL has its password masked
        self._worker: ThreadPoolExecutor | None = None

    @classmethod
    def open(cls, where: str | Path, *, store_id: str = "store-1") -> HubStore:
        """Open (creating if needed) the hub database and migrate it.

        `where` is a SQLite file path or a postgresql:// (postgres://) URL. `store_id` is
        written only when the database is created. Raises HubError when it cannot be reached
        or is not the hub's database.
        """
        db: Database = (PostgresDatabase.open(str(where)) if is_url(where)
                        else SqliteDatabase.open(where))
        store = cls(db)
        try:
            with db.migration_lock():
                store._migrate(store_id)
        except HubError:
            db.close()
            raise
        except Exception as e:
            db.close()
            raise HubError(f"hub database {db.where!r} cannot be used: {e}; if it is not the "
                           "hub's database, move it away or give another --db") from e
        return store

    def run(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """`fn(*args, **kwargs)`, run again (up to WRITE_TRIES times in all) while it loses a
        write race (WriteConflict); then HubError. Safe because a lost race keeps nothing."""
        for attempt in range(1, WRITE_TRIES + 1):
            try:
                return fn(*args, **kwargs)
            except WriteConflict as e:
                if attempt == WRITE_TRIES:
                    raise HubError(f"{e} (tried {WRITE_TRIES} times)") from e
                # Spread the retries so two contenders do not collide again in step.
                time.sleep(random.uniform(0, RETRY_PAUSE_S * attempt))
        raise AssertionError("unreachable")

    async def call(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """`fn(*args, **kwargs)` run on the store's worker thread (via `run`, so a lost write
        race is tried again); its result or exception."""
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hub-db")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._worker, functools.partial(self.run, fn, *args, **kwargs))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of a read-only `sql` with `?` placeholders; failures become HubError."""
        return self.db.query(sql, params)

    def transaction(self) -> AbstractContextManager[Tx]:
        """A write transaction: COMMIT at the end of the block, ROLLBACK when it raises.

        `tx.execute(sql, params)` takes `?` placeholders and returns a cursor. Database
        failures become HubError (WriteConflict for a lost race); nothing half-done is kept.
        """
        return self.db.transaction()

    def close(self) -> None:
        if self._worker is not None:
            self._worker.shutdown(wait=True)
            self._worker = None
        self.db.close()

    def __enter__(self) -> HubStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self, store_id: str) -> None:
        # INTEGER is fine here on both backends: a schema version never passes 2**31.
        with self.transaction() as tx:
            tx.execute("CREATE TABLE IF NOT EXISTS schema_version "
                       "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
        current = self._schema_version()
        if current > len(MIGRATIONS):
            raise HubError(f"hub database {self.path!r} has schema version {current}, newer "
                           f"than this software ({len(MIGRATIONS)}); install the newer hub")
        for version in range(current + 1, len(MIGRATIONS) + 1):
            with self.transaction() as tx:
                # Another hub process may have applied it meanwhile (SQLite has no lock before).
                done = tx.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")
                if int(done.fetchone()[0]) >= version:
                    continue
                for statement in self.db.migration(version, MIGRATIONS[version - 1]):
                    tx.execute(statement)
                if version == 1:
                    tx.execute("INSERT INTO store_info (id, store_id, created_at) "
                               "VALUES (1, ?, ?)", (store_id, _iso(now_utc())))
                tx.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                           (version, _iso(now_utc())))

    def _schema_version(self) -> int:
        return int(self.query("SELECT COALESCE(MAX(version), 0) FROM schema_version")[0][0])

    @property
    def store_id(self) -> str:
        return str(self.query("SELECT store_id FROM store_info")[0][0])

    # --- enrolment ------------------------------------------------------------------------

    def create_enrol_code(self, device_id: str, *, valid_h: float = 24.0,
                          now: datetime | None = None) -> str:
        """A new one-time code for `device_id`, valid for `valid_h` hours from `now`.

        Only its SHA-256 is stored; the code itself is returned once, to be printed.
        """
        check_device_id(device_id)
        if not 0 < valid_h <= 24 * 30:
            raise BadRequest(f"valid_h {valid_h!r} must be more than 0 and at most 720 hours")
        at = now or now_utc()
        raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(4 * _CODE_GROUPS))
        with self.transaction() as tx:
            tx.execute(
                "INSERT INTO enrol_codes (code_sha256, device_id, created_at, expires_at) "
                "VALUES (?, ?, ?, ?)",
                (sha256_hex(raw), device_id, _iso(at), _iso(at + timedelta(hours=valid_h))),
            )
        return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))

    def enrol(self, code: str, device_id: str, *, now: datetime | None = None) -> str:
        """Use a one-time `code` for `device_id`; returns the device's new bearer token.

        The token replaces any earlier one of the device. Raises EnrolRefused saying why when
        the code is unknown, used, expired or made for another device (nothing changes then).
        """
        check_device_id(device_id)
        at = now or now_utc()
        with self.transaction() as tx:
            row = tx.execute(
                "SELECT device_id, expires_at, used_at FROM enrol_codes WHERE code_sha256 = ?",
                (sha256_hex(normalise_code(code)),),
            ).fetchone()
            if row is None:
                raise EnrolRefused("the enrolment code is unknown; make a new one with "
                                   "`kiosk hub enrol-code --device ID`")
            owner, expires_at, used_at = row
            if used_at is not None:
                raise EnrolRefused("the enrolment code was already used; make a new one")
            if _iso(at) >= expires_at:
                raise EnrolRefused(f"the enrolment code expired at {expires_at}; make a new one")
            if owner != device_id:
                raise EnrolRefused(f"the enrolment code was made for another device, not "
                                   f"{device_id!r}; use the code made for this device")
            token = secrets.token_urlsafe(32)
            tx.execute("UPDATE enrol_codes SET used_at = ? WHERE code_sha256 = ?",
                         (_iso(at), sha256_hex(normalise_code(code))))
            tx.execute(
                "INSERT INTO devices (device_id, token_sha256, enrolled_at) VALUES (?, ?, ?) "
                "ON CONFLICT (device_id) DO UPDATE SET token_sha256 = excluded.token_sha256, "
                "enrolled_at = excluded.enrolled_at",
                (device_id, sha256_hex(token), _iso(at)),
            )
        return token

    def device_for_token(self, token: str) -> str | None:
        """The device whose bearer token this is, or None.

        Every stored token hash is compared in constant time, so the answer's timing does not
        tell how much of a guess was right.
        """
        wanted = sha256_hex(token)
        found: str | None = None
        for device_id, stored in self.query("SELECT device_id, token_sha256 FROM devices"):
            if hmac.compare_digest(str(stored), wanted):
                found = str(device_id)
        return found

    # --- export ---------------------------------------------------------------------------

    def export_csv(self, first_day: date, last_day: date) -> str:
        """Sales finished from `first_day` to `last_day` (inclusive, UTC dates) as CSV text.

        Columns: lane_id, seq, sale_id, finished_at, total_cents, hash, received_at; ordered
        by lane and seq. Amounts are int cents.
        """
        rows = self.query(
            "SELECT lane_id, seq, sale_id, finished_at, total_cents, hash, received_at "
            "FROM sales WHERE substr(finished_at, 1, 10) BETWEEN ? AND ? "
            "ORDER BY lane_id, seq",
            (first_day.isoformat(), last_day.isoformat()),
        )
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("lane_id", "seq", "sale_id", "finished_at", "total_cents", "hash",
                         "received_at"))
        writer.writerows(rows)
        return out.getvalue()

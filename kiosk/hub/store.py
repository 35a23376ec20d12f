"""The hub's SQLite file: schema migrations, device enrolment and tokens, sales export.

WAL with `synchronous=FULL`: an answer "accepted" is only sent after the sale's COMMIT is on
disk, so a lane may prune it. Secrets are never stored: enrolment codes and device tokens are
kept as their SHA-256 and compared with `hmac.compare_digest`.

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
import re
import secrets
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from kiosk.hub.errors import BadRequest, EnrolRefused, HubError

BUSY_TIMEOUT_S = 5.0
DEVICE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# Enrolment codes are typed by a technician: 20 characters of Crockford-like base32 (100 bits)
# in groups of four; dashes, spaces and case do not count.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ0123456789"
_CODE_GROUPS = 5

# Frozen SQL, append only: a shipped migration is never edited (as in kiosk/journal/db.py).
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

MIGRATIONS: tuple[str, ...] = (_BASE, _CATALOG, _MANAGERS)


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
    """The hub's database: one connection, used from one thread at a time.

    Request handlers never touch it on the event loop: `await store.call(fn, ...)` runs the
    work on the store's own single worker thread, so a slow disk (or, later, a remote
    database) never stalls other requests. Command-line actions and tests call methods
    directly. SQL is written portably: `?` placeholders, ISO-8601 UTC text for times.
    """

    def __init__(self, conn: sqlite3.Connection, path: str) -> None:
        self.conn = conn
        self.path = path
        self._worker: ThreadPoolExecutor | None = None

    async def call(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """`fn(*args, **kwargs)` run on the store's worker thread; its result or exception."""
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hub-db")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._worker, functools.partial(fn, *args, **kwargs))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of a read-only `sql` with `?` placeholders; failures become HubError."""
        try:
            return [tuple(r) for r in self.conn.execute(sql, tuple(params)).fetchall()]
        except sqlite3.Error as e:
            raise HubError(f"hub database {self.path!r}: read failed ({e})") from e

    @classmethod
    def open(cls, path: str | Path, *, store_id: str = "store-1") -> HubStore:
        """Open (creating if needed) the hub database at `path` and migrate it.

        `store_id` is written only when the file is created. Raises HubError when the folder is
        missing or the file is not the hub's database.
        """
        where = str(path)
        if where != ":memory:" and not Path(path).parent.is_dir():
            raise HubError(f"hub database folder {str(Path(path).parent)!r} does not exist; "
                           "create it or give another --db path")
        try:
            conn = sqlite3.connect(where, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                   check_same_thread=False)
        except sqlite3.Error as e:
            raise HubError(f"cannot open hub database {where!r}: {e}; check the path") from e
        store = cls(conn, where)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            store._migrate(store_id)
        except (sqlite3.Error, HubError) as e:
            conn.close()
            if isinstance(e, HubError):
                raise
            raise HubError(f"hub database {where!r} cannot be used: {e}; if it is not the "
                           "hub's database, move it away or give another --db path") from e
        return store

    def close(self) -> None:
        if self._worker is not None:
            self._worker.shutdown(wait=True)
            self._worker = None
        self.conn.close()

    def __enter__(self) -> HubStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK when the block raises; SQLite failures
        become HubError."""
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as e:
            raise HubError(f"hub database {self.path!r}: cannot start a write ({e})") from e
        try:
            yield conn
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise HubError(f"hub database {self.path!r}: write failed ({exc}); nothing of "
                               "it was kept; check free disk space") from exc
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as e:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise HubError(f"hub database {self.path!r}: commit failed ({e}); nothing of it "
                           "was kept; check free disk space") from e

    def _migrate(self, store_id: str) -> None:
        self.conn.execute("CREATE TABLE IF NOT EXISTS schema_version "
                          "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
        current = int(self.conn.execute(
            "SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0])
        if current > len(MIGRATIONS):
            raise HubError(f"hub database {self.path!r} has schema version {current}, newer "
                           f"than this software ({len(MIGRATIONS)}); install the newer hub")
        for version in range(current + 1, len(MIGRATIONS) + 1):
            with self.transaction() as conn:
                for statement in _statements(MIGRATIONS[version - 1]):
                    conn.execute(statement)
                if version == 1:
                    conn.execute("INSERT INTO store_info (id, store_id, created_at) "
                                 "VALUES (1, ?, ?)", (store_id, _iso(now_utc())))
                conn.execute("INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
                             (version, _iso(now_utc())))

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
        with self.transaction() as conn:
            conn.execute(
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
        with self.transaction() as conn:
            row = conn.execute(
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
            conn.execute("UPDATE enrol_codes SET used_at = ? WHERE code_sha256 = ?",
                         (_iso(at), sha256_hex(normalise_code(code))))
            conn.execute(
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


def _statements(script: str) -> Iterator[str]:
    buffer = ""
    for line in script.strip().splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""

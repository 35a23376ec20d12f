"""The hub's PostgreSQL backend (psycopg 3), for a chain whose hubs share one database.

Every write runs at SERIALIZABLE, so two lanes' (or two hubs') concurrent batches can never
break a chain or hand out one catalog version twice: PostgreSQL aborts one of them with a
serialization failure, which becomes WriteConflict (HubStore runs that work again). COMMIT is
durable: `synchronous_commit` is set on for our sessions whatever the server's default.

The password never appears in a message: `where` is the URL with it masked. It may also come
from PGPASSWORD or ~/.pgpass, which libpq reads, so it need not be on a command line.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import errors as pg_errors

from kiosk.hub.db import WriteConflict, statements
from kiosk.hub.errors import HubError

CONNECT_TIMEOUT_S = 10
URL_SCHEMES = ("postgresql://", "postgres://")
# One number for pg_advisory_lock while migrating: the first 8 bytes of a fixed name's hash.
_MIGRATION_LOCK = int.from_bytes(hashlib.sha256(b"kiosk.hub migrations").digest()[:8], "big",
                                 signed=True)

# PostgreSQL equivalents of the two frozen SQLite migrations (kiosk.hub.store _BASE, _CATALOG):
# BIGINT for seq, cents and versions; the append-only rule on sales as a trigger function.
# Frozen too: never edited once shipped. Migrations 3 and later are portable and shared.
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
    seq BIGINT NOT NULL CHECK (seq >= 1),
    payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    finished_at TEXT,
    total_cents BIGINT,
    received_at TEXT NOT NULL,
    PRIMARY KEY (lane_id, sale_id),
    UNIQUE (lane_id, seq)
);
CREATE INDEX sales_by_finished ON sales (finished_at);
"""
_APPEND_ONLY = (
    "CREATE FUNCTION sales_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'sales are append-only'; END $$;",
    "CREATE TRIGGER sales_no_update BEFORE UPDATE ON sales "
    "FOR EACH ROW EXECUTE FUNCTION sales_append_only();",
    "CREATE TRIGGER sales_no_delete BEFORE DELETE ON sales "
    "FOR EACH ROW EXECUTE FUNCTION sales_append_only();",
    # SQLite has no TRUNCATE; here it would bypass the row triggers.
    "CREATE TRIGGER sales_no_truncate BEFORE TRUNCATE ON sales "
    "FOR EACH STATEMENT EXECUTE FUNCTION sales_append_only();",
)
_CATALOG = """
CREATE TABLE catalog_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL,
    promotions TEXT,
    promotions_version BIGINT NOT NULL DEFAULT 0,
    updated_at TEXT,
    source TEXT
);
INSERT INTO catalog_state (id, version) VALUES (1, 0);
CREATE TABLE catalog_products (
    sku TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX catalog_products_by_version ON catalog_products (version);
CREATE TABLE catalog_removed (
    sku TEXT PRIMARY KEY,
    version BIGINT NOT NULL
);
"""
FROZEN: dict[int, tuple[str, ...]] = {
    1: (*statements(_BASE), *_APPEND_ONLY),
    2: tuple(statements(_CATALOG)),
}


def is_url(where: object) -> bool:
    """True when `where` is a postgresql:// (or postgres://) URL rather than a file path."""
    return isinstance(where, str) and where.startswith(URL_SCHEMES)


def mask_url(url: str) -> str:
    """`url` with its password (if any) replaced by ***, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user, _, host = parts.netloc.rpartition("@")
    name = user.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{name}:***@{host}"))


def to_pyformat(sql: str) -> str:
    """Portable SQL (`?` placeholders) as psycopg takes it: `?` -> `%s`, `%` -> `%%`.

    A `?` inside a '...' literal, a "..." identifier or a -- comment is text and stays; a `%`
    is doubled everywhere, since psycopg reads placeholders before the server sees any quoting.
    """
    out: list[str] = []
    quote = ""
    for i, ch in enumerate(sql):
        if ch == "%":
            out.append("%%")
            continue
        elif quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "?":
            out.append("%s")
            continue
        elif sql.startswith("--", i):
            quote = "\n"  # a comment runs to the end of the line
        out.append(ch)
    return "".join(out)


class _Tx:
    """A transaction's view of the connection that takes portable SQL."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = (), /) -> psycopg.Cursor[Any]:
        return self._conn.execute(to_pyformat(sql), tuple(params))

    def executemany(self, sql: str, seq_of_params: Iterable[Sequence[Any]], /) -> None:
        with self._conn.cursor() as cur:
            cur.executemany(to_pyformat(sql), [tuple(p) for p in seq_of_params])


class PostgresDatabase:
    """A hub database in PostgreSQL, reached by a postgresql:// URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.where = mask_url(url)
        self._conn: psycopg.Connection[Any] | None = None

    @classmethod
    def open(cls, url: str) -> PostgresDatabase:
        """Connect to `url`; HubError naming the host (never the password) when it fails."""
        db = cls(url)
        db._connection()
        return db

    def _connection(self) -> psycopg.Connection[Any]:
        """The open connection, made again if the server dropped it (a restart)."""
        if self._conn is not None and not self._conn.closed and not self._conn.broken:
            return self._conn
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        try:
            self._conn = psycopg.connect(self.url, autocommit=True,
                                         connect_timeout=CONNECT_TIMEOUT_S,
                                         options="-c synchronous_commit=on")
        except psycopg.Error as e:
            raise HubError(f"cannot connect to the hub database {self.where}: "
                           f"{self._clean(e)}; check the host, port, database, user and "
                           "password (PGPASSWORD or ~/.pgpass)") from None
        return self._conn

    def _clean(self, error: BaseException) -> str:
        """An error's text on one line, without the password should libpq ever echo it."""
        text = " ".join(str(error).split())
        password = urlsplit(self.url).password
        return text.replace(password, "***") if password else text

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of a read-only `sql` (its own snapshot); failures become HubError."""
        conn = self._connection()
        try:
            return [tuple(r) for r in conn.execute(to_pyformat(sql), tuple(params)).fetchall()]
        except psycopg.Error as e:
            raise HubError(f"hub database {self.where}: read failed ({self._clean(e)})") from e

    @contextmanager
    def transaction(self) -> Iterator[_Tx]:
        """BEGIN ISOLATION LEVEL SERIALIZABLE ... COMMIT, or ROLLBACK when the block raises.

        A serialization failure or deadlock becomes WriteConflict, any other database failure
        HubError; either way nothing of the block was kept.
        """
        conn = self._connection()
        try:
            conn.execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
        except psycopg.Error as e:
            raise HubError(f"hub database {self.where}: cannot start a write "
                           f"({self._clean(e)})") from e
        try:
            yield _Tx(conn)
        except BaseException as exc:
            self._rollback(conn)
            if isinstance(exc, psycopg.Error):
                raise self._write_error(exc, "write") from exc
            raise
        try:
            conn.execute("COMMIT")
        except psycopg.Error as e:
            self._rollback(conn)
            raise self._write_error(e, "commit") from e

    def _rollback(self, conn: psycopg.Connection[Any]) -> None:
        if conn.closed or conn.broken:
            return
        try:
            conn.execute("ROLLBACK")
        except psycopg.Error:
            conn.close()  # a connection in an unknown state is made again on the next use

    def _write_error(self, error: psycopg.Error, what: str) -> HubError:
        if isinstance(error, pg_errors.SerializationFailure | pg_errors.DeadlockDetected):
            return WriteConflict(f"hub database {self.where}: {what} conflicted with another "
                                 "write; nothing of it was kept; try again")
        return HubError(f"hub database {self.where}: {what} failed ({self._clean(error)}); "
                        "nothing of it was kept")

    def migration(self, version: int, portable: str) -> list[str]:
        return list(FROZEN.get(version) or statements(portable))

    @contextmanager
    def migration_lock(self) -> Iterator[None]:
        conn = self._connection()
        try:
            conn.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK,))
        except psycopg.Error as e:
            raise HubError(f"hub database {self.where}: cannot lock for migrating "
                           f"({self._clean(e)})") from e
        try:
            yield
        finally:
            if not conn.closed and not conn.broken:
                conn.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK,))

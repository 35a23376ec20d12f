"""The hub's SQLite backend: one file, WAL with `synchronous=FULL`.

An answer "accepted" is only sent after the sale's COMMIT is on disk, so a lane may prune it.
Writes take the write lock at BEGIN (IMMEDIATE), so two writers queue instead of failing late.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from kiosk.hub.db import statements
from kiosk.hub.errors import HubError

BUSY_TIMEOUT_S = 5.0


class SqliteDatabase:
    """A hub database in a SQLite file (or ":memory:")."""

    def __init__(self, conn: sqlite3.Connection, where: str) -> None:
        self.conn = conn
        self.where = where

    @classmethod
    def open(cls, path: str | Path) -> SqliteDatabase:
        """Open (creating if needed) the SQLite file at `path`; HubError when the folder is
        missing or the file cannot be used."""
        where = str(path)
        if where != ":memory:" and not Path(path).parent.is_dir():
            raise HubError(f"hub database folder {str(Path(path).parent)!r} does not exist; "
                           "create it or give another --db path")
        try:
            conn = sqlite3.connect(where, timeout=BUSY_TIMEOUT_S, isolation_level=None,
                                   check_same_thread=False)
        except sqlite3.Error as e:
            raise HubError(f"cannot open hub database {where!r}: {e}; check the path") from e
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
        except sqlite3.Error as e:
            conn.close()
            raise HubError(f"hub database {where!r} cannot be used: {e}; if it is not the "
                           "hub's database, move it away or give another --db path") from e
        return cls(conn, where)

    def close(self) -> None:
        self.conn.close()

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of a read-only `sql`; failures become HubError."""
        try:
            return [tuple(r) for r in self.conn.execute(sql, tuple(params)).fetchall()]
        except sqlite3.Error as e:
            raise HubError(f"hub database {self.where!r}: read failed ({e})") from e

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK when the block raises; SQLite failures
        become HubError."""
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as e:
            raise HubError(f"hub database {self.where!r}: cannot start a write ({e})") from e
        try:
            yield conn
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise HubError(f"hub database {self.where!r}: write failed ({exc}); nothing "
                               "of it was kept; check free disk space") from exc
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as e:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise HubError(f"hub database {self.where!r}: commit failed ({e}); nothing of it "
                           "was kept; check free disk space") from e

    def migration(self, version: int, portable: str) -> list[str]:
        return list(statements(portable))

    def migration_lock(self) -> nullcontext[None]:
        # Each migration is one BEGIN IMMEDIATE transaction, and the version is re-read in it.
        return nullcontext()

"""What `HubStore` needs from a database backend (SQLite or PostgreSQL), and nothing more.

Every backend takes the same portable SQL: `?` placeholders, ISO-8601 UTC text for times. A
transaction object's `execute` returns a cursor with `fetchone()` / `fetchall()` giving tuples.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from kiosk.hub.errors import HubError


class WriteConflict(HubError):
    """A write lost a race with another connection (PostgreSQL serialization failure or
    deadlock); nothing of it was kept, and running the same work again is safe."""


class Cursor(Protocol):
    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Tx(Protocol):
    """One open write transaction: SQL with `?` placeholders."""

    def execute(self, sql: str, params: Sequence[Any] = ..., /) -> Cursor: ...

    def executemany(self, sql: str, seq_of_params: Iterable[Sequence[Any]], /) -> Any: ...


class Database(Protocol):
    """A hub database connection, used from one thread at a time."""

    where: str  # for messages: a path, or a URL with its password masked

    def transaction(self) -> AbstractContextManager[Tx]: ...

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def migration(self, version: int, portable: str) -> list[str]:
        """The statements of migration `version` (1-based) for this backend; `portable` is its
        text in MIGRATIONS, used as is unless the backend has its own frozen equivalent."""
        ...

    def migration_lock(self) -> AbstractContextManager[None]:
        """Held while migrating, so two hubs starting at once do not migrate twice."""
        ...

    def close(self) -> None: ...


def statements(script: str) -> Iterator[str]:
    """The statements of a migration script, each complete and ending in ';'."""
    buffer = ""
    for line in script.strip().splitlines(keepends=True):
        buffer += line
        # SQLite's tokenizer only splits here: it knows quotes and BEGIN ... END bodies.
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
    if buffer.strip():
        raise HubError(f"migration statement {buffer.strip()[:60]!r} does not end in ';'")

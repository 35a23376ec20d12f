"""Fixtures shared by several test packages: a real PostgreSQL, and the hub database on both
backends.

One PostgreSQL server per test session (tests/pgserver.py), a fresh database per test. Without
PostgreSQL installed the PostgreSQL tests are skipped with a reason that says how to install
it, except in CI (CI=true), where that is a failure: CI must test both backends.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pgserver import TemporaryPostgres, unavailable_reason

_database_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[TemporaryPostgres]:
    """A running PostgreSQL on 127.0.0.1, stopped and removed when the session ends."""
    reason = unavailable_reason()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the PostgreSQL tests, but {reason}")
        pytest.skip(reason)
    server = TemporaryPostgres()
    with server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: TemporaryPostgres) -> str:
    """The postgresql:// URL of a new, empty database for this test."""
    return postgres_server.create_database(f"t{next(_database_numbers)}")


@pytest.fixture(params=["sqlite", "postgresql"])
def hub_db(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """Where the test's hub keeps its data: a temporary SQLite file, or a fresh PostgreSQL
    database (the test runs once for each)."""
    if request.param == "sqlite":
        return tmp_path / "hub.sqlite"
    return str(request.getfixturevalue("postgres_url"))

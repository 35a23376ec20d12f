"""Shared fixtures: a real lane journal in a temporary SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from kiosk.journal.db import open_db


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "lane.db"


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    database = open_db(db_path)
    yield database
    database.close()


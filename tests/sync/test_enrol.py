"""Enrolment: a one-time code becomes the lane's token, stored for its user only."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import pytest

from kiosk.sync.enrol import enrol, read_token, write_token
from kiosk.sync.errors import EnrolError, SyncError

from .fake_hub import FakeHub


async def enrol_at(hub: FakeHub, code: str, token_file: Path) -> str:
    url = await hub.start()
    try:
        return str(await enrol(url, code, "L1", token_file))
    finally:
        await hub.stop()


def test_enrolling_writes_the_token_to_a_0600_file(tmp_path: Path) -> None:
    token_file = tmp_path / "state" / "hub-token"
    said = asyncio.run(enrol_at(FakeHub(), "CODE-1", token_file))
    assert "enrolled as L1 in store S1" in said
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert read_token(token_file) == "n" * 43


def test_a_new_enrolment_replaces_the_token_and_keeps_0600(tmp_path: Path) -> None:
    token_file = tmp_path / "hub-token"
    token_file.write_text("old")
    token_file.chmod(0o644)
    asyncio.run(enrol_at(FakeHub(), "CODE-1", token_file))
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert read_token(token_file) == "n" * 43


def test_a_refused_code_says_why_and_stores_nothing(tmp_path: Path) -> None:
    token_file = tmp_path / "hub-token"
    with pytest.raises(EnrolError, match=r"403: code CODE-\? is unknown or used.*enrol-code"):
        asyncio.run(enrol_at(FakeHub(), "WRONG", token_file))
    assert not token_file.exists()


def test_without_a_token_file_the_uploader_says_how_to_enrol(tmp_path: Path) -> None:
    with pytest.raises(SyncError, match=r"not enrolled.*kiosk enrol --hub URL --code CODE"):
        read_token(tmp_path / "missing")


def test_a_token_that_cannot_be_written_names_the_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(EnrolError, match="cannot store the token in"):
        write_token(blocker / "hub-token", "x" * 43)

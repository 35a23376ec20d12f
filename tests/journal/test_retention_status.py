"""The disk guard as people see it: `kiosk doctor`, the attendant panel, and the config key."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from kiosk.config import config_from_dict
from kiosk.config_devices import parse_devices
from kiosk.doctor import examine
from kiosk.errors import ConfigError
from kiosk.journal import sales
from kiosk.journal.db import open_db
from kiosk.ui.staff_status import UploadStatus, upload_text

NOW = datetime(2026, 11, 22, 10, tzinfo=UTC)


def test_doctor_shows_the_journal_size_free_disk_and_the_retention(tmp_path: Path) -> None:
    config = config_from_dict({"paths": {"data_dir": str(tmp_path)},
                               "journal": {"keep_acked_days": 21}})
    db = open_db(config.paths.journal)
    sales.record_sale(db, {"sale_id": "S1", "basket_id": "B1", "lane_id": config.lane.id,
                           "finished_at": "2026-11-22T09:00:00.000Z",
                           "totals": {"total_cents": 119}})
    db.close()
    findings = {f.what: f for f in examine(config, parse_devices({"simulate": True}))}
    disk = findings["disk"]
    assert disk.detail.startswith("journal ") and " MB free of " in disk.detail
    # This machine may be short of space itself; either way the line says what to do.
    if disk.level == "OK":
        assert disk.detail.endswith("acknowledged sales are kept 21 days")
    else:
        assert "low on space" in disk.detail and "older than 21 days" in disk.detail


def test_the_attendant_panel_shows_the_journal_and_free_disk_in_both_languages() -> None:
    status = UploadStatus(0, journal_bytes=286_400_000, free_bytes=12_300_000_000)
    assert upload_text(status, NOW, "en").splitlines() == [
        "All sales uploaded", "Journal 286.4 MB, 12.3 GB free on its disk"]
    assert upload_text(status, NOW, "de").splitlines()[1] == (
        "Journal 286.4 MB, 12.3 GB frei auf dem Datenträger")


def test_low_disk_is_spelled_out_on_the_attendant_panel() -> None:
    status = UploadStatus(3, "2026-11-22T09:00:00+00:00", journal_bytes=2_700_000_000,
                          free_bytes=150_000_000, disk_low=True)
    assert upload_text(status, NOW, "en").splitlines()[-1] == (
        "DISK ALMOST FULL: 150.0 MB free (journal 2.7 GB); when full, the lane stops selling")
    assert upload_text(status, NOW, "de").splitlines()[-1].startswith("SPEICHER FAST VOLL")


def test_keep_acked_days_must_be_at_least_one_day() -> None:
    assert config_from_dict({}).journal.keep_acked_days == 14
    with pytest.raises(ConfigError, match=r"journal\.keep_acked_days: must be a whole number >= 1"):
        config_from_dict({"journal": {"keep_acked_days": 0}})

"""Device and upload status for the attendant panel, as text (no Kivy, no I/O here).

The controller hands in plain values: `DeviceStatus` per supervised device (from LaneDevices)
and `UploadStatus` (from the journal's outbox); this module turns them into the panel's rows
in the view's language. Status is always spelled out in words, never shown by colour alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import NamedTuple

from kiosk.ui.strings import has, t
from kiosk.ui.viewmodel import DeviceRowView


class DeviceStatus(NamedTuple):
    """One supervised device: its configured `name`, whether it is `online` (open and usable)
    and how many `outages` its supervisor saw since the kiosk started; `detail` a condition of
    a working device that needs a person ("paper_out", "paper_near_end", "cover_open")."""

    name: str
    online: bool
    outages: int = 0
    detail: str = ""


class UploadStatus(NamedTuple):
    """The upload queue: `pending` sales, the oldest one's ISO UTC time, the newest error."""

    pending: int
    oldest_pending_at: str | None = None
    last_error: str | None = None
    # Sales the hub refused (kept, never resent): how many, and the newest one's reason.
    quarantined: int = 0
    quarantine_reason: str | None = None
    # The journal's size and the free space on its file system (bytes; None: unknown), and
    # whether that space is low (kiosk.journal.retention.DiskStatus.low).
    journal_bytes: int | None = None
    free_bytes: int | None = None
    disk_low: bool = False


# An upload error can be a long exception text; the panel has room for about this much.
ERROR_MAX_CHARS = 60


def device_rows(devices: Sequence[DeviceStatus], lang: str) -> tuple[DeviceRowView, ...]:
    """One row per device, in the order given."""
    rows = []
    for d in devices:
        key = f"device:{d.name}"
        if d.outages == 0:
            outages = ""
        elif d.outages == 1:
            outages = t("device_outages_one", lang)
        else:
            outages = t("device_outages_many", lang, n=d.outages)
        rows.append(DeviceRowView(
            name=t(key, lang) if has(key) else d.name,
            status_text=t(f"device_{d.detail}", lang) if d.detail and has(f"device_{d.detail}")
            else t("device_online" if d.online else "device_offline", lang),
            online=d.online,
            outages_text=outages,
        ))
    return tuple(rows)


def age_text(age_s: float, lang: str) -> str:
    """A duration for people: "45 s", "12 Min.", "2 Std. 5 Min." (English: "2 h 5 min")."""
    whole_s = max(0, int(age_s))
    if whole_s < 60:
        return t("age_s", lang, n=whole_s)
    minutes = whole_s // 60
    if minutes < 60:
        return t("age_min", lang, n=minutes)
    return t("age_h", lang, h=minutes // 60, m=minutes % 60)


def upload_text(upload: UploadStatus | None, now: datetime, lang: str) -> str:
    """The queue in one or two lines; "" when the lane has no upload status to show."""
    if upload is None:
        return ""
    if upload.pending == 0:
        text = t("upload_done", lang)
    else:
        age_s = 0.0
        if upload.oldest_pending_at:
            oldest = datetime.fromisoformat(upload.oldest_pending_at)
            if oldest.tzinfo is None:  # the journal writes UTC; an old row may lack the zone
                oldest = oldest.replace(tzinfo=UTC)
            age_s = (now - oldest).total_seconds()
        key = "upload_pending_one" if upload.pending == 1 else "upload_pending"
        text = t(key, lang, n=upload.pending, age=age_text(age_s, lang))
    if upload.last_error and upload.pending:
        error = " ".join(upload.last_error.split())
        if len(error) > ERROR_MAX_CHARS:
            error = error[:ERROR_MAX_CHARS - 1] + "…"
        text += "\n" + t("upload_error", lang, error=error)
    if upload.quarantined:
        reason = " ".join((upload.quarantine_reason or "").split())
        if len(reason) > ERROR_MAX_CHARS:
            reason = reason[:ERROR_MAX_CHARS - 1] + "…"
        text += "\n" + t("upload_quarantined", lang, n=upload.quarantined, reason=reason)
    if upload.journal_bytes is not None and upload.free_bytes is not None:
        key = "upload_disk_low" if upload.disk_low else "upload_disk"
        text += "\n" + t(key, lang, size=size_text(upload.journal_bytes),
                          free=size_text(upload.free_bytes))
    return text


def size_text(n_bytes: int) -> str:
    """Bytes for people, in decimal units: "850 kB", "12.3 MB", "3.2 GB"."""
    if n_bytes < 1_000_000:
        return f"{max(0, n_bytes) // 1000} kB"
    if n_bytes < 1_000_000_000:
        return f"{n_bytes / 1e6:.1f} MB"
    return f"{n_bytes / 1e9:.1f} GB"

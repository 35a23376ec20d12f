"""The uploader sends every sale to the hub exactly once, through lost answers and faults."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from kiosk.journal import sales
from kiosk.journal.db import open_db
from kiosk.sync.errors import HubAuthError
from kiosk.sync.uploader import Uploader, UploadReport

from .fake_hub import DEVICE, TOKEN, FakeHub


def sale(n: int, lane: str = DEVICE) -> dict[str, Any]:
    return {"sale_id": f"S-{lane}-{n}", "basket_id": f"B-{lane}-{n}", "lane_id": lane,
            "finished_at": f"2025-03-01T10:{n:02d}:00.000Z",
            "totals": {"total_cents": 100 + n}, "lines": [{"sku": "KÄSE"}]}


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = open_db(tmp_path / "lane.db")
    yield database
    database.close()


def fill(db: Database, count: int, lane: str = DEVICE) -> None:
    for n in range(1, count + 1):
        sales.record_sale(db, sale(n, lane))


def state_of(db: Database) -> dict[str, str]:
    return dict(db.conn.execute("SELECT sale_id, state FROM outbox ORDER BY rowid").fetchall())


async def with_hub(hub: FakeHub, db: Database, *steps: str, **options: Any) -> list[UploadReport]:
    """Run `run_once` once per step against `hub` on loopback."""
    url = await hub.start()
    try:
        uploader = Uploader(sales.JournalOutbox(db), url, options.pop("token", TOKEN), **options)
        return [await uploader.run_once() for _ in steps]
    finally:
        await hub.stop()


def test_a_batch_is_uploaded_and_every_sale_acknowledged(db: Database) -> None:
    fill(db, 5)
    hub = FakeHub()
    [report] = asyncio.run(with_hub(hub, db, "send"))
    assert (report.sent, report.acked, report.error) == (5, 5, None)
    assert set(state_of(db).values()) == {"acked"}
    assert len(hub.stored) == 5
    assert sales.outbox_status(db).pending == 0


def test_a_big_queue_goes_in_batches_oldest_first(db: Database) -> None:
    fill(db, 7)
    hub = FakeHub()
    reports = asyncio.run(with_hub(hub, db, "1", "2", "3", "4", batch=3))
    assert [r.sent for r in reports] == [3, 3, 1, 0]
    assert hub.posts[0] == ["S-L1-1", "S-L1-2", "S-L1-3"]


def test_a_resend_after_a_lost_answer_is_a_duplicate_and_stored_once(db: Database) -> None:
    fill(db, 3)
    hub = FakeHub()
    hub.lose_answers = 1
    first, second = asyncio.run(with_hub(hub, db, "lost", "again"))
    assert first.error is not None and "unreachable" in first.error
    assert db.conn.execute("SELECT DISTINCT attempts FROM outbox").fetchall() == [(1,)]
    assert (second.acked, second.duplicates) == (3, 3)
    assert len(hub.stored) == 3  # nothing twice
    assert set(state_of(db).values()) == {"acked"}


def test_a_rejected_sale_is_quarantined_with_its_reason_and_the_rest_acked(db: Database) -> None:
    fill(db, 3)
    hub = FakeHub()
    hub.reject["S-L1-2"] = "breaks the hash chain at seq 2"
    first, second = asyncio.run(with_hub(hub, db, "send", "again"))
    assert (first.acked, first.quarantined) == (2, 1)
    assert state_of(db) == {"S-L1-1": "acked", "S-L1-2": "quarantined", "S-L1-3": "acked"}
    status = sales.outbox_status(db)
    assert (status.pending, status.quarantined) == (0, 1)
    assert status.newest_quarantine_reason == "breaks the hash chain at seq 2"
    assert second.sent == 0  # never retried
    [kept] = sales.quarantined(db)
    assert (kept.sale_id, kept.seq) == ("S-L1-2", 2)
    assert sales.get_sale(db, "S-L1-2") is not None  # never dropped


def test_a_sale_of_another_lane_is_refused_by_the_hub_and_quarantined(db: Database) -> None:
    sales.record_sale(db, sale(1, lane="L9"))
    hub = FakeHub()
    [report] = asyncio.run(with_hub(hub, db, "send"))
    assert report.quarantined == 1
    assert sales.outbox_status(db).newest_quarantine_reason == "not this device's lane"


def test_a_server_error_counts_an_attempt_then_the_next_try_succeeds(db: Database) -> None:
    fill(db, 2)
    hub = FakeHub()
    hub.fail_next = [500, 503]
    reports = asyncio.run(with_hub(hub, db, "500", "503", "ok"))
    assert [r.failures for r in reports] == [1, 2, 0]
    assert "answered 500: test fault 500" in (reports[0].error or "")
    assert reports[2].acked == 2
    assert db.conn.execute("SELECT attempts FROM outbox").fetchall() == [(2,), (2,)]


def test_run_forever_retries_with_backoff_until_the_hub_takes_the_sales(db: Database) -> None:
    fill(db, 4)
    hub = FakeHub()
    hub.fail_next = [500, 500, 500]

    async def scenario() -> None:
        url = await hub.start()
        stop = asyncio.Event()
        uploader = Uploader(sales.JournalOutbox(db), url, TOKEN, backoff_base_s=0.01,
                            backoff_cap_s=0.05, interval_s=0.01)
        task = asyncio.create_task(uploader.run_forever(stop))
        for _ in range(500):
            if sales.outbox_status(db).pending == 0:
                break
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(task, 5)
        await hub.stop()

    asyncio.run(scenario())
    assert sales.outbox_status(db).pending == 0
    assert len(hub.stored) == 4


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_refused_connection_leaves_the_sales_pending_with_a_plain_error(db: Database) -> None:
    fill(db, 2)
    url = f"http://127.0.0.1:{free_port()}"
    report = asyncio.run(Uploader(sales.JournalOutbox(db), url, TOKEN).run_once())
    assert report.failed == 2 and report.failures == 1
    status = sales.outbox_status(db)
    assert status.pending == 2
    assert status.last_error is not None
    assert status.last_error.startswith(f"hub {url}/api/v1/sales unreachable")


def test_a_hub_that_stalls_is_given_up_after_the_timeout(db: Database) -> None:
    fill(db, 1)
    hub = FakeHub()
    hub.stall_s = 2.0
    [report] = asyncio.run(with_hub(hub, db, "send", timeout_s=0.2))
    assert "did not answer within 0.2 s" in (report.error or "")
    assert sales.outbox_status(db).pending == 1


def test_an_unknown_token_stops_the_uploader_and_says_to_enrol_again(db: Database) -> None:
    fill(db, 1)
    hub = FakeHub()
    with pytest.raises(HubAuthError, match="enrol the lane again: kiosk enrol"):
        asyncio.run(with_hub(hub, db, "send", token="forged"))
    assert "refused this lane's token (401" in (sales.outbox_status(db).last_error or "")
    assert sales.outbox_status(db).pending == 1

    async def forever() -> None:
        url = await hub.start()
        try:
            await Uploader(sales.JournalOutbox(db), url, "forged").run_forever(asyncio.Event())
        finally:
            await hub.stop()

    with pytest.raises(HubAuthError):
        asyncio.run(forever())


def test_an_empty_queue_sends_nothing(db: Database) -> None:
    hub = FakeHub()
    [report] = asyncio.run(with_hub(hub, db, "send"))
    assert report == UploadReport() and hub.posts == []


def test_a_batch_above_the_hubs_limit_is_refused_at_construction(db: Database) -> None:
    with pytest.raises(ValueError, match=r"1\.\.500"):
        Uploader(sales.JournalOutbox(db), "http://x", TOKEN, batch=501)

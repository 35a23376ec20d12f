"""Chaos: the uploader against the real hub behind a fault proxy on loopback. Whatever the
network does (5xx, lost answers, resets, stalls, a restarted hub), in the end the hub holds
every sale exactly once and the lane's outbox is all acknowledged."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlite_utils import Database

from kiosk.journal import sales
from kiosk.journal.db import open_db
from kiosk.sync.uploader import Uploader, UploadReport

from .chaos_proxy import ChaosProxy, RestartableHub
from .test_uploader import sale

LANE = "L1"
STALL_TIMEOUT_S = 0.5  # the uploader's per-request timeout where a stall is planned
TIMEOUT_S = 10.0  # elsewhere: ample on a loaded machine, so only planned faults fail
MAX_ROUNDS = 60  # a safety net: the loops end on an explicit condition long before


def queue(db: Database, count: int) -> list[str]:
    for n in range(1, count + 1):
        sales.record_sale(db, sale(n, LANE))
    return [f"S-{LANE}-{n}" for n in range(1, count + 1)]


Scenario = Callable[[Uploader, ChaosProxy, RestartableHub], Awaitable[list[UploadReport]]]


def run_chaos(tmp_path: Path, count: int, batch: int, scenario: Scenario,
              timeout_s: float = TIMEOUT_S, hub_db: Path | str | None = None
              ) -> list[UploadReport]:
    """Queue `count` sales, run `scenario` against hub + proxy, then check exactly once. The
    hub keeps its data in `hub_db` (default: a SQLite file in `tmp_path`)."""
    db = open_db(tmp_path / "lane.sqlite")
    hub = RestartableHub(tmp_path / "hub.sqlite" if hub_db is None else hub_db)
    try:
        ids = queue(db, count)

        async def go() -> list[UploadReport]:
            proxy = ChaosProxy(await hub.start())
            try:
                await proxy.start()
                uploader = Uploader(sales.JournalOutbox(db), proxy.url, hub.enrol(LANE),
                                    batch=batch, backoff_base_s=0.001, timeout_s=timeout_s)
                return await scenario(uploader, proxy, hub)
            finally:
                await proxy.stop()
                await hub.stop()

        reports = asyncio.run(go())
        assert hub.stored_ids() == ids  # every sale, in order, exactly once
        status = sales.outbox_status(db)
        assert (status.pending, status.quarantined) == (0, 0)
        return reports
    finally:
        db.close()


async def drain(uploader: Uploader, db_pending: Callable[[], int]) -> list[UploadReport]:
    """run_once until the outbox is empty (no backoff waits: we call it directly)."""
    reports: list[UploadReport] = []
    for _ in range(MAX_ROUNDS):
        if db_pending() == 0:
            return reports
        reports.append(await uploader.run_once())
    raise AssertionError(f"outbox not drained after {MAX_ROUNDS} rounds: {reports[-3:]}")


def pending_of(uploader: Uploader) -> Callable[[], int]:
    return lambda: len(uploader.outbox.pending(10_000))


def test_a_503_then_a_500_are_retried_and_each_sale_arrives_once(tmp_path: Path) -> None:
    async def scenario(up: Uploader, proxy: ChaosProxy, hub: RestartableHub
                       ) -> list[UploadReport]:
        proxy.plan("503", "500")
        return await drain(up, pending_of(up))

    reports = run_chaos(tmp_path, 4, 10, scenario)
    assert [r.failures for r in reports] == [1, 2, 0]
    assert reports[0].error is not None and "503" in reports[0].error
    assert reports[1].error is not None and "500" in reports[1].error
    assert (reports[2].acked, reports[2].duplicates) == (4, 0)


def test_a_lost_acknowledgement_is_resent_and_answered_duplicate(tmp_path: Path) -> None:
    async def scenario(up: Uploader, proxy: ChaosProxy, hub: RestartableHub
                       ) -> list[UploadReport]:
        proxy.plan("lost_ack")
        first = await up.run_once()
        assert len(hub.stored_ids()) == 3  # the hub stored it, the lane never heard
        return [first, *await drain(up, pending_of(up))]

    reports = run_chaos(tmp_path, 3, 10, scenario)
    assert reports[0].error is not None and reports[0].failed == 3
    assert (reports[1].acked, reports[1].duplicates) == (3, 3)


def test_a_connection_reset_mid_request_stores_nothing_and_the_resend_arrives(
        tmp_path: Path) -> None:
    async def scenario(up: Uploader, proxy: ChaosProxy, hub: RestartableHub
                       ) -> list[UploadReport]:
        proxy.plan("reset_mid")
        first = await up.run_once()
        assert hub.stored_ids() == []  # half a request is no request
        return [first, *await drain(up, pending_of(up))]

    reports = run_chaos(tmp_path, 3, 10, scenario)
    assert reports[0].error is not None
    assert (reports[1].acked, reports[1].duplicates) == (3, 0)


def test_a_stalled_hub_times_out_and_the_next_try_goes_through(tmp_path: Path) -> None:
    async def scenario(up: Uploader, proxy: ChaosProxy, hub: RestartableHub
                       ) -> list[UploadReport]:
        proxy.plan("stall")
        return await drain(up, pending_of(up))

    reports = run_chaos(tmp_path, 3, 10, scenario, STALL_TIMEOUT_S)
    assert reports[0].error is not None and f"within {STALL_TIMEOUT_S:g} s" in reports[0].error
    assert sum(r.acked for r in reports) == 3


def test_a_hub_restarted_mid_run_on_the_same_file_receives_the_rest_once(
        tmp_path: Path, hub_db: Path | str) -> None:
    async def scenario(up: Uploader, proxy: ChaosProxy, hub: RestartableHub
                       ) -> list[UploadReport]:
        first = await up.run_once()
        assert first.acked == 3 and len(hub.stored_ids()) == 3
        port = hub.port
        await hub.stop()
        down = await up.run_once()  # the hub is gone: the proxy cannot reach it
        assert down.error is not None and len(hub.stored_ids()) == 3
        assert await hub.start() == port  # same file, same port behind the proxy
        return [first, down, *await drain(up, pending_of(up))]

    reports = run_chaos(tmp_path, 7, 3, scenario, hub_db=hub_db)
    assert sum(r.acked for r in reports) == 7
    assert sum(r.duplicates for r in reports) == 0


def test_a_random_mix_of_faults_over_many_batches_still_delivers_each_sale_once(
        tmp_path: Path, hub_db: Path | str) -> None:
    # Each fault twice plus a few passes, in a seeded random order: fewer passes than
    # batches, so every planned fault is met before the queue can drain.
    rng = random.Random(20261122)
    faults = ["503", "500", "lost_ack", "reset_mid", "stall"]
    schedule = [*faults, *faults, *(rng.choice([*faults, "pass"]) for _ in range(6))]
    rng.shuffle(schedule)
    handled: list[str] = []

    async def scenario(up: Uploader, proxy: ChaosProxy, hub: RestartableHub
                       ) -> list[UploadReport]:
        proxy.plan(*schedule)
        reports = await drain(up, pending_of(up))
        handled.extend(proxy.handled)
        return reports

    reports = run_chaos(tmp_path, 24, 3, scenario, STALL_TIMEOUT_S, hub_db)
    assert handled[: len(schedule)] == schedule  # every planned fault really crossed a batch
    assert sum(r.acked for r in reports) == 24  # each acked once on the lane
    assert any(r.duplicates for r in reports)  # a lost answer was resent and recognised

"""Chaos: `kiosk upload` as a real process, SIGKILLed mid-batch behind the fault proxy in front
of the real hub, once after the hub stored the batch (its answer held back) and once before the
batch reached the hub. A fresh uploader then resumes from the outbox alone: every sale is in
the hub exactly once, the outbox is drained, and only then does retention prune the lane."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from kiosk.journal import sales
from kiosk.journal.db import open_db

from .chaos_proxy import ChaosProxy, RestartableHub
from .test_upload_process import config, fill, finished, kiosk, queue

LANE = "L1"  # the lane of test_uploader.sale, which `fill` records
COUNT = 7
BATCH = 3
WAIT_S = 60.0  # a safety net for a loaded machine: the loops end on a condition first


async def _until_drained(tmp_path: Path) -> None:
    for _ in range(int(WAIT_S / 0.1)):
        if queue(tmp_path).pending == 0:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"outbox not drained: {queue(tmp_path)}")


async def _kill_mid_batch_then_resume(tmp_path: Path, mode: str) -> tuple[list[str], list[str]]:
    """Run the scenario; (sale ids the hub held at the kill, sale ids it holds at the end)."""
    hub = RestartableHub(tmp_path / "hub.sqlite")
    proxy = ChaosProxy(await hub.start())
    try:
        await proxy.start()
        (tmp_path / "hub-token").write_text(hub.enrol(LANE))
        cfg = config(tmp_path, proxy.url, batch=BATCH)
        proxy.plan(mode)
        first = kiosk(cfg, "upload")
        try:
            await asyncio.wait_for(proxy.holding.wait(), WAIT_S)
            at_kill = hub.stored_ids()
        finally:
            first.send_signal(signal.SIGKILL)
            await asyncio.to_thread(finished, first)
        assert first.returncode == -signal.SIGKILL
        assert queue(tmp_path).pending == COUNT  # no answer reached the lane: nothing acked
        second = kiosk(cfg, "upload")
        try:
            await _until_drained(tmp_path)
        finally:
            second.send_signal(signal.SIGTERM)
            status, _, err = await asyncio.to_thread(finished, second)
        assert status == 0, err
        assert proxy.handled[0] == mode
    finally:
        await proxy.stop()
        await hub.stop()
    return at_kill, hub.stored_ids()


def _check_lane_after_drain(tmp_path: Path) -> None:
    status = queue(tmp_path)
    assert (status.pending, status.quarantined) == (0, 0)
    db = open_db(tmp_path / "journal.sqlite")
    try:
        # The test sales finished in 2025, long past the 14 days kept: the uploader pruned the
        # first batch right after its acknowledgement (then not again within 10 minutes), and
        # the kept chain still verifies, linked to the pruned run.
        kept = [r.seq for r in sales.lane_sales(db, LANE)]
        assert kept == list(range(BATCH + 1, COUNT + 1))
        assert sales.verify_chain(db, LANE).ok
    finally:
        db.close()


@pytest.mark.slow
def test_an_uploader_killed_after_the_hub_stored_its_batch_resumes_and_each_sale_is_there_once(
        tmp_path: Path) -> None:
    fill(tmp_path, COUNT)
    at_kill, at_end = asyncio.run(_kill_mid_batch_then_resume(tmp_path, "hold_answer"))
    assert at_kill == [f"S-{LANE}-{n}" for n in range(1, BATCH + 1)]  # stored, answer held
    assert at_end == [f"S-{LANE}-{n}" for n in range(1, COUNT + 1)]
    _check_lane_after_drain(tmp_path)


@pytest.mark.slow
def test_an_uploader_killed_before_its_batch_reached_the_hub_resumes_and_each_sale_is_there_once(
        tmp_path: Path) -> None:
    fill(tmp_path, COUNT)
    at_kill, at_end = asyncio.run(_kill_mid_batch_then_resume(tmp_path, "stall"))
    assert at_kill == []
    assert at_end == [f"S-{LANE}-{n}" for n in range(1, COUNT + 1)]
    _check_lane_after_drain(tmp_path)

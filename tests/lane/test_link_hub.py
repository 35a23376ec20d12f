"""Real lanes (controller, checkout, SQLite journal, no screen) linked to the real hub on
127.0.0.1 (kiosk.hub on SQLite and PostgreSQL), driven from a logged-in console: what the
attendant sees on the console and what happens at the lane."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Awaitable, Callable
from contextlib import closing
from pathlib import Path
from typing import Any

from aiohttp import web

from kiosk.app_link import HeadlessLane, headless_config, start_headless_lane
from kiosk.domain.flow import FlowState
from kiosk.hub.app import make_app
from kiosk.hub.store import HubStore
from tests.hub.consoletest import Console, Store, store_with_staff

MILK = "4200200000015"
FAST = {"backoff_min_s": 0.05, "backoff_max_s": 0.2, "min_interval_s": 0.02}


async def linked_lane(store: Store, tmp: Path, lane_id: str = "lane-3") -> HeadlessLane:
    token_file = tmp / lane_id / "hub-token"
    token_file.parent.mkdir(parents=True, exist_ok=True)
    token_file.write_text(await store.hub.enrol(lane_id) + "\n", encoding="utf-8")
    token_file.chmod(0o600)
    config = headless_config(tmp / lane_id, lane_id, hub_url=store.hub.url,
                             token_file=token_file)
    return await start_headless_lane(config, tick_s=0.05, **FAST)


def with_lane(hub_db: Path | str, tmp: Path,
              body: Callable[[Console, HeadlessLane], Awaitable[None]]) -> None:
    async def main() -> None:
        async with store_with_staff(hub_db) as store:
            lane = await linked_lane(store, tmp)
            try:
                await body(await store.logged_in("1001", "1234"), lane)
            finally:
                await lane.stop()

    asyncio.run(main())


def facts(tmp: Path, kind: str, lane_id: str = "lane-3") -> list[dict[str, Any]]:
    with closing(sqlite3.connect(tmp / lane_id / "journal.sqlite")) as db:
        rows = db.execute("SELECT data FROM facts WHERE kind = ? ORDER BY rowid",
                          (kind,)).fetchall()
    return [json.loads(r[0]) for r in rows]


def test_the_console_sees_the_lane_and_its_age_check_with_evidence(
    hub_db: Path | str, tmp_path: Path,
) -> None:
    async def body(console: Console, lane: HeadlessLane) -> None:
        rows = await console.wait_for(lambda r: r.get("lane-3", {}).get("online") is True)
        assert (rows["lane-3"]["flow"], rows["lane-3"]["lane_name"]) == ("idle", "Kasse 3")
        iid = lane.raise_age_check()
        rows = await console.wait_for(lambda r: bool(r["lane-3"]["interventions"]))
        card = rows["lane-3"]["interventions"][0]
        assert (card["intervention_id"], card["text_de"]) == (iid, "Alterskontrolle (18)")
        assert rows["lane-3"]["light"] == "intervention"
        assert rows["lane-3"]["basket"]["total_cents"] == 799

    with_lane(hub_db, tmp_path, body)


def test_approve_on_the_console_ends_the_lanes_age_check_and_the_journal_names_anna(
    hub_db: Path | str, tmp_path: Path,
) -> None:
    async def body(console: Console, lane: HeadlessLane) -> None:
        await console.wait_for(lambda r: r.get("lane-3", {}).get("online") is True)
        iid = lane.raise_age_check()
        await console.wait_for(lambda r: bool(r["lane-3"]["interventions"]))
        status, answer = await console.command("lane-3", {"action": "approve",
                                                          "intervention_id": iid})
        assert (status, answer["status"]) == (200, "applied"), answer
        assert not lane.controller.checkout.interventions
        assert lane.renders == 1  # the lane's screen was redrawn
        rows = await console.wait_for(lambda r: r["lane-3"]["light"] == "in_transaction")
        assert rows["lane-3"]["interventions"] == []
        status, again = await console.command("lane-3", {"action": "approve",
                                                         "intervention_id": iid})
        assert status == 409 and "no longer open" in again["error"], again  # the hub knows
        lane.pay()
        await lane.wait_until(lambda: lane.controller.checkout.state is FlowState.FINISHING)

    with_lane(hub_db, tmp_path, body)
    (cleared,) = facts(tmp_path, "intervention_cleared")
    assert (cleared["cleared_by"], cleared["outcome"], cleared["via"]) == (
        "1001", "approved", "console")
    (command,) = facts(tmp_path, "console_command")
    assert (command["attendant_name"], command["action"]) == ("Anna", "approve")
    assert command["command_id"] == cleared["command_id"]
    (sale,) = facts(tmp_path, "sale_finished")
    assert sale["sale"]["interventions"][0]["cleared_by"] == "1001"


def test_the_lane_sells_through_a_hub_restart_and_comes_back_on_the_console(
    tmp_path: Path,
) -> None:
    async def main() -> None:
        hub_file = tmp_path / "hub.sqlite"
        async with store_with_staff(hub_file) as store:
            token = await store.hub.enrol("lane-3")
        # The same hub file served again, stopped and started on one port: a hub restart.
        hub = HubStore.open(hub_file, store_id="store-7")
        runner = web.AppRunner(make_app(hub))
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        port = runner.addresses[0][1]
        token_file = tmp_path / "hub-token"
        token_file.write_text(token + "\n", encoding="utf-8")
        config = headless_config(tmp_path / "lane-3", "lane-3",
                                 hub_url=f"http://127.0.0.1:{port}", token_file=token_file)
        lane = await start_headless_lane(config, tick_s=0.05, **FAST)
        link = lane.link
        assert link is not None
        try:
            await lane.wait_until(lambda: link.connected)
            await runner.cleanup()
            await lane.wait_until(lambda: not link.connected)
            lane.scan(MILK)  # the lane sells on while the hub is gone
            lane.pay()
            await lane.wait_until(lambda: lane.controller.checkout.state is FlowState.FINISHING)
            runner = web.AppRunner(make_app(hub))
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            await lane.wait_until(lambda: link.connected and link.connects == 2)
            lane.scan(MILK)
            await lane.wait_until(lambda: link.rev >= 2)
        finally:
            await lane.stop()
            await runner.cleanup()
            hub.close()

    asyncio.run(main())
    assert len(facts(tmp_path, "sale_finished")) == 1

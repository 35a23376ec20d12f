"""The lane link against a small hub on 127.0.0.1 that speaks the contract (tests/lane/
contract_hub.py): the exact state message, and what the real hub never sends (a command twice,
malformed frames). The link against the real hub and console: test_link_hub.py."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Awaitable, Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from kiosk.app_link import HeadlessLane, headless_config, start_headless_lane

from .contract_hub import ContractHub

TOKEN = "lane3-token-" + "x" * 31
MILK = "4200200000015"
FAST = {"backoff_min_s": 0.05, "backoff_max_s": 0.2, "min_interval_s": 0.02}


def run(tmp: Path, body: Callable[[ContractHub, HeadlessLane], Awaitable[None]]) -> None:
    async def main() -> None:
        hub = ContractHub({TOKEN: "lane-3"})
        await hub.start()
        token_file = tmp / "hub-token"
        token_file.write_text(TOKEN + "\n", encoding="utf-8")
        token_file.chmod(0o600)
        config = headless_config(tmp / "lane-3", "lane-3", hub_url=hub.url,
                                 token_file=token_file)
        lane = await start_headless_lane(config, tick_s=0.05, **FAST)
        try:
            await body(hub, lane)
        finally:
            await lane.stop()
            await hub.stop()

    asyncio.run(main())


def facts(tmp: Path, kind: str) -> list[dict[str, Any]]:
    with closing(sqlite3.connect(tmp / "lane-3" / "journal.sqlite")) as db:
        rows = db.execute("SELECT data FROM facts WHERE kind = ? ORDER BY rowid",
                          (kind,)).fetchall()
    return [json.loads(r[0]) for r in rows]


def test_the_lanes_state_reaches_the_hub_and_follows_the_basket(tmp_path: Path) -> None:
    async def body(hub: ContractHub, lane: HeadlessLane) -> None:
        await hub.wait_for(lambda: hub.lane("lane-3") is not None)
        first = hub.lane("lane-3")
        assert first is not None
        assert (first["flow"], first["light"], first["lane_name"]) == ("idle", "idle", "Kasse 3")
        assert first["action_roles"]["close_lane"] == ["attendant", "supervisor"]
        assert first["upload"]["pending"] == 0
        iid = lane.raise_age_check()
        await hub.wait_for(lambda: bool((hub.lane("lane-3") or {}).get("interventions")))
        seen = hub.lane("lane-3")
        assert seen is not None
        assert seen["light"] == "intervention"
        card = seen["interventions"][0]
        assert (card["intervention_id"], card["reason"]) == (iid, "age_check")
        assert (card["text_de"], card["text_en"]) == ("Alterskontrolle (18)", "Age check (18)")
        assert card["evidence"]["age"] == 18
        assert seen["basket"]["items"] == 1 and seen["basket"]["total_cents"] == 799

    run(tmp_path, body)


def test_a_command_delivered_twice_is_applied_once(tmp_path: Path) -> None:
    async def body(hub: ContractHub, lane: HeadlessLane) -> None:
        await hub.wait_for(lambda: "lane-3" in hub.sockets)
        lane.scan(MILK)
        basket_id = lane.controller.checkout.basket_id
        first = await hub.command("lane-3", "void_line", command_id="c" * 32,
                                  basket_id=basket_id, line_id=1)
        again = await hub.command("lane-3", "void_line", command_id="c" * 32,
                                  basket_id=basket_id, line_id=1)
        assert (first["status"], again["status"]) == ("applied", "duplicate")
        other = await hub.command("lane-3", "void_line", basket_id=basket_id, line_id=1)
        assert other["status"] == "refused"
        assert "already voided" in other["reason"]
        assert lane.controller.message is None  # the shopper sees nothing of a refusal

    run(tmp_path, body)
    assert len(facts(tmp_path, "line_voided")) == 1


def test_malformed_hub_messages_are_refused_and_do_not_hurt_the_lane(tmp_path: Path) -> None:
    async def body(hub: ContractHub, lane: HeadlessLane) -> None:
        await hub.wait_for(lambda: "lane-3" in hub.sockets)
        await hub.send_raw("lane-3", "not json {")
        await hub.send_raw("lane-3", "[1, 2]")
        await hub.send_raw("lane-3", json.dumps({"type": "command", "command_id": "bad1",
                                                 "action": "approve"}))
        await hub.send_raw("lane-3", json.dumps({"type": "nonsense", "command_id": "bad2"}))
        await hub.send_raw("lane-3", json.dumps({
            "type": "command", "command_id": "bad3", "action": "void_line", "line_id": "one",
            "basket_id": "b", "attendant": {"id": "1001", "name": "Anna", "role": "attendant"}}))
        await hub.wait_for(lambda: all(c in hub.results for c in ("bad1", "bad2", "bad3")))
        assert {hub.results[c][0]["status"] for c in ("bad1", "bad2", "bad3")} == {"refused"}
        assert "attendant" in hub.results["bad1"][0]["reason"]
        iid = lane.raise_age_check()  # the lane still works, and so does the link
        result = await hub.command("lane-3", "reject", intervention_id=iid)
        assert result["status"] == "applied"
        assert lane.controller.checkout.basket.is_empty or not \
            lane.controller.checkout.basket.active_lines()

    run(tmp_path, body)


def test_a_lane_without_a_token_file_sells_without_a_link(tmp_path: Path,
                                                          caplog: pytest.LogCaptureFixture,
                                                          ) -> None:
    async def main() -> None:
        config = headless_config(tmp_path / "lane-3", "lane-3", hub_url="http://127.0.0.1:9",
                                 token_file=tmp_path / "missing-token")
        lane = await start_headless_lane(config)
        try:
            assert lane.link is None
            lane.scan(MILK)
            assert len(lane.controller.checkout.basket) == 1
        finally:
            await lane.stop()

    with caplog.at_level("INFO", logger="kiosk.lane.link"):
        asyncio.run(main())
    assert "no hub link: lane not enrolled" in caplog.text

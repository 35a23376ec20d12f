"""The lane link, GET /api/v1/lane/ws: lanes publish state, consoles see it live; bad lanes and
bad frames disturb nobody. A real hub on 127.0.0.1 (SQLite and PostgreSQL), lanes as aiohttp
websocket clients speaking the contract."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp

from tests.hub.consoletest import age_check, lane_object, store_with_staff


def test_a_lane_without_a_device_token_is_refused_before_the_upgrade(
        hub_db: Path | str) -> None:
    async def go() -> None:
        async with store_with_staff(hub_db) as store:
            url = store.hub.url + "/api/v1/lane/ws"
            for headers in ({}, {"Authorization": "Bearer not-a-token"}):
                async with store.hub.http.get(url, headers={
                        **headers, "Connection": "Upgrade", "Upgrade": "websocket",
                        "Sec-WebSocket-Version": "13",
                        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="}) as resp:
                    assert resp.status == 401
                    assert "token" in (await resp.json())["error"]

    asyncio.run(go())


def test_a_lanes_state_shows_in_the_lane_list_and_on_the_events_websocket(
        hub_db: Path | str) -> None:
    async def go() -> None:
        async with store_with_staff(hub_db) as store:
            console = await store.logged_in()
            events = await console.http.ws_connect(
                store.hub.url.replace("http", "ws", 1) + "/console/api/events",
                headers={"Origin": store.hub.url})
            first = await events.receive_json()
            assert first == {"type": "lanes", "lanes": []}
            lane = await store.lane("lane-3")
            await lane.publish(lane_object("Kasse 3", interventions=[age_check()]))
            rows = await console.wait_for(lambda r: "flow" in r.get("lane-3", {}))
            row = rows["lane-3"]
            assert row["online"] is True and row["lane_name"] == "Kasse 3"
            assert row["interventions"][0]["reason"] == "age_check"
            assert row["last_seen"] is not None
            seen: dict[str, Any] = {}
            while seen.get("interventions") is None:
                event = await events.receive_json()
                assert event["type"] == "lane"
                seen = event["lane"]
            assert seen["lane_id"] == "lane-3" and seen["interventions"][0]["text_de"] == \
                "Alterskontrolle (18)"
            await lane.ws.close()
            while seen.get("online") is not False:
                seen = (await events.receive_json())["lane"]
            assert seen["lane_name"] == "Kasse 3"  # offline, shown with its last state
            await events.close()

    asyncio.run(go())


def test_an_older_rev_does_not_overwrite_a_newer_state(hub_db: Path | str) -> None:
    async def go() -> None:
        async with store_with_staff(hub_db) as store:
            console = await store.logged_in()
            lane = await store.lane("lane-1")
            await lane.publish(lane_object("Kasse 1", flow="paying"), rev=5)
            await lane.publish(lane_object("Kasse 1", flow="idle"), rev=4)
            await lane.publish(lane_object("Kasse 1", flow="weighing", interventions=[]),
                               rev=6)
            rows = await console.wait_for(lambda r: r["lane-1"].get("flow") == "weighing")
            assert rows["lane-1"]["online"]

    asyncio.run(go())


def test_a_second_connection_of_a_device_replaces_the_first(hub_db: Path | str) -> None:
    async def go() -> None:
        async with store_with_staff(hub_db) as store:
            console = await store.logged_in(attendant_id="2001", pin="9876")
            token = await store.hub.enrol("lane-2")
            old = await store.lane("lane-2", token=token)
            await old.publish(lane_object("Kasse 2"))
            new = await store.lane("lane-2", token=token)
            assert old.reader is not None
            await old.reader
            assert old.closed_with == 4000
            await new.publish(lane_object("Kasse 2", flow="idle"))
            rows = await console.wait_for(lambda r: r["lane-2"].get("flow") == "idle")
            assert rows["lane-2"]["online"] is True
            status, answer = await console.command("lane-2", {"action": "open_lane"})
            assert status == 200 and answer["status"] == "applied"
            assert [c["action"] for c in new.commands] == ["open_lane"] and old.commands == []

    asyncio.run(go())


def test_a_device_cannot_publish_another_lanes_state(hub_db: Path | str) -> None:
    async def go() -> None:
        async with store_with_staff(hub_db) as store:
            console = await store.logged_in()
            honest = await store.lane("lane-1")
            await honest.publish(lane_object("Kasse 1", flow="scanning"))
            rogue = await store.lane("lane-2")
            await rogue.publish(lane_object("Gefälscht", flow="closed"), lane_id="lane-1")
            await rogue.publish(lane_object("Kasse 2", flow="idle"))
            rows = await console.wait_for(lambda r: r.get("lane-2", {}).get("flow") == "idle")
            assert rows["lane-1"]["lane_name"] == "Kasse 1"
            assert rows["lane-1"]["flow"] == "scanning"

    asyncio.run(go())


def test_malformed_frames_are_ignored_and_disturb_no_lane(hub_db: Path | str) -> None:
    async def go() -> None:
        async with store_with_staff(hub_db) as store:
            console = await store.logged_in()
            bad = await store.lane("lane-1")
            good = await store.lane("lane-2")
            await good.publish(lane_object("Kasse 2", flow="idle"))
            junk: list[Any] = [
                "not json", "[1, 2]", json.dumps({"type": "dance"}),
                json.dumps({"type": "state", "lane_id": "lane-1", "rev": "x", "lane": {}}),
                json.dumps({"type": "state", "lane_id": "lane-1", "rev": 1, "lane": []}),
                json.dumps({"type": "state", "lane_id": "lane-1", "rev": 1,
                            "lane": {"flow": "idle", "interventions": [{"x": 1}]}}),
                json.dumps({"type": "result", "command_id": 7, "status": "maybe"}),
                json.dumps({"type": "result", "command_id": "nobody-waits",
                            "status": "applied", "reason": ""}),
                "[" * 5000 + "]" * 5000,
                json.dumps({"type": "state", "lane_id": "lane-1", "rev": 1,
                            "lane": {"flow": "idle", "pad": "x" * 300_000}}),
            ]
            for frame in junk:
                await bad.ws.send_str(frame)
            await bad.ws.send_bytes(b"\x00\x01")
            await bad.publish(lane_object("Kasse 1", flow="paying"))
            rows = await console.wait_for(lambda r: r.get("lane-1", {}).get("flow") == "paying")
            assert rows["lane-1"]["online"] and rows["lane-2"]["online"]
            assert rows["lane-2"]["flow"] == "idle"
            for lane_id, lane in (("lane-1", bad), ("lane-2", good)):
                status, answer = await console.command(lane_id, {"action": "open_lane"})
                assert status == 200 and answer["status"] == "applied", answer
                assert [c["action"] for c in lane.commands] == ["open_lane"]

    asyncio.run(go())


def test_a_lane_that_never_connected_is_not_listed_and_a_client_needs_no_session(
        hub_db: Path | str) -> None:
    async def go() -> None:
        async with store_with_staff(hub_db) as store:
            console = await store.logged_in()
            assert await console.lanes() == {}
            async with aiohttp.ClientSession() as anonymous, \
                    anonymous.get(store.hub.url + "/console/api/lanes") as resp:
                assert resp.status == 401

    asyncio.run(go())


def test_a_lane_cannot_answer_a_command_sent_to_another_lane(hub_db: Path | str) -> None:
    async def go() -> None:
        async with store_with_staff(hub_db, command_timeout_s=1.0) as store:
            console = await store.logged_in("2001", "9876")
            target = await store.lane("lane-1", answer=None)
            rogue = await store.lane("lane-2")
            for lane in (target, rogue):
                await lane.publish(lane_object(lane.lane_id))
            await console.wait_for(lambda r: len(r) == 2)
            posted = asyncio.create_task(console.command("lane-1", {"action": "close_lane"}))
            while not target.commands:
                await asyncio.sleep(0.01)
            await rogue.ws.send_json({"type": "result", "status": "applied", "reason": "",
                                      "command_id": target.commands[0]["command_id"]})
            status, answer = await posted
            assert status == 504 and answer["command_id"] == target.commands[0]["command_id"]
            assert rogue.commands == []

    asyncio.run(go())

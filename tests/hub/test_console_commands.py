"""Console commands over the real hub: a good command reaches the lane and its result comes
back; anything without a session, CSRF token, own Origin or the role reaches NO lane and is
audited. Lanes are aiohttp websocket clients; both database backends."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp

from kiosk.hub.console_auth import audit_rows
from tests.hub.consoletest import Console, FakeLane, age_check, lane_object, store_with_staff

APPROVE = {"action": "approve", "intervention_id": "I-1"}


async def prove_nothing_reached(console: Console, lane: FakeLane) -> None:
    """A good command after the refused ones: the lane's first and only command is it."""
    status, answer = await console.command(lane.lane_id, {"action": "open_lane"})
    assert status == 200, answer
    assert [c["action"] for c in lane.commands] == ["open_lane"]


def test_an_approve_reaches_the_lane_and_its_result_comes_back_audited(
        hub_db: Path | str) -> None:
    async def go() -> None:
        async with store_with_staff(hub_db) as store:
            console = await store.logged_in()
            lane = await store.lane("lane-3")
            await lane.publish(lane_object("Kasse 3", interventions=[age_check()]))
            await console.wait_for(lambda r: r.get("lane-3", {}).get("interventions"))
            status, answer = await console.command("lane-3", APPROVE)
            assert status == 200, answer
            assert answer["status"] == "applied" and len(answer["command_id"]) == 32
            [sent] = lane.commands
            assert sent["type"] == "command" and sent["action"] == "approve"
            assert sent["intervention_id"] == "I-1" and sent["command_id"] == answer["command_id"]
            assert sent["attendant"] == {"id": "1001", "name": "Anna", "role": "attendant"}
            trail = audit_rows(store.hub.store, 10)
            assert trail[0]["action"] == "approve" and trail[0]["result"] == "applied"
            assert (trail[0]["attendant_id"], trail[0]["lane_id"], trail[0]["target"]) == \
                ("1001", "lane-3", "I-1")
            assert trail[0]["command_id"] == answer["command_id"]

    asyncio.run(go())


def test_a_refused_answer_and_a_void_line_carry_what_the_lane_needs(hub_db: Path | str) -> None:
    def refuse(command: dict[str, Any]) -> dict[str, Any]:
        return {"type": "result", "command_id": command["command_id"], "status": "refused",
                "reason": "basket B-1 is no longer the current basket"}

    async def go() -> None:
        async with store_with_staff(hub_db) as store:
            console = await store.logged_in()
            lane = await store.lane("lane-1", answer=refuse)
            await lane.publish(lane_object("Kasse 1"))
            await console.wait_for(lambda r: "flow" in r.get("lane-1", {}))
            status, answer = await console.command(
                "lane-1", {"action": "void_line", "basket_id": "B-1", "line_id": 1})
            assert status == 200 and answer["status"] == "refused"
            assert "no longer the current basket" in answer["reason"]
            assert (lane.commands[0]["basket_id"], lane.commands[0]["line_id"]) == ("B-1", 1)
            status, answer = await console.command("lane-1", {"action": "void_line"})
            assert status == 400 and "basket_id" in answer["error"]
            assert len(lane.commands) == 1

    asyncio.run(go())


def test_commands_without_session_csrf_or_own_origin_reach_no_lane_and_are_audited(
        hub_db: Path | str) -> None:
    async def go() -> None:
        async with store_with_staff(hub_db) as store:
            console = await store.logged_in()
            lane = await store.lane("lane-3")
            await lane.publish(lane_object("Kasse 3", interventions=[age_check()]))
            await console.wait_for(lambda r: r.get("lane-3", {}).get("interventions"))
            stranger = await store.console()
            status, answer = await stranger.command("lane-3", APPROVE, csrf=None)
            assert status == 401 and "log in" in answer["error"]
            status, answer = await console.command("lane-3", APPROVE, csrf=None)
            assert status == 403 and "CSRF" in answer["error"]
            status, _ = await console.command("lane-3", APPROVE, csrf="forged")
            assert status == 403
            status, answer = await console.command("lane-3", APPROVE,
                                                   origin="http://evil.example")
            assert status == 403 and "Origin" in answer["error"]
            status, _ = await console.command("lane-3", APPROVE, origin=None)
            assert status == 403
            await prove_nothing_reached(console, lane)
            results = [r["result"] for r in reversed(audit_rows(store.hub.store, 100))
                       if r["action"] == "approve"]
            assert results == ["unauthenticated", "bad_csrf", "bad_csrf", "bad_origin",
                               "bad_origin"]

    asyncio.run(go())


def test_an_attendant_below_the_role_the_lane_asks_for_is_refused(hub_db: Path | str) -> None:
    async def go() -> None:
        async with store_with_staff(hub_db) as store:
            anna = await store.logged_in()
            lane = await store.lane("lane-4")
            await lane.publish(lane_object("Kasse 4", interventions=[
                age_check("I-9", needs_role="supervisor")]))
            await anna.wait_for(lambda r: r.get("lane-4", {}).get("interventions"))
            status, answer = await anna.command("lane-4", {"action": "approve",
                                                           "intervention_id": "I-9"})
            assert status == 403 and "supervisor" in answer["error"]
            status, _ = await anna.command("lane-4", {"action": "close_lane"})
            assert status == 403
            status, answer = await anna.command("lane-4", {"action": "reject",
                                                           "intervention_id": "I-gone"})
            assert status == 409 and "no longer open" in answer["error"]
            await prove_nothing_reached(anna, lane)
            forbidden = [r for r in audit_rows(store.hub.store, 100)
                         if r["result"] == "forbidden_role"]
            assert {r["action"] for r in forbidden} == {"approve", "close_lane"}
            sven = await store.logged_in("2001", "9876")
            status, answer = await sven.command("lane-4", {"action": "approve",
                                                           "intervention_id": "I-9"})
            assert status == 200 and answer["status"] == "applied"
            assert lane.commands[-1]["attendant"]["role"] == "supervisor"

    asyncio.run(go())


def test_an_offline_lane_answers_409_and_a_silent_one_504(hub_db: Path | str) -> None:
    async def go() -> None:
        async with store_with_staff(hub_db, command_timeout_s=0.3) as store:
            console = await store.logged_in("2001", "9876")
            status, answer = await console.command("lane-3", {"action": "open_lane"})
            assert status == 409 and answer["error"] == "Lane 3 is offline; go to the lane."
            silent = await store.lane("lane-5", answer=None)
            await silent.publish(lane_object("Kasse 5"))
            await console.wait_for(lambda r: "flow" in r.get("lane-5", {}))
            status, answer = await console.command("lane-5", {"action": "close_lane"})
            assert status == 504 and "may still apply" in answer["error"]
            assert [c["command_id"] for c in silent.commands] == [answer["command_id"]]
            await silent.ws.close()
            await console.wait_for(lambda r: r["lane-5"]["online"] is False)
            status, _ = await console.command("lane-5", {"action": "close_lane"})
            assert status == 409
            results = [r["result"] for r in audit_rows(store.hub.store, 100)
                       if r["action"] in ("open_lane", "close_lane")]
            assert sorted(results) == ["offline", "offline", "timeout"]

    asyncio.run(go())


def test_the_events_websocket_needs_a_session_and_the_hubs_origin(hub_db: Path | str) -> None:
    async def go() -> None:
        async with store_with_staff(hub_db) as store:
            url = store.hub.url.replace("http", "ws", 1) + "/console/api/events"
            stranger = await store.console()
            console = await store.logged_in()
            for who, origin, refused in ((stranger, store.hub.url, 401),
                                         (console, "http://evil.example", 403)):
                try:
                    ws = await who.http.ws_connect(url, headers={"Origin": origin})
                except aiohttp.WSServerHandshakeError as e:
                    assert e.status == refused
                else:
                    await ws.close()
                    raise AssertionError("the websocket opened")

    asyncio.run(go())

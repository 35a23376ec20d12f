"""Enrolment: a one-time code for one device yields its token; the old token stops working."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.hub.hubtest import running_hub


def test_health_names_the_store_and_its_catalog_version(tmp_path: Path, hub_db: Path | str) -> None:
    async def go() -> None:
        async with running_hub(hub_db) as hub:
            assert await hub.call("GET", "/api/v1/health") == (
                200, {"ok": True, "store_id": "store-7", "catalog_version": 0})
    asyncio.run(go())


def test_a_good_code_gives_a_token_that_works_and_the_code_is_used_up(
        tmp_path: Path, hub_db: Path | str) -> None:
    async def go() -> None:
        async with running_hub(hub_db) as hub:
            code = hub.store.create_enrol_code("lane-3")
            status, answer = await hub.call("POST", "/api/v1/enrol",
                                            body={"code": code.lower(), "device_id": "lane-3"})
            assert status == 201
            assert answer["device_id"] == "lane-3" and answer["store_id"] == "store-7"
            assert len(answer["token"]) == 43
            assert (await hub.call("GET", "/api/v1/catalog", token=answer["token"]))[0] == 200
            again = await hub.call("POST", "/api/v1/enrol",
                                   body={"code": code, "device_id": "lane-3"})
            assert again[0] == 403 and "already used" in again[1]["error"]
    asyncio.run(go())


def test_an_expired_unknown_or_other_devices_code_is_refused(
        tmp_path: Path, hub_db: Path | str) -> None:
    async def go() -> None:
        async with running_hub(hub_db) as hub:
            old = hub.store.create_enrol_code(
                "lane-3", valid_h=1, now=datetime.now(UTC) - timedelta(hours=2))
            other = hub.store.create_enrol_code("lane-4")
            for code, words in ((old, "expired"), (other, "another device"),
                                ("AAAA-BBBB-CCCC-DDDD-EEEE", "unknown")):
                status, answer = await hub.call("POST", "/api/v1/enrol",
                                                body={"code": code, "device_id": "lane-3"})
                assert status == 403 and words in answer["error"]
            # the other device's code was not spent by the wrong device's attempt
            status, _ = await hub.call("POST", "/api/v1/enrol",
                                       body={"code": other, "device_id": "lane-4"})
            assert status == 201
    asyncio.run(go())


def test_re_enrolling_revokes_the_old_token(tmp_path: Path, hub_db: Path | str) -> None:
    async def go() -> None:
        async with running_hub(hub_db) as hub:
            first = await hub.enrol("lane-3")
            second = await hub.enrol("lane-3")
            status, answer = await hub.call("GET", "/api/v1/catalog", token=first)
            assert status == 401 and "enrol" in answer["error"]
            assert (await hub.call("GET", "/api/v1/catalog", token=second))[0] == 200
    asyncio.run(go())


@pytest.mark.parametrize("body", [
    {"code": 7, "device_id": "lane-3"}, {"code": "X"}, {"code": "X", "device_id": "a b"},
    ["code"], "text",
])
def test_a_malformed_enrolment_is_a_400(tmp_path: Path, hub_db: Path | str, body: object) -> None:
    async def go() -> None:
        async with running_hub(hub_db) as hub:
            status, answer = await hub.call("POST", "/api/v1/enrol", body=body)
            assert status == 400 and answer["error"]
    asyncio.run(go())


def test_no_token_or_code_reaches_the_log(tmp_path: Path, hub_db: Path | str,
                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)

    async def go() -> tuple[str, str]:
        async with running_hub(hub_db) as hub:
            code = hub.store.create_enrol_code("lane-3")
            _, answer = await hub.call("POST", "/api/v1/enrol",
                                       body={"code": code, "device_id": "lane-3"})
            await hub.call("POST", "/api/v1/enrol", body={"code": code, "device_id": "lane-3"})
            await hub.call("GET", "/api/v1/catalog", token=answer["token"])
            return code, str(answer["token"])
    code, token = asyncio.run(go())
    assert "lane-3" in caplog.text
    assert code not in caplog.text and token not in caplog.text

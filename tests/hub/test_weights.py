"""Learned weights at a real hub on 127.0.0.1: each lane's totals kept once per device and
served back merged by sample count; bad bodies and foreign tokens change nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from tests.hub.hubtest import Hub, running_hub

# Lane A learned milk from 1040, 1050 (mean 1045, m2 50) and bread from 740 x 4 (m2 0).
LANE_A = [{"sku": "MILCH", "count": 2, "mean_g": 1045.0, "m2": 50.0},
          {"sku": "BROT", "count": 4, "mean_g": 740.0, "m2": 0.0}]
# Lane B learned milk from 1060 x 3 (mean 1060, m2 0).
LANE_B = [{"sku": "MILCH", "count": 3, "mean_g": 1060.0, "m2": 0.0}]


async def merged(hub: Hub, token: str) -> dict[str, Any]:
    status, answer = await hub.call("GET", "/api/v1/weights", token=token)
    assert status == 200, answer
    return {w["sku"]: w for w in answer["weights"]}


def rows(hub: Hub) -> list[tuple[Any, ...]]:
    return hub.store.query("SELECT device_id, sku, sample_count, mean_g, m2 FROM lane_weights "
                           "ORDER BY device_id, sku")


def test_two_lanes_weights_are_merged_by_sample_count_and_a_resend_counts_nothing_twice(
        hub_db: Path | str) -> None:
    async def go() -> None:
        async with running_hub(hub_db) as hub:
            a, b = await hub.enrol("L1"), await hub.enrol("L2")
            for token, body in ((a, LANE_A), (b, LANE_B), (a, LANE_A), (b, LANE_B)):
                status, answer = await hub.call("PUT", "/api/v1/weights", token=token,
                                                body={"weights": body})
                assert status == 200 and answer == {"stored": len(body)}
            found = await merged(hub, a)
            # Milk by hand: count 2 + 3 = 5; mean (2*1045 + 3*1060) / 5 = 1054;
            # m2 = 50 + 0 + (1060 - 1045)^2 * 2*3/5 = 50 + 270 = 320.
            milk = found["MILCH"]
            assert (milk["count"], milk["lanes"]) == (5, 2)
            assert milk["mean_g"] == pytest.approx(1054.0)
            assert milk["m2"] == pytest.approx(320.0)
            assert (found["BROT"]["count"], found["BROT"]["mean_g"]) == (4, 740.0)
            # Lane A learned two more milk cartons: its new running total replaces its old one.
            grown = [{"sku": "MILCH", "count": 4, "mean_g": 1045.0, "m2": 100.0}]
            await hub.call("PUT", "/api/v1/weights", token=a, body={"weights": grown})
            assert (await merged(hub, b))["MILCH"]["count"] == 7

    asyncio.run(go())


@pytest.mark.parametrize(("body", "named"), [
    ({"weights": [{"sku": "MILCH", "count": 0, "mean_g": 1045.0, "m2": 0.0}]}, "count"),
    ({"weights": [{"sku": "MILCH", "count": 2.5, "mean_g": 1045.0, "m2": 0.0}]}, "count"),
    ({"weights": [{"sku": "MILCH", "count": True, "mean_g": 1045.0, "m2": 0.0}]}, "count"),
    ({"weights": [{"sku": "MILCH", "count": 2, "mean_g": 0, "m2": 0.0}]}, "mean_g"),
    ({"weights": [{"sku": "MILCH", "count": 2, "mean_g": "1045", "m2": 0.0}]}, "mean_g"),
    ({"weights": [{"sku": "MILCH", "count": 2, "mean_g": 1045.0, "m2": -1.0}]}, "m2"),
    ({"weights": [{"sku": "", "count": 2, "mean_g": 1045.0, "m2": 0.0}]}, "sku"),
    ({"weights": [{"sku": 7, "count": 2, "mean_g": 1045.0, "m2": 0.0}]}, "sku"),
    ({"weights": [LANE_A[0], {**LANE_A[0], "count": 9}]}, "repeated"),
    ({"weights": [*LANE_A, "MILCH"]}, "weights[2]"),
    ({"weights": {"MILCH": 2}}, "list"),
    ([LANE_A], "object"),
])
def test_a_malformed_weights_body_is_refused_naming_the_field_and_nothing_is_stored(
        hub_db: Path | str, body: Any, named: str) -> None:
    async def go() -> None:
        async with running_hub(hub_db) as hub:
            a = await hub.enrol("L1")
            await hub.call("PUT", "/api/v1/weights", token=a, body={"weights": LANE_B})
            before = rows(hub)
            status, answer = await hub.call("PUT", "/api/v1/weights", token=a, body=body)
            assert status == 400 and named in answer["error"]
            assert rows(hub) == before

    asyncio.run(go())


def test_not_a_number_and_infinity_are_refused(hub_db: Path | str) -> None:
    async def go() -> None:
        async with running_hub(hub_db) as hub:
            a = await hub.enrol("L1")
            for raw in (b'{"weights":[{"sku":"M","count":2,"mean_g":NaN,"m2":0}]}',
                        b'{"weights":[{"sku":"M","count":2,"mean_g":1045,"m2":Infinity}]}'):
                status, answer = await hub.call("PUT", "/api/v1/weights", token=a, data=raw)
                assert status == 400, answer
            assert rows(hub) == []

    asyncio.run(go())


def test_a_lanes_record_is_keyed_by_its_token_so_another_device_cannot_overwrite_it(
        hub_db: Path | str) -> None:
    async def go() -> None:
        async with running_hub(hub_db) as hub:
            a, b = await hub.enrol("L1"), await hub.enrol("L2")
            await hub.call("PUT", "/api/v1/weights", token=a, body={"weights": LANE_A})
            # L2 sends "its" milk claiming to be L1: the body has no say over the device.
            forged = [{**LANE_B[0], "device_id": "L1", "lane_id": "L1"}]
            status, _ = await hub.call("PUT", "/api/v1/weights", token=b,
                                       body={"weights": forged, "device_id": "L1"})
            assert status == 200
            assert rows(hub) == [("L1", "BROT", 4, 740.0, 0.0), ("L1", "MILCH", 2, 1045.0, 50.0),
                                 ("L2", "MILCH", 3, 1060.0, 0.0)]
            status, _ = await hub.call("PUT", "/api/v1/weights", token="forged-token",
                                       body={"weights": LANE_B})
            assert status == 401
            status, _ = await hub.call("GET", "/api/v1/weights")
            assert status == 401
            assert len(rows(hub)) == 3

    asyncio.run(go())

"""The gap report: every answer names all the seq ranges the hub lacks for the lane, also
holes far from the batch just sent, until they are filled."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tests.hub.hubtest import lane_sales, running_hub


def gaps(*ranges: tuple[int, int]) -> list[dict[str, Any]]:
    return [{"lane_id": "lane-5", "from_seq": a, "to_seq": b} for a, b in ranges]


def test_every_answer_reports_all_missing_sales_of_the_lane_until_they_arrive(
        tmp_path: Path) -> None:
    s = lane_sales(tmp_path, "lane-5", 9)
    batches = ([s[3]],          # seq 4 first: 1..3 missing
               [s[0]],          # seq 1: 2..3 still missing
               [s[5], s[6]],    # seq 6, 7: a second hole at 5
               [s[7], s[8]],    # seq 8, 9: both holes lie behind this batch
               [s[1], s[2]],    # the first hole filled
               [s[4]])          # the last hole filled
    answers: list[Any] = []

    async def go() -> None:
        async with running_hub(tmp_path / "hub.sqlite") as hub:
            token = await hub.enrol("lane-5")
            for batch in batches:
                status, answer = await hub.send(token, batch)
                assert status == 200 and {r["status"] for r in answer["results"]} == \
                    {"accepted"}, answer
                answers.append(answer["gaps"])

    asyncio.run(go())
    assert answers == [gaps((1, 3)), gaps((2, 3)), gaps((2, 3), (5, 5)), gaps((2, 3), (5, 5)),
                       gaps((5, 5)), []]

"""Sales ingest: every lane sale is held exactly once, forged or foreign sales never."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.hub.chain import sale_hash
from tests.hub.hubtest import lane_sales, running_hub, wire


def held(hub_store: Any) -> list[tuple[str, int]]:
    return hub_store.query("SELECT sale_id, seq FROM sales ORDER BY lane_id, seq")


def test_sales_are_accepted_once_and_a_resent_batch_is_all_duplicates(
        tmp_path: Path, hub_db: Path | str) -> None:
    records = lane_sales(tmp_path, "lane-3", 3)

    async def go() -> None:
        async with running_hub(hub_db) as hub:
            token = await hub.enrol("lane-3")
            status, answer = await hub.send(token, records)
            assert status == 200
            assert [r["status"] for r in answer["results"]] == ["accepted"] * 3
            assert answer["gaps"] == []
            _, again = await hub.send(token, records)
            assert [(r["sale_id"], r["status"], r["reason"]) for r in again["results"]] == [
                (r.sale_id, "duplicate", "") for r in records]
            assert held(hub.store) == [(r.sale_id, r.seq) for r in records]
    asyncio.run(go())


def test_the_hub_recomputes_the_lanes_own_hash() -> None:
    # The hub's formula is written out on its own; the lane's journal must agree with it.
    from kiosk.journal.sales import sale_hash as lane_hash
    assert sale_hash("0" * 64, '{"a":"ä"}', 7, "S-1") == lane_hash("0" * 64, '{"a":"ä"}', 7, "S-1")


def test_a_device_cannot_send_another_lanes_sales(tmp_path: Path, hub_db: Path | str) -> None:
    records = lane_sales(tmp_path, "lane-4", 1)

    async def go() -> None:
        async with running_hub(hub_db) as hub:
            token = await hub.enrol("lane-3")
            _, answer = await hub.send(token, records)
            result = answer["results"][0]
            assert result["status"] == "rejected" and "own sales" in result["reason"]
            assert held(hub.store) == []
    asyncio.run(go())


def test_a_forged_payload_or_a_payload_for_another_sale_is_rejected(
        tmp_path: Path, hub_db: Path | str) -> None:
    record = wire(lane_sales(tmp_path, "lane-3", 1)[0])
    forged = {**record, "payload": record["payload"].replace("109", "1")}
    other_payload = json.dumps({"sale_id": "S-other"})
    rehashed = {**record, "payload": other_payload,
                "hash": sale_hash(record["prev_hash"], other_payload, 1, record["sale_id"])}

    async def go() -> None:
        async with running_hub(hub_db) as hub:
            token = await hub.enrol("lane-3")
            _, answer = await hub.send(token, [forged, rehashed])
            assert [r["status"] for r in answer["results"]] == ["rejected", "rejected"]
            assert "hash does not match" in answer["results"][0]["reason"]
            assert "sale_id" in answer["results"][1]["reason"]
            assert held(hub.store) == []
    asyncio.run(go())


def test_a_broken_chain_is_rejected_and_a_missing_sale_is_reported_as_a_gap(
        tmp_path: Path, hub_db: Path | str) -> None:
    one, two, three, four = lane_sales(tmp_path, "lane-3", 4)
    (tmp_path / "other").mkdir()
    other = lane_sales(tmp_path / "other", "lane-3", 4)  # a second lane file: another chain
    wrong_link = wire(other[2])
    wrong_link = {**wrong_link, "sale_id": "S-x", "payload": wrong_link["payload"].replace(
        "S-lane-3-3", "S-x"), "prev_hash": "f" * 64}
    wrong_link["hash"] = sale_hash(wrong_link["prev_hash"], wrong_link["payload"], 3, "S-x")

    async def go() -> None:
        async with running_hub(hub_db) as hub:
            token = await hub.enrol("lane-3")
            _, answer = await hub.send(token, [one, four])
            assert [r["status"] for r in answer["results"]] == ["accepted", "accepted"]
            assert answer["gaps"] == [{"lane_id": "lane-3", "from_seq": 2, "to_seq": 3}]
            _, answer = await hub.send(token, [two, wrong_link])
            assert answer["results"][0]["status"] == "accepted"
            assert answer["results"][1] == {"sale_id": "S-x", "status": "rejected",
                                            "reason": answer["results"][1]["reason"]}
            assert "breaks the hash chain at seq 3" in answer["results"][1]["reason"]
            assert answer["gaps"] == [{"lane_id": "lane-3", "from_seq": 3, "to_seq": 3}]
            _, answer = await hub.send(token, [three])
            assert answer["results"][0]["status"] == "accepted" and answer["gaps"] == []
    asyncio.run(go())


def test_a_conflicting_duplicate_is_rejected_and_the_first_sale_kept(
        tmp_path: Path, hub_db: Path | str) -> None:
    record = wire(lane_sales(tmp_path, "lane-3", 1)[0])
    changed_payload = record["payload"].replace("Käse", "Kase")
    changed = {**record, "payload": changed_payload,
               "hash": sale_hash(record["prev_hash"], changed_payload, 1, record["sale_id"])}
    same_seq_payload = json.dumps({"sale_id": "S-new"})
    same_seq = {**record, "sale_id": "S-new", "payload": same_seq_payload,
                "hash": sale_hash(record["prev_hash"], same_seq_payload, 1, "S-new")}

    async def go() -> None:
        async with running_hub(hub_db) as hub:
            token = await hub.enrol("lane-3")
            await hub.send(token, [record])
            _, answer = await hub.send(token, [changed, same_seq])
            assert [r["status"] for r in answer["results"]] == ["rejected", "rejected"]
            assert "different content" in answer["results"][0]["reason"]
            assert "already holds" in answer["results"][1]["reason"]
            payload = hub.store.query("SELECT payload FROM sales")
            assert payload == [(record["payload"],)]
    asyncio.run(go())


def test_without_or_with_a_bad_token_nothing_is_stored(tmp_path: Path, hub_db: Path | str) -> None:
    records = lane_sales(tmp_path, "lane-3", 1)

    async def go() -> None:
        async with running_hub(hub_db) as hub:
            await hub.enrol("lane-3")
            body = {"sales": [wire(r) for r in records]}
            for token in (None, "", "not-a-token"):
                status, answer = await hub.call("POST", "/api/v1/sales", token=token, body=body)
                assert status == 401 and "token" in answer["error"].lower()
            assert held(hub.store) == []
    asyncio.run(go())


def test_malformed_json_wrong_types_and_huge_bodies_are_refused(
        tmp_path: Path, hub_db: Path | str) -> None:
    record = wire(lane_sales(tmp_path, "lane-3", 1)[0])

    async def go() -> None:
        async with running_hub(hub_db, max_body_bytes=512 * 1024) as hub:
            token = await hub.enrol("lane-3")
            status, answer = await hub.call("POST", "/api/v1/sales", token=token,
                                            data=b'{"sales": [')
            assert status == 400 and "not valid JSON" in answer["error"]
            for bad in ({**record, "seq": "1"}, {**record, "seq": True},
                        {**record, "hash": "ABC"}, {**record, "payload": 5}):
                status, answer = await hub.send(token, [bad])
                assert status == 400 and "sales[0]" in answer["error"]
            status, answer = await hub.send(token, [record] * 501)
            assert status == 400 and "at most 500" in answer["error"]
            status, answer = await hub.call("POST", "/api/v1/sales", token=token,
                                            data=b" " * (600 * 1024))
            assert status == 413 and "larger than" in answer["error"]
            assert held(hub.store) == []
    asyncio.run(go())


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
sale_like = st.fixed_dictionaries({}, optional={
    k: json_values | st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)
    for k in ("sale_id", "lane_id", "seq", "payload", "prev_hash", "hash")})


# One hub database serves every example (hub_db is per test): each example enrols again.
@settings(max_examples=60, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(bodies=st.lists(json_values | st.fixed_dictionaries(
    {"sales": st.lists(sale_like | json_values, max_size=3)}), min_size=1, max_size=5))
def test_random_json_bodies_never_cause_a_server_error(hub_db: Path | str,
                                                       bodies: list[Any]) -> None:
    async def go() -> None:
        async with running_hub(hub_db) as hub:
            token = await hub.enrol("lane-3")
            for body in bodies:
                for path in ("/api/v1/sales", "/api/v1/enrol"):
                    status, answer = await hub.call("POST", path, token=token, body=body)
                    assert status in (200, 201, 400, 403), (status, answer)
                    if status != 200:
                        assert isinstance(answer["error"], str)
    asyncio.run(go())

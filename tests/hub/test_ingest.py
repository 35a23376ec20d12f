"""Batched ingest: a batch is decided exactly as if its sales came one request each, sales of
one batch that depend on each other included, and the lane's progress row (the gap report's
count and highest seq) stays exact, also with two hubs writing to one PostgreSQL."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.hub.chain import GENESIS_HASH, sale_hash
from kiosk.hub.db import Database
from kiosk.hub.db_postgres import PostgresDatabase, is_url
from kiosk.hub.db_sqlite import SqliteDatabase
from kiosk.hub.errors import HubError
from kiosk.hub.ingest import Gap, IncomingSale, SaleResult, ingest
from kiosk.hub.store import MIGRATIONS, HubStore
from tests.hub.hubtest import running_hub

_lane_numbers = itertools.count(1)


def make_sale(lane: str, seq: int, prev_hash: str, *, sale_id: str = "",
              note: str = "") -> IncomingSale:
    """A sale of `lane` at `seq` chained on `prev_hash`; `note` changes its content."""
    sid = sale_id or f"S-{lane}-{seq}"
    payload = json.dumps({"sale_id": sid, "note": note, "finished_at": "2026-11-22T10:00:00Z",
                          "totals": {"total_cents": 100 * seq + 9}}, sort_keys=True)
    return IncomingSale(sid, lane, seq, payload, prev_hash,
                        sale_hash(prev_hash, payload, seq, sid))


def chain(lane: str, count: int, *, note: str = "") -> list[IncomingSale]:
    """Sales 1..count of one chain (index 0 is seq 1); another `note` makes another chain
    with its own sale ids."""
    out: list[IncomingSale] = []
    prev = GENESIS_HASH
    for seq in range(1, count + 1):
        sale = make_sale(lane, seq, prev, sale_id=f"S-{lane}-{seq}{note}", note=note)
        out.append(sale)
        prev = sale.hash
    return out


def wire(sale: IncomingSale) -> dict[str, Any]:
    return {"sale_id": sale.sale_id, "lane_id": sale.lane_id, "seq": sale.seq,
            "payload": sale.payload, "prev_hash": sale.prev_hash, "hash": sale.hash}


def progress(store: HubStore, lane: str) -> list[tuple[Any, ...]]:
    """The lane's progress row next to what its sales table holds: both must agree."""
    return [tuple(int(v) for v in row) for row in store.query(
        "SELECT p.sales, p.max_seq, (SELECT COUNT(*) FROM sales s WHERE s.lane_id = ?), "
        "(SELECT MAX(seq) FROM sales s WHERE s.lane_id = ?) FROM lane_progress p "
        "WHERE p.lane_id = ?", (lane, lane, lane))]


def test_sales_of_one_batch_see_the_sales_accepted_before_them_in_that_batch(
        hub_db: Path | str) -> None:
    lane = "lane-3"
    s = chain(lane, 8)
    changed_2 = make_sale(lane, 2, s[0].hash, sale_id=s[1].sale_id, note="changed")
    other_2 = make_sale(lane, 2, s[0].hash, sale_id="S-other-2")
    wrong_link_3 = make_sale(lane, 3, "f" * 64, sale_id="S-wrong-3")
    fork_4 = make_sale(lane, 4, s[2].hash, sale_id="S-fork-4")

    async def go() -> list[tuple[list[tuple[str, str, str]], Any]]:
        answers = []
        async with running_hub(hub_db) as hub:
            token = await hub.enrol(lane)
            for batch in ([s[0], s[1], s[0], changed_2, other_2, wrong_link_3, s[2]],
                          [s[5], s[4], fork_4, s[3]],
                          [s[7]]):
                status, answer = await hub.call("POST", "/api/v1/sales", token=token,
                                                body={"sales": [wire(x) for x in batch]})
                assert status == 200, answer
                answers.append(([(r["sale_id"], r["status"], r["reason"])
                                 for r in answer["results"]], answer["gaps"]))
            assert progress(hub.store, lane) == [(7, 8, 7, 8)]
        return answers

    first, second, third = asyncio.run(go())
    assert [(sid, status) for sid, status, _ in first[0]] == [
        (s[0].sale_id, "accepted"), (s[1].sale_id, "accepted"), (s[0].sale_id, "duplicate"),
        (s[1].sale_id, "rejected"), ("S-other-2", "rejected"), ("S-wrong-3", "rejected"),
        (s[2].sale_id, "accepted")]
    reasons = [reason for _, _, reason in first[0]]
    assert "different content" in reasons[3]
    assert f"already holds sale {s[1].sale_id!r}" in reasons[4]
    assert "prev_hash is not the hash of the hub's sale at seq 2" in reasons[5]
    assert first[1] == []
    # 6 before 5 before 4: each fills the gap the one before it left; the fork of seq 4 does
    # not lead to the 5 accepted earlier in the batch.
    assert [status for _, status, _ in second[0]] == ["accepted", "accepted", "rejected",
                                                      "accepted"]
    assert "the hub's sale at seq 5 follows another sale" in second[0][2][2]
    assert second[1] == []
    assert third == ([(s[7].sale_id, "accepted", "")],
                     [{"lane_id": lane, "from_seq": 7, "to_seq": 7}])


def pool(lane: str) -> list[IncomingSale]:
    """Sales a lane might send, right and wrong: its chain, another chain, a changed copy of
    each sale, and a fork at each seq that chains on the right sale before it."""
    main, alt = chain(lane, 6), chain(lane, 6, note="-alt")
    changed = [make_sale(lane, x.seq, x.prev_hash, sale_id=x.sale_id, note="changed")
               for x in main]
    forks = [make_sale(lane, x.seq, x.prev_hash, sale_id=f"{x.sale_id}-fork") for x in main]
    return main + alt + changed + forks


def same_lane(result: SaleResult, lane: str, as_lane: str) -> SaleResult:
    return SaleResult(result.sale_id.replace(lane, as_lane), result.status,
                      result.reason.replace(lane, as_lane))


@settings(max_examples=40, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(picks=st.lists(st.integers(0, 23), min_size=1, max_size=16),
       sizes=st.lists(st.integers(1, 5), min_size=1, max_size=16))
def test_a_batch_gets_the_answers_its_sales_get_when_sent_one_by_one(
        hub_db: Path | str, picks: list[int], sizes: list[int]) -> None:
    n = next(_lane_numbers)
    batched_lane, single_lane = f"lane-b{n:04d}", f"lane-s{n:04d}"
    batched_pool, single_pool = pool(batched_lane), pool(single_lane)
    with HubStore.open(hub_db) as store:
        start = 0
        for size in itertools.cycle(sizes):
            if start >= len(picks):
                break
            chosen = picks[start:start + size]
            start += size
            results, gaps = ingest(store, batched_lane, [batched_pool[i] for i in chosen])
            singles: list[SaleResult] = []
            single_gaps: list[Gap] = []
            for i in chosen:
                one, single_gaps = ingest(store, single_lane, [single_pool[i]])
                singles += one
            assert [same_lane(r, batched_lane, single_lane) for r in results] == singles
            assert [Gap(single_lane, g.from_seq, g.to_seq) for g in gaps] == single_gaps
        for lane in (batched_lane, single_lane):
            rows = progress(store, lane)
            assert all(row[:2] == row[2:] for row in rows), rows


def hub_before_progress(where: Path | str, sales: list[IncomingSale]) -> None:
    """A hub database as it was before lane_progress (its migrations applied as HubStore
    applies them), holding `sales`."""
    before = next(v for v, sql in enumerate(MIGRATIONS, 1) if "TABLE lane_progress" in sql)
    db: Database = (PostgresDatabase.open(str(where)) if is_url(where)
                    else SqliteDatabase.open(where))
    try:
        with db.transaction() as tx:
            tx.execute("CREATE TABLE schema_version "
                       "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
            for version in range(1, before):
                for statement in db.migration(version, MIGRATIONS[version - 1]):
                    tx.execute(statement)
                tx.execute("INSERT INTO schema_version (version, applied_at) "
                           "VALUES (?, '2026-11-01T10:00:00+00:00')", (version,))
            tx.execute("INSERT INTO store_info (id, store_id, created_at) "
                       "VALUES (1, 'store-1', '2026-11-01T10:00:00+00:00')")
            tx.executemany(
                "INSERT INTO sales (lane_id, sale_id, seq, payload, prev_hash, hash, "
                "received_at) VALUES (?, ?, ?, ?, ?, ?, '2026-11-01T10:00:00+00:00')",
                [(x.lane_id, x.sale_id, x.seq, x.payload, x.prev_hash, x.hash) for x in sales])
    finally:
        db.close()


def test_a_database_from_before_the_progress_table_gets_its_lanes_counted(
        hub_db: Path | str) -> None:
    lane = "lane-3"
    s = chain(lane, 5)
    hub_before_progress(hub_db, s[:3])
    with HubStore.open(hub_db) as store:
        assert progress(store, lane) == [(3, 3, 3, 3)]
        results, gaps = ingest(store, lane, [s[4], s[2]])
        assert [r.status for r in results] == ["accepted", "duplicate"]
        assert gaps == [Gap(lane, 4, 4)]
        assert progress(store, lane) == [(4, 5, 4, 5)]
        results, gaps = ingest(store, lane, [s[3]])
        assert [r.status for r in results] == ["accepted"] and gaps == []


def test_two_hubs_on_one_postgresql_count_every_sale_of_a_lane_once(postgres_url: str) -> None:
    lane = "lane-3"
    s = chain(lane, 40)
    batches = [s[i:i + 4] for i in range(0, len(s), 4)]
    failures: list[BaseException] = []
    HubStore.open(postgres_url).close()  # migrated once, before the two hubs start

    def hub(order: list[list[IncomingSale]]) -> None:
        try:
            with HubStore.open(postgres_url) as store:
                for batch in order:
                    # As the uploader does: a batch the hub could not store is sent again.
                    for _attempt in range(20):
                        try:
                            store.run(ingest, store, lane, batch)
                            break
                        except HubError:
                            continue
                    else:
                        raise AssertionError(f"batch at seq {batch[0].seq} never got through")
        except BaseException as e:  # reported by the main thread
            failures.append(e)

    threads = [threading.Thread(target=hub, args=(order,))
               for order in (batches, list(reversed(batches)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with HubStore.open(postgres_url) as store:
        assert progress(store, lane) == [(40, 40, 40, 40)]
        results, gaps = ingest(store, lane, s)
        assert {r.status for r in results} == {"duplicate"} and gaps == []

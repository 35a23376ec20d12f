"""What is PostgreSQL's own in the hub: concurrent writers, the append-only trigger, BIGINT
columns, connection errors that never show the password, and `kiosk hub --db postgresql://`."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import psycopg
import pytest
from aiohttp import web

from kiosk.domain.catalog import product_from_dict
from kiosk.hub.app import make_app
from kiosk.hub.catalog import catalog_version, publish
from kiosk.hub.db_postgres import mask_url, to_pyformat
from kiosk.hub.errors import HubError
from kiosk.hub.store import HubStore
from kiosk.journal.sales import SaleRecord
from tests.hub.hubtest import lane_sales, wire
from tests.pgserver import TemporaryPostgres, _free_port

LANES = 6
SALES_PER_LANE = 12
BATCH = 4
RESENDS_ON_503 = 5  # as the uploader would; the store already retried lost races itself


def test_question_marks_become_psycopg_placeholders_but_quoted_ones_stay() -> None:
    assert to_pyformat("SELECT a FROM t WHERE b = ? AND c > ?") == (
        "SELECT a FROM t WHERE b = %s AND c > %s")
    assert to_pyformat("SELECT '?', \"odd?\" FROM t WHERE x = ?") == (
        "SELECT '?', \"odd?\" FROM t WHERE x = %s")
    assert to_pyformat("SELECT 'it''s ?' WHERE x = ?") == "SELECT 'it''s ?' WHERE x = %s"
    assert to_pyformat("SELECT 5 % 2, '100%' -- lane's share?\nWHERE x = ?") == (
        "SELECT 5 %% 2, '100%%' -- lane's share?\nWHERE x = %s")


def test_literal_percent_and_question_marks_reach_postgresql_as_written(postgres_url: str
                                                                       ) -> None:
    with HubStore.open(postgres_url) as store:
        assert store.query("SELECT '100%', 'a?b', ?, 7 % 4", ("x",)) == [("100%", "a?b", "x", 3)]


def test_both_backends_record_the_same_schema_versions(tmp_path: Path,
                                                       postgres_url: str) -> None:
    versions = []
    for where in (tmp_path / "hub.sqlite", postgres_url):
        with HubStore.open(where) as store:
            versions.append(store.query("SELECT version FROM schema_version ORDER BY version"))
        with HubStore.open(where) as store:  # opening again migrates nothing
            assert store.query("SELECT version FROM schema_version ORDER BY version") == (
                versions[-1])
    assert versions[0] == versions[1] and len(versions[0]) >= 2


def test_seq_and_cents_beyond_32_bits_are_kept_exactly(postgres_url: str) -> None:
    big = 2**40 + 7
    with HubStore.open(postgres_url) as store:
        with store.transaction() as tx:
            tx.execute("INSERT INTO sales (lane_id, sale_id, seq, payload, prev_hash, hash, "
                       "finished_at, total_cents, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       ("lane-3", "S-big", big, "{}", "0" * 64, "f" * 64, None, big, "now"))
        assert store.query("SELECT seq, total_cents FROM sales") == [(big, big)]


def test_a_stored_sale_cannot_be_updated_deleted_or_truncated(tmp_path: Path,
                                                              postgres_url: str) -> None:
    record = lane_sales(tmp_path, "lane-3", 1)[0]

    async def go() -> None:
        async with serving(postgres_url) as (url, store):
            async with aiohttp.ClientSession() as http:
                token = await enrol(http, url, store, "lane-3")
                answer = await post(http, url, token, [record])
            assert answer["results"][0]["status"] == "accepted"
    asyncio.run(go())
    with HubStore.open(postgres_url) as store:
        for sql in ("UPDATE sales SET total_cents = 1", "DELETE FROM sales", "TRUNCATE sales"):
            with pytest.raises(HubError, match="append-only"), store.transaction() as tx:
                tx.execute(sql)
        assert store.query("SELECT sale_id, total_cents FROM sales") == [(record.sale_id, 109)]


def test_a_wrong_password_names_the_host_but_never_the_password(postgres_url: str) -> None:
    parts = urlsplit(postgres_url)
    secret = "not-the-password-4711"
    wrong = urlunsplit(parts._replace(netloc=f"kiosk:{secret}@{parts.hostname}:{parts.port}"))
    with pytest.raises(HubError) as caught:
        HubStore.open(wrong)
    message = str(caught.value)
    assert secret not in message and "kiosk:***@127.0.0.1" in message
    assert "password" in message  # it says what to check
    assert mask_url(wrong) == wrong.replace(secret, "***")


def test_an_unreachable_server_is_a_hub_error_naming_host_and_port() -> None:
    port = _free_port()  # nothing listens there
    with pytest.raises(HubError, match=f"127.0.0.1:{port}") as caught:
        HubStore.open(f"postgresql://kiosk:s3cret-pw@127.0.0.1:{port}/kiosk")
    assert "s3cret-pw" not in str(caught.value)


def test_a_dropped_connection_fails_one_request_and_the_next_reconnects(
        postgres_url: str) -> None:
    with HubStore.open(postgres_url) as store:
        pid = store.query("SELECT pg_backend_pid()")[0][0]
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(HubError, match="read failed"):
            store.query("SELECT 1")
        assert store.query("SELECT 1") == [(1,)]
        assert store.query("SELECT pg_backend_pid()")[0][0] != pid


# --- concurrent writers ------------------------------------------------------------------------


@asynccontextmanager
async def serving(where: str) -> AsyncIterator[tuple[str, HubStore]]:
    """A hub app over `where` on 127.0.0.1 with its own HubStore (so its own connection):
    its base URL and store."""
    store = HubStore.open(where, store_id="store-7")
    runner = web.AppRunner(make_app(store))
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        yield f"http://127.0.0.1:{runner.addresses[0][1]}", store
    finally:
        await runner.cleanup()
        store.close()


async def enrol(http: aiohttp.ClientSession, url: str, store: HubStore, lane: str) -> str:
    code = store.create_enrol_code(lane)
    async with http.post(f"{url}/api/v1/enrol", json={"code": code, "device_id": lane}) as r:
        assert r.status == 201
        return str((await r.json())["token"])


async def post(http: aiohttp.ClientSession, url: str, token: str,
               records: list[SaleRecord]) -> Any:
    """POST one batch; a 503 is sent again, as the uploader would."""
    for _ in range(RESENDS_ON_503):
        async with http.post(f"{url}/api/v1/sales", json={"sales": [wire(r) for r in records]},
                             headers={"Authorization": f"Bearer {token}"}) as r:
            if r.status != 503:
                assert r.status == 200, await r.text()
                return await r.json()
    raise AssertionError(f"still 503 after {RESENDS_ON_503} sends")


def test_two_hubs_on_one_database_take_concurrent_batches_and_every_chain_stays_whole(
        tmp_path: Path, postgres_url: str) -> None:
    lanes = [f"lane-{n}" for n in range(1, LANES + 1)]
    records = {lane: lane_sales(tmp_path, lane, SALES_PER_LANE) for lane in lanes}

    async def lane_uploads(url: str, token: str, lane: str) -> list[str]:
        statuses = []
        async with aiohttp.ClientSession() as http:  # one client per lane, like real lanes
            for start in range(0, SALES_PER_LANE, BATCH):
                answer = await post(http, url, token, records[lane][start:start + BATCH])
                statuses += [r["status"] for r in answer["results"]]
        return statuses

    async def go() -> None:
        async with serving(postgres_url) as (url_a, store), serving(postgres_url) as (url_b, _):
            async with aiohttp.ClientSession() as http:
                tokens = {lane: await enrol(http, url_a, store, lane) for lane in lanes}
            # Lanes alternate between the two hubs, all at once.
            results = await asyncio.gather(*(
                lane_uploads(url_a if i % 2 else url_b, tokens[lane], lane)
                for i, lane in enumerate(lanes)))
            assert all(s == ["accepted"] * SALES_PER_LANE for s in results), results
    asyncio.run(go())
    with HubStore.open(postgres_url) as store:
        for lane in lanes:
            rows = store.query("SELECT seq, sale_id, prev_hash, hash FROM sales "
                               "WHERE lane_id = ? ORDER BY seq", (lane,))
            assert [(seq, sid) for seq, sid, _, _ in rows] == [
                (r.seq, r.sale_id) for r in records[lane]]
            assert all(rows[i][2] == rows[i - 1][3] for i in range(1, len(rows)))


def test_one_batch_sent_to_two_hubs_at_once_is_stored_once(tmp_path: Path,
                                                          postgres_url: str) -> None:
    batch = lane_sales(tmp_path, "lane-3", BATCH)

    async def go() -> list[list[str]]:
        async with serving(postgres_url) as (url_a, store), \
                serving(postgres_url) as (url_b, _), aiohttp.ClientSession() as http:
            token = await enrol(http, url_a, store, "lane-3")
            answers = await asyncio.gather(*(post(http, url, token, batch)
                                             for url in (url_a, url_b, url_a, url_b)))
        return [[r["status"] for r in a["results"]] for a in answers]

    statuses = asyncio.run(go())
    # Each sale was accepted by exactly one of the four sends; the others saw a duplicate.
    for i in range(BATCH):
        column = sorted(s[i] for s in statuses)
        assert column == ["accepted", "duplicate", "duplicate", "duplicate"], statuses
    with HubStore.open(postgres_url) as store:
        assert store.query("SELECT COUNT(*) FROM sales")[0][0] == BATCH


def test_catalog_imports_racing_on_two_connections_each_get_their_own_version(
        postgres_url: str) -> None:
    rounds = 6
    got: list[int] = []
    errors: list[BaseException] = []

    def importer(offset: int) -> None:
        try:
            with HubStore.open(postgres_url) as store:
                for n in range(rounds):
                    product = product_from_dict({"sku": "MILCH", "name_de": "Vollmilch",
                                                 "price_cents": 100 + 2 * n + offset,
                                                 "vat_rate": 7, "gtin": "4200200000015"})
                    got.append(store.run(publish, store, [product], None))
        except BaseException as e:  # handed to the test's thread
            errors.append(e)

    HubStore.open(postgres_url).close()  # migrate once, before the race
    threads = [threading.Thread(target=importer, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(got) == list(range(1, 2 * rounds + 1))  # no version handed out twice
    with HubStore.open(postgres_url) as store:
        assert catalog_version(store) == 2 * rounds


# --- the command line ---------------------------------------------------------------------------


def test_kiosk_hub_serves_a_postgresql_database_with_the_password_from_pgpassword(
        postgres_server: TemporaryPostgres, postgres_url: str) -> None:
    parts = urlsplit(postgres_url)
    without_password = urlunsplit(parts._replace(
        netloc=f"{parts.username}@{parts.hostname}:{parts.port}"))
    env = {**os.environ, "PGPASSWORD": postgres_server.password}
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "hub", "--db", without_password,
                             "--store-id", "markt-17", "--listen", "127.0.0.1:0"],
                            stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "listening on http://127.0.0.1:" in line, line
        url = line.split("listening on ", 1)[1].strip()
        with urllib.request.urlopen(f"{url}/api/v1/health", timeout=10) as answer:
            assert json.loads(answer.read())["store_id"] == "markt-17"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
        if proc.stdout is not None:
            proc.stdout.close()

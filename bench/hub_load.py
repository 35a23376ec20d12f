"""One hub under 100 lanes each sending a sale per second: ingest latency, hub CPU, errors.

    .venv/bin/python bench/hub_load.py [--lanes 100] [--seconds 30] [--prefill 20000]
                                       [--backend sqlite|postgresql|both]

`kiosk hub` runs in a subprocess on 127.0.0.1 over a fresh database; `--lanes` devices are
enrolled over HTTP. This process is the client: one asyncio loop with one aiohttp session (its
own connection) per lane. Each lane posts one sale per second for `--seconds`, at a random
phase within the second, each a real chained sale of its lane (hash by kiosk.hub.chain, payload
a 10-20 line sale's canonical JSON, batch of one as the uploader sends while the lane sells).
Latency is from the request sent to the answer read. Figures: p50/p95/p99/max, achieved sales/s,
errors (anything but HTTP 200 with "accepted"; must be 0), the hub's CPU as % of one core
(/proc/PID/stat) and the client's own CPU % (if near 100 % the client, not the hub, would be
the bottleneck).

Baseline in the same run: the same schedule against `GET /api/v1/health` (the HTTP floor of
this hub: routing, JSON and two tiny reads), reported as `sales_p99_vs_health`.

Gap report: `lane_gaps` (kiosk/hub/ingest.py) reads the lane's sequence on every batch. The load
is run again on a hub whose lanes already hold `--prefill` old sales each (placeholder rows made
in SQL with a valid tail hash, so new sales chain on), and `lane_gaps` is timed alone on both
databases (`gap_report_ms`), so its share of an ingest is visible.

Prints readable lines, then the figures as one JSON object on the last line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import hubbench

from kiosk.hub.chain import GENESIS_HASH, sale_hash
from kiosk.hub.ingest import lane_gaps
from kiosk.hub.store import HubStore

TAIL_HASH = "ab" * 32  # hash of every placeholder row; the next real sale's prev_hash


def lane_id(i: int) -> str:
    return f"lane-{i:03d}"


def canonical(value: Any) -> str:
    # The lane journal's canonical JSON (kiosk.journal.db.canonical_json).
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def prefill(store: HubStore, lanes: Sequence[str], count: int) -> None:
    """`count` placeholder sales per lane, seq 1..count, each lane in one portable INSERT, and
    the lane's row in lane_progress as ingest keeps it."""
    for lane in lanes:
        with store.transaction() as tx:
            tx.execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
                "INSERT INTO sales (lane_id, sale_id, seq, payload, prev_hash, hash, "
                "finished_at, total_cents, received_at) "
                "SELECT ?, 'old-' || CAST(i AS TEXT), i, '{\"old\":true}', ?, ?, "
                "'2026-10-01T10:00:00.000Z', 100, '2026-10-01T10:00:01+00:00' FROM n",
                (count, lane, TAIL_HASH, TAIL_HASH))
            # What ingest would have counted for these sales (kiosk.hub.ingest lane_gaps).
            tx.execute("INSERT INTO lane_progress (lane_id, sales, max_seq) VALUES (?, ?, ?)",
                       (lane, count, count))


def chained_bodies(lane: str, first_seq: int, count: int, rng: random.Random) -> list[bytes]:
    """`count` request bodies {"sales": [one sale]} continuing the lane's chain at first_seq."""
    prev = GENESIS_HASH if first_seq == 1 else TAIL_HASH
    bodies = []
    for seq in range(first_seq, first_seq + count):
        sale = hubbench.realistic_sale(lane, seq, rng)
        payload = canonical(sale)
        digest = sale_hash(prev, payload, seq, sale["sale_id"])
        bodies.append(json.dumps({"sales": [{
            "sale_id": sale["sale_id"], "lane_id": lane, "seq": seq, "payload": payload,
            "prev_hash": prev, "hash": digest}]}).encode())
        prev = digest
    return bodies


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""
    late_starts: int = 0  # requests sent more than 100 ms after their slot (client behind)
    start: float = 0.0  # loop time of the first slot
    last_answer: float = 0.0  # loop time of the last answer


async def lane_loop(session: aiohttp.ClientSession, url: str, token: str,
                    bodies: Sequence[bytes] | None, seconds: int, start: float,
                    phase_s: float, tally: Tally) -> None:
    """One lane: a request per second at `start + phase_s + k`; POST a sale, or GET health
    when `bodies` is None."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    loop = asyncio.get_running_loop()
    for k in range(seconds):
        due = start + phase_s + k
        await asyncio.sleep(max(0.0, due - loop.time()))
        if loop.time() - due > 0.1:
            tally.late_starts += 1
        sent = time.perf_counter()
        try:
            if bodies is None:
                async with session.get(f"{url}/api/v1/health") as resp:
                    text = await resp.text()
                    ok = resp.status == 200
            else:
                async with session.post(f"{url}/api/v1/sales", data=bodies[k],
                                        headers=headers) as resp:
                    text = await resp.text()
                    ok = resp.status == 200 and json.loads(text)["results"][0]["status"] \
                        == "accepted"
        except (aiohttp.ClientError, OSError, ValueError, KeyError) as e:
            ok, text = False, repr(e)
        tally.latencies_ms.append((time.perf_counter() - sent) * 1000)
        tally.last_answer = max(tally.last_answer, loop.time())
        if not ok:
            tally.errors += 1
            tally.first_error = tally.first_error or text[:200]


async def run_load(url: str, tokens: dict[str, str], bodies: dict[str, list[bytes]] | None,
                   seconds: int, seed: int) -> Tally:
    rng = random.Random(seed)
    tally = Tally()
    sessions = [aiohttp.ClientSession() for _ in tokens]
    try:
        loop = asyncio.get_running_loop()
        start = tally.start = loop.time() + 0.5
        await asyncio.gather(*(
            lane_loop(session, url, token, None if bodies is None else bodies[lane], seconds,
                      start, rng.random(), tally)
            for session, (lane, token) in zip(sessions, tokens.items(), strict=True)))
    finally:
        for session in sessions:
            await session.close()
    return tally


async def enrol_all(url: str, codes: dict[str, str]) -> dict[str, str]:
    async with aiohttp.ClientSession() as session:
        tokens = {}
        for lane, code in codes.items():
            async with session.post(f"{url}/api/v1/enrol",
                                    json={"code": code, "device_id": lane}) as resp:
                answer = await resp.json()
                if resp.status != 201:
                    raise SystemExit(f"enrolment of {lane} failed: {answer}")
                tokens[lane] = str(answer["token"])
    return tokens


def phase(backend: hubbench.Backend, hub: hubbench.HubProcess, tokens: dict[str, str],
          bodies: dict[str, list[bytes]] | None, seconds: int) -> dict[str, Any]:
    """One load phase; its figures."""
    hub_cpu0, client_cpu0 = hub.cpu_s(), time.process_time()
    server_cpu0 = backend.server_cpu_s()
    wall0 = time.perf_counter()
    tally = asyncio.run(run_load(hub.url, tokens, bodies, seconds, seed=len(tokens)))
    wall_s = time.perf_counter() - wall0
    hub_cpu_s, client_cpu_s = hub.cpu_s() - hub_cpu0, time.process_time() - client_cpu0
    server_cpu_s = backend.server_cpu_s() - server_cpu0
    done = len(tally.latencies_ms) - tally.errors
    out: dict[str, Any] = {**hubbench.latency_figures(tally.latencies_ms),
                           "requests": len(tally.latencies_ms), "errors": tally.errors,
                           "per_s": round(done / (tally.last_answer - tally.start), 1),
                           "hub_cpu_pct": round(100 * hub_cpu_s / wall_s, 1),
                           "client_cpu_pct": round(100 * client_cpu_s / wall_s, 1),
                           "db_server_cpu_pct": round(100 * server_cpu_s / wall_s, 1),
                           "late_starts": tally.late_starts}
    if tally.first_error:
        out["first_error"] = tally.first_error
    return out


def gap_report_ms(db: str, lanes: Sequence[str], calls: int = 200) -> float:
    """Mean milliseconds of one `lane_gaps` call, as ingest makes it (inside a transaction)."""
    with HubStore.open(db) as store, store.transaction() as tx:
        start = time.perf_counter()
        for k in range(calls):
            lane_gaps(tx, lanes[k % len(lanes)])
        return round((time.perf_counter() - start) * 1000 / calls, 3)


def one_hub(backend: hubbench.Backend, folder: Path, lanes: Sequence[str], seconds: int,
            old_sales: int, with_health: bool) -> dict[str, Any]:
    """Enrol the lanes on a fresh hub (after `old_sales` placeholder sales per lane), run the
    health phase (if asked) and the sales phase."""
    with HubStore.open(backend.db) as store:
        codes = {lane: store.create_enrol_code(lane) for lane in lanes}
        if old_sales:
            fill0 = time.perf_counter()
            prefill(store, lanes, old_sales)
            print(f"  prefilled {old_sales} old sales x {len(lanes)} lanes in "
                  f"{time.perf_counter() - fill0:.1f} s", flush=True)
    rng = random.Random(7)
    bodies = {lane: chained_bodies(lane, old_sales + 1, seconds, rng) for lane in lanes}
    out: dict[str, Any] = {}
    with hubbench.HubProcess(backend.db, folder) as hub:
        tokens = asyncio.run(enrol_all(hub.url, codes))
        if with_health:
            out["health"] = phase(backend, hub, tokens, None, seconds)
        out["sales"] = phase(backend, hub, tokens, bodies, seconds)
    with HubStore.open(backend.db) as store:
        held = int(store.query("SELECT COUNT(*) FROM sales")[0][0])
    out["sales"]["hub_holds"] = held - old_sales * len(lanes)
    out["gap_report_ms"] = gap_report_ms(backend.db, lanes)
    return out


def show(name: str, label: str, f: dict[str, Any]) -> None:
    print(f"{name} {label}: p50 {f['p50_ms']} ms, p95 {f['p95_ms']}, p99 {f['p99_ms']}, max "
          f"{f['max_ms']}; {f['per_s']}/s, {f['errors']} errors; hub CPU {f['hub_cpu_pct']} %, "
          f"database server CPU {f['db_server_cpu_pct']} %, client CPU {f['client_cpu_pct']} %",
          flush=True)


def bench_backend(name: str, folder: Path, lanes: Sequence[str], seconds: int,
                  old_sales: int) -> dict[str, Any]:
    with hubbench.backend_db(name, folder, "fresh") as backend:
        fresh = one_hub(backend, folder, lanes, seconds, 0, with_health=True)
    show(name, "health", fresh["health"])
    show(name, "sales", fresh["sales"])
    out: dict[str, Any] = {"health": fresh["health"], "sales": fresh["sales"],
                           "gap_report_ms": fresh["gap_report_ms"]}
    out["sales_p99_vs_health"] = round(fresh["sales"]["p99_ms"]
                                       / max(fresh["health"]["p99_ms"], 0.001), 1)
    expected = seconds * len(lanes)
    if fresh["sales"]["errors"] or fresh["sales"]["hub_holds"] != expected:
        raise SystemExit(f"{name}: {fresh['sales']['errors']} errors, hub holds "
                         f"{fresh['sales']['hub_holds']} of {expected} sales: {fresh['sales']}")
    if old_sales:
        with hubbench.backend_db(name, folder, "prefilled") as backend:
            full = one_hub(backend, folder, lanes, seconds, old_sales, with_health=False)
        show(name, f"sales after {old_sales} old sales per lane", full["sales"])
        out["prefilled"] = {"old_sales_per_lane": old_sales, "sales": full["sales"],
                            "gap_report_ms": full["gap_report_ms"]}
        out["prefilled_p99_vs_fresh"] = round(full["sales"]["p99_ms"]
                                              / max(fresh["sales"]["p99_ms"], 0.001), 2)
        if full["sales"]["errors"] or full["sales"]["hub_holds"] != expected:
            raise SystemExit(f"{name} prefilled: {full['sales']}")
    print(f"{name}: gap report {out['gap_report_ms']} ms per batch fresh, "
          f"{out.get('prefilled', {}).get('gap_report_ms')} ms prefilled", flush=True)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lanes", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--prefill", type=int, default=20_000,
                        help="old sales per lane for the gap-report run (0: skip that run)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args(argv)
    lanes = [lane_id(i) for i in range(1, args.lanes + 1)]
    run, skipped = hubbench.chosen_backends(args.backend)
    result: dict[str, Any] = {"bench": "hub_load", "lanes": args.lanes,
                              "seconds": args.seconds, "client": "1 process, asyncio, "
                              "1 aiohttp session per lane"}
    with hubbench.work_dir() as folder:
        for name in run:
            result[name] = bench_backend(name, folder, lanes, args.seconds, args.prefill)
            if name == "postgresql":
                result[name]["settings"] = hubbench.PG_SETTINGS
    for skip in skipped:
        result[skip.name] = {"skipped": skip.note}
        print(f"{skip.name}: skipped: {skip.note}")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

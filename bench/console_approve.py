"""Console "approve" to the lane leaving the intervention, with 30 real lanes connected.

    .venv/bin/python bench/console_approve.py [--samples 200] [--lanes 30]
                                              [--lane-processes 3] [--think-s 0.25]

Three kinds of process, as in a store:
- the hub: `kiosk hub` in a subprocess on 127.0.0.1 over a temporary SQLite file, attendant
  1001 (Anna) added with `kiosk hub attendant add --pin-stdin`, every lane enrolled by the
  lane's own client (kiosk.sync.enrol.enrol with a code from HubStore.create_enrol_code);
- the lanes: `--lanes` REAL headless lanes (kiosk.app_link.start_headless_lane: controller,
  checkout, SQLite journal, LaneLink to the hub), spread over `--lane-processes` processes
  (bench/console_lanes.py), driven over their stdin/stdout by JSON lines;
- this process: the attendant's console (aiohttp session: login with Origin, session cookie,
  X-CSRF-Token on every POST, the events websocket held open like the page).

One sample: a lane picked at random scans the demo vodka (the real age check), the console
waits until its events websocket shows the card, waits `--think-s` (the attendant reads the
card; longer than the lane's 0.2 s state coalescing), then POSTs {"action": "approve"}.
Timed from that POST being sent (time.monotonic, one clock for all processes on Linux):
- click -> lane resumed: the lane's checkout has no open intervention any more (read in the
  lane process by a controller listener, i.e. right after the journal committed the clear);
- click -> POST answered (200 "applied");
- click -> console updated: the events websocket shows the lane without the card.
The lane's basket is then cancelled at the lane (off the clock) so it can sell again.

Baselines in the same run: the floor (the same approve message applied at the lane without the
hub: kiosk.app_link.console_apply -> LaneController.console -> journal + decide, timed in the
lane process) and a trivial round trip (POST "open_lane" to an open lane: session, CSRF, audit,
hub -> lane websocket -> the lane refuses without journaling -> hub -> HTTP answer).

Checked throughout: every lane online on the console at each sample and each link connected
once (no reconnect) at the end; errors must be 0. Last line: the figures as one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import aiohttp
import console_browser
import hubbench
from console_lanes import ANNA

from kiosk.hub.store import HubStore
from kiosk.sync.enrol import enrol

PIN = "4711"
WAIT_S = 10.0  # longest wait for any single step before the sample counts as an error


def lane_id(i: int) -> str:
    return f"lane-{i}"


# -- the driver: lanes, console, samples -------------------------------------------------------


class LaneProcess:
    """One lane process seen from the driver: requests in, answers and "resumed" events out."""

    def __init__(self, proc: asyncio.subprocess.Process, names: Sequence[str]) -> None:
        self.proc, self.names = proc, list(names)
        self.answers: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.resumed: dict[str, float] = {}  # intervention id -> monotonic time
        self.changed = asyncio.Event()
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while line := await self.proc.stdout.readline():
            message = json.loads(line)
            if message["op"] == "resumed":
                self.resumed[message["iid"]] = message["at"]
                self.changed.set()
            else:
                await self.answers.put(message)

    async def ask(self, request: dict[str, Any], timeout_s: float = WAIT_S) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(request) + "\n").encode())
        await self.proc.stdin.drain()
        answer = await asyncio.wait_for(self.answers.get(), timeout_s)
        if answer["op"] == "error":
            raise RuntimeError(answer["error"])
        return answer

    async def resumed_at(self, iid: str) -> float:
        async with asyncio.timeout(WAIT_S):
            while iid not in self.resumed:
                self.changed.clear()
                await self.changed.wait()
        return self.resumed.pop(iid)

    async def stop(self) -> str:
        """Stop the lane process; "" or why it had to be killed (its log has the stacks)."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(b'{"op": "stop"}\n')
        await self.proc.stdin.drain()
        try:
            code = await asyncio.wait_for(self.proc.wait(), 30)
        except TimeoutError:
            self.proc.kill()
            code = await self.proc.wait()
        await self.reader
        return "" if code == 0 else f"lane process {self.names[0]}... exited with {code}"


class Console:
    """The attendant's browser: cookie, CSRF token, Origin, and the events websocket."""

    def __init__(self, hub_url: str) -> None:
        self.url = hub_url
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.headers = {"Origin": hub_url}
        self.rows: dict[str, dict[str, Any]] = {}
        self.changed = asyncio.Event()
        self.fewest_online = 10**6
        self.reader: asyncio.Task[None] | None = None

    async def login(self) -> None:
        async with self.http.post(f"{self.url}/console/api/login", headers=self.headers,
                                  json={"attendant_id": ANNA["id"], "pin": PIN}) as resp:
            answer = await resp.json()
            if resp.status != 200:
                raise SystemExit(f"console login failed ({resp.status}): {answer}")
        self.headers["X-CSRF-Token"] = answer["csrf_token"]
        ws = await self.http.ws_connect(f"{self.url}/console/api/events",
                                        headers={"Origin": self.url})
        self.reader = asyncio.create_task(self._read(ws))

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            event = json.loads(msg.data)
            at = time.monotonic()
            for row in event["lanes"] if event["type"] == "lanes" else [event["lane"]]:
                self.rows[row["lane_id"]] = {**row, "_at": at}
            self.changed.set()

    def online(self) -> int:
        return sum(1 for row in self.rows.values() if row.get("online"))

    async def until(self, check: Callable[[], bool]) -> None:
        async with asyncio.timeout(WAIT_S):
            while not check():
                self.changed.clear()
                await self.changed.wait()

    def shows(self, lane: str, iid: str) -> bool:
        cards = self.rows.get(lane, {}).get("interventions") or []
        return any(card.get("intervention_id") == iid for card in cards)

    async def command(self, lane: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        async with self.http.post(f"{self.url}/console/api/lanes/{lane}/commands",
                                  headers=self.headers, json=body) as resp:
            return resp.status, await resp.json()

    async def close(self) -> None:
        await self.http.close()
        if self.reader is not None:
            await self.reader


async def start_lanes(hub_url: str, folder: Path, names: Sequence[str], processes: int,
                      ) -> list[LaneProcess]:
    groups = [list(names[k::processes]) for k in range(processes)]
    out = []
    for k, group in enumerate(groups):
        log = (folder / f"lanes-{k}.log").open("ab")
        proc = await asyncio.create_subprocess_exec(
            sys.executable, str(Path(__file__).with_name("console_lanes.py")), hub_url,
            str(folder), *group,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log,
            cwd=hubbench.ROOT, limit=2**20)
        log.close()  # the child holds its own copy
        out.append(LaneProcess(proc, group))
    for lanes in out:
        ready = await asyncio.wait_for(lanes.answers.get(), 60)
        if ready["op"] != "ready":
            raise SystemExit(f"a lane process did not start: {ready}; see {folder}")
    return out


class Tally:
    def __init__(self) -> None:
        self.figures: dict[str, list[float]] = {k: [] for k in (
            "lane_resumed", "post_answered", "console_updated", "card_on_console",
            "trivial_round_trip")}
        self.errors: list[str] = []


async def one_sample(console: Console, lanes: LaneProcess, name: str, think_s: float,
                     tally: Tally) -> None:
    raised = await lanes.ask({"op": "raise", "lane": name})
    iid = raised["iid"]
    await console.until(lambda: console.shows(name, iid))
    tally.figures["card_on_console"].append((console.rows[name]["_at"] - raised["at"]) * 1000)
    await asyncio.sleep(think_s)
    click = time.monotonic()
    status, answer = await console.command(name, {"action": "approve", "intervention_id": iid})
    answered = time.monotonic()
    if status != 200 or answer.get("status") != "applied":
        raise RuntimeError(f"approve at {name} answered {status} {answer}")
    resumed = await lanes.resumed_at(iid)
    await console.until(lambda: not console.shows(name, iid))
    updated = console.rows[name]["_at"]
    for key, at in (("lane_resumed", resumed), ("post_answered", answered),
                    ("console_updated", updated)):
        tally.figures[key].append((at - click) * 1000)


async def trivial_round_trip(console: Console, name: str, tally: Tally) -> None:
    """POST "open_lane" to an open lane: the lane refuses it without touching its journal."""
    start = time.monotonic()
    status, answer = await console.command(name, {"action": "open_lane"})
    if status != 200 or answer.get("status") != "refused":
        raise RuntimeError(f"open_lane at {name} answered {status} {answer}")
    tally.figures["trivial_round_trip"].append((time.monotonic() - start) * 1000)


async def run(hub: hubbench.HubProcess, db: str, folder: Path, args: argparse.Namespace,
              ) -> dict[str, Any]:
    names = [lane_id(i) for i in range(1, args.lanes + 1)]
    with HubStore.open(db) as store:
        codes = {name: store.create_enrol_code(name) for name in names}
    start = time.perf_counter()
    for name in names:
        await enrol(hub.url, codes[name], name, folder / name / "hub-token")
    enrolled = time.perf_counter()
    lane_procs = await start_lanes(hub.url, folder, names, args.lane_processes)
    print(f"{len(names)} lanes enrolled in {enrolled - start:.1f} s, started in "
          f"{args.lane_processes} processes in {time.perf_counter() - enrolled:.1f} s",
          flush=True)
    owner = {name: p for p in lane_procs for name in p.names}
    console = Console(hub.url)
    tally = Tally()
    try:
        await console.login()
        await console.until(lambda: console.online() == args.lanes)
        cpu0 = hub.cpu_s(), [hubbench.process_cpu_s(p.proc.pid) for p in lane_procs]
        wall0 = time.perf_counter()
        rng = random.Random(7)
        for k in range(args.samples):
            name = rng.choice(names)
            console.fewest_online = min(console.fewest_online, console.online())
            try:
                await one_sample(console, owner[name], name, args.think_s, tally)
                await owner[name].ask({"op": "reset", "lane": name})
                if k % 2 == 0:
                    await trivial_round_trip(console, rng.choice(names), tally)
            except (RuntimeError, TimeoutError, aiohttp.ClientError) as err:
                tally.errors.append(f"sample {k} at {name}: {type(err).__name__}: {err}")
        wall_s = time.perf_counter() - wall0
        hub_cpu_s = hub.cpu_s() - cpu0[0]
        lanes_cpu_s = sum(hubbench.process_cpu_s(p.proc.pid) - c
                          for p, c in zip(lane_procs, cpu0[1], strict=True))
        browser = await browser_part(hub.url, folder, args, owner, rng.sample(names, min(
            args.browser_samples, len(names))), tally)
        floor: list[float] = []
        for p in lane_procs:
            share = -(-args.samples // len(lane_procs))
            floor += (await p.ask({"op": "floor", "count": share}, 120))["ms"]
        links = [await p.ask({"op": "links"}) for p in lane_procs]
        console.fewest_online = min(console.fewest_online, console.online())
    finally:
        await console.close()
        for p in lane_procs:
            if why := await p.stop():
                tally.errors.append(why)
    return {"tally": tally, "floor": floor, "links": links, "wall_s": wall_s, "browser": browser,
            "hub_cpu_s": hub_cpu_s, "lanes_cpu_s": lanes_cpu_s,
            "fewest_online": console.fewest_online}


async def browser_part(hub_url: str, folder: Path, args: argparse.Namespace,
                       owner: dict[str, LaneProcess], lanes: Sequence[str], tally: Tally,
                       ) -> dict[str, Any]:
    """`--browser-samples` clicks on the real console page (bench/console_browser.py)."""
    if not lanes:
        return {}
    if why := console_browser.missing():
        print(f"browser samples skipped: {why}", flush=True)
        return {"skipped": why}

    async def ask(name: str, op: str) -> dict[str, Any]:
        return await owner[name].ask({"op": op, "lane": name})

    async def resumed(name: str, iid: str) -> float:
        return await owner[name].resumed_at(iid)

    try:
        got = await console_browser.browser_samples(
            hub_url, folder / "chromium-profile", PIN, lanes, ask, resumed, args.think_s)
    except Exception as err:  # Playwright's errors are its own classes; counted, not fatal
        tally.errors.append(f"browser: {type(err).__name__}: {str(err)[:200]}")
        return {"error": str(err)[:200]}
    names = {"lane_resumed": "click_to_lane_resumed", "page_says_done": "click_to_page_says_done",
             "event_to_lane_resumed": "click_event_to_lane_resumed",
             "event_to_page_says_done": "click_event_to_page_says_done",
             "playwright_click_overhead": "playwright_click_overhead"}
    return {"samples": len(got["lane_resumed"]),
            **{names[k]: hubbench.latency_figures(v) for k, v in got.items()}}


def figures(raw: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    tally: Tally = raw["tally"]
    lat = {key: hubbench.latency_figures(values) for key, values in tally.figures.items()}
    floor = hubbench.latency_figures(raw["floor"])
    connected = sum(link["connected"] for link in raw["links"])
    connects = sum(link["connects"] for link in raw["links"])
    out: dict[str, Any] = {
        "bench": "console_approve", "lanes": args.lanes, "samples": args.samples,
        "samples_ok": len(tally.figures["lane_resumed"]), "think_s": args.think_s,
        "lane_processes": args.lane_processes, "hub": "kiosk hub subprocess, SQLite",
        "click_to_lane_resumed": lat["lane_resumed"],
        "click_to_post_answered": lat["post_answered"],
        "click_to_console_updated": lat["console_updated"],
        "age_check_to_card_on_console": lat["card_on_console"],
        "baseline_floor_at_lane": floor,
        "baseline_trivial_round_trip": lat["trivial_round_trip"],
        "lane_resumed_p50_vs_floor": round(lat["lane_resumed"]["p50_ms"]
                                           / max(floor["p50_ms"], 0.001), 1),
        "post_answered_p50_vs_trivial": round(lat["post_answered"]["p50_ms"]
                                              / max(lat["trivial_round_trip"]["p50_ms"],
                                                    0.001), 2),
        "hub_cpu_s": round(raw["hub_cpu_s"], 2),
        "hub_cpu_pct": round(100 * raw["hub_cpu_s"] / raw["wall_s"], 1),
        "lanes_cpu_pct": round(100 * raw["lanes_cpu_s"] / raw["wall_s"], 1),
        "lanes_online_min": raw["fewest_online"], "links_connected_at_end": connected,
        "link_connects": connects, "browser": raw["browser"], "errors": len(tally.errors)}
    if tally.errors:
        out["first_error"] = tally.errors[0][:300]
    return out


def show(out: dict[str, Any]) -> None:
    for key in ("click_to_lane_resumed", "click_to_post_answered", "click_to_console_updated",
                "age_check_to_card_on_console", "baseline_floor_at_lane",
                "baseline_trivial_round_trip"):
        f = out[key]
        print(f"{key}: p50 {f['p50_ms']} ms, p95 {f['p95_ms']}, max {f['max_ms']}")
    for key in ("click_to_lane_resumed", "click_to_page_says_done",
                "click_event_to_lane_resumed", "click_event_to_page_says_done",
                "playwright_click_overhead"):
        if key in out["browser"]:
            f = out["browser"][key]
            print(f"browser {key}: p50 {f['p50_ms']} ms, p95 {f['p95_ms']}, max {f['max_ms']}")
    print(f"lane resumed p50 = {out['lane_resumed_p50_vs_floor']} x the floor at the lane; "
          f"POST answered p50 = {out['post_answered_p50_vs_trivial']} x a trivial round trip; "
          f"hub CPU "
          f"{out['hub_cpu_s']} s ({out['hub_cpu_pct']} %), lanes online at least "
          f"{out['lanes_online_min']}/{out['lanes']}, {out['link_connects']} link connects, "
          f"{out['errors']} errors", flush=True)


def show_logs(folder: Path) -> None:
    """The end of each process's log on stderr (the folder goes away with this run)."""
    for log in sorted(folder.glob("*.log")):
        print(f"--- {log.name} (last lines)", file=sys.stderr)
        print("\n".join(log.read_text(errors="replace").splitlines()[-40:]), file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--lanes", type=int, default=30)
    parser.add_argument("--lane-processes", type=int, default=3)
    parser.add_argument("--browser-samples", type=int, default=20,
                        help="clicks on the real page in Chromium (0: none)")
    parser.add_argument("--think-s", type=float, default=0.25,
                        help="pause between the card showing and the click")
    args = parser.parse_args(argv)
    with hubbench.work_dir() as folder:
        db = str(folder / "hub.sqlite")
        subprocess.run([sys.executable, "-m", "kiosk", "hub", "--db", db, "attendant", "add",
                        "--id", ANNA["id"], "--name", ANNA["name"], "--role", "attendant",
                        "--pin-stdin"], input=PIN + "\n", text=True, check=True,
                       cwd=hubbench.ROOT, stdout=subprocess.DEVNULL)
        try:
            with hubbench.HubProcess(db, folder) as hub:
                raw = asyncio.run(run(hub, db, folder, args))
        except BaseException:
            show_logs(folder)
            raise
        if raw["tally"].errors:
            show_logs(folder)
    out = figures(raw, args)
    show(out)
    print(json.dumps(out))
    bad = out["errors"] or out["lanes_online_min"] != args.lanes \
        or out["links_connected_at_end"] != args.lanes or out["link_connects"] != args.lanes
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())

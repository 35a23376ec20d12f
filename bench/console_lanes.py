"""The lane processes of bench/console_approve.py: real headless lanes linked to the hub.

    python bench/console_lanes.py HUB_URL FOLDER LANE_ID...

Starts one real headless lane per LANE_ID (kiosk.app_link.start_headless_lane: controller,
checkout, SQLite journal in FOLDER/LANE_ID, LaneLink to HUB_URL with the token already in
FOLDER/LANE_ID/hub-token) on one asyncio loop, says {"op": "ready"} and then answers one JSON
line on stdout per JSON line on stdin:

- {"op": "raise", "lane"}: scan the demo vodka (the real age check) -> {"op": "raised", "iid",
  "at"}; from then on, the moment the lane's checkout no longer holds that intervention (a
  controller listener, called right after the journal committed the command) is told unasked
  as {"op": "resumed", "lane", "iid", "at"};
- {"op": "reset", "lane"}: cancel the lane's basket at the lane (a supervisor's command);
- {"op": "floor", "count"}: the same approve message applied at the lane without the hub
  (console_apply -> LaneController.console: decide + journal), `count` times spread over the
  lanes -> {"op": "floor", "ms": [...]};
- {"op": "links"}: links connected now and connections made since start;
- {"op": "stop"}: stop the lanes and exit.

Times ("at") are time.monotonic(): CLOCK_MONOTONIC, one clock for every process on the host.
A request that fails is answered {"op": "error", "error"}.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kiosk.app_link import HeadlessLane, console_apply, headless_config, start_headless_lane

ANNA = {"id": "1001", "name": "Anna", "role": "attendant"}
STOP_S = 10.0



class LaneWorker:
    """Runs in a lane process: the lanes, and the JSON-line protocol with the driver."""

    def __init__(self, lanes: dict[str, HeadlessLane]) -> None:
        self.lanes = lanes
        self.watching: dict[str, str] = {}  # lane -> intervention id whose end is awaited
        for name, lane in lanes.items():
            lane.controller.listeners.append(self._listener(name, lane))

    def _listener(self, name: str, lane: HeadlessLane) -> Callable[[Any], None]:
        def heard(outcome: Any) -> None:
            # Called right after the journal committed a command: the lane's own view.
            iid = self.watching.get(name)
            open_now = lane.controller.checkout.interventions
            if iid and all(i.intervention_id != iid for i in open_now):
                at = time.monotonic()
                del self.watching[name]
                self.say({"op": "resumed", "lane": name, "iid": iid, "at": at})
        return heard

    @staticmethod
    def say(message: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    def reset(self, lane: HeadlessLane) -> None:
        """Cancel the lane's basket at the lane (a supervisor's command, off the clock)."""
        basket = lane.controller.checkout.basket_id
        if basket is not None:
            status, reason = console_apply(lane.controller)(_command(
                "cancel_basket", basket_id=basket, role="supervisor"))
            if status != "applied":
                raise RuntimeError(f"could not cancel basket {basket}: {reason}")

    def floor_ms(self, lane: HeadlessLane) -> float:
        """The same approve applied at the lane, without the hub: journal + decide."""
        iid = lane.raise_age_check()
        apply = console_apply(lane.controller)
        message = _command("approve", intervention_id=iid)
        start = time.perf_counter()
        status, reason = apply(message)
        took_ms = (time.perf_counter() - start) * 1000
        if status != "applied" or lane.controller.checkout.interventions:
            raise RuntimeError(f"floor approve was {status}: {reason}")
        self.reset(lane)
        return took_ms

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        op, lane = request["op"], self.lanes.get(request.get("lane", ""))
        if op == "raise" and lane is not None:
            self.reset(lane)
            iid = lane.raise_age_check()
            self.watching[request["lane"]] = iid
            return {"op": "raised", "iid": iid, "at": time.monotonic()}
        if op == "reset" and lane is not None:
            self.reset(lane)
            return {"op": "reset"}
        if op == "floor":
            names = list(self.lanes)
            return {"op": "floor", "ms": [self.floor_ms(self.lanes[names[k % len(names)]])
                                          for k in range(int(request["count"]))]}
        if op == "links":
            return {"op": "links", "connected": sum(1 for x in self.lanes.values()
                                                     if x.link and x.link.connected),
                    "connects": sum(x.link.connects for x in self.lanes.values() if x.link)}
        raise ValueError(f"unknown request {request!r}")


def _command(action: str, role: str = "attendant", **target: Any) -> dict[str, Any]:
    """A hub "command" message as the lane link receives it."""
    return {"type": "command", "command_id": uuid.uuid4().hex, "action": action, **target,
            "attendant": {**ANNA, "role": role}, "issued_at": "2026-11-22T10:00:00+00:00"}


async def worker_main(hub_url: str, folder: Path, names: Sequence[str]) -> None:
    lanes = {}
    for name in names:
        config = headless_config(folder / name, name, hub_url=hub_url,
                                 token_file=folder / name / "hub-token")
        lanes[name] = await start_headless_lane(config)
    worker = LaneWorker(lanes)
    worker.say({"op": "ready"})
    loop = asyncio.get_running_loop()
    try:
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            request = json.loads(line)
            if request["op"] == "stop":
                break
            try:
                answer = worker.handle(request)
            except Exception as err:  # told to the driver, which counts it as an error
                answer = {"op": "error", "error": f"{type(err).__name__}: {err}"}
            worker.say(answer)
    finally:
        for name, lane in lanes.items():
            await stop_lane(name, lane)


async def stop_lane(name: str, lane: HeadlessLane) -> None:
    """Stop one lane; when it takes over STOP_S, print every task's stack to stderr (the
    driver shows this process's log) and exit, so a hang is seen and named, not waited out."""
    try:
        await asyncio.wait_for(asyncio.shield(lane.stop()), STOP_S)
    except TimeoutError:
        print(f"lane {name} did not stop within {STOP_S} s; its tasks:", file=sys.stderr)
        for task in asyncio.all_tasks():
            task.print_stack(file=sys.stderr)
        sys.stderr.flush()
        os._exit(3)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(worker_main(sys.argv[1], Path(sys.argv[2]), sys.argv[3:]))

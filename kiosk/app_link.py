"""Composition root for the lane link: the lane's controller wired to the hub's websocket.

`start_link(config, controller, ...)` is what `kiosk run` calls: with [sync] hub_url set and
the token file from `kiosk enrol` present it starts a `kiosk.lane.link.LaneLink` on the running
loop whose commands go through `LaneController.console` (journal first, then light, sounds and
the screen, exactly as if the attendant were at the lane); otherwise it logs once
"no hub link: lane not enrolled" and returns None. The state sent is built by
`kiosk.lane.state.lane_state` from the checkout, the devices and the outbox; every executed
command (from the screen, a device or the console) and every device or outbox change makes the
link send a fresh state.

Headless lanes, for tests and benchmarks (real lanes without a screen):

    config = headless_config(tmp / "lane-3", "lane-3", hub_url="http://127.0.0.1:PORT",
                             token_file=tmp / "lane-3" / "hub-token")   # token written by you
    lane = await start_headless_lane(config)   # on the current loop; build_controller (no Kivy)
    iid = lane.raise_age_check()               # scans the demo vodka (18+) via perform(Scan)
    await lane.wait_until(lambda: not lane.controller.checkout.interventions)
    lane.scan(GTIN); lane.pay()                # sells like a shopper (simulated terminal)
    await lane.stop()                          # link, ticker, journal closed

`HeadlessLane.link` is None when the config has no hub or no token file. The lane opens itself
(`policy.open_on_start`) and ticks every `tick_s` so timers and the simulated card terminal run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.app_lane import LaneController
from kiosk.config import Config, load_config
from kiosk.domain.commands import Scan
from kiosk.domain.policy import Reason
from kiosk.journal.sales import outbox_status
from kiosk.lane.link import LaneLink, parse_command
from kiosk.lane.state import lane_state
from kiosk.sync.enrol import read_token
from kiosk.sync.errors import SyncError
from kiosk.ui import intents as ui

log = logging.getLogger("kiosk.lane.link")

AGE_18_GTIN = "04200600000011"  # the demo catalog's vodka (18+)
WATCH_S = 2.0  # how often devices and the outbox are looked at for a change


def lane_name(lane_id: str) -> str:
    """The name staff use: "lane-3" -> "Kasse 3"; other ids as they are."""
    found = re.fullmatch(r"lane-(\d+)", lane_id)
    return f"Kasse {found.group(1)}" if found else lane_id


def _devices(status_source: Callable[[], Sequence[Any]] | None) -> list[dict[str, Any]]:
    rows = []
    for s in status_source() if status_source is not None else ():
        state = "online" if s.online else ("error" if s.detail else "offline")
        rows.append({"device": s.name, "state": state, "detail": s.detail or ""})
    return rows


def lane_snapshot(controller: LaneController) -> dict[str, Any]:
    """The contract's "lane" object for this controller's lane."""
    queue = outbox_status(controller.durable.db)
    upload = {"pending": queue.pending, "oldest_pending_at": queue.oldest_pending_at,
              "last_error": queue.last_error or "", "quarantined": queue.quarantined}
    problem = str(getattr(controller.receipts, "problem", "") or "")
    return lane_state(controller.checkout, lane_name=lane_name(controller.config.lane.id),
                      devices=_devices(controller.status_source), upload=upload,
                      device_warning=problem not in ("", "offline", "no printer"))


def console_apply(controller: LaneController) -> Callable[[Mapping[str, Any]], tuple[str, str]]:
    """The link's `apply`: the hub's command as the domain's, through the controller."""
    def apply(message: Mapping[str, Any]) -> tuple[str, str]:
        try:
            command = parse_command(message)
        except ValueError as err:
            return "refused", str(err)
        return controller.console(command)
    return apply


def _token(config: Config) -> str | None:
    if not config.sync.hub_url or not Path(config.sync.token_file).exists():
        return None
    try:
        return read_token(Path(config.sync.token_file))
    except SyncError as err:
        log.warning("no hub link: %s", err)
        return None


async def start_link(config: Config, controller: LaneController, **link_options: Any,
                     ) -> LaneLink | None:
    """Start the lane link on the running loop, or log once why not and return None."""
    token = _token(config)
    if token is None:
        log.info("no hub link: lane not enrolled (sync.hub_url %r, token file %s)",
                 config.sync.hub_url, config.sync.token_file)
        return None
    link = LaneLink(config.sync.hub_url, token, config.lane.id,
                    lambda: lane_snapshot(controller), console_apply(controller), **link_options)
    controller.listeners.append(lambda outcome: link.changed())
    await link.start()
    link.own(asyncio.create_task(_watch(controller, link)))
    return link


def link_after_enrolment(config: Config, controller: LaneController) -> list[LaneLink]:
    """For a lane started before it was enrolled: once a scanned `KIOSK-ENROL:` code enrols it
    (kiosk.app_enrol_qr), start its hub link on the running loop with the config read afresh
    (first boot's overlay now names the hub; the token is the file the enrolment wrote), so the
    console sees the lane without a restart. Returns the list the started link is put in (empty
    until then; the caller stops what is in it)."""
    started: list[LaneLink] = []
    pending: set[asyncio.Task[None]] = set()
    enrolment = controller.enrolment
    if enrolment is None or not enrolment.pending:
        return started

    async def start() -> None:
        fresh = load_config(config.source) if config.source is not None else config
        link = await start_link(fresh, controller)
        if link is not None:
            started.append(link)

    def enrolled() -> None:
        task = asyncio.get_running_loop().create_task(start())
        pending.add(task)
        task.add_done_callback(pending.discard)
    enrolment.on_enrolled.append(enrolled)
    return started


async def _watch(controller: LaneController, link: LaneLink) -> None:
    """Devices and the outbox (the uploader is another process) change without a command."""
    last: Any = None
    while True:
        try:
            queue = outbox_status(controller.durable.db)
            now = (repr(_devices(controller.status_source)), queue)
        except Exception:  # a busy journal: look again next time
            log.debug("could not read devices or outbox for the hub", exc_info=True)
            now = last
        if now != last:
            last = now
            link.changed()
        await asyncio.sleep(WATCH_S)


# -- headless lanes (tests, benchmarks) --------------------------------------------------------


def headless_config(data_dir: Path, lane_id: str, *, hub_url: str = "",
                    token_file: Path | None = None) -> Config:
    """A lane without devices that opens itself, with the demo catalog, its journal in
    `data_dir`; linked to `hub_url` when given (the token in `token_file`)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "kiosk.toml"
    sync = f'[sync]\nhub_url = "{hub_url}"\n' if hub_url else ""
    if hub_url and token_file is not None:
        sync += f'token_file = "{token_file}"\n'
    path.write_text(f'[lane]\nid = "{lane_id}"\n[paths]\ndata_dir = "{data_dir}"\n'
                    f'[policy]\nopen_on_start = true\n{sync}', encoding="utf-8")
    return load_config(path)


@dataclass
class HeadlessLane:
    """A real lane (controller, checkout, journal) and its link, without a screen."""

    config: Config
    controller: LaneController
    link: LaneLink | None
    renders: int = 0  # screen refreshes asked for by console commands
    _ticker: asyncio.Task[None] | None = field(default=None, repr=False)

    def scan(self, code: str) -> None:
        """A shopper scans `code` (the device path: `controller.perform(Scan)`)."""
        self.controller.perform(Scan(text=code, source="scanner"))

    def pay(self) -> None:
        """The shopper presses pay (the simulated terminal answers on a tick)."""
        self.controller.send(ui.Pay())

    def raise_age_check(self) -> str:
        """Scan the demo's vodka (18+); returns the id of the open age check."""
        self.scan(AGE_18_GTIN)
        checks = [i for i in self.controller.checkout.interventions
                  if i.reason is Reason.AGE_CHECK]
        if not checks:
            raise RuntimeError(f"lane {self.config.lane.id} raised no age check: it is "
                               f"{self.controller.checkout.state.value}")
        return checks[-1].intervention_id

    def state(self) -> dict[str, Any]:
        """The contract's "lane" object, as the link sends it."""
        return lane_snapshot(self.controller)

    async def wait_until(self, check: Callable[[], bool], timeout_s: float = 10.0) -> None:
        """Poll `check` on the loop until it holds; TimeoutError after `timeout_s`."""
        async with asyncio.timeout(timeout_s):
            while not check():
                await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        if self.link is not None:
            await self.link.stop()
        self.controller.durable.db.conn.close()


async def start_headless_lane(config: Config, *, tick_s: float = 0.25,
                              **link_options: Any) -> HeadlessLane:
    """Build the real lane of `config` (no Kivy) and its link on the running loop."""
    from kiosk.app import build_controller  # app imports this module for `kiosk run`

    controller = build_controller(config)
    link = await start_link(config, controller, **link_options)
    lane = HeadlessLane(config, controller, link)

    def rendered() -> None:
        lane.renders += 1
    controller.on_change.append(rendered)

    async def tick() -> None:
        while True:
            await asyncio.sleep(tick_s)
            controller.tick()
    lane._ticker = asyncio.create_task(tick())
    return lane

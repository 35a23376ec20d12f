"""Composition root: config -> journal -> catalog -> checkout -> UI.

The only module that wires packages together (with its kiosk/app_*.py helpers). It builds the
lane's `LaneController` (kiosk/app_lane.py), which turns the UI's intents into checkout commands
committed by the durable journal before anything is shown. `run()` starts the Kivy window on
an asyncio loop and speaks systemd's notify protocol (READY=1 after the first frame, WATCHDOG=1
from the UI loop).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kiosk.app_lane import LaneController
from kiosk.config import Config, load_config
from kiosk.config_devices import DevicesConfig, parse_devices
from kiosk.domain.catalog import Catalog, MemoryCatalog
from kiosk.domain.flow import FlowState
from kiosk.domain.lookup import explain
from kiosk.errors import CatalogError
from kiosk.journal.catalog import CatalogStore
from kiosk.journal.catalog_import import read_catalog_file
from kiosk.journal.db import open_db
from kiosk.journal.durable import DurableCheckout
from kiosk.journal.sales import outbox_status

log = logging.getLogger(__name__)

def load(path: Path | None) -> Config:
    """The config from `path`, else $KIOSK_CONFIG, else the built-in demo settings."""
    if path is None and os.environ.get("KIOSK_CONFIG"):
        path = Path(os.environ["KIOSK_CONFIG"])
    return load_config(path)


def open_catalog(config: Config) -> CatalogStore:
    """The lane's catalog store; an empty journal is first filled from the configured catalog
    file, or the demo catalog shipped in the package."""
    config.paths.ensure()
    store = CatalogStore(open_db(config.paths.journal))
    if store.is_empty():
        log.info("catalog is empty; importing %s", config.paths.catalog_file)
        store.import_file(config.paths.catalog_file)
    return store


def explain_code(config: Config, text: str, lang: str) -> list[tuple[str, str]]:
    """Rows for `kiosk code`: the lane's catalog when its journal exists, else the configured
    catalog file read into memory (a question about a code creates no files)."""
    catalog: Catalog
    if config.paths.journal.exists():
        catalog = open_catalog(config)
    else:
        parsed = read_catalog_file(config.paths.catalog_file)
        if not parsed.ok:
            raise CatalogError(f"catalog {parsed.source} is not valid: {parsed.errors[0]}")
        catalog = MemoryCatalog(parsed.products)
    return explain(text, catalog, lang)


def import_catalog(config: Config, path: Path) -> str:
    """Replace the lane's catalog with `path`; the report as text for the technician."""
    config.paths.ensure()
    store = CatalogStore(open_db(config.paths.journal))
    return str(store.import_file(path))


def build_controller(config: Config) -> LaneController:
    """Open the journal, restore the lane exactly as it was, and return its controller."""
    catalog = open_catalog(config)
    policy = config.policy
    if devices_of(config).bagging is not None:
        policy = replace(policy, bagging=True)  # a security scale is fitted: watch the bags
    durable = DurableCheckout.restore(
        catalog.db,
        lane_id=config.lane.id,
        policy=policy,
        attendants=config.attendants_by_id(),
        promotions=catalog.promotions(),
    )
    controller = LaneController(config, durable, catalog)
    controller.open_on_start()
    return controller


# The demo lane (no config file): a simulated scanner, Toledo produce scale and receipt printer
# on ptys, a ZVT card terminal on loopback TCP and a simulated tower light, so `make run` goes
# through the real drivers, weighing rules and payment flow.
DEMO_DEVICES: dict[str, Any] = {
    "simulate": True,
    "scale": {"protocol": "toledo", "port": "simulated"},
    "gpio": {"pin_factory": "mock", "light_green": 17, "light_yellow": 27, "light_red": 22,
             "buzzer": 18, "help_button": 23},
    # The ZVT terminal simulator on loopback TCP and an ESC/POS printer simulator on a pty.
    "terminal": {"url": "simulated", "completion_timeout_s": 60},
    "printer": {"url": "simulated"},
}


def devices_of(config: Config) -> DevicesConfig:
    """The lane's devices: the config's [devices], or the demo's simulated set without a file."""
    return parse_devices(config.devices if config.source is not None else DEMO_DEVICES)


def make_window(
    controller: LaneController,
    *,
    fullscreen: bool = False,
    size: Sequence[int] = (1280, 800),
    on_first_frame: Callable[[], None] | None = None,
    on_tick: Callable[[], None] | None = None,
) -> Any:
    """The Kivy window over `controller`; its UI clock drives the controller's timers."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    # Kivy logs through our logging (one line each in the journal, at our level), not
    # through its own coloured console copy and a log file on the SD card.
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
    from kiosk.ui.app import KioskApp  # imports Kivy: only when a window is wanted

    def tick() -> None:
        controller.tick()
        if on_tick is not None:
            on_tick()

    return KioskApp(controller, fullscreen=fullscreen, size=size,
                    on_first_frame=on_first_frame, on_tick=tick)


_LANE_STATES = {FlowState.CLOSED: "closed", FlowState.OUT_OF_SERVICE: "out of service"}


def lane_status(controller: LaneController) -> str:
    """One line for `systemctl status` (STATUS=): the lane's state, its upload queue and each
    device that needs a person, e.g. "Lane lane-3 open, 2 sales waiting for upload; scanner
    offline; printer: paper_out". English: it is read by technicians, like the logs."""
    lane = f"Lane {controller.config.lane.id}"
    if controller.enrolment is not None and controller.enrolment.pending:
        return f"{lane} not enrolled: waiting for an enrolment code"
    state = _LANE_STATES.get(controller.checkout.state, "open")
    queue = outbox_status(controller.durable.db)
    parts = [f"{lane} {state}, {queue.pending} sale{'' if queue.pending == 1 else 's'} "
             "waiting for upload"]
    if queue.quarantined:
        parts[0] += f", {queue.quarantined} refused by the hub"
    source = controller.status_source
    for device in source() if source is not None else ():
        if not device.online:
            parts.append(f"{device.name} offline" if not device.detail
                         else f"{device.name}: {device.detail}")
        elif device.detail:
            parts.append(f"{device.name}: {device.detail}")
    return "; ".join(parts)


def run(config: Config, *, fullscreen: bool | None = None, size: tuple[int, int] | None = None,
        ) -> int:
    """Start the lane window on an asyncio loop; returns the exit status.

    Under systemd (Type=notify) it sends READY=1 once the first screen is drawn and WATCHDOG=1
    from the UI loop, so a frozen UI stops the pings and gets the kiosk restarted; STATUS= says
    what it is doing (starting, then `lane_status`, re-read at most every 2 s and sent when it
    changed).
    """
    import asyncio
    import signal
    import time

    from kiosk import sdnotify

    status = sdnotify.StatusNotifier(lambda: lane_status(controller))
    status.send(f"Lane {config.lane.id} starting: opening the journal")
    controller = build_controller(config)
    status.send(f"Lane {config.lane.id} starting: waiting for the first frame")
    interval = sdnotify.watchdog_interval_s()
    last_ping: list[datetime] = []  # empty until READY=1: pings follow readiness

    def on_first_frame() -> None:
        status.send(lane_status(controller), prefix="READY=1\n")
        last_ping.append(datetime.now(UTC))
        log.info("first frame drawn; lane %s ready", config.lane.id)

    def watchdog() -> None:
        now = datetime.now(UTC)
        if interval is not None and last_ping and \
                now - last_ping[0] >= timedelta(seconds=interval):
            sdnotify.notify("WATCHDOG=1")
            last_ping[0] = now
        if last_ping:  # after READY=1: the lane or a device changed -> a new STATUS= line
            status.poll(time.monotonic())

    app = make_window(
        controller,
        fullscreen=config.lane.fullscreen if fullscreen is None else fullscreen,
        size=size or config.lane.window_size,
        on_first_frame=on_first_frame,
        on_tick=watchdog,
    )

    async def main() -> None:
        from kiosk.app_devices import LaneDevices

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, app.stop)
        devices = LaneDevices(
            devices_of(config), controller,
            refresh=lambda: app.render(controller.view()),
            post=loop.call_soon_threadsafe,
            on_preview=app.show_preview,
        )
        await devices.start()
        if devices.config.simulate:
            from kiosk.app_demo import DemoControls

            controller.demo = DemoControls(devices, controller)
        from kiosk.app_link import link_after_enrolment, start_link

        controller.on_change.append(lambda: app.render(controller.view()))
        link = await start_link(config, controller)  # None: not enrolled, the lane sells alone
        later = link_after_enrolment(config, controller) if link is None else []
        try:
            await app.async_run(async_lib="asyncio")
        finally:
            for running in ([link] if link is not None else []) + later:
                await running.stop()
            await devices.stop()

    asyncio.run(main())
    sdnotify.notify("STOPPING=1")
    log.info("lane %s stopped", config.lane.id)
    return 0

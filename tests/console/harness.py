"""A real hub (kiosk.hub.app on 127.0.0.1, a temporary SQLite file) on its own thread and event
loop, with an attendant and fake lanes, for driving the console page from Playwright's sync API
in the test's thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
from aiohttp import web

from kiosk.app_link import HeadlessLane, headless_config, start_headless_lane
from kiosk.hub.app import make_app
from kiosk.hub.console_auth import add_attendant
from kiosk.hub.store import HubStore
from kiosk.sync.enrol import write_token
from tests.console.fake_lanes import FakeLane

T = TypeVar("T")
OpenPage = Callable[..., Any]  # open_console(width, height, **context options) -> page
WAIT_S = 30  # generous: a slow CI machine, not a speed check
PIN = "4711"
SCREENSHOTS = Path(__file__).parent / "screenshots"


class ConsoleHub:
    """`with ConsoleHub(tmp) as hub:` a hub serving /console; `hub.url` is its origin."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.store = HubStore.open(folder / "hub.sqlite", store_id="store-7")
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="hub", daemon=True)
        self._runner: web.AppRunner | None = None
        self.lanes: dict[str, FakeLane] = {}
        self.real_lanes: dict[str, HeadlessLane] = {}
        self.url = ""

    def __enter__(self) -> ConsoleHub:
        self._thread.start()
        self.run(self._start())
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.run(self._stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(WAIT_S)
            self.loop.close()
            self.store.close()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` on the hub's loop and return its result (from the test's thread)."""
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(WAIT_S)

    async def _start(self, port: int = 0) -> None:
        self._runner = web.AppRunner(make_app(self.store, command_timeout_s=5.0))
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    def stop_serving(self) -> None:
        """The hub goes away (restart, power cut); its database stays."""
        async def stop() -> None:
            for lane in self.lanes.values():
                await lane.disconnect()
            self.lanes.clear()
            if self._runner is not None:
                await self._runner.cleanup()
                self._runner = None
        self.run(stop())

    def serve_again(self) -> None:
        """The hub is back on the same address with the same database (sessions kept)."""
        self.run(self._start(int(self.url.rsplit(":", 1)[1])))

    async def _stop(self) -> None:
        for lane in self.lanes.values():
            await lane.disconnect()
        for real in self.real_lanes.values():
            await real.stop()
        if self._runner is not None:
            await self._runner.cleanup()

    def add_attendant(self, attendant_id: str, name: str, role: str, pin: str) -> None:
        self.run(self.store.call(add_attendant, self.store, attendant_id, name, role, pin))

    async def _enrol(self, lane_id: str) -> str:
        code = await self.store.call(self.store.create_enrol_code, lane_id)
        async with aiohttp.ClientSession() as http, http.post(
                self.url + "/api/v1/enrol", json={"code": code, "device_id": lane_id}) as r:
            assert r.status == 201, await r.text()
            return str((await r.json())["token"])

    def add_real_lane(self, number: int) -> HeadlessLane:
        """A real lane (controller, checkout, journal, link; no screen), enrolled and linked."""
        lane_id = f"lane-{number}"

        async def start() -> HeadlessLane:
            folder = self.folder / lane_id
            token_file = folder / "hub-token"
            write_token(token_file, await self._enrol(lane_id))
            config = headless_config(folder, lane_id, hub_url=self.url, token_file=token_file)
            return await start_headless_lane(config)

        self.real_lanes[lane_id] = self.run(start())
        return self.real_lanes[lane_id]

    def add_lane(self, number: int) -> FakeLane:
        """Enrol lane-<number> like a real lane (one-time code -> device token) and connect it."""
        lane_id = f"lane-{number}"

        async def enrol_and_connect() -> FakeLane:
            lane = FakeLane(lane_id, number, self.url, await self._enrol(lane_id))
            await lane.connect()
            return lane

        self.lanes[lane_id] = self.run(enrol_and_connect())
        return self.lanes[lane_id]


def login(page: Any, attendant_id: str = "1001", pin: str = PIN) -> None:
    page.fill("#attendant-id", attendant_id)
    page.fill("#pin", pin)
    page.click("#pin-form button[type=submit]")


def shoot(page: Any, name: str, *, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path

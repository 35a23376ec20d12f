"""A loopback HTTP fault proxy for chaos tests, and a real hub that can be stopped and restarted.

`ChaosProxy` listens on 127.0.0.1 (port 0) in front of an upstream host:port. It reads each
HTTP/1.1 request whole (headers + Content-Length body) and treats it by the next planned mode
(`plan(...)`), or passes it through when nothing is planned:

- "pass": forward on a fresh upstream connection, relay the whole answer;
- "503" / "500": answer a canned error without forwarding;
- "lost_ack": forward and read the hub's whole answer (so the hub stored it), then close the
  client socket without a byte of the answer;
- "reset_mid": forward only the first half of the request bytes, then close both sides;
- "stall": forward nothing, answer nothing, hold the socket until the client gives up;
- "hold_answer": forward and read the hub's whole answer (the hub stored the batch), then hold
  the client socket without a byte of it until the client gives up (or is killed).

`holding` is set when a "stall" or "hold_answer" starts holding a client: the moment to kill it.

Every request handled is logged in `handled` (its mode), so a test can check that the fault it
planned really happened. An upstream that refuses connections closes the client (a hub down).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from pathlib import Path

from aiohttp import web

from kiosk.hub.app import make_app
from kiosk.hub.store import HubStore

MODES = ("pass", "503", "500", "lost_ack", "reset_mid", "stall", "hold_answer")
_CANNED = {
    "503": b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
           b"Content-Length: 27\r\nConnection: close\r\n\r\n{\"error\": \"chaos says 503\"}",
    "500": b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n"
           b"Content-Length: 14\r\nConnection: close\r\n\r\nchaos says 500",
}


async def _read_message(reader: asyncio.StreamReader) -> bytes | None:
    """One HTTP/1.1 message (head + Content-Length body) or None at a clean EOF."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
        if name.strip().lower() == b"transfer-encoding":
            raise AssertionError("the chaos proxy handles Content-Length bodies only")
    return head + await reader.readexactly(length)


class ChaosProxy:
    """Fault proxy in front of `upstream_port` on 127.0.0.1 (see module doc for the modes)."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.planned: deque[str] = deque()
        self.handled: list[str] = []
        self.port = 0
        self._server: asyncio.Server | None = None
        self._clients: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.holding = asyncio.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def plan(self, *modes: str) -> None:
        """Treat the next requests by these modes, in order; then pass through."""
        for mode in modes:
            if mode not in MODES:
                raise ValueError(f"unknown chaos mode {mode!r}; one of {MODES}")
        self.planned.extend(modes)

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.url

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._clients):
            writer.close()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._clients.add(writer)
        try:
            while (request := await _read_message(reader)) is not None:
                mode = self.planned.popleft() if self.planned else "pass"
                self.handled.append(mode)
                if not await self._handle(mode, request, reader, writer):
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away; nothing to relay
        finally:
            self._clients.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
            self._tasks.discard(task)

    async def _handle(self, mode: str, request: bytes, reader: asyncio.StreamReader,
                      writer: asyncio.StreamWriter) -> bool:
        """Treat one request; True to keep the client connection for the next."""
        if mode in _CANNED:
            writer.write(_CANNED[mode])
            await writer.drain()
            return False
        if mode == "stall":
            self.holding.set()
            await reader.read()  # returns at the client's EOF: its timeout closed it
            return False
        if mode == "hold_answer":
            await self._forward(request, want_answer=True)
            self.holding.set()
            await reader.read()  # the answer is never relayed; wait for the client to go
            return False
        answer = await self._forward(request[: len(request) // 2] if mode == "reset_mid"
                                     else request, want_answer=mode != "reset_mid")
        if mode != "pass" or answer is None:
            return False  # lost_ack / reset_mid / hub down: close without an answer
        writer.write(answer)
        await writer.drain()
        return True

    async def _forward(self, data: bytes, *, want_answer: bool) -> bytes | None:
        """Send `data` to the upstream on a fresh connection; its whole answer, or None."""
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            return None  # the hub is down
        try:
            up_writer.write(data)
            await up_writer.drain()
            return await _read_message(up_reader) if want_answer else None
        finally:
            up_writer.close()
            with contextlib.suppress(ConnectionError):
                await up_writer.wait_closed()


class RestartableHub:
    """A real hub (kiosk.hub.app.make_app on a TCPSite) over `db_path` (a SQLite file or a
    postgresql:// URL) on 127.0.0.1; `stop()` and `start()` again serve the same database on
    the same port, like a restarted hub process."""

    def __init__(self, db_path: Path | str) -> None:
        self.db_path = db_path
        self.port = 0
        self.store: HubStore | None = None
        self._runner: web.AppRunner | None = None

    async def start(self) -> int:
        self.store = HubStore.open(self.db_path, store_id="store-7")
        self._runner = web.AppRunner(make_app(self.store))
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        self.port = self._runner.addresses[0][1]
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.store is not None:
            self.store.close()
            self.store = None

    def enrol(self, device_id: str) -> str:
        assert self.store is not None
        return self.store.enrol(self.store.create_enrol_code(device_id), device_id)

    def stored_ids(self) -> list[str]:
        """Every sale id the hub's database holds, one row each (a duplicate would show twice)."""
        with HubStore.open(self.db_path, store_id="store-7") as store:
            rows = store.query("SELECT sale_id FROM sales ORDER BY seq")
        return [str(r[0]) for r in rows]

"""The registry of connected lanes: latest state per lane, who is online, pending commands.

Pure bookkeeping, no aiohttp: a lane's connection is any `LaneLink` (the websocket handler in
kiosk.hub.console_ws hands one in), a console is any callable subscriber. State lives in memory
only; a lane that is not connected is shown offline with the time it was last seen.

A device has at most one connection: a second one replaces the first (the caller closes the old
link, code 4000 "replaced"). A command waits for its lane's result for `timeout_s` seconds; the
result is only accepted from the lane the command was sent to.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

log = logging.getLogger("kiosk.hub.lanes")

COMMAND_TIMEOUT_S = 5.0
ROLES = ("attendant", "supervisor")
RESULT_STATUSES = ("applied", "refused", "duplicate")
_LANE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_LANE_NUMBER = re.compile(r"^lane-(.+)$")
# The published "lane" fields a console row carries (anything else the lane sends is dropped).
ROW_FIELDS = ("flow", "light", "lane_name", "basket", "interventions", "devices", "upload",
              "attendant_at_lane", "action_roles")

Row = dict[str, Any]
Subscriber = Callable[[Row], None]


class LaneLink(Protocol):
    """What the registry needs of a lane's connection (an aiohttp WebSocketResponse)."""

    async def send_json(self, data: Any) -> None: ...

    async def close(self, *, code: int = ..., message: bytes = ...) -> bool: ...


class FrameError(ValueError):
    """A lane's frame is not what the contract allows (logged and ignored, never fatal)."""


class LaneOffline(LookupError):
    """The lane has no open connection to the hub (HTTP 409)."""


class LaneTimeout(TimeoutError):
    """The lane did not answer a command in time; it may still apply it (HTTP 504)."""


@dataclass(frozen=True, slots=True)
class CommandResult:
    """A lane's answer to a command: status "applied", "refused" or "duplicate"."""

    command_id: str
    status: str
    reason: str


@dataclass
class _Lane:
    lane_id: str
    state: dict[str, Any] = field(default_factory=dict)
    last_seen: str | None = None
    link: LaneLink | None = None
    rev: int = -1


def iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def lane_label(lane_id: str) -> str:
    """How a person names a lane: "Lane 3" for lane-3, else "Lane <id>"."""
    found = _LANE_NUMBER.match(lane_id)
    return f"Lane {found.group(1) if found else lane_id}"


def _interventions(value: object) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise FrameError("lane.interventions must be a list")
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("intervention_id"), str):
            raise FrameError("each intervention must be an object with an intervention_id")
        if item.get("needs_role") not in ROLES:
            raise FrameError(f"intervention needs_role {str(item.get('needs_role'))[:30]!r} "
                             "must be attendant or supervisor")
    return value


def _action_roles(value: object) -> dict[str, list[str]]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(r, str) for r in v)
            for k, v in value.items()):
        raise FrameError("lane.action_roles must map each action to a list of roles")
    return value


def parse_state(frame: Mapping[str, Any], device_id: str) -> tuple[int, dict[str, Any]]:
    """The (rev, lane object) of a "state" frame sent by `device_id`; FrameError when it is
    malformed or names another lane (a lane may only publish its own state)."""
    lane_id = frame.get("lane_id")
    if lane_id != device_id:
        raise FrameError(f"state for lane {str(lane_id)[:70]!r} sent by {device_id!r}; a "
                         "device may only publish its own lane")
    rev = frame.get("rev")
    if not isinstance(rev, int) or isinstance(rev, bool) or rev < 0:
        raise FrameError(f"rev {str(rev)[:30]!r} must be a whole number >= 0")
    lane = frame.get("lane")
    if not isinstance(lane, dict):
        raise FrameError("lane must be a JSON object")
    if not isinstance(lane.get("flow"), str):
        raise FrameError("lane.flow must be text")
    kept = {k: lane.get(k) for k in ROW_FIELDS}
    kept["interventions"] = _interventions(lane.get("interventions", []))
    kept["action_roles"] = _action_roles(lane.get("action_roles"))
    return rev, kept


def parse_result(frame: Mapping[str, Any]) -> CommandResult:
    """A "result" frame as a CommandResult; FrameError when it is malformed."""
    command_id, status, reason = frame.get("command_id"), frame.get("status"), frame.get("reason")
    if not isinstance(command_id, str) or status not in RESULT_STATUSES:
        raise FrameError("a result needs a command_id and a status applied, refused or "
                         "duplicate")
    return CommandResult(command_id, str(status), reason if isinstance(reason, str) else "")


def role_allows(role: str, allowed: object) -> bool:
    """True when `role` is in `allowed`; a supervisor may do everything an attendant may."""
    return role == "supervisor" or (isinstance(allowed, list) and role in allowed)


class LaneRegistry:
    """Every lane the hub has heard from since it started, and the open link of each."""

    def __init__(self) -> None:
        self._lanes: dict[str, _Lane] = {}
        self._pending: dict[str, tuple[str, asyncio.Future[CommandResult]]] = {}
        self._subscribers: list[Subscriber] = []

    # --- lanes ----------------------------------------------------------------------------

    def connect(self, lane_id: str, link: LaneLink) -> LaneLink | None:
        """Make `link` the lane's connection; returns the one it replaces (to be closed)."""
        if not _LANE_ID.match(lane_id):
            raise FrameError(f"lane id {lane_id[:70]!r} is not a device id")
        lane = self._lanes.setdefault(lane_id, _Lane(lane_id))
        old, lane.link, lane.rev = lane.link, link, -1
        lane.last_seen = iso_now()
        self._notify(lane)
        return old

    def disconnect(self, lane_id: str, link: LaneLink) -> None:
        """The lane's `link` closed; the lane goes offline unless a newer link replaced it."""
        lane = self._lanes.get(lane_id)
        if lane is None or lane.link is not link:
            return
        lane.link = None
        lane.last_seen = iso_now()
        self._notify(lane)

    def publish(self, lane_id: str, link: LaneLink, rev: int, state: dict[str, Any]) -> bool:
        """Keep `state` as the lane's latest unless `rev` is not newer on this link (or the
        link was replaced); True when kept and announced to the consoles."""
        lane = self._lanes.get(lane_id)
        if lane is None or lane.link is not link or rev <= lane.rev:
            return False
        lane.rev, lane.state, lane.last_seen = rev, state, iso_now()
        self._notify(lane)
        return True

    def is_online(self, lane_id: str) -> bool:
        lane = self._lanes.get(lane_id)
        return lane is not None and lane.link is not None

    def state(self, lane_id: str) -> dict[str, Any]:
        """The lane's latest published "lane" object ({} when never heard of)."""
        lane = self._lanes.get(lane_id)
        return dict(lane.state) if lane else {}

    def row(self, lane_id: str) -> Row:
        """The console's LANE_ROW: lane_id, online, last_seen and the published fields."""
        lane = self._lanes.get(lane_id) or _Lane(lane_id)
        return {**lane.state, "lane_id": lane.lane_id, "online": lane.link is not None,
                "last_seen": lane.last_seen}

    def rows(self) -> list[Row]:
        """Every known lane's row, sorted by lane_id."""
        return [self.row(lane_id) for lane_id in sorted(self._lanes)]

    # --- consoles -------------------------------------------------------------------------

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call `subscriber(row)` on every lane change; returns the unsubscribe function."""
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

        return unsubscribe

    def _notify(self, lane: _Lane) -> None:
        row = self.row(lane.lane_id)
        for subscriber in list(self._subscribers):
            try:
                subscriber(row)
            except Exception:  # one broken console must not stop the others
                log.exception("console subscriber failed; it is dropped")
                self._subscribers.remove(subscriber)

    # --- commands -------------------------------------------------------------------------

    async def send_command(self, lane_id: str, command: dict[str, Any],
                           timeout_s: float = COMMAND_TIMEOUT_S) -> CommandResult:
        """Send `command` (with its command_id) to the lane and wait up to `timeout_s` seconds
        for its result. LaneOffline when the lane is not connected (nothing sent), LaneTimeout
        when it did not answer in time (it may still apply the command)."""
        lane = self._lanes.get(lane_id)
        if lane is None or lane.link is None:
            raise LaneOffline(f"{lane_label(lane_id)} is offline; go to the lane.")
        command_id = str(command["command_id"])
        future: asyncio.Future[CommandResult] = asyncio.get_running_loop().create_future()
        self._pending[command_id] = (lane_id, future)
        try:
            try:
                await lane.link.send_json(command)
            except (ConnectionError, RuntimeError) as e:
                raise LaneOffline(f"{lane_label(lane_id)} is offline; go to the lane.") from e
            try:
                return await asyncio.wait_for(asyncio.shield(future), timeout_s)
            except TimeoutError:
                raise LaneTimeout(f"{lane_label(lane_id)} did not answer within "
                                  f"{timeout_s:g} s; the command may still apply: look at the "
                                  "lane.") from None
        finally:
            self._pending.pop(command_id, None)
            if not future.done():
                future.cancel()

    def resolve(self, lane_id: str, result: CommandResult) -> bool:
        """Hand a lane's result to the waiting command; False when none waits for it from
        this lane (late, unknown, or another lane's command)."""
        pending = self._pending.get(result.command_id)
        if pending is None or pending[0] != lane_id or pending[1].done():
            return False
        pending[1].set_result(result)
        return True

    def pending_count(self) -> int:
        return len(self._pending)

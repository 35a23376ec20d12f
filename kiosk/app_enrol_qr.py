"""A lane that could not enrol at first boot says so on its screen, and can still be enrolled
with a QR code shown to its camera or scanner.

`LaneEnrolment.of(config, refresh)` is None for an enrolled lane (`<data_dir>/enrolled`), and
for a lane first boot never tried (no `enrol-status.json` with a reason: a standalone lane, or a
developer's): those sell as always. Otherwise the lane shows the "not enrolled" notice with the
reason (kiosk.app_firstboot wrote it: the hub's words for a refused code) and what to do, sells
nothing, and takes a scanned `KIOSK-ENROL:<hub_url>|<code>`: it enrols its lane id with that
code, keeps the token in `<data_dir>/hub-token` (0600; the kiosk's user cannot use the host
key, so the next `kiosk firstboot`, as root, seals it with systemd-creds) and starts selling.
Only a lane that is not enrolled takes such a code: a shopper's QR code cannot re-point an
enrolled lane to another hub.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from pathlib import Path

from kiosk.app_firstboot import (
    ENROLLED_MARK,
    FirstbootError,
    enrol_device,
    read_status,
    write_provisioned,
    write_status,
)
from kiosk.config import Config
from kiosk.ui.strings import t
from kiosk.ui.viewmodel import LaneView, MessageView

log = logging.getLogger("kiosk.firstboot")

ENROL_PREFIX = "KIOSK-ENROL:"
_AIM = re.compile(r"\][A-Za-z][0-9A-Za-z]")  # a scanner's symbology prefix, e.g. "]Q1"
_URL = re.compile(r"https?://[^\s/?#|]+(/[^\s?#|]*)?")


def parse_enrol_code(text: str) -> tuple[str, str] | None:
    """(hub_url, code) of an enrolment QR code's text, None for any other code."""
    body = text.strip()
    if _AIM.match(body):
        body = body[3:]
    if not body.startswith(ENROL_PREFIX):
        return None
    url, _, code = body[len(ENROL_PREFIX):].partition("|")
    url, code = url.strip().rstrip("/"), code.strip()
    return (url, code) if _URL.fullmatch(url) and code else None


class LaneEnrolment:
    """The lane's enrolment while it is not enrolled: the notice and the QR path."""

    def __init__(self, config: Config, reason: str, refresh: Callable[[], object]) -> None:
        self.config = config
        self.reason = reason
        self.refresh = refresh
        self.pending = True  # False once enrolled: the lane sells
        self.busy = False
        self.warning_key = ""  # a text key: what the last scan was, if not a code
        # Called on the loop once a scanned code enrolled the lane (the hub link starts there:
        # kiosk.app_link.link_after_enrolment), after the status files are written.
        self.on_enrolled: list[Callable[[], object]] = []
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def of(cls, config: Config, refresh: Callable[[], object]) -> LaneEnrolment | None:
        data_dir = config.paths.data_dir
        if (data_dir / ENROLLED_MARK).exists():
            return None
        status = read_status(data_dir)
        if status.get("enrolled") or not status.get("reason"):
            return None
        return cls(config, str(status["reason"]), refresh)

    @property
    def state_dir(self) -> Path:
        return self.config.paths.data_dir

    def view(self, lang: str) -> LaneView:
        """The notice: why the lane is not enrolled, its device id, and what to do."""
        text = t("enrol_reason", lang, reason=self.reason) + "\n" + \
            t("enrol_device", lang, device=self.config.lane.id)
        message = MessageView("info", t("enrol_busy", lang)) if self.busy else \
            MessageView("warning", t(self.warning_key, lang)) if self.warning_key else None
        return LaneView(screen="not_enrolled", lang=lang, store_name=self.config.store.name,
                        lane_name=self.config.lane.id, notice_text=text, message=message)

    def scan(self, text: str) -> None:
        """A code scanned while not enrolled: an enrolment code starts enrolling; anything
        else is answered with how to enrol (the lane sells nothing yet)."""
        found = parse_enrol_code(text)
        if found is None or self.busy:
            self.warning_key = "" if self.busy else "enrol_not_a_code"
            return
        self.busy = True
        self.warning_key = ""
        work = self._enrol(*found)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a tool or test driving the controller): enrol now
            asyncio.run(work)
            return
        self._task = loop.create_task(work)

    async def _enrol(self, hub_url: str, code: str) -> None:
        lane_id = self.config.lane.id
        log.info("enrolling lane %s at %s with a scanned code", lane_id, hub_url)
        try:
            await enrol_device(self.state_dir, hub_url, code, lane_id)
            write_provisioned(self.state_dir, lane_id, hub_url)
            write_status(self.state_dir, enrolled=True, device_id=lane_id, hub_url=hub_url,
                         credential="plain")
        except (FirstbootError, OSError) as err:
            self.reason = str(err)
            log.error("lane %s not enrolled: %s", lane_id, self.reason)
            write_status(self.state_dir, enrolled=False, reason=self.reason, device_id=lane_id,
                         hub_url=hub_url)
        else:
            self.pending = False
            log.info("lane %s enrolled at %s; selling (the hub link starts now, the uploader "
                     "picks the token up at its next start)", lane_id, hub_url)
            for hook in self.on_enrolled:
                hook()
        finally:
            self.busy = False
            self.refresh()

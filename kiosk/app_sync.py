"""Composition root for the uploader process: `kiosk upload` and `kiosk enrol`.

Wires the lane's journal (kiosk.journal: outbox, hub catalog, learned weights) to the uploader
(kiosk.sync), which knows neither the journal nor the config (tests/test_layout.py keeps it
that way).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from pathlib import Path

from kiosk.config import Config
from kiosk.journal.db import open_db
from kiosk.journal.hub_sync import HubCatalog
from kiosk.journal.retention import JournalPruner
from kiosk.journal.sales import JournalOutbox
from kiosk.journal.weights import HubWeights
from kiosk.sync.enrol import enrol, read_token
from kiosk.sync.errors import SyncError
from kiosk.sync.uploader import Uploader, UploadReport

log = logging.getLogger("kiosk.sync")

# Not enrolled yet (first boot could not enrol; a QR code may come later): wait this long, then
# exit non-zero so systemd restarts the uploader and hands it the credential afresh. At one start
# per ~70 s it stays far inside kiosk-uploader.service's start limit (10 in 300 s), so it never
# gives up for good while the lane waits for its code.
NOT_ENROLLED_WAIT_S = 60.0


def run_upload(config: Config, *, once: bool = False,
               backoff_base_s: float = 1.0, backoff_cap_s: float = 300.0,
               not_enrolled_wait_s: float = NOT_ENROLLED_WAIT_S) -> int:
    """Upload the lane's outbox to `sync.hub_url`: one batch with `once`, else until SIGTERM
    or SIGINT. Returns the exit status (0 done, 1 a batch failed with `once`); raises
    SyncError / HubAuthError (a KioskError: one sentence on stderr) when it cannot go on."""
    if not config.sync.hub_url:
        print("no hub configured (sync.hub_url is empty): nothing to upload; sales stay queued "
              "in the journal")
        return 0
    try:
        token = read_token(config.sync.token_file)
    except SyncError as err:
        if once:
            raise
        log.warning("%s; checking again in %.0f s", err, not_enrolled_wait_s)
        asyncio.run(_wait(not_enrolled_wait_s))
        return 1
    config.paths.ensure()
    db = open_db(config.paths.journal)
    try:
        uploader = Uploader(JournalOutbox(db), config.sync.hub_url, token,
                            batch=config.sync.batch, interval_s=config.sync.interval_s,
                            backoff_base_s=backoff_base_s, backoff_cap_s=backoff_cap_s,
                            catalog=HubCatalog(db), weights=HubWeights(db),
                            housekeeping=JournalPruner(db, config.journal.keep_acked_days))
        if once:
            report: UploadReport = asyncio.run(uploader.run_once())
            print(report)
            return 1 if report.error else 0
        asyncio.run(_forever(uploader))
        return 0
    finally:
        db.close()


async def _wait(seconds: float) -> None:
    """Sleep `seconds`, or less when SIGTERM or SIGINT arrives."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def _forever(uploader: Uploader) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("uploading to %s every %s s while the queue is empty", uploader.hub_url,
             uploader.interval_s)
    await uploader.run_forever(stop)


def run_enrol(config: Config, hub_url: str | None, code: str, device_id: str | None) -> int:
    """Enrol this lane at the hub (`hub_url`, default sync.hub_url) with a one-time `code`,
    storing the token in sync.token_file (0600). Prints what happened; returns 0."""
    url = (hub_url or config.sync.hub_url).rstrip("/")
    if not url:
        raise SyncError("no hub address: give --hub http://HUB:8080 or set sync.hub_url")
    result = asyncio.run(enrol(url, code, device_id or config.lane.id,
                               Path(config.sync.token_file)))
    print(result)
    return 0

"""The uploader: drains the lane's outbox to the hub, each sale exactly once.

Runs as its own process (`kiosk upload`) on the lane's SQLite file; the kiosk never waits for
it. Everything it knows lives in the outbox (pending, acked, quarantined, attempts, last error),
so a restart carries on where the last run stopped. Per sale the hub answers (API v1):
accepted or duplicate -> acked (a resend after a lost answer is a duplicate, stored once);
rejected -> quarantined with the hub's reason, never retried. A network error, a timeout or a
5xx counts a failed attempt with a plain error for the attendant and waits with exponential
backoff and full jitter. A 401 stops the uploader: the lane must be enrolled again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import aiohttp

from kiosk.errors import CatalogError
from kiosk.sync.backoff import backoff_delay_s
from kiosk.sync.catalog_pull import CatalogSink, pull_catalog
from kiosk.sync.errors import HubAuthError, SyncError, TooLargeForHub
from kiosk.sync.http import hub_request
from kiosk.sync.weights import WeightSink, exchange_weights

log = logging.getLogger("kiosk.sync")

MAX_BATCH = 500  # the hub's limit per request (API v1)
# The hub refuses bodies over 4 MiB (413). A big basket's sale is ~10 kB of JSON, so 500 of them
# would not fit: a request is cut at this many bytes of payload, whatever `batch` says.
MAX_BODY_BYTES = 3 * 1024 * 1024
_ENVELOPE_BYTES = 400  # ids, hashes and JSON punctuation around each payload
_DONE = ("accepted", "duplicate")


class OutboxEntry(Protocol):
    """One pending sale as the journal gives it (kiosk.journal.sales.OutboxItem)."""

    @property
    def sale_id(self) -> str: ...
    @property
    def lane_id(self) -> str: ...
    @property
    def seq(self) -> int: ...
    @property
    def payload(self) -> str: ...
    @property
    def prev_hash(self) -> str: ...
    @property
    def hash(self) -> str: ...
    @property
    def attempts(self) -> int: ...


class Outbox(Protocol):
    """The lane's outbox (kiosk.journal.sales.JournalOutbox): short transactions each."""

    def pending(self, limit: int) -> Sequence[OutboxEntry]: ...
    def settle(self, acked: Sequence[str], refused: Sequence[tuple[str, str]],
               at: str) -> None: ...
    def mark_failed(self, sale_ids: Sequence[str], error: str) -> None: ...


class Housekeeping(Protocol):
    """Called after a settle that acknowledged sales (kiosk.journal.retention.JournalPruner:
    prunes what the hub has acknowledged, when due). Must not raise for a routine failure."""

    def after_settle(self) -> object: ...


@dataclass(frozen=True, slots=True)
class Gap:
    """Sequence numbers the hub lacks for a lane (from_seq..to_seq, inclusive)."""

    lane_id: str
    from_seq: int
    to_seq: int


@dataclass(frozen=True, slots=True)
class UploadReport:
    """What one `run_once` did. `failures`: consecutive failed attempts of the oldest sale sent,
    this one included (drives the backoff); 0 when the batch went through."""

    sent: int = 0
    acked: int = 0
    duplicates: int = 0
    quarantined: int = 0
    failed: int = 0
    error: str | None = None
    failures: int = 0
    gaps: tuple[Gap, ...] = ()

    def __str__(self) -> str:
        if self.error:
            return f"upload failed for {self.failed} sale(s): {self.error}"
        return (f"sent {self.sent} sale(s): {self.acked} acknowledged ({self.duplicates} "
                f"already at the hub), {self.quarantined} quarantined")


class Uploader:
    """Uploads the outbox to the hub at `hub_url` with the lane's bearer `token`.

    `batch` sales per request (1..500); backoff `backoff_base_s` doubling up to `backoff_cap_s`
    seconds; `interval_s` between rounds when the queue is empty; `timeout_s` per request.
    `catalog`, when given, is refreshed from the hub each quiet round, and so are the learned
    `weights` (own ones sent when changed, the store-wide merge pulled). `session` lets a caller
    share an aiohttp session (the caller closes it). `housekeeping`, when given, runs after
    each settle that acknowledged sales (pruning).
    """

    def __init__(self, outbox: Outbox, hub_url: str, token: str, *, batch: int = 200,
                 backoff_base_s: float = 1.0, backoff_cap_s: float = 300.0,
                 interval_s: float = 30.0, timeout_s: float = 30.0,
                 catalog: CatalogSink | None = None, weights: WeightSink | None = None,
                 session: aiohttp.ClientSession | None = None,
                 housekeeping: Housekeeping | None = None,
                 max_body_bytes: int = MAX_BODY_BYTES) -> None:
        if not 1 <= batch <= MAX_BATCH:
            raise ValueError(f"batch {batch} must be 1..{MAX_BATCH} (the hub's limit)")
        self.outbox = outbox
        self.hub_url = hub_url.rstrip("/")
        self.token = token
        self.batch = batch
        self.backoff_base_s = backoff_base_s
        self.backoff_cap_s = backoff_cap_s
        self.interval_s = interval_s
        self.timeout_s = timeout_s
        self.catalog = catalog
        self.weights = weights
        self._session = session
        self.housekeeping = housekeeping
        self.max_body_bytes = max_body_bytes

    @contextlib.asynccontextmanager
    async def _client(self) -> AsyncIterator[aiohttp.ClientSession]:
        if self._session is not None:
            yield self._session
            return
        async with aiohttp.ClientSession() as session:
            yield session

    async def run_once(self) -> UploadReport:
        """Send one batch of the oldest pending sales and record the hub's answers.

        Raises HubAuthError (after noting the error on the batch) when the hub answers 401.
        """
        items = _fit(self.outbox.pending(self.batch), self.max_body_bytes)
        if not items:
            return UploadReport()
        ids = [i.sale_id for i in items]
        try:
            async with self._client() as session:
                answer = await self._post(session, items)
            results, gaps = _parse_answer(answer)
        except TooLargeForHub as err:
            return self._too_large(items, err)
        except HubAuthError as err:
            self.outbox.mark_failed(ids, str(err))
            raise
        except SyncError as err:
            self.outbox.mark_failed(ids, str(err))
            return UploadReport(sent=len(items), failed=len(items), error=str(err),
                                failures=items[0].attempts + 1)
        return self._record(items, results, gaps)

    def _too_large(self, items: Sequence[OutboxEntry], err: TooLargeForHub) -> UploadReport:
        """A 413: halve the bytes per request and go again at once. A single sale the hub will
        not take at all is quarantined with the reason (never retried for ever, never
        dropped)."""
        if len(items) > 1:
            size = sum(_size(i) for i in items)
            self.max_body_bytes = max(1, min(self.max_body_bytes, size) // 2)
            log.warning("%s: now at most %d bytes per request", err, self.max_body_bytes)
            return UploadReport(sent=len(items), failed=len(items), error=None)
        reason = (f"sale {items[0].sale_id} ({_size(items[0])} bytes) is larger than the hub "
                  f"accepts in one request ({err}); raise the hub's body limit")
        self.outbox.settle([], [(items[0].sale_id, reason)], _now())
        log.error("quarantined: %s", reason)
        return UploadReport(sent=1, quarantined=1)

    def _record(self, items: Sequence[OutboxEntry], results: dict[str, tuple[str, str]],
                gaps: tuple[Gap, ...]) -> UploadReport:
        acked: list[str] = []
        refused: list[tuple[str, str]] = []
        unanswered: list[str] = []
        duplicates = 0
        for item in items:
            status, reason = results.get(item.sale_id, ("", ""))
            if status in _DONE:
                acked.append(item.sale_id)
                duplicates += status == "duplicate"
            elif status == "rejected":
                refused.append((item.sale_id, reason or "the hub refused the sale without "
                                "giving a reason"))
                log.error("hub refused sale %s (seq %d); quarantined: %s",
                          item.sale_id, item.seq, reason)
            else:
                unanswered.append(item.sale_id)
        self.outbox.settle(acked, refused, _now())
        if acked and self.housekeeping is not None:
            self.housekeeping.after_settle()  # only after the hub's acknowledgement is saved
        error = None
        if unanswered:
            error = (f"hub {self.hub_url} gave no answer for {len(unanswered)} sale(s) of the "
                     "batch; they are sent again")
            self.outbox.mark_failed(unanswered, error)
        for gap in gaps:
            log.warning("hub lacks sales %d..%d of lane %s", gap.from_seq, gap.to_seq,
                        gap.lane_id)
        return UploadReport(sent=len(items), acked=len(acked), duplicates=duplicates,
                            quarantined=len(refused), failed=len(unanswered), error=error,
                            failures=items[0].attempts + 1 if unanswered else 0, gaps=gaps)

    async def _post(self, session: aiohttp.ClientSession,
                    items: Sequence[OutboxEntry]) -> Any:
        url = f"{self.hub_url}/api/v1/sales"
        body = {"sales": [{"sale_id": i.sale_id, "lane_id": i.lane_id, "seq": i.seq,
                           "payload": i.payload, "prev_hash": i.prev_hash, "hash": i.hash}
                          for i in items]}
        return await hub_request(session, "POST", url, self.token, body, self.timeout_s)

    async def run_forever(self, stop: asyncio.Event) -> None:
        """Upload until `stop` is set: a full batch is followed at once by the next, an empty
        queue waits `interval_s` (and refreshes the catalog), a failure waits with backoff.
        Returns when `stop` is set; raises HubAuthError on a 401 (enrol the lane again)."""
        async with self._client() as session:
            shared, self._session = self._session, session
            try:
                while not stop.is_set():
                    delay_s = await self._round()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), timeout=delay_s)
            finally:
                self._session = shared

    async def _round(self) -> float:
        """One upload round; returns how long to wait before the next (seconds)."""
        report = await self.run_once()
        if report.error:
            delay_s = backoff_delay_s(report.failures, self.backoff_base_s, self.backoff_cap_s)
            log.warning("%s; next try in %.1f s", report, delay_s)
            return delay_s
        if report.sent:
            log.info("%s", report)
        if report.sent >= self.batch or report.failed:
            return 0.0  # more waiting (or a smaller request to try at once after a 413)
        await self._pull_catalog()
        await self._share_weights()
        return self.interval_s

    async def _pull_catalog(self) -> None:
        if self.catalog is None or self._session is None:
            return
        try:
            pulled = await pull_catalog(self._session, self.hub_url, self.token, self.catalog,
                                        timeout_s=self.timeout_s)
        except HubAuthError:
            raise
        except (SyncError, CatalogError) as err:
            log.warning("catalog not updated: %s", err)
            return
        if pulled.changed:
            log.info("%s", pulled)

    async def _share_weights(self) -> None:
        if self.weights is None or self._session is None:
            return
        try:
            report = await exchange_weights(self._session, self.hub_url, self.token,
                                            self.weights, timeout_s=self.timeout_s)
        except HubAuthError:
            raise
        except SyncError as err:
            log.warning("learned weights not shared: %s", err)
            return
        if report.sent:
            log.info("%s", report)


def _size(item: OutboxEntry) -> int:
    return len(item.payload.encode("utf-8")) + _ENVELOPE_BYTES


def _fit(items: Sequence[OutboxEntry], max_bytes: int) -> list[OutboxEntry]:
    """The oldest `items` whose request stays within `max_bytes` (always at least one)."""
    kept: list[OutboxEntry] = []
    total = 0
    for item in items:
        total += _size(item)
        if kept and total > max_bytes:
            break
        kept.append(item)
    return kept


def _parse_answer(data: Any) -> tuple[dict[str, tuple[str, str]], tuple[Gap, ...]]:
    """The per-sale results {sale_id: (status, reason)} and gaps of a POST /sales answer."""
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, list):
        raise SyncError(f"hub answer has no results list ({str(data)[:60]!r}); will retry")
    out: dict[str, tuple[str, str]] = {}
    for r in results:
        if isinstance(r, dict) and isinstance(r.get("sale_id"), str) \
                and r.get("status") in (*_DONE, "rejected"):
            reason = r.get("reason")
            out[r["sale_id"]] = (str(r["status"]), reason if isinstance(reason, str) else "")
    gaps: list[Gap] = []
    raw_gaps = data.get("gaps")
    for g in raw_gaps if isinstance(raw_gaps, list) else ():
        with contextlib.suppress(KeyError, TypeError, ValueError):
            gaps.append(Gap(str(g["lane_id"]), int(g["from_seq"]), int(g["to_seq"])))
    return out, tuple(gaps)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

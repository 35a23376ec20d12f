"""The card terminal at work for the lane: ask it when the checkout pays, show its prompts,
journal its answer, and settle any payment whose outcome is unknown.

The checkout journals each attempt (`payment_started` with an `attempt_id`) before this module
asks the terminal, so the order on disk is always "attempt, then answer". The rules:

- An attempt this process started is paid once; its answer becomes one `PaymentResult`.
- An attempt found pending at start-up (the kiosk died mid-payment) is never sent again: it is
  journaled as "unknown" (an intervention blocks pay) and the terminal is asked for its last
  transaction. A booking for this amount that is not an earlier sale's settles it as approved;
  an earlier sale's booking or a refused payment settles it as not booked; no answer leaves it
  to the attendant, who checks the terminal and approves ("booked") or rejects ("not booked").
- Cancel while paying asks the terminal to abort; the answer (aborted, or approved when it was
  too late) is what counts, so the lane never drops a payment the terminal booked.
- A terminal that cannot be reached before anything was sent: nothing can be booked, so the
  attempt ends as aborted with a message for the shopper.

Not imported by hardware/; app.py builds it when [devices.terminal] is configured.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from hardware.device import ErrorEvent
from hardware.errors import HardwareError
from hardware.payment import PaymentOutcome, PaymentResult, PaymentStatus, PaymentTerminal
from kiosk.config_devices import TerminalConfig
from kiosk.domain import commands as cmd
from kiosk.domain.checkout import FlowState
from kiosk.domain.facts import Fact

log = logging.getLogger(__name__)

# What the shopper sees before the terminal's first prompt and after pressing cancel.
CONNECTING = "connecting"
ABORTING = "aborting"
OPEN_WAIT_STEPS = 100  # x 0.1 s: how long a reconciliation waits for the terminal to connect


def start_payments(devices: Any, cfg: TerminalConfig) -> PaymentRunner:
    """The ZVT terminal of `cfg` under the lane's supervision, with its runner started
    (`devices` is the kiosk.app_devices.LaneDevices being started)."""
    from hardware.zvt.terminal import ZvtTerminal
    from kiosk.journal.sales import latest_sales

    terminal = ZvtTerminal("terminal", cfg.url, password=cfg.password,
                           completion_timeout_s=float(cfg.completion_timeout_s))
    controller = devices.controller

    def known_traces() -> list[str]:
        recent = latest_sales(controller.durable.db, controller.checkout.lane_id, 20)
        return [str((p.get("terminal") or {}).get("trace_number") or "")
                for record in recent for p in record.sale.get("payments") or ()]

    devices._supervise(terminal, _log_event)  # statuses reach the shopper through pay()
    runner = PaymentRunner(controller, terminal, refresh=devices.refresh,
                           known_traces=known_traces)
    controller.payments = runner
    runner.start()
    return runner


def _log_event(event: Any) -> None:
    if isinstance(event, ErrorEvent):
        log.warning("%s: %s", event.device, event.error)


def terminal_fields(result: PaymentResult) -> dict[str, str]:
    """The terminal's receipt data kept on the sale (non-empty fields only)."""
    fields = {"trace_number": result.trace_number, "receipt_number": result.receipt_number,
              "terminal_id": result.terminal_id, "masked_pan": result.masked_pan,
              "card_type": result.card_type, "card_name": result.card_name,
              "booked_at": result.booked_at}
    return {key: value for key, value in fields.items() if value}


class PaymentRunner:
    """Runs `terminal` for `controller` (a kiosk.app_lane.LaneController) on the running loop."""

    def __init__(self, controller: Any, terminal: PaymentTerminal, *,
                 refresh: Callable[[], None],
                 known_traces: Callable[[], Iterable[str]] = tuple) -> None:
        self.controller = controller
        self.terminal = terminal
        self.refresh = refresh
        self.known_traces = known_traces  # trace numbers of sales already on record
        self.prompt: tuple[str, str] | None = None  # (status kind, the terminal's own text)
        self._asked: set[str] = set()  # attempts this process sent to the terminal
        self._settling: set[str] = set()
        self._task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # -- wiring --------------------------------------------------------------------------------

    def start(self) -> None:
        """Hook into the controller and look at what the journal left (a restart mid-payment)."""
        self.controller.listeners.append(self.after_command)
        pending = self._pending()
        if pending is not None:
            attempt = str(pending.get("attempt_id") or "")
            if not pending.get("unknown"):
                log.warning("payment attempt %s was under way when the kiosk stopped; its "
                            "outcome is unknown until the terminal or an attendant says",
                            attempt)
                self._report_unknown(pending, "the kiosk restarted during the payment")
            else:
                self._spawn(self._settle(attempt, int(pending.get("amount_cents") or 0)))

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):  # shutting down
                await task
        self._tasks.clear()

    def after_command(self, outcome: Sequence[Fact] | BaseException) -> None:
        """After every command: a new attempt goes to the terminal; a paid lane drops the prompt."""
        pending = self._pending()
        if pending is None:
            self.prompt = None
            return
        attempt = str(pending.get("attempt_id") or "")
        if pending.get("unknown"):
            if attempt not in self._settling:
                self._spawn(self._settle(attempt, int(pending.get("amount_cents") or 0)))
            return
        if attempt and attempt not in self._asked:
            self._asked.add(attempt)
            self.prompt = (CONNECTING, "")
            self._task = self._spawn(self._pay(attempt, int(pending["amount_cents"])))

    def cancel(self) -> bool:
        """The shopper (or attendant) wants to stop paying: ask the terminal to abort. False
        when no payment is running here (the checkout's own Cancel then applies)."""
        if self._task is None or self._task.done():
            return False
        self.prompt = (ABORTING, "")
        self._spawn(self._abort())
        return True

    # -- the terminal ------------------------------------------------------------------------

    async def _pay(self, attempt: str, amount_cents: int) -> None:
        try:
            result = await self.terminal.pay(amount_cents, on_status=self._on_status)
        except HardwareError as err:  # not even sent: nothing can have been booked
            log.warning("payment attempt %s not sent: %s", attempt, err)
            self._answer(attempt, amount_cents, "aborted", f"terminal not reachable: {err}")
            self.controller.payment_failed("unreachable", None)
            return
        self._record(attempt, amount_cents, result)

    async def _abort(self) -> None:
        try:
            await self.terminal.abort()
        except HardwareError as err:
            log.warning("abort not delivered to the terminal: %s", err)

    async def _settle(self, attempt: str, amount_cents: int) -> None:
        """Ask the terminal what became of an attempt whose outcome is unknown."""
        self._settling.add(attempt)
        for _ in range(OPEN_WAIT_STEPS):  # just started: the supervisor is still connecting
            if self.terminal.is_open:
                break
            await asyncio.sleep(0.1)
        try:
            last = await self.terminal.last_result()
        except HardwareError as err:
            log.warning("cannot ask the terminal about attempt %s: %s; an attendant must "
                        "check the terminal", attempt, err)
            return
        if last is None:
            log.warning("the terminal cannot tell what became of attempt %s; an attendant "
                        "must check the terminal's journal", attempt)
            return
        if last.outcome is PaymentOutcome.APPROVED and last.trace_number \
                and last.trace_number in set(self.known_traces()):
            self._answer(attempt, amount_cents, "declined",
                         f"not booked: the terminal's last booking (trace "
                         f"{last.trace_number}) belongs to an earlier sale")
        elif last.outcome is PaymentOutcome.APPROVED and last.amount_cents != amount_cents:
            log.warning("the terminal's last booking is %d cents, attempt %s was for %d; "
                        "left to the attendant", last.amount_cents, attempt, amount_cents)
        elif last.outcome is PaymentOutcome.UNKNOWN:
            log.warning("the terminal's answer about attempt %s is unclear; left to the "
                        "attendant", attempt)
        else:
            self._record(attempt, amount_cents, last, settling=True)

    # -- into the checkout ---------------------------------------------------------------------

    def _on_status(self, status: PaymentStatus) -> None:
        self.prompt = (status.kind, status.text)
        self.refresh()

    def _record(self, attempt: str, amount_cents: int, result: PaymentResult, *,
                settling: bool = False) -> None:
        outcome = result.outcome.value
        self.controller.perform(cmd.PaymentResult(
            approved=result.outcome is PaymentOutcome.APPROVED,
            amount_cents=result.amount_cents if result.outcome is PaymentOutcome.APPROVED
            else amount_cents,
            reference=result.trace_number or result.receipt_number,
            detail=result.message, outcome=outcome, attempt_id=attempt,
            terminal=terminal_fields(result)))
        if outcome in ("declined", "aborted") and not settling:
            self.controller.payment_failed(outcome, result.result_code)
        self.prompt = None if self._pending() is None else self.prompt
        self.refresh()

    def _answer(self, attempt: str, amount_cents: int, outcome: str, detail: str) -> None:
        self.controller.perform(cmd.PaymentResult(
            approved=False, amount_cents=amount_cents, reference="", detail=detail,
            outcome=outcome, attempt_id=attempt))
        self.prompt = None
        self.refresh()

    def _report_unknown(self, pending: dict[str, Any], detail: str) -> None:
        self._answer(str(pending.get("attempt_id") or ""),
                     int(pending.get("amount_cents") or 0), "unknown", detail)

    def _pending(self) -> dict[str, Any] | None:
        checkout = self.controller.checkout
        if checkout.state is not FlowState.PAYING:
            return None
        pending: dict[str, Any] | None = checkout.pending_payment
        return pending

    def _spawn(self, coro: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)
        return task

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("payment task failed", exc_info=task.exception())

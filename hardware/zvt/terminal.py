"""ZvtTerminal: the ZVT driver behind `hardware.payment.PaymentTerminal` (protocols.md §4.3).

`open()` connects (TCP or serial, see hardware/zvt/link.py) and registers with config byte BE
and EUR. `pay()` sends 06 01, acknowledges every terminal APDU with 80 00 00, reports each
04 FF to `on_status`, keeps the 04 0F and any 06 D1 lines, and ends at 06 0F (APPROVED when the
result code is 00) or 06 1E (ABORTED for 6C, else DECLINED). The completion timeout is re-armed
by every message from the terminal; on silence the driver sends 06 B0 and, if that brings no
answer within the ack timeout, the result is UNKNOWN: never guessed. A link lost after the
authorisation was sent is UNKNOWN too; `last_result()` (Repeat Receipt 06 20) reconciles it.

A negative acknowledgement 84 xx 00 of the authorisation means the terminal refused the command
before anything happened: that is DECLINED with result code xx and a message naming it.
Times are in seconds, money in int cents.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from hardware.device import DeviceState, ErrorEvent
from hardware.errors import (
    DeviceConfigError,
    DeviceOfflineError,
    DeviceTimeoutError,
    HardwareError,
    ProtocolError,
)
from hardware.payment import PaymentOutcome, PaymentResult, PaymentStatus, PaymentTerminal
from hardware.zvt import apdu as zvt
from hardware.zvt.link import Link, make_link

log = logging.getLogger(__name__)

# Result codes worth a word (Portalum EnglishErrorMessageRepository.cs; protocols.md §4.1).
RESULT_TEXTS = {
    0x00: "ok", 0x05: "refused by the host", 0x64: "card not readable",
    0x6C: "aborted via timeout or abort key", 0x78: "card expired",
    0x83: "function not possible", 0x9A: "ZVT protocol error", 0x9C: "please wait",
    0xA0: "receiver not ready", 0xC3: "maximum amount exceeded", 0xFF: "system error",
}
# 04 FF status codes -> neutral kinds (Portalum EnglishIntermediateStatusRepository.cs).
_KINDS: dict[str, tuple[int, ...]] = {
    "insert_card": (0x0A, 0x2A),
    "enter_pin": (0x01, 0x02, 0x41, 0x42),
    "pin_wrong": (0x15, 0x55),
    "wait": (0x04, 0x05, 0x06, 0x0E, 0x0F, 0x17, 0x28, 0x29, 0x2B, 0x2C, 0x44, 0x45, 0x46,
             0x4E, 0x57, 0x68, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3, 0xE0, 0xE1),
    "remove_card": (0x0B, 0x4B),
    "approved": (0x1B, 0x1C, 0x5B, 0x5C),
    "declined": (0x03, 0x07, 0x09, 0x10, 0x13, 0x14, 0x16, 0x18, 0x1D, 0x43, 0x47, 0x49, 0x50,
                 0x53, 0x54, 0x56, 0x58, 0x5D),
    "card_unreadable": (0x08, 0x0C, 0x19, 0x48, 0x4C, 0x59),
}
STATUS_KIND_BY_CODE = {code: kind for kind, codes in _KINDS.items() for code in codes}


def status_kind(code: int) -> str:
    """The neutral kind of a 04 FF status code ("other" when we have no better word)."""
    return STATUS_KIND_BY_CODE.get(code, "other")


def describe(code: int) -> str:
    """`05: refused by the host` style text for a result code."""
    words = RESULT_TEXTS.get(code, "refused by the host" if 0 < code < 0x64 else "see ZVT spec")
    return f"{code:02X}: {words}"


class _Lost(Exception):
    """The link went while we waited for the terminal."""


@dataclass
class _Transaction:
    """What the terminal has said about the running transaction so far."""

    amount_cents: int
    info: zvt.StatusInformation | None = None
    lines: list[str] = field(default_factory=list)


class ZvtTerminal(PaymentTerminal):
    """A ZVT card terminal at `url`: "tcp://HOST:PORT" or a serial device path / pyserial URL."""

    def __init__(self, name: str, url: str, *, password: str = "000000",
                 completion_timeout_s: float = 120.0, ack_timeout_s: float = 5.0) -> None:
        super().__init__(name)
        if not url:
            raise DeviceConfigError(f"{name}: no terminal address; set tcp://HOST:PORT or a "
                                    f"serial port")
        if len(password) != 6 or not password.isdigit():
            raise DeviceConfigError(f"{name}: the ZVT password must be six digits, not "
                                    f"{password!r}")
        self.url = url
        self.password = password
        self.completion_timeout_s = completion_timeout_s
        self.ack_timeout_s = ack_timeout_s
        self._link: Link | None = None
        self._inbox: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._lock = asyncio.Lock()
        self._running = False
        self._abort_wanted = False

    # -- lifecycle ----------------------------------------------------------------------------

    async def _open(self) -> None:
        self._inbox = asyncio.Queue()
        self._lock = asyncio.Lock()
        link = make_link(self.name, self.url, on_apdu=self._inbox.put_nowait,
                         on_lost=self._link_lost, ack_timeout_s=self.ack_timeout_s)
        await link.open()
        self._link = link
        try:
            await self._register()
        except BaseException:
            self._link = None
            await link.close()
            raise

    async def _close(self) -> None:
        link, self._link = self._link, None
        self._inbox.put_nowait(None)  # wake a pay() that waits
        if link is not None:
            await link.close()

    def _link_lost(self, detail: str) -> None:
        self._inbox.put_nowait(None)
        self._went_offline(detail)

    async def _register(self) -> None:
        answer = await self._command(zvt.registration(self.password), "registration")
        refused = zvt.negative_ack_code(answer)
        if refused is not None:
            raise DeviceConfigError(
                f"{self.name}: the terminal at {self.url} refused registration "
                f"(84 {refused:02X} 00: {describe(refused)}); check the ZVT password")
        while not answer.startswith(zvt.COMPLETION):
            if answer.startswith(zvt.ABORT):
                code = zvt.parse_abort(zvt.decode_apdu(answer).data).result_code
                raise DeviceConfigError(
                    f"{self.name}: the terminal at {self.url} refused registration (06 1E "
                    f"{describe(code)}); check the ZVT password and the terminal's ECR setup")
            answer = await self._next_or_raise(self.completion_timeout_s, "registration")
            await self._ack()

    # -- the conversation ---------------------------------------------------------------------

    async def _send(self, data: bytes) -> None:
        link = self._link
        if link is None:
            raise DeviceOfflineError(f"{self.name}: not connected to {self.url}")
        await link.send(data)

    async def _ack(self) -> None:
        # A lost ack shows up as the link going (and the next read failing), not here.
        with contextlib.suppress(HardwareError):
            await self._send(zvt.ACK)

    async def _next(self, timeout_s: float) -> bytes:
        """The next APDU from the terminal; TimeoutError on silence, _Lost when the link goes."""
        raw = await asyncio.wait_for(self._inbox.get(), timeout_s)
        if raw is None:
            raise _Lost
        return raw

    async def _next_or_raise(self, timeout_s: float, what: str) -> bytes:
        try:
            return await self._next(timeout_s)
        except TimeoutError:
            raise DeviceTimeoutError(f"{self.name}: the terminal at {self.url} did not answer "
                                     f"the {what} within {timeout_s} s; check that it is "
                                     f"on and idle") from None
        except _Lost:
            raise DeviceOfflineError(f"{self.name}: lost the terminal at {self.url} during "
                                     f"the {what}; check the cable or network") from None

    async def _command(self, data: bytes, what: str) -> bytes:
        """Send `data`; return the terminal's acknowledgement (or its first other APDU)."""
        await self._send(data)
        while True:
            answer = await self._next_or_raise(self.ack_timeout_s, what)
            if answer != zvt.ACK_WAIT:  # 84 9C 00: "more time", the ack is still to come
                if not (zvt.is_ack(answer) or zvt.negative_ack_code(answer) is not None):
                    await self._ack()  # a real message: acknowledge it like any other
                return answer

    def _drain(self) -> None:
        """Forget stale acks from an earlier conversation (a lost marker stays meaningful)."""
        while not self._inbox.empty():
            if self._inbox.get_nowait() is None:
                self._inbox.put_nowait(None)
                return

    def _report(self, err: ProtocolError, raw: bytes) -> None:
        self._emit(ErrorEvent(self.name, ProtocolError(
            f"{self.name}: bad {raw[:2].hex(' ').upper()} from the terminal at {self.url}: "
            f"{err}; ignored", raw)))

    # -- payment ------------------------------------------------------------------------------

    async def pay(self, amount_cents: int, *,
                  on_status: Callable[[PaymentStatus], None] | None = None) -> PaymentResult:
        """Authorise `amount_cents` (see the module docstring for how each ending is reported)."""
        if self._state is DeviceState.OFFLINE:
            raise DeviceOfflineError(f"{self.name}: the terminal at {self.url} is offline; "
                                     f"nothing was sent, try again when it is back")
        self.check_open()
        request = zvt.authorisation(amount_cents)
        async with self._lock:
            self._drain()
            self._state = DeviceState.BUSY
            self._running, self._abort_wanted = True, False
            try:
                return await self._authorise(request, _Transaction(amount_cents), on_status)
            finally:
                self._running = False
                if self._state is DeviceState.BUSY:
                    self._state = DeviceState.IDLE

    async def _authorise(self, request: bytes, tx: _Transaction,
                         on_status: Callable[[PaymentStatus], None] | None) -> PaymentResult:
        try:
            await self._send(request)
        except DeviceOfflineError:
            raise  # not written at all: nothing can have been booked
        except HardwareError as err:  # written, but the terminal did not confirm the frame
            return self._unknown(tx, f"the authorisation was sent but not confirmed ({err})")
        try:
            first = await self._next_acked_or_first(tx)
        except TimeoutError:
            await self._abort_quiet()
            return self._unknown(tx, f"the terminal did not acknowledge the authorisation "
                                     f"within {self.ack_timeout_s} s")
        except _Lost:
            return self._unknown(tx, "the link was lost right after the authorisation was sent")
        refused = zvt.negative_ack_code(first) if first is not None else None
        if refused is not None:
            return self._result(PaymentOutcome.DECLINED, tx, refused,
                                f"the terminal refused the authorisation command (84 "
                                f"{describe(refused)}); nothing was booked")
        return await self._follow(tx, on_status, first)

    async def _next_acked_or_first(self, tx: _Transaction) -> bytes | None:
        """Wait for the ack of the authorisation: None when positive, else what came instead."""
        while True:
            answer = await self._next(self.ack_timeout_s)
            if answer == zvt.ACK_WAIT:
                continue
            return None if zvt.is_ack(answer) else answer

    async def _follow(self, tx: _Transaction, on_status: Callable[[PaymentStatus], None] | None,
                      pending: bytes | None) -> PaymentResult:
        """Answer the terminal's messages until it ends the transaction or falls silent."""
        timeout_s, silence_abort = self.completion_timeout_s, False
        while True:
            if pending is not None:
                raw, pending = pending, None
            else:
                try:
                    raw = await self._next(timeout_s)
                except TimeoutError:
                    if silence_abort:
                        return self._unknown(tx, "the terminal stayed silent, also after 06 B0")
                    silence_abort = True
                    await self._abort_quiet()
                    timeout_s = self.ack_timeout_s
                    continue
                except _Lost:
                    return self._unknown(tx, "the link was lost during the payment")
            if zvt.is_ack(raw) or raw == zvt.ACK_WAIT or zvt.negative_ack_code(raw) is not None:
                continue  # the answer to our 06 B0 (a refusal means: it is too late to stop)
            await self._ack()
            ended = self._handle(raw, tx, on_status)
            if ended is not None:
                return ended
            timeout_s = self.completion_timeout_s  # every message re-arms the timeout

    def _handle(self, raw: bytes, tx: _Transaction,
                on_status: Callable[[PaymentStatus], None] | None) -> PaymentResult | None:
        try:
            message = zvt.decode_apdu(raw)
            if message.command == zvt.INTERMEDIATE_STATUS:
                self._tell(on_status, zvt.parse_intermediate_status(message.data))
            elif message.command == zvt.STATUS_INFORMATION:
                tx.info = zvt.parse_status_information(message.data)
            elif message.command == zvt.PRINT_LINE:
                tx.lines.append(zvt.parse_print_line(message.data))
            elif message.command == zvt.COMPLETION:
                return self._completed(tx)
            elif message.command == zvt.ABORT:
                code = zvt.parse_abort(message.data).result_code
                aborted = code == 0x6C or self._abort_wanted
                outcome = PaymentOutcome.ABORTED if aborted else PaymentOutcome.DECLINED
                verb = "aborted" if aborted else "declined"
                return self._result(outcome, tx, code, f"{verb} by the terminal (result code "
                                                       f"{describe(code)})")
            else:
                log.info("%s: ignored %s from the terminal", self.name, message)
        except ProtocolError as err:
            self._report(err, raw)
        return None

    def _tell(self, on_status: Callable[[PaymentStatus], None] | None,
              status: zvt.IntermediateStatus) -> None:
        if on_status is None:
            return
        try:
            on_status(PaymentStatus(status.code, status_kind(status.code), status.text))
        except Exception:  # a display bug must not lose the payment's outcome
            log.exception("%s: on_status failed for status %02X", self.name, status.code)

    def _completed(self, tx: _Transaction) -> PaymentResult:
        code = tx.info.result_code if tx.info is not None else None
        if code in (None, 0):
            return self._result(PaymentOutcome.APPROVED, tx, 0, "approved by the terminal")
        return self._result(PaymentOutcome.DECLINED, tx, code,
                            f"declined by the terminal (result code {describe(code or 0)})")

    async def _abort_quiet(self) -> None:
        with contextlib.suppress(HardwareError):
            await self._send(zvt.abort_command())

    async def abort(self) -> None:
        """Send 06 B0 while pay() runs; its answer arrives in pay(). No-op when idle."""
        if not self._running:
            return
        self._abort_wanted = True
        await self._abort_quiet()

    # -- results ------------------------------------------------------------------------------

    def _unknown(self, tx: _Transaction, why: str) -> PaymentResult:
        return self._result(PaymentOutcome.UNKNOWN, tx, None,
                            f"{why}; it may have been booked: reconcile with the terminal's "
                            f"last result")

    def _result(self, outcome: PaymentOutcome, tx: _Transaction, code: int | None,
                message: str) -> PaymentResult:
        info = tx.info or zvt.StatusInformation()
        booked_at = ""
        if len(info.date_mmdd) == 4 and len(info.time_hhmmss) == 6:
            d, t = info.date_mmdd, info.time_hhmmss
            booked_at = f"{d[:2]}-{d[2:]} {t[:2]}:{t[2:4]}:{t[4:]}"
        return PaymentResult(
            outcome=outcome,
            amount_cents=info.amount_cents if info.amount_cents is not None else tx.amount_cents,
            result_code=code, trace_number=info.trace_number,
            receipt_number=info.receipt_number, terminal_id=info.terminal_id,
            masked_pan=info.masked_pan, card_type=info.card_type, card_name=info.card_name,
            booked_at=booked_at, message=message, receipt_lines=tuple(tx.lines))

    # -- reconciliation -----------------------------------------------------------------------

    async def last_result(self) -> PaymentResult | None:
        """Repeat Receipt (06 20): the last transaction, or None (06 1E, refusal, silence)."""
        self.check_open()
        async with self._lock:
            self._drain()
            tx = _Transaction(0)
            try:
                await self._send(zvt.repeat_receipt(self.password))
                raw: bytes | None = await self._next_acked_or_first(tx)
                while True:
                    if raw is not None:
                        if zvt.negative_ack_code(raw) is not None:
                            return None
                        if not zvt.is_ack(raw):
                            await self._ack()
                            if raw.startswith(zvt.ABORT):
                                return None
                            if raw.startswith(zvt.COMPLETION):
                                return self._repeated(tx)
                            self._handle(raw, tx, None)
                    raw = await self._next(self.ack_timeout_s)
            except (TimeoutError, _Lost, HardwareError):
                return None

    def _repeated(self, tx: _Transaction) -> PaymentResult | None:
        if tx.info is None:
            return None
        code = tx.info.result_code or 0
        outcome = (PaymentOutcome.APPROVED if code == 0 else
                   PaymentOutcome.ABORTED if code == 0x6C else PaymentOutcome.DECLINED)
        return self._result(outcome, tx, code, f"the terminal's last transaction (Repeat "
                                               f"Receipt): {outcome.value}, result code "
                                               f"{describe(code)}")

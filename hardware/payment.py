"""Card payment as the checkout sees it: one interface, whatever the terminal speaks.

`PaymentTerminal` is a `Device` that authorises an amount and says how it ended:
APPROVED, DECLINED, ABORTED or UNKNOWN. UNKNOWN means the link was lost or the terminal fell
silent after the authorisation was sent: the payment may have been booked, so it must be
reconciled with `last_result()` (and, failing that, by the attendant); it is never guessed.
Declines, aborts and silence are results, not exceptions.

The ZVT driver (`ZvtTerminal`, in hardware/zvt/terminal.py) is re-exported here; OPI or nexo
drivers would be further subclasses. Money is int cents.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from hardware.device import Device


class PaymentOutcome(StrEnum):
    """How a payment ended."""

    APPROVED = "approved"  # the PT booked it (04 0F rc 00 ... 06 0F)
    DECLINED = "declined"  # the host/PT refused (rc 01-63, 64 card unreadable, 78 expired, ...)
    ABORTED = "aborted"  # stopped by shopper/attendant (06 B0), the PT's abort key or timeout (6C)
    UNKNOWN = "unknown"  # link lost or PT silent after the authorisation: reconcile it


STATUS_KINDS = ("insert_card", "enter_pin", "pin_wrong", "wait", "remove_card", "approved",
                "declined", "card_unreadable", "other")


@dataclass(frozen=True, slots=True)
class PaymentStatus:
    """An intermediate status (ZVT 04 FF) to show the shopper.

    `code` is as the PT sent it (e.g. 0x0A); `kind` is one of STATUS_KINDS, a neutral name the
    UI translates; `text` is the PT's own display text if it sent one, else "".
    """

    code: int
    kind: str
    text: str = ""


@dataclass(frozen=True, slots=True)
class PaymentResult:
    """The end of a payment (or the PT's memory of its last one). Digits stay strings."""

    outcome: PaymentOutcome
    amount_cents: int
    result_code: int | None = None  # ZVT BMP 27 / 06 1E code (0 ok, 5 declined, 0x6C abort)
    trace_number: str = ""  # BMP 0B as digits, e.g. "613995"
    receipt_number: str = ""  # BMP 87 as digits
    terminal_id: str = ""  # BMP 29 as digits
    masked_pan: str = ""  # BMP 22, masked digits as "*", e.g. "6726********0000"
    card_type: str = ""  # BMP 8A as a number, e.g. "5"
    card_name: str = ""  # BMP 8B, e.g. "girocard"
    booked_at: str = ""  # BMP 0D (MMDD) + 0C (HHMMSS) as "MM-DD HH:MM:SS", "" if absent
    message: str = ""  # one plain technical sentence for the journal and the attendant
    receipt_lines: tuple[str, ...] = ()  # 06 D1 print lines if the PT sent any

    def to_dict(self) -> dict[str, object]:
        """JSON-able: the outcome as its string value, receipt lines as a list."""
        data = asdict(self)
        data["outcome"] = self.outcome.value
        data["receipt_lines"] = list(self.receipt_lines)
        return data


class PaymentTerminal(Device):
    """A card terminal: ZVT now, OPI or nexo later."""

    @abstractmethod
    async def pay(self, amount_cents: int, *,
                  on_status: Callable[[PaymentStatus], None] | None = None) -> PaymentResult:
        """Authorise `amount_cents`. Declines, aborts and silence are RESULTS, never exceptions.

        Raises hardware.errors.DeviceOfflineError only when the request could not even be sent
        (nothing can have been booked).
        """

    @abstractmethod
    async def abort(self) -> None:
        """Ask the PT to stop the running payment; pay() then returns ABORTED, or APPROVED if
        it was already too late. No-op when nothing runs."""

    @abstractmethod
    async def last_result(self) -> PaymentResult | None:
        """The PT's last transaction, for reconciliation after a restart or an UNKNOWN outcome;
        None when the PT has none to tell or does not answer."""


if TYPE_CHECKING:
    from hardware.zvt.terminal import ZvtTerminal


def __getattr__(name: str) -> object:
    # Lazy re-export: hardware.zvt.terminal imports this module, so an eager import here would
    # be circular whichever of the two is imported first.
    if name == "ZvtTerminal":
        from hardware.zvt.terminal import ZvtTerminal

        return ZvtTerminal
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["STATUS_KINDS", "PaymentOutcome", "PaymentResult", "PaymentStatus",
           "PaymentTerminal", "ZvtTerminal"]

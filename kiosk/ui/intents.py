"""What the shopper or attendant asked for, as plain frozen values the window hands on.

The window never acts on an intent itself: it passes each one to the controller's `send()`,
which decides (and journals) and returns the next `LaneView` to draw.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Start:
    """Tap on the attract screen: open a basket."""


@dataclass(frozen=True, slots=True)
class CodeEntered:
    """A code typed or scanned (keyboard wedge), exactly as received, without the Enter."""

    text: str


@dataclass(frozen=True, slots=True)
class Pay:
    """The shopper pressed Pay."""


@dataclass(frozen=True, slots=True)
class Help:
    """The shopper asked for a person."""


@dataclass(frozen=True, slots=True)
class ToggleLanguage:
    """Switch the screen between German and English."""


@dataclass(frozen=True, slots=True)
class RequestVoid:
    """Remove a line (the checkout may ask an attendant to approve it)."""

    line_id: int


@dataclass(frozen=True, slots=True)
class ChangeQuantity:
    """Set a piece line's quantity (pieces, at least 1)."""

    line_id: int
    quantity: int


@dataclass(frozen=True, slots=True)
class AttendantPin:
    """An attendant typed their id and PIN on the lane's PIN pad."""

    attendant_id: str
    pin: str

    def __repr__(self) -> str:
        # A PIN must never reach a log line through a repr.
        return f"AttendantPin(attendant_id={self.attendant_id!r}, pin='***')"


@dataclass(frozen=True, slots=True)
class AttendantLogout:
    """The attendant is done at this lane."""


@dataclass(frozen=True, slots=True)
class Approve:
    """The logged-in attendant clears an intervention (age checked, void allowed, ...)."""

    intervention_id: str


@dataclass(frozen=True, slots=True)
class Reject:
    """The logged-in attendant refuses what the intervention asked for."""

    intervention_id: str


@dataclass(frozen=True, slots=True)
class SelectItem:
    """Loose produce picked by its PLU (from the tiles or the PLU keypad)."""

    plu: str


@dataclass(frozen=True, slots=True)
class WeightEntered:
    """A weight for the produce being weighed, in grams (demo entry until a scale is wired)."""

    weight_g: int


@dataclass(frozen=True, slots=True)
class Finish:
    """The shopper is done on the thanks screen."""


@dataclass(frozen=True, slots=True)
class Cancel:
    """Back out of the current step (weighing, paying)."""




@dataclass(frozen=True, slots=True)
class StaffPanel:
    """Show (`open`) or hide the staff panel: the PIN pad, then the lane's actions."""

    open: bool = True


@dataclass(frozen=True, slots=True)
class OpenLane:
    """The logged-in attendant opens the lane."""


@dataclass(frozen=True, slots=True)
class CloseLane:
    """The logged-in attendant closes the lane."""



@dataclass(frozen=True, slots=True)
class SkipBagging:
    """The shopper does not put this line's item in the bagging area (when the store allows)."""

    line_id: int


@dataclass(frozen=True, slots=True)
class ChooseReceipt:
    """The shopper picked a receipt on the thanks screen: "print", "qr" or "none"."""

    kind: str


@dataclass(frozen=True, slots=True)
class ToggleContrast:
    """The shopper switches high-contrast mode on or off (it ends with their basket)."""


@dataclass(frozen=True, slots=True)
class ChooseLanguage:
    """The shopper picked a language on the attract screen (`lang` is its code, e.g. "en")."""

    lang: str


@dataclass(frozen=True, slots=True)
class ReprintReceipt:
    """The logged-in attendant reprints the lane's last receipt (marked as a copy)."""


Intent = (
    Start | CodeEntered | Pay | Help | ToggleLanguage | RequestVoid | ChangeQuantity
    | AttendantPin | AttendantLogout | Approve | Reject | SelectItem | WeightEntered
    | Finish | Cancel | StaffPanel | OpenLane | CloseLane | SkipBagging
    | ChooseReceipt | ToggleContrast | ChooseLanguage | ReprintReceipt
)


# -- the demo control panel (only in a simulated lane; the controller hands these to its demo) --


@dataclass(frozen=True, slots=True)
class DemoScan:
    """Demo panel: the simulated serial scanner reads `code` (the path a real scanner takes)."""

    code: str


@dataclass(frozen=True, slots=True)
class DemoWeight:
    """Demo panel: put `weight_g` grams on the simulated produce scale (moving when not stable)."""

    weight_g: int
    stable: bool = True


@dataclass(frozen=True, slots=True)
class DemoBagging:
    """Demo panel: change the simulated bagging scale: `action` is "expected" (the awaited
    item's weight), "unexpected" (500 g nobody scanned) or "clear" (take everything off)."""

    action: str


@dataclass(frozen=True, slots=True)
class DemoHelp:
    """Demo panel: press the help button (the GPIO pin, so the real callback fires)."""


@dataclass(frozen=True, slots=True)
class DemoTerminal:
    """Demo panel: how the simulated card terminal answers the next payment: "approve",
    "decline" or "customer_timeout" (the customer cancels)."""

    behaviour: str


DEMO_INTENTS = (DemoScan, DemoWeight, DemoBagging, DemoHelp, DemoTerminal)

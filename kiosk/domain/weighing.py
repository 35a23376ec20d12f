"""Legal-for-trade weighing rules (Germany: MessEG/MessEV, EN 45501 ~ OIML R76), pure.

A loose item is priced only from a reading the scale itself calls stable, at or above the
scale's minimum (Min, 20 e for class III: 40 g at e = 2 g), within its maximum, never under zero,
and only when the weight changed since the last priced weighing (UnifiedPOS SAME_WEIGHT: the
shopper must take the item off and put it back). The grams are priced exactly as transmitted:
nothing here rounds or alters them. Refusals are `WeighingRefused` with a reason key and the
shopper's sentence in German and English.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from kiosk.errors import ShopperFacingError


class ScaleCondition(Enum):
    """What the scale reported besides the weight (from its status, not guessed from grams)."""

    OK = "ok"
    OVERLOAD = "overload"
    UNDER_ZERO = "under_zero"


@dataclass(frozen=True, slots=True)
class ScaleReading:
    """One reading as the lane saw it: integer grams, the scale's stable flag, its condition."""

    grams: int
    stable: bool
    condition: ScaleCondition = ScaleCondition.OK


class WeighingRefused(ShopperFacingError, ValueError):
    """A reading that must not be priced; `reason` is a stable key for logs and tests."""

    def __init__(self, reason: str, message: str, de: str, en: str) -> None:
        super().__init__(message, {"de": de, "en": en})
        self.reason = reason


def _grams_text(grams: int) -> str:
    return f"{grams} g" if grams < 1000 else f"{grams / 1000:g} kg".replace(".", ",")


@dataclass(frozen=True, slots=True)
class LegalWeighing:
    """The rules for one approved scale: its Min and Max in grams."""

    min_weight_g: int
    max_weight_g: int

    def __post_init__(self) -> None:
        if not 0 < self.min_weight_g < self.max_weight_g:
            raise ValueError(
                f"scale limits min {self.min_weight_g} g / max {self.max_weight_g} g: need "
                f"0 < min < max; take them from the scale's type plate")

    def check(self, reading: ScaleReading, previous_priced_g: int | None = None) -> int:
        """The grams to price for `reading`, or WeighingRefused.

        `previous_priced_g` is the weight of the last priced weighing on this scale, or None
        when the platter has been empty (zero) since then.
        """
        grams = reading.grams
        if reading.condition is ScaleCondition.OVERLOAD or grams > self.max_weight_g:
            raise WeighingRefused(
                "overload", f"scale overloaded ({grams} g > max {self.max_weight_g} g)",
                f"Die Waage ist überlastet (höchstens {_grams_text(self.max_weight_g)}). "
                f"Bitte weniger auflegen.",
                f"The scale is overloaded (at most {self.max_weight_g} g). Please put less on.")
        if reading.condition is ScaleCondition.UNDER_ZERO or grams < 0:
            raise WeighingRefused(
                "under_zero", f"scale under zero ({grams} g); it needs zeroing by staff",
                "Die Waage zeigt unter null. Bitte rufen Sie eine Mitarbeiterin oder einen "
                "Mitarbeiter.",
                "The scale reads below zero. Please call a member of staff.")
        if not reading.stable:
            raise WeighingRefused(
                "unstable", f"weight still moving ({grams} g); not priced",
                "Die Waage ist noch in Bewegung. Bitte die Ware ruhig liegen lassen.",
                "The scale is still settling. Please leave the item still.")
        if grams < self.min_weight_g:
            raise WeighingRefused(
                "below_minimum", f"{grams} g is below the scale's minimum {self.min_weight_g} g",
                f"Bitte mindestens {_grams_text(self.min_weight_g)} auflegen.",
                f"Please put at least {self.min_weight_g} g on the scale.")
        if previous_priced_g is not None and grams == previous_priced_g:
            raise WeighingRefused(
                "same_weight", f"same weight as the last weighing ({grams} g); item not removed",
                "Bitte nehmen Sie die Ware vom Wiegeteller und legen Sie sie erneut auf.",
                "Please take the item off the scale and put it back on.")
        return grams

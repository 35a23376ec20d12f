"""The bagging area: what the security scale under it should read, and what a reading means.

Pure rules, no clock: times come in as ISO-8601 strings or aware datetimes from the caller.

- The **baseline** is the settled weight of the bagging area in grams that the lane has
  accepted (the shopper's own bag, the items placed so far).
- Each scanned item adds an **expectation**: its line, its expected grams and the band
  (`low_g`..`high_g`) a placement must fall in, and the deadline by which it must arrive.
- Only STABLE readings decide anything, and a reading within `noise_g` of the baseline is no
  change. A reading whose change from the baseline falls in the band of the oldest pending
  expectation (or of the oldest few together, when the shopper places several at once) places
  them: the baseline moves. Otherwise a drop is an **item removed**, a rise with nothing
  expected an **unexpected item**, and a rise outside the band a **weight mismatch**.
- While one of those three is open, readings only end it: back to the baseline ("corrected")
  or a placement that fits. An expectation past its deadline is **weight not placed**.

Where an expectation's band comes from (`expectation_for`), first match wins:
1. a weighed line (loose produce, in-store weight label): its weighed grams, store tolerance;
2. a learned weight with enough samples (`kiosk.domain.learned`): its learned band;
3. the catalog's `expected_weight_g`, with its `weight_tolerance_g` or the store tolerance;
4. nothing known: "some weight" — anything from just above the noise to `UNKNOWN_MAX_G` per
   piece. The lane still sees that something was placed, so an unscanned item put down
   together with it is the one thing it cannot tell; the learned weight soon narrows it.
Bands scale with the quantity of a piece line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from kiosk.domain.basket import Line
from kiosk.domain.catalog import Product
from kiosk.domain.learned import LearnedWeight
from kiosk.domain.policy import Policy

UNKNOWN_MAX_G = 25_000  # per piece: the most an item of unknown weight may add


@dataclass(frozen=True, slots=True)
class Expectation:
    """One line's weight the bagging area waits for. `expected_g` is None when unknown;
    `source` is "weighed", "learned", "catalog" or "any"; `deadline` is ISO-8601 UTC."""

    line_id: int
    sku: str
    expected_g: int | None
    low_g: int
    high_g: int
    deadline: str
    source: str
    quantity: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {"line_id": self.line_id, "sku": self.sku, "expected_g": self.expected_g,
                "low_g": self.low_g, "high_g": self.high_g, "deadline": self.deadline,
                "source": self.source, "quantity": self.quantity}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Expectation:
        expected = d.get("expected_g")
        return cls(int(d["line_id"]), str(d["sku"]), None if expected is None else int(expected),
                   int(d["low_g"]), int(d["high_g"]), str(d["deadline"]), str(d["source"]),
                   int(d.get("quantity", 1)))


def tolerance_g(expected_g: int, policy: Policy) -> int:
    """The store's tolerance either side of `expected_g` grams: the larger of the floor and the
    percentage (rounded up)."""
    pct_g = -(-expected_g * policy.bagging_tolerance_pct // 100)  # ceiling, in whole grams
    return max(policy.bagging_tolerance_g, pct_g)


def expectation_for(
    line: Line, product: Product, learned: LearnedWeight | None, policy: Policy, deadline: str
) -> Expectation:
    """What placing `line` (of `product`) must add to the bagging area; see the module doc."""
    q = max(1, line.quantity)
    if line.weight_g is not None:
        half = tolerance_g(line.weight_g, policy)
        return Expectation(line.line_id, line.sku, line.weight_g, max(1, line.weight_g - half),
                           line.weight_g + half, deadline, "weighed", 1)
    if learned is not None and learned.trusted(policy.learned_min_samples):
        low, high = learned.band(policy.learned_k_sigma, policy.bagging_tolerance_g)
        return Expectation(line.line_id, line.sku, round(learned.mean_g * q), low * q, high * q,
                           deadline, "learned", q)
    if product.expected_weight_g is not None:
        expected = product.expected_weight_g * q
        if product.weight_tolerance_g is not None:
            half = product.weight_tolerance_g * q
        else:
            half = tolerance_g(expected, policy)
        return Expectation(line.line_id, line.sku, expected, max(1, expected - half),
                           expected + half, deadline, "catalog", q)
    return Expectation(line.line_id, line.sku, None, policy.bagging_noise_g + 1,
                       UNKNOWN_MAX_G * q, deadline, "any", q)


class Outcome(StrEnum):
    """What one stable reading means."""

    NOTHING = "nothing"  # no change worth recording
    SETTLED = "settled"  # no basket (or no baseline yet): the reading is the new baseline
    PLACED = "placed"  # fits the oldest pending expectation(s)
    CORRECTED = "corrected"  # back at the baseline while an alarm is open
    UNEXPECTED = "unexpected"  # weight added with nothing expected
    REMOVED = "removed"  # weight taken away
    MISMATCH = "mismatch"  # weight added outside the expected band


@dataclass(frozen=True, slots=True)
class Judgement:
    """The outcome of a reading, the expectations it placed, and its change from the baseline
    in grams."""

    outcome: Outcome
    delta_g: int = 0
    placed: tuple[Expectation, ...] = ()


@dataclass(frozen=True, slots=True)
class BaggingArea:
    """The lane's bagging-area state: accepted baseline (grams, None before the first
    reading), pending expectations (oldest first) and how many items the shopper skipped in
    this basket. Changed only through the methods, each returning a new value."""

    baseline_g: int | None = None
    pending: tuple[Expectation, ...] = ()
    skipped: int = 0

    def judge(self, weight_g: int, noise_g: int, *, basket_open: bool,
              alarm_open: bool) -> Judgement:
        """What a STABLE reading of `weight_g` grams means (see the module doc)."""
        if self.baseline_g is None:
            return Judgement(Outcome.SETTLED)
        delta = weight_g - self.baseline_g
        if not basket_open:
            return Judgement(Outcome.SETTLED if abs(delta) > noise_g else Outcome.NOTHING, delta)
        if abs(delta) <= noise_g:
            return Judgement(Outcome.CORRECTED if alarm_open else Outcome.NOTHING, delta)
        placed = self._fitting(delta)
        if placed:
            return Judgement(Outcome.PLACED, delta, placed)
        if alarm_open:
            return Judgement(Outcome.NOTHING, delta)
        if delta < 0:
            return Judgement(Outcome.REMOVED, delta)
        return Judgement(Outcome.MISMATCH if self.pending else Outcome.UNEXPECTED, delta)

    def _fitting(self, delta_g: int) -> tuple[Expectation, ...]:
        # The oldest first, then the oldest two together, ...: a shopper who scans several
        # items and bags them at once places them all in one reading.
        low = high = 0
        for n, exp in enumerate(self.pending, start=1):
            low, high = low + exp.low_g, high + exp.high_g
            if low <= delta_g <= high:
                return self.pending[:n]
        return ()

    def overdue(self, now: datetime) -> tuple[Expectation, ...]:
        """The pending expectations whose deadline has passed at `now`."""
        return tuple(e for e in self.pending if datetime.fromisoformat(e.deadline) <= now)

    # -- changes (used by Checkout.apply) ----------------------------------------------------

    def settled(self, weight_g: int) -> BaggingArea:
        return replace(self, baseline_g=weight_g)

    def expect(self, expectation: Expectation) -> BaggingArea:
        return replace(self, pending=(*self.pending, expectation))

    def placed(self, line_ids: Sequence[int], weight_g: int) -> BaggingArea:
        rest = list(self.pending)
        for line_id in line_ids:
            found = next((e for e in rest if e.line_id == line_id), None)
            if found is not None:
                rest.remove(found)
        return replace(self, baseline_g=weight_g, pending=tuple(rest))

    def dropped(self, line_id: int) -> BaggingArea:
        return replace(self, pending=tuple(e for e in self.pending if e.line_id != line_id))

    def skipped_by_shopper(self, line_id: int) -> BaggingArea:
        return replace(self.dropped(line_id), skipped=self.skipped + 1)

    def new_basket(self) -> BaggingArea:
        return BaggingArea(self.baseline_g)

    def to_dict(self) -> dict[str, Any]:
        return {"baseline_g": self.baseline_g, "pending": [e.to_dict() for e in self.pending],
                "skipped": self.skipped}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> BaggingArea:
        base = d.get("baseline_g")
        return cls(None if base is None else int(base),
                   tuple(Expectation.from_dict(e) for e in d.get("pending", ())),
                   int(d.get("skipped", 0)))


def evidence(area: BaggingArea, weight_g: int, at: str,
             expectation: Expectation | None = None) -> dict[str, Any]:
    """What an attendant needs to judge a bagging alarm (JSON-able): observed and baseline
    grams, the change, the time and, when an item was expected, its line and band."""
    base = area.baseline_g if area.baseline_g is not None else weight_g
    out: dict[str, Any] = {"observed_g": weight_g, "baseline_g": base,
                           "delta_g": weight_g - base, "at": at}
    if expectation is not None:
        out.update(line_id=expectation.line_id, sku=expectation.sku,
                   expected_g=expectation.expected_g, low_g=expectation.low_g,
                   high_g=expectation.high_g, source=expectation.source)
    return out

"""Learned item weights: a running mean and variance of the grams each product really weighs.

Each placement the bagging area accepts (and each mismatch an attendant approves) adds one
sample for its product. Welford's update keeps the mean and the sum of squared deviations
(`m2`) exact enough in floating point without storing the samples. Once a product has enough
samples (`Policy.learned_min_samples`), its learned band replaces the catalog's tolerance
(`kiosk.domain.security`). Pure value objects: the journal persists them
(`kiosk.journal.weights`). `merge` pools the records of several lanes exactly (the hub serves
the store-wide merge, `kiosk.hub.weights`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LearnedWeight:
    """What a product has weighed so far: `count` samples, their mean (grams) and `m2` (the
    sum of squared deviations from the mean, grams squared)."""

    sku: str
    count: int = 0
    mean_g: float = 0.0
    m2: float = 0.0

    def update(self, weight_g: int) -> LearnedWeight:
        """This record with one more sample of `weight_g` grams (Welford's update)."""
        if isinstance(weight_g, bool) or not isinstance(weight_g, int) or weight_g <= 0:
            raise ValueError(f"a learned weight sample for {self.sku!r} must be whole grams "
                             f"above 0, not {weight_g!r}")
        count = self.count + 1
        delta = weight_g - self.mean_g
        mean = self.mean_g + delta / count
        return LearnedWeight(self.sku, count, mean, self.m2 + delta * (weight_g - mean))

    @property
    def variance_g2(self) -> float:
        """The sample variance in grams squared (0 with fewer than two samples)."""
        return self.m2 / (self.count - 1) if self.count > 1 else 0.0

    @property
    def std_g(self) -> float:
        """The sample standard deviation in grams."""
        return math.sqrt(max(self.variance_g2, 0.0))

    def band(self, k_sigma: float, floor_g: int) -> tuple[int, int]:
        """(low_g, high_g): the mean plus or minus `k_sigma` standard deviations, and at least
        `floor_g` grams either side (a few identical samples must not give a zero-width band)."""
        half = max(float(floor_g), k_sigma * self.std_g)
        return max(1, math.floor(self.mean_g - half)), math.ceil(self.mean_g + half)

    def trusted(self, min_samples: int) -> bool:
        """True once there are at least `min_samples` samples."""
        return self.count >= max(1, min_samples)


def merge(a: LearnedWeight, b: LearnedWeight) -> LearnedWeight:
    """The statistics of `a`'s and `b`'s samples together, as if learned as one list
    (Chan, Golub and LeVeque's parallel combination of Welford states). Keeps `a.sku`; an
    empty record (count 0) adds nothing."""
    if b.count <= 0:
        return LearnedWeight(a.sku, a.count, a.mean_g, a.m2)
    if a.count <= 0:
        return LearnedWeight(a.sku, b.count, b.mean_g, b.m2)
    count = a.count + b.count
    delta = b.mean_g - a.mean_g
    # The weighted mean and the cross term; with equal means the m2 values simply add.
    mean = a.mean_g + delta * b.count / count
    m2 = a.m2 + b.m2 + delta * delta * a.count * b.count / count
    return LearnedWeight(a.sku, count, mean, m2)


def merge_all(sku: str, records: Iterable[LearnedWeight]) -> LearnedWeight:
    """The merge of every record of `sku` (count 0 when there are none): the store-wide
    learned weight of a product from each lane's own running totals."""
    merged = LearnedWeight(sku)
    for record in records:
        merged = merge(merged, record)
    return merged

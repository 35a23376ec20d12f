"""Exponential backoff with full jitter (pure: the random draw is passed in).

After `failures` consecutive failed attempts the uploader waits a uniformly random time in
[0, ceiling], where ceiling = min(cap_s, base_s * 2 ** (failures - 1)). Full jitter spreads the
retries of many lanes coming back after one hub outage, so they do not all knock at once.
"""

from __future__ import annotations

import random
from collections.abc import Callable

# 2 ** 64 * any sensible base is far beyond any cap; stops float overflow for huge counts.
_MAX_EXPONENT = 64


def backoff_ceiling_s(failures: int, base_s: float, cap_s: float) -> float:
    """The longest wait (seconds) after `failures` consecutive failures (0 failures: 0 s)."""
    if failures <= 0:
        return 0.0
    return float(min(cap_s, base_s * 2.0 ** min(failures - 1, _MAX_EXPONENT)))


def backoff_delay_s(failures: int, base_s: float, cap_s: float,
                    draw: Callable[[], float] = random.random) -> float:
    """A wait in [0, backoff_ceiling_s(...)] seconds; `draw` gives a number in [0, 1)."""
    return backoff_ceiling_s(failures, base_s, cap_s) * draw()

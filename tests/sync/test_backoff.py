"""Backoff: exponential with full jitter, never above the cap."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kiosk.sync.backoff import backoff_ceiling_s, backoff_delay_s

failures = st.integers(min_value=0, max_value=10_000)
base = st.floats(min_value=0.001, max_value=60.0)
cap = st.floats(min_value=0.001, max_value=3600.0)
draw = st.floats(min_value=0.0, max_value=1.0, exclude_max=True)


@given(failures, base, cap, draw)
def test_a_wait_is_never_above_the_cap_nor_below_zero(n: int, base_s: float, cap_s: float,
                                                     r: float) -> None:
    assert 0.0 <= backoff_delay_s(n, base_s, cap_s, lambda: r) <= cap_s


@given(failures, base, cap)
def test_the_longest_wait_grows_with_each_failure_until_the_cap(n: int, base_s: float,
                                                                cap_s: float) -> None:
    now, after = backoff_ceiling_s(n, base_s, cap_s), backoff_ceiling_s(n + 1, base_s, cap_s)
    assert after >= now
    if n >= 1 and after < cap_s:
        assert after == 2 * now


@given(st.integers(min_value=1, max_value=200), base, cap, draw)
def test_the_jitter_spans_zero_to_the_longest_wait(n: int, base_s: float, cap_s: float,
                                                   r: float) -> None:
    ceiling = backoff_ceiling_s(n, base_s, cap_s)
    assert backoff_delay_s(n, base_s, cap_s, lambda: r) == ceiling * r
    assert backoff_delay_s(n, base_s, cap_s, lambda: 0.0) == 0.0


def test_the_first_retry_waits_up_to_the_base_and_no_failure_waits_nothing() -> None:
    assert backoff_ceiling_s(1, 1.0, 300.0) == 1.0
    assert backoff_ceiling_s(4, 1.0, 300.0) == 8.0
    assert backoff_ceiling_s(30, 1.0, 300.0) == 300.0
    assert backoff_ceiling_s(0, 1.0, 300.0) == 0.0

"""Pooling the learned weights of several lanes: the merge equals learning all samples at once."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.domain.learned import LearnedWeight, merge, merge_all


def _learn(samples: list[int]) -> LearnedWeight:
    found = LearnedWeight("MILK")
    for g in samples:
        found = found.update(g)
    return found


def test_two_lanes_milk_pools_to_the_weighted_mean_and_the_combined_spread() -> None:
    # Lane A: 1040, 1050 (mean 1045, m2 50); lane B: 1060 x 3 (mean 1060, m2 0).
    # Pooled by hand: count 5, mean (2*1045 + 3*1060)/5 = 1054,
    # m2 = 50 + 0 + 15^2 * 2*3/5 = 50 + 270 = 320 (the squared deviations of all five: 196+16+36*3).
    pooled = merge(_learn([1040, 1050]), _learn([1060, 1060, 1060]))
    assert (pooled.count, pooled.mean_g, pooled.m2) == (5, pytest.approx(1054.0),
                                                        pytest.approx(320.0))


def test_an_empty_record_adds_nothing_and_no_records_give_count_zero() -> None:
    milk = _learn([1040, 1050])
    assert merge(LearnedWeight("MILK"), milk) == milk
    assert merge(milk, LearnedWeight("MILK")) == milk
    assert merge_all("MILK", []).count == 0


@given(st.lists(st.lists(st.integers(1, 50_000), min_size=0, max_size=30), min_size=1,
                max_size=6))
def test_merging_the_states_of_split_sample_lists_equals_the_state_of_the_whole_list(
        parts: list[list[int]]) -> None:
    whole = _learn([g for part in parts for g in part])
    pooled = merge_all("MILK", [_learn(part) for part in parts])
    assert pooled.count == whole.count
    assert pooled.mean_g == pytest.approx(whole.mean_g, rel=1e-9, abs=1e-6)
    assert pooled.m2 == pytest.approx(whole.m2, rel=1e-6, abs=1e-3)

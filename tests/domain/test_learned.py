"""Learned item weights: Welford's running mean and variance, and the band they give."""

from __future__ import annotations

import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.domain.learned import LearnedWeight


def _learn(sku: str, samples: list[int]) -> LearnedWeight:
    found = LearnedWeight(sku)
    for g in samples:
        found = found.update(g)
    return found


def test_a_few_milk_cartons_give_their_mean_and_spread() -> None:
    milk = _learn("MILK", [1040, 1045, 1050, 1045])
    assert milk.count == 4
    assert milk.mean_g == pytest.approx(1045.0)
    assert milk.std_g == pytest.approx(statistics.stdev([1040, 1045, 1050, 1045]))


def test_the_band_is_mean_plus_minus_k_sigma_but_never_narrower_than_the_floor() -> None:
    milk = _learn("MILK", [1045] * 6)
    assert milk.band(3, 20) == (1025, 1065)  # no spread at all: the floor holds
    spread = _learn("APPLE", [150, 250, 150, 250])
    low, high = spread.band(3, 5)
    assert low < 100 and high > 300


def test_trusted_only_after_enough_samples() -> None:
    milk = _learn("MILK", [1045, 1046])
    assert not milk.trusted(3)
    assert milk.update(1044).trusted(3)


@pytest.mark.parametrize("bad", [0, -5, True, 1.5, "100"])
def test_a_sample_must_be_whole_grams_above_zero(bad: object) -> None:
    with pytest.raises(ValueError, match="MILK"):
        LearnedWeight("MILK").update(bad)  # type: ignore[arg-type]


@given(st.lists(st.integers(1, 50_000), min_size=2, max_size=60))
def test_running_statistics_agree_with_the_textbook_ones(samples: list[int]) -> None:
    found = _learn("X", samples)
    assert found.count == len(samples)
    assert found.mean_g == pytest.approx(statistics.fmean(samples), rel=1e-9, abs=1e-6)
    assert found.variance_g2 == pytest.approx(statistics.variance(samples), rel=1e-6, abs=1e-3)
    low, high = found.band(3, 10)
    assert 1 <= low <= found.mean_g <= high

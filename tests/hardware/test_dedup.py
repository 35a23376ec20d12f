"""Cross-source dedup as a shopper sees it: serial scanner, wedge and camera on one lane."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.dedup import ScanDeduplicator

YOGHURT = "4200200000084"
MILK = "4200200000015"


def counted(reads: list[tuple[str, str, float]], dedup: ScanDeduplicator | None = None) -> int:
    dedup = dedup or ScanDeduplicator(window_s=1.5)
    return sum(dedup.accept(text, source, at_s) for text, source, at_s in reads)


def test_one_label_seen_by_two_scanners_is_one_item() -> None:
    assert counted([(YOGHURT, "serial", 10.0), (YOGHURT, "wedge", 10.05)]) == 1


def test_one_label_seen_by_serial_wedge_and_camera_is_one_item() -> None:
    reads = [(YOGHURT, "camera", 10.0), (YOGHURT, "serial", 10.2), (YOGHURT, "wedge", 10.3)]
    assert counted(reads) == 1


def test_two_yoghurts_scanned_on_the_same_scanner_are_two_items() -> None:
    assert counted([(YOGHURT, "serial", 10.0), (YOGHURT, "serial", 10.6)]) == 2


def test_two_yoghurts_each_seen_by_two_scanners_are_two_items_in_any_order() -> None:
    reads = [(YOGHURT, "wedge", 10.0), (YOGHURT, "serial", 10.05),
             (YOGHURT, "serial", 10.7), (YOGHURT, "wedge", 10.72)]
    assert counted(reads) == 2


def test_a_scanner_bouncing_faster_than_its_double_read_guard_counts_once() -> None:
    assert counted([(YOGHURT, "serial", 10.0), (YOGHURT, "serial", 10.05)]) == 1


def test_a_bouncing_scanner_does_not_swallow_the_next_real_item() -> None:
    reads = [(YOGHURT, "serial", 10.0), (YOGHURT, "serial", 10.05), (YOGHURT, "serial", 10.8)]
    assert counted(reads) == 2


def test_different_products_are_never_merged() -> None:
    assert counted([(YOGHURT, "serial", 10.0), (MILK, "wedge", 10.01)]) == 2


def test_another_source_reading_the_code_after_the_window_is_a_new_item() -> None:
    assert counted([(YOGHURT, "serial", 10.0), (YOGHURT, "wedge", 11.6)]) == 2


def test_negative_windows_are_refused() -> None:
    with pytest.raises(ValueError, match="window_s"):
        ScanDeduplicator(window_s=-1)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([YOGHURT, MILK]),
                          st.sampled_from(["serial", "wedge", "camera"]),
                          st.floats(0.0, 5.0)), max_size=40))
def test_every_product_read_counts_at_least_once_and_never_more_than_its_reads(
        reads: list[tuple[str, str, float]]) -> None:
    reads.sort(key=lambda r: r[2])
    dedup = ScanDeduplicator()
    accepted = [r for r in reads if dedup.accept(*r)]
    assert len(accepted) <= len(reads)
    assert {r[0] for r in accepted} == {r[0] for r in reads}


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0.2, 3.0), max_size=20))
def test_one_scanner_alone_counts_every_read_slower_than_a_bounce(gaps_s: list[float]) -> None:
    at_s, reads = 100.0, []
    for gap_s in gaps_s:
        at_s += gap_s
        reads.append((YOGHURT, "serial", at_s))
    assert counted(reads) == len(reads)

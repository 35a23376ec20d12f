"""The serial scanner codec: datasheet vectors, terminators, garbage, and fuzzing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.errors import ProtocolError
from hardware.scanner import MAX_FRAME_BYTES, ScanData, ScanFramer, split_aim

GS = "\x1d"

# protocols.md §2.1, byte for byte: (scanner line, aim, label)
VECTORS = [
    (b"]E04006381333931\r", "]E0", "4006381333931"),
    (b"]E496385074\r", "]E4", "96385074"),
    (b"]C10109506000134352310300123417251231" + b"10ABC123\r", "]C1",
     "0109506000134352310300123417251231" + "10ABC123"),
]


def labels(items: list[ScanData | ProtocolError]) -> list[str]:
    return [i.text for i in items if isinstance(i, ScanData)]


def errors(items: list[ScanData | ProtocolError]) -> list[ProtocolError]:
    return [i for i in items if isinstance(i, ProtocolError)]


def feed_all(chunks: list[bytes]) -> list[ScanData | ProtocolError]:
    framer = ScanFramer()
    out: list[ScanData | ProtocolError] = []
    for chunk in chunks:
        out += framer.feed(chunk)
    return out


@pytest.mark.parametrize(("line", "aim", "text"), VECTORS)
def test_datasheet_vectors_decode_to_label_and_aim_id(line: bytes, aim: str, text: str) -> None:
    [scan] = ScanFramer().feed(line)
    assert scan == ScanData(raw=line[:-1], text=text, aim=aim, source="serial")


def test_an_ean13_scan_is_named_by_its_symbology() -> None:
    [scan] = ScanFramer().feed(VECTORS[0][0])
    assert isinstance(scan, ScanData)
    assert scan.symbology == "EAN-13/UPC"


def test_gs_separators_inside_gs1_data_are_kept() -> None:
    line = b"]C10109506000134352" + b"10ABC123\x1d" + b"17251231\r"
    [scan] = ScanFramer().feed(line)
    assert isinstance(scan, ScanData)
    assert scan.text == "0109506000134352" + "10ABC123" + GS + "17251231"


@pytest.mark.parametrize("suffix", [b"\r", b"\n", b"\r\n"])
def test_cr_lf_and_crlf_each_end_exactly_one_label(suffix: bytes) -> None:
    out = ScanFramer().feed(b"]E04006381333931" + suffix + b"]E496385074" + suffix)
    assert labels(out) == ["4006381333931", "96385074"]
    assert errors(out) == []


def test_crlf_split_between_reads_counts_once() -> None:
    framer = ScanFramer()
    first = framer.feed(b"]E04006381333931\r")
    second = framer.feed(b"\n]E496385074\r")
    third = framer.feed(b"\n")
    assert labels(first) == ["4006381333931"]
    assert labels(second) == ["96385074"]
    assert third == []


def test_a_leading_stx_is_stripped() -> None:
    [scan] = ScanFramer().feed(b"\x02]E04006381333931\r")
    assert isinstance(scan, ScanData)
    assert (scan.aim, scan.text) == ("]E0", "4006381333931")


def test_a_scanner_without_aim_ids_gives_the_label_and_no_aim() -> None:
    [scan] = ScanFramer().feed(b"4006381333931\r")
    assert isinstance(scan, ScanData)
    assert (scan.aim, scan.text) == (None, "4006381333931")


def test_empty_lines_are_ignored() -> None:
    assert ScanFramer().feed(b"\r\r\n\n\x02\r") == []


def test_several_labels_in_one_read_all_arrive_in_order() -> None:
    out = ScanFramer().feed(b"".join(v[0] for v in VECTORS))
    assert labels(out) == [v[2] for v in VECTORS]


def test_control_garbage_is_an_error_and_the_next_label_still_decodes() -> None:
    out = ScanFramer(label="scanner on /dev/kiosk-scanner").feed(
        b"\x00\x07\x1b[0m\r]E04006381333931\r")
    [err] = errors(out)
    assert "scanner on /dev/kiosk-scanner" in str(err)
    assert "line settings" in str(err)
    assert err.data == b"\x00\x07\x1b[0m"
    assert labels(out) == ["4006381333931"]


def test_bytes_that_are_not_utf8_are_an_error_naming_the_bytes() -> None:
    out = ScanFramer().feed(b"\xff\xfe\x80\r]E496385074\r")
    [err] = errors(out)
    assert "\\xff\\xfe\\x80" in str(err)
    assert labels(out) == ["96385074"]


def test_an_aim_id_without_data_is_an_error() -> None:
    [err] = errors(ScanFramer().feed(b"]E0\r"))
    assert "no data" in str(err)


def test_an_over_long_line_is_one_error_then_the_framer_resynchronises() -> None:
    framer = ScanFramer()
    out = framer.feed(b"9" * (MAX_FRAME_BYTES * 3))
    out += framer.feed(b"999\r]E04006381333931\r")
    assert len(errors(out)) == 1
    assert "without a CR or LF" in str(errors(out)[0])
    assert labels(out) == ["4006381333931"]


def test_reset_forgets_a_partial_label() -> None:
    framer = ScanFramer()
    framer.feed(b"]E0400638")
    framer.reset()
    assert labels(framer.feed(b"]E496385074\r")) == ["96385074"]


def test_split_aim_leaves_text_without_an_aim_id_alone() -> None:
    assert split_aim("]E0123") == ("]E0", "123")
    assert split_aim("]!0123") == (None, "]!0123")
    assert split_aim("]E") == (None, "]E")


STREAM = b"".join(v[0] for v in VECTORS) + b"\x02]E04006381333931\r\n"


@pytest.mark.parametrize("cut", range(len(STREAM) + 1))
def test_a_stream_split_at_any_position_decodes_the_same(cut: int) -> None:
    whole = feed_all([STREAM])
    assert feed_all([STREAM[:cut], STREAM[cut:]]) == whole
    assert len(labels(whole)) == 4


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=700), max_size=8))
def test_arbitrary_bytes_in_arbitrary_chunks_never_crash(chunks: list[bytes]) -> None:
    framer = ScanFramer()
    for chunk in chunks:
        for item in framer.feed(chunk):
            assert isinstance(item, ScanData | ProtocolError)
            if isinstance(item, ScanData):
                assert item.text
                assert "\r" not in item.text and "\n" not in item.text


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.lists(st.integers(0, 300), max_size=6))
def test_chunking_never_changes_what_is_decoded(data: bytes, cuts: list[int]) -> None:
    points = sorted({min(c, len(data)) for c in cuts})
    chunks = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    whole = [str(i) if isinstance(i, ProtocolError) else i for i in feed_all([data])]
    split = [str(i) if isinstance(i, ProtocolError) else i for i in feed_all(chunks)]
    assert split == whole


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1,
               max_size=60).filter(lambda t: split_aim(t)[0] is None),
       st.sampled_from([b"\r", b"\n", b"\r\n"]))
def test_any_printable_label_round_trips_with_any_terminator(text: str, suffix: bytes) -> None:
    [scan] = ScanFramer().feed(b"]C0" + text.encode() + suffix)
    assert isinstance(scan, ScanData)
    assert (scan.aim, scan.text) == ("]C0", text)

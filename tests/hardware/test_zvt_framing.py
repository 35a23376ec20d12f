"""ZVT framing: the serial CRC table of protocols.md §4.2, DLE stuffing, TCP reassembly."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.zvt import framing
from hardware.zvt.framing import ApduReassembler, BadFrame, Control, Frame, FrameParser

H = bytes.fromhex

SERIAL_VECTORS = [
    ("06 0F 0B F0 F0 F7 32 2E 31 34 2E 31 35 00",
     "10 02 06 0F 0B F0 F0 F7 32 2E 31 34 2E 31 35 00 10 03 B1 11"),
    ("80 00 00", "10 02 80 00 00 10 03 F5 1F"),
    ("06 00 06 00 00 00 BE 09 78", "10 02 06 00 06 00 00 00 BE 09 78 10 03 3C AA"),
    ("06 01 07 04 00 00 00 00 02 99", "10 02 06 01 07 04 00 00 00 00 02 99 10 03 0A 6F"),
    ("06 01 07 04 00 00 00 00 10 00", "10 02 06 01 07 04 00 00 00 00 10 10 00 10 03 62 91"),
    ("06 0F 00", "10 02 06 0F 00 10 03 C6 33"),
    ("06 1E 01 6C", "10 02 06 1E 01 6C 10 03 C9 F2"),
    ("06 B0 00", "10 02 06 B0 00 10 03 43 F3"),
]

# Flows of protocols.md §4.3, as the PT sends them (TCP bytes).
APPROVE_FROM_PT = [H("80 00 00"), H("04 FF 02 0A 01"), H(
    "04 0F 37 27 00 04 00 00 00 00 40 00 49 09 78 0C 09 38 48 0D 04 25 22 F1 F1 59 66 66 66 66 "
    "D2 00 21 22 01 00 17 00 01 87 01 75 0B 61 39 95 19 40 29 60 09 99 14 0E 05 12 8A 02"),
    H("06 0F 00")]


@pytest.mark.parametrize(("apdu", "frame"), SERIAL_VECTORS)
def test_serial_frames_match_the_crc_table(apdu: str, frame: str) -> None:
    assert framing.build_frame(H(apdu)) == H(frame)


@pytest.mark.parametrize(("apdu", "frame"), SERIAL_VECTORS)
def test_serial_frames_parse_back_to_their_apdu(apdu: str, frame: str) -> None:
    assert FrameParser().feed(H(frame)) == [Frame(H(apdu))]


def test_crc_is_kermit() -> None:
    assert framing.crc16_kermit(b"123456789") == 0x2189  # the catalogue check value


def test_a_wrong_crc_is_a_bad_frame_and_the_next_frame_still_parses() -> None:
    bad = bytearray(H(SERIAL_VECTORS[1][1]))
    bad[-1] ^= 0xFF
    items = FrameParser().feed(bytes(bad) + H(SERIAL_VECTORS[5][1]))
    assert isinstance(items[0], BadFrame) and "CRC" in items[0].reason
    assert items[1] == Frame(H("06 0F 00"))


def test_ack_and_nak_bytes_between_frames_are_control_items() -> None:
    items = FrameParser().feed(b"\x06" + H(SERIAL_VECTORS[1][1]) + b"\x15")
    assert items == [Control(0x06), Frame(H("80 00 00")), Control(0x15)]


def test_noise_before_a_frame_is_skipped() -> None:
    assert FrameParser().feed(b"\xff\x00\x42\x10\x99" + H(SERIAL_VECTORS[5][1])) == [
        Frame(H("06 0F 00"))]


def test_a_frame_cut_off_by_a_new_frame_is_bad_and_the_new_one_counts() -> None:
    items = FrameParser().feed(H("10 02 06 0F") + H(SERIAL_VECTORS[5][1]))
    assert isinstance(items[0], BadFrame)
    assert items[1] == Frame(H("06 0F 00"))


def test_a_frame_whose_len_disagrees_is_bad() -> None:
    apdu = H("06 0F 05 00")  # says 5 data bytes, carries 1
    assert isinstance(FrameParser().feed(framing.build_frame(apdu))[0], BadFrame)


def test_reassembly_joins_a_split_apdu() -> None:
    stream = b"".join(APPROVE_FROM_PT)
    reassembler = ApduReassembler()
    assert reassembler.feed(stream[:5]) == [H("80 00 00")]
    assert reassembler.pending == H("04 FF")
    assert reassembler.feed(stream[5:]) == APPROVE_FROM_PT[1:]


def test_reassembly_separates_coalesced_apdus() -> None:
    assert ApduReassembler().feed(b"".join(APPROVE_FROM_PT)) == APPROVE_FROM_PT


def test_reassembly_waits_for_the_extended_length() -> None:
    long_apdu = H("06 D3 FF 2C 01") + bytes(300)
    reassembler = ApduReassembler()
    assert reassembler.feed(long_apdu[:4]) == []
    assert reassembler.feed(long_apdu[4:]) == [long_apdu]


_apdus = st.builds(lambda c, d: bytes(c) + (bytes([len(d)]) if len(d) < 255 else
                                            b"\xff" + len(d).to_bytes(2, "little")) + d,
                   st.binary(min_size=2, max_size=2), st.binary(max_size=400))


@given(st.lists(_apdus, min_size=1, max_size=6), st.data())
def test_any_split_of_a_stream_reassembles_to_the_same_apdus(
        apdus: list[bytes], data: st.DataObject) -> None:
    stream = b"".join(apdus)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    reassembler = ApduReassembler()
    got: list[bytes] = []
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        got += reassembler.feed(stream[start:end])
    assert got == apdus and reassembler.pending == b""


@given(st.lists(_apdus, min_size=1, max_size=4), st.data())
def test_any_split_of_serial_frames_parses_to_the_same_apdus(
        apdus: list[bytes], data: st.DataObject) -> None:
    stream = b"".join(framing.build_frame(a) for a in apdus)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=8)))
    parser = FrameParser()
    got = []
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        got += parser.feed(stream[start:end])
    assert got == [Frame(a) for a in apdus]


@given(st.binary(max_size=500))
def test_parsers_never_raise_on_garbage(data: bytes) -> None:
    FrameParser().feed(data)
    ApduReassembler().feed(data)

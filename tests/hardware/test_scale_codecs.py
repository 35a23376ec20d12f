"""Scale codecs: every vector of protocols.md §3.1-3.3, requests, framing, and fuzzing."""

from __future__ import annotations

import contextlib
from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.errors import ProtocolError
from hardware.scales import Ack, ScaleStatus, Weight, mtsics, nci, toledo
from hardware.serial_port import LineSettings

SEVEN_E_ONE = LineSettings(baudrate=9600, bytesize=7, parity="E", stopbits=1)
EIGHT_N_ONE = LineSettings(baudrate=9600, bytesize=8, parity="N", stopbits=1)


# -- Toledo 8213/8217 (§3.1) ------------------------------------------------------------------

@pytest.mark.parametrize(("frame", "reply"), [
    (bytes.fromhex("02 30 31 2E 32 33 34 0D"), Weight(1234, stable=True, net=False)),
    (b"\x0201.234N\r", Weight(1234, stable=True, net=True)),
    (b"\x02?A\r", ScaleStatus.UNSTABLE),  # 0x41 in motion
    (b"\x02?B\r", ScaleStatus.OVERWEIGHT),  # 0x42 over capacity
    (b"\x02?D\r", ScaleStatus.UNDER_ZERO),  # 0x44 under zero
    (b"\x02?a\r", ScaleStatus.UNSTABLE),  # 0x61 in motion + net
    (b"\x02?P\r", ScaleStatus.ZERO),  # 0x50 centre of zero
    (b"\x02?H\r", ScaleStatus.NOT_READY),  # 0x48 outside the zero-capture range
    (b"\x0200.000\r", Weight(0, stable=True)),
    (b"\x02 1.234\r", Weight(1234, stable=True)),
])
def test_toledo_datasheet_frames_decode_to_grams_and_status_bits(frame: bytes, reply: object):
    assert toledo.decode(frame) == reply


def test_toledo_status_letters_are_read_as_bits_not_letters():
    # Datalogic calls ?C "under zero"; by the bit table 0x43 is motion + over capacity.
    assert toledo.decode(b"\x02?C\r") is ScaleStatus.OVERWEIGHT


@pytest.mark.parametrize("frame", [b"\x02012.34\r", b"\x0212.34N\r"])
def test_toledo_pounds_are_refused_with_a_clear_error(frame: bytes):
    with pytest.raises(ProtocolError, match="kg"):
        toledo.decode(frame)


def test_toledo_status_without_bit_6_is_a_protocol_error():
    with pytest.raises(ProtocolError, match="bit 6"):
        toledo.decode(b"\x02?\x01\r")


def test_toledo_requests_are_single_letters_on_7e1():
    assert (toledo.weight_request(), toledo.zero_request()) == (b"W", b"Z")
    assert (toledo.tare_request(), toledo.clear_tare_request()) == (b"T", b"C")
    assert toledo.SETTINGS == SEVEN_E_ONE


def test_toledo_split_separates_garbage_from_the_next_frame():
    frames, rest = toledo.split(b"\x7f#\x0201.234\r\x02?A\r\x0200")
    assert frames == [b"\x7f#", b"\x0201.234\r", b"\x02?A\r"]
    assert rest == b"\x0200"
    with pytest.raises(ProtocolError):
        toledo.decode(frames[0])


# -- NCI general serial (§3.2) ----------------------------------------------------------------

@pytest.mark.parametrize(("frame", "reply"), [
    (bytes.fromhex("0A 30 31 2E 32 33 34 4B 47 0D 0A 53 30 30 0D 03"), Weight(1234, stable=True)),
    (bytes.fromhex("0A 30 31 2E 32 33 34 4B 47 0D 0A 53 31 30 0D 03"),
     Weight(1234, stable=False)),
    (b"\n00.000KG\r\nS20\r\x03", Weight(0, stable=True)),
    (b"\n01.234KG\r\nS02\r\x03", ScaleStatus.OVERWEIGHT),  # status byte 2 '2'
    (b"\n-0.012KG\r\nS01\r\x03", ScaleStatus.UNDER_ZERO),  # status byte 2 bit 0
    (b"\n01.234KG\r\n00\r\x03", Weight(1234, stable=True)),  # SCP-01: no 'S'
    (b"\n01.234KG\r00\x03", Weight(1234, stable=True)),  # LF wt UU CR hh ETX
    (b"\nS00\r\x03", ScaleStatus.STABLE),
    (b"\nS10\r\x03", ScaleStatus.UNSTABLE),
    (b"\nS20\r\x03", ScaleStatus.ZERO),
    (b"\n20\r\x03", ScaleStatus.ZERO),  # status only, without 'S'
    (b"\n01.234KG\r\nS0p4\r\x03", Weight(1234, stable=True, net=True)),  # byte 3 bit 2: net
    (b"\nS40\r\x03", ScaleStatus.ERROR),  # RAM error
    (b"\nS08\r\x03", ScaleStatus.ERROR),  # faulty calibration
    (b"\n?\r\x03", Ack("?", accepted=False, detail="scale did not understand the command")),
])
def test_nci_datasheet_frames_in_all_three_variants_decode(frame: bytes, reply: object):
    assert nci.decode(frame) == reply


@pytest.mark.parametrize("frame", [b"\n02.500LB\r\nS00\r\x03", b"\n0040.0OZ\r\nS00\r\x03"])
def test_nci_pounds_and_ounces_are_refused(frame: bytes):
    with pytest.raises(ProtocolError):
        nci.decode(frame)


def test_nci_third_status_byte_must_be_announced_by_byte_two():
    with pytest.raises(ProtocolError, match="byte"):
        nci.decode(b"\n01.234KG\r\nS004\r\x03")


def test_nci_requests_end_in_cr_on_7e1():
    assert (nci.weight_request(), nci.status_request(), nci.zero_request()) == (
        b"W\r", b"S\r", b"Z\r")
    assert nci.SETTINGS == SEVEN_E_ONE


def test_nci_split_cuts_garbage_before_the_frame_start():
    frames, rest = nci.split(b"#%\n01.234KG\r\nS00\r\x03\nS1")
    assert frames == [b"#%", b"\n01.234KG\r\nS00\r\x03"]
    assert rest == b"\nS1"


# -- MT-SICS (§3.3) ---------------------------------------------------------------------------

@pytest.mark.parametrize(("frame", "reply"), [
    (b"S S     100.00 g\r\n", Weight(100, stable=True)),
    (b"S D     129.07 g\r\n", Weight(129, stable=False)),  # dynamic: display only
    (b"S S      1.234 kg\r\n", Weight(1234, stable=True)),
    (b"S S     -0.012 kg\r\n", Weight(-12, stable=True)),
    (b"S I\r\n", ScaleStatus.NOT_READY),
    (b"S +\r\n", ScaleStatus.OVERWEIGHT),
    (b"S -\r\n", ScaleStatus.UNDER_ZERO),
    (b"Z A\r\n", Ack("Z", accepted=True)),
    (b"Z I\r\n", Ack("Z", accepted=False)),
    (b"Z +\r\n", Ack("Z", accepted=False)),
    (b"ZI D\r\n", Ack("ZI", accepted=True)),
    (b"ZI S\r\n", Ack("ZI", accepted=True)),
    (b"T S      0.120 kg\r\n", Ack("T", accepted=True, detail="0.120 kg")),
    (b'I4 A "1234567"\r\n', Ack("I4", accepted=True, detail='"1234567"')),
])
def test_mtsics_vectors_decode(frame: bytes, reply: object):
    assert mtsics.decode(frame) == reply


@pytest.mark.parametrize("frame", [b"ES\r\n", b"ET\r\n", b"EL\r\n"])
def test_mtsics_general_errors_are_protocol_errors_naming_the_meaning(frame: bytes):
    with pytest.raises(ProtocolError, match="error"):
        mtsics.decode(frame)


def test_mtsics_stable_weight_finer_than_a_gram_is_refused_not_rounded():
    with pytest.raises(ProtocolError, match="whole number of grams"):
        mtsics.decode(b"S S     129.07 g\r\n")


def test_mtsics_requests_end_in_crlf_on_8n1():
    assert mtsics.weight_request() == b"S\r\n"
    assert mtsics.immediate_request() == b"SI\r\n"
    assert mtsics.repeat_request() == b"SIR\r\n"
    assert mtsics.zero_request() == b"Z\r\n"
    assert mtsics.tare_request() == b"T\r\n"
    assert mtsics.reset_request() == b"@\r\n"
    assert mtsics.SETTINGS == EIGHT_N_ONE


def test_mtsics_split_flushes_an_endless_line_as_garbage():
    frames, rest = mtsics.split(b"x" * 100)
    assert frames == [b"x" * 100] and rest == b""


# -- fuzzing: arbitrary bytes never raise anything but ProtocolError ------------------------

CODECS = [toledo, nci, mtsics]


@pytest.mark.parametrize("codec", CODECS, ids=lambda c: c.NAME)
@given(data=st.binary(max_size=64))
def test_arbitrary_bytes_decode_or_raise_protocol_error(codec: ModuleType, data: bytes) -> None:
    frames, rest = codec.split(data)
    assert b"".join(frames) + rest == data  # framing loses nothing
    for frame in [*frames, data]:
        try:
            reply = codec.decode(frame)
        except ProtocolError:
            continue
        assert isinstance(reply, Weight | ScaleStatus | Ack)


@pytest.mark.parametrize("codec", CODECS, ids=lambda c: c.NAME)
@given(data=st.lists(st.sampled_from(
    [b"\x02", b"\r", b"\n", b"\x03", b"?", b"S", b" ", b"0", b"1.234", b"KG", b"kg", b"-", b"A",
     b"\x7f", b"\xff", b"N", b"D", b"p4", b"."]), max_size=20).map(b"".join))
def test_frame_like_bytes_decode_or_raise_protocol_error(codec: ModuleType, data: bytes) -> None:
    frames, _ = codec.split(data)
    for frame in frames:
        with contextlib.suppress(ProtocolError):
            codec.decode(frame)

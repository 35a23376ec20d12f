"""ZVT APDU codec against every APDU vector in protocols.md §4 and ecrterm's real packets."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.errors import ProtocolError
from hardware.zvt import apdu as zvt

H = bytes.fromhex

# ecrterm tests/test_parsing.py: a real 04 0F from a PT (4.00 EUR, trace 613995).
REAL_STATUS_INFO = H(
    "04 0F 37 27 00 04 00 00 00 00 40 00 49 09 78 0C 09 38 48 0D 04 25 22 F1 F1 59 66 66 66 66 "
    "D2 00 21 22 01 00 17 00 01 87 01 75 0B 61 39 95 19 40 29 60 09 99 14 0E 05 12 8A 02")
# ecrterm tests/test_parsing.py: a VISA payment with a masked PAN, card name and 3C text.
VISA_STATUS_INFO = H(
    "040fa12700040000000000014909780c1223060d062922f0f8474843eeeeee77438700023b3838393135300000"
    "0b000732196029420030360e18018a0a8c038bf0f556495341002a3435353630303030303539392020203cf0f7"
    "f341532d544944203d2031334630303031330d41532d50726f632d436f6465203d203230203930332030300d43"
    "6170742e2d5265662e3d20303030300d41494435393a20383039323538")
# ... and the same with a TLV container (BMP 06) at the end.
VISA_WITH_TLV = H(
    "040FCE2700040000000010004909780C1230050D062922F0F8474843EEEEEE77438700023B3838393135300000"
    "0B000733196029420030360E18018A0A8C038BF0F556495341002A3435353630303030303539392020203CF0F7"
    "F341532D544944203D2031334630303031330D41532D50726F632D436F6465203D203230203930332030300D43"
    "6170742E2D5265662E3D20303030300D41494435393A20383039323538062B4102000A4902000315024445600F"
    "4204564953414307A00000000310102F0C1F1001001F1101011F120102")
# ecrterm tests/test_parsing_abort.py: 06 1E 6C with TLV 1F16 (extended code) and 1F17 (text).
ABORT_WITH_TLV = H(
    "061e2e6c062b1f1605ff000014411f1720416262727563682064757263682065787465726e6573204b6f6d6d61"
    "6e646f21")
STATUS_WITH_TEXT = H("04 FF 1E 0A 01 06 1A 24 18 07 16 42 69 74 74 65 20 4B 61 72 74 65 20 65 69 "
                     "6E 73 74 65 63 6B 65 6E")


def test_registration_is_password_config_be_and_eur() -> None:
    assert zvt.registration() == H("06 00 06 00 00 00 BE 09 78")


@pytest.mark.parametrize(("cents", "wire"), [
    (299, "06 01 07 04 00 00 00 00 02 99"),
    (1000, "06 01 07 04 00 00 00 00 10 00"),
])
def test_authorisation_carries_the_amount_in_bcd_cents(cents: int, wire: str) -> None:
    assert zvt.authorisation(cents) == H(wire)


def test_abort_command_and_acknowledgement_bytes() -> None:
    assert zvt.abort_command() == H("06 B0 00")
    assert H("80 00 00") == zvt.ACK


def test_repeat_receipt_sends_the_password() -> None:
    assert zvt.repeat_receipt("123456") == H("06 20 03 12 34 56")


@pytest.mark.parametrize("cents", [0, -1, 10**12])
def test_an_amount_outside_six_bcd_bytes_is_refused(cents: int) -> None:
    with pytest.raises(ProtocolError):
        zvt.authorisation(cents)


def test_the_real_status_information_decodes_into_its_fields() -> None:
    message = zvt.decode_apdu(REAL_STATUS_INFO)
    assert message.command == zvt.STATUS_INFORMATION
    info = zvt.parse_status_information(message.data)
    assert info.result_code == 0
    assert info.amount_cents == 4000
    assert info.currency == 978
    assert info.trace_number == "613995"
    assert info.receipt_number == "0175"
    assert info.terminal_id == "60099914"
    assert info.card_type == "2"
    assert (info.date_mmdd, info.time_hhmmss) == ("0425", "093848")


def test_a_masked_pan_shows_stars_and_the_card_name_is_text() -> None:
    info = zvt.parse_status_information(zvt.decode_apdu(VISA_STATUS_INFO).data)
    assert info.masked_pan == "474843******7743"
    assert info.card_name == "VISA"
    assert info.amount_cents == 1
    assert info.text.startswith("AS-TID = 13F00013")


def test_status_information_with_a_tlv_container_decodes_every_bmp() -> None:
    fields = zvt.decode_bmps(zvt.decode_apdu(VISA_WITH_TLV).data)
    assert fields[0x27] == b"\x00"
    assert len(fields[0x06]) == 0x2B
    tlv = zvt.decode_tlv(fields[0x06])
    assert tlv[0].tag == 0x41 and tlv[0].value == H("000A")


def test_the_real_abort_with_tlv_gives_6c_and_the_terminals_words() -> None:
    message = zvt.decode_apdu(ABORT_WITH_TLV)
    info = zvt.parse_abort(message.data)
    assert message.command == zvt.ABORT
    assert info.result_code == 0x6C
    assert info.text == "Abbruch durch externes Kommando!"
    ext = zvt.find_tlv(zvt.decode_tlv(zvt.decode_bmps(message.data[1:])[0x06]), 0x1F16)
    assert ext is not None and ext.value == H("ff00001441")


@pytest.mark.parametrize(("wire", "code", "rc"), [
    ("06 1E 01 6C", zvt.ABORT, 0x6C),
    ("06 1E 01 05", zvt.ABORT, 0x05),
])
def test_short_aborts_give_their_result_code(wire: str, code: bytes, rc: int) -> None:
    message = zvt.decode_apdu(H(wire))
    assert message.command == code
    assert zvt.parse_abort(message.data).result_code == rc


def test_decline_status_information_is_just_the_result_code() -> None:
    info = zvt.parse_status_information(zvt.decode_apdu(H("04 0F 02 27 05")).data)
    assert info.result_code == 5 and info.amount_cents is None


def test_intermediate_status_insert_card_with_timeout() -> None:
    status = zvt.parse_intermediate_status(zvt.decode_apdu(H("04 FF 02 0A 01")).data)
    assert (status.code, status.timeout_s, status.text) == (0x0A, 1, "")


def test_intermediate_status_carries_the_terminals_german_text() -> None:
    status = zvt.parse_intermediate_status(zvt.decode_apdu(STATUS_WITH_TEXT).data)
    assert (status.code, status.timeout_s) == (0x0A, 1)
    assert status.text == "Bitte Karte einstecken"


def test_completion_with_software_version_is_a_completion() -> None:
    message = zvt.decode_apdu(H("06 0F 0B F0 F0 F7 32 2E 31 34 2E 31 35 00"))
    assert message.command == zvt.COMPLETION
    assert message.data[3:10] == b"2.14.15"


def test_print_line_keeps_the_text_without_its_attribute() -> None:
    raw = H("06 D1 17 00 20 20 20 20 20 20 20 20 20 4B 61 73 73 65 6E 73 63 68 6E 69 74 74")
    assert zvt.parse_print_line(zvt.decode_apdu(raw).data).strip() == "Kassenschnitt"


def test_extended_length_is_ff_then_low_byte_first() -> None:
    data = bytes(300)
    wire = zvt.Apdu(zvt.PRINT_TEXT_BLOCK, data).encode()
    assert wire[:5] == H("06 D3 FF 2C 01")
    assert zvt.decode_apdu(wire) == zvt.Apdu(zvt.PRINT_TEXT_BLOCK, data)


def test_length_254_still_fits_one_byte() -> None:
    assert zvt.encode_length(254) == b"\xfe"
    assert zvt.encode_length(255) == H("FF FF 00")


@pytest.mark.parametrize(("value", "digits", "wire"), [
    (b"girocard", 2, "F0 F8 67 69 72 6F 63 61 72 64"),
    (b"2.14.15", 3, "F0 F0 F7 32 2E 31 34 2E 31 35"),
])
def test_llvar_and_lllvar_write_their_length_as_fx_digits(value: bytes, digits: int,
                                                          wire: str) -> None:
    assert zvt.encode_var(value, digits) == H(wire)


def test_ber_lengths_over_127_use_the_long_form() -> None:
    encoded = zvt.encode_tlv(0x1F17, bytes(200))
    assert encoded[:4] == H("1F 17 81 C8")
    assert zvt.decode_tlv(encoded)[0].value == bytes(200)


def test_a_truncated_apdu_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="says 55 data bytes"):
        zvt.decode_apdu(REAL_STATUS_INFO[:-1])


def test_an_unknown_bmp_is_a_protocol_error_unless_lenient() -> None:
    with pytest.raises(ProtocolError, match="unknown BMP 07"):
        zvt.decode_bmps(H("27 00 07 01"))
    assert zvt.decode_bmps(H("27 00 07 01"), lenient=True) == {0x27: b"\x00"}


@pytest.mark.parametrize(("raw", "code"), [
    ("84 83 00", 0x83), ("84 00 00", None), ("84 9C 00", None), ("80 00 00", None),
])
def test_negative_acknowledgements_name_their_code(raw: str, code: int | None) -> None:
    assert zvt.negative_ack_code(H(raw)) == code


@given(st.binary(max_size=300))
def test_decoders_raise_only_protocol_errors(data: bytes) -> None:
    for decode in (zvt.decode_apdu, zvt.decode_bmps, zvt.decode_tlv,
                   zvt.parse_status_information, zvt.parse_intermediate_status,
                   zvt.parse_abort, zvt.parse_print_line):
        with contextlib.suppress(ProtocolError):
            decode(data)


@given(st.binary(max_size=600), st.sampled_from([zvt.STATUS_INFORMATION, zvt.PRINT_LINE]))
def test_any_apdu_round_trips(data: bytes, command: bytes) -> None:
    assert zvt.decode_apdu(zvt.Apdu(command, data).encode()) == zvt.Apdu(command, data)

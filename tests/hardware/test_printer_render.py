"""The ESC/POS renderer gives the exact bytes of protocols.md §5 (written out by hand here)."""

from __future__ import annotations

import contextlib

import pytest
from escpos.printer import Dummy
from hypothesis import given
from hypothesis import strategies as st

from hardware.errors import DeviceConfigError, ProtocolError
from hardware.printer import QR, Cut, Feed, PrinterStatus, Rule, Text, decode_status, render

INIT_CP858 = bytes.fromhex("1B 40 1B 74 13")  # init, ESC t 19 = CP858
QR_HELLO_3 = bytes.fromhex(
    "1D 28 6B 04 00 31 41 32 00"  # model 2
    "1D 28 6B 03 00 31 43 03"  # module size 3
    "1D 28 6B 03 00 31 45 30"  # ECC L
    "1D 28 6B 08 00 31 50 30 48 45 4C 4C 4F"  # store "HELLO"
    "1D 28 6B 03 00 31 51 30")  # print
CUT = bytes.fromhex("1B 64 06 1D 56 00")


def test_a_small_document_renders_to_the_bytes_written_out_from_the_datasheet() -> None:
    doc = [Text("Käse 1,99 €", bold=True), QR("HELLO", size=3), Feed(2), Cut()]
    assert render(doc) == (
        INIT_CP858
        + bytes.fromhex("1B 45 01")  # bold on
        + bytes.fromhex("4B 84 73 65") + b" 1,99 " + bytes.fromhex("D5 0A")  # Käse ... € LF
        + bytes.fromhex("1B 61 01 1B 45 00")  # QR centred, bold off
        + QR_HELLO_3
        + bytes.fromhex("1B 64 02")  # feed 2
        + CUT)


def test_german_letters_print_in_code_page_858() -> None:
    assert render([Text("ÄÖÜäöüß")]) == INIT_CP858 + bytes.fromhex("8E 99 9A 84 94 81 E1 0A")


def test_double_size_and_alignment_are_sent_only_when_they_change() -> None:
    doc = [Text("SUMME", size="double", align="right"), Text("12,34", size="double",
                                                             align="right"), Text("x")]
    assert render(doc) == (INIT_CP858 + bytes.fromhex("1B 61 02 1D 21 11") + b"SUMME\n"
                           + b"12,34\n" + bytes.fromhex("1B 61 00 1D 21 00") + b"x\n")


def test_a_rule_spans_the_columns() -> None:
    assert render([Rule("=")], columns=42) == INIT_CP858 + b"=" * 42 + b"\n"


def test_characters_the_code_page_lacks_print_as_question_marks_and_never_as_commands() -> None:
    assert render([Text("Tee 🍵\x1b@\x10\x04\x01")]) == INIT_CP858 + b"Tee ??@???\n"


def test_a_newline_in_a_text_starts_a_new_line() -> None:
    assert render([Text("a\nb")]) == INIT_CP858 + b"a\nb\n"


def test_our_qr_and_cut_bytes_match_python_escpos() -> None:
    printer = Dummy()
    printer.qr("HELLO", native=True, size=3)
    printer.cut()
    assert render([QR("HELLO", 3), Cut()]).endswith(printer.output)
    printer.close()


def test_an_unknown_code_page_is_refused_with_the_choices() -> None:
    with pytest.raises(DeviceConfigError, match="CP858"):
        render([Text("x")], codepage="CP999")


def test_qr_data_longer_than_a_qr_code_holds_is_refused() -> None:
    with pytest.raises(ProtocolError, match="7089"):
        render([QR("x" * 8000)])


@given(st.text())
def test_render_never_raises_on_any_text(text: str) -> None:
    data = render([Text(text, bold=True, size="double"), Rule(text or "-"), Cut()])
    assert data.startswith(INIT_CP858) and data.endswith(CUT)


@given(st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=300),
       st.integers(1, 16))
def test_qr_bytes_match_python_escpos_for_any_ascii_data(data: str, size: int) -> None:
    printer = Dummy()
    printer.qr(data, native=True, size=size)
    assert render([QR(data, size)]).endswith(printer.output)
    printer.close()


@pytest.mark.parametrize(("replies", "status", "problem"), [
    ((0x12, 0x12, 0x12), PrinterStatus(True, False, "ok"), ""),
    ((0x12, 0x12, 0x1E), PrinterStatus(True, False, "near_end"), ""),
    ((0x1A, 0x32, 0x72), PrinterStatus(False, False, "out"), "paper out"),
    ((0x1A, 0x16, 0x12), PrinterStatus(False, True, "ok"), "cover open"),
    ((0x1A, 0x12, 0x12), PrinterStatus(False, False, "ok"), "printer offline"),
])
def test_status_replies_decode_to_what_the_printer_means(
        replies: tuple[int, int, int], status: PrinterStatus, problem: str) -> None:
    assert decode_status(*replies) == status
    assert status.problem() == problem
    assert status.can_print is (problem == "")


@given(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255))
def test_status_decoding_raises_only_protocol_errors(a: int, b: int, c: int) -> None:
    with contextlib.suppress(ProtocolError):
        decode_status(a, b, c)

"""What the kiosk makes of a scan: the vectors of protocols.md §2, and biip as an oracle."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.domain.codes import (
    CodeKind,
    Symbology,
    check_digit,
    expand_upce,
    is_valid_gtin,
    normalize_gtin,
    parse,
    parse_aim,
    parse_digital_link,
    parse_gs1,
    price_check_digit,
    rcn_lookup_key,
    symbology_for_aim,
)
from kiosk.errors import CodeError

GS = "\x1d"
UNREADABLE_DE = "Der Code konnte nicht gelesen werden. Bitte erneut scannen."


def scanner_line(frame: bytes) -> str:
    """What the scanner driver hands over: the line without its CR/LF terminator."""
    return frame.decode("ascii").rstrip("\r\n")


# --- protocols.md §2.1: scanner lines ---------------------------------------------------------


def test_ean13_scanner_line_gives_the_gtin_and_symbology() -> None:
    code = parse(scanner_line(b"]E04006381333931\r"))
    assert (code.aim, code.symbology, code.kind) == ("]E0", Symbology.EAN13, CodeKind.GTIN)
    assert code.payload == "4006381333931"
    assert code.gtin == "04006381333931"


def test_ean8_scanner_line_gives_the_gtin_and_symbology() -> None:
    code = parse(scanner_line(b"]E496385074\r"))
    assert (code.aim, code.symbology, code.kind) == ("]E4", Symbology.EAN8, CodeKind.GTIN)
    assert code.gtin == "00000096385074"


def test_gs1_128_scanner_line_gives_gtin_weight_expiry_and_batch() -> None:
    code = parse(scanner_line(b"]C10109506000134352310300123417251231" + b"10ABC123\r"))
    assert code.symbology is Symbology.GS1_128
    assert code.kind is CodeKind.GS1_ELEMENTS
    assert dict(code.elements) == {
        "01": "09506000134352", "3103": "001234", "17": "251231", "10": "ABC123"}
    assert code.gtin == "09506000134352"
    assert code.weight_g == 1234
    assert code.expiry == dt.date(2025, 12, 31)
    assert code.batch == "ABC123"


def test_a_batch_that_is_not_last_ends_at_the_group_separator() -> None:
    code = parse(f"]C11012A{GS}0109506000134352" + "3103001234" + "21XYZ9")
    assert code.batch == "12A"
    assert code.serial == "XYZ9"
    assert code.gtin == "09506000134352"
    assert code.weight_g == 1234


def test_a_batch_without_its_group_separator_swallows_what_follows() -> None:
    # GS1 says a variable field ends only at GS or the end; the data is then a longer batch.
    code = parse("]C11012A0109506000134352")
    assert code.batch == "12A0109506000134352"
    assert code.gtin is None


# --- protocols.md §2.1: AIM table ------------------------------------------------------------


@pytest.mark.parametrize(
    ("aim", "symbology"),
    [
        ("]E0", Symbology.EAN13), ("]E4", Symbology.EAN8), ("]E3", Symbology.EAN13),
        ("]I1", Symbology.ITF), ("]A0", Symbology.CODE39), ("]C0", Symbology.CODE128),
        ("]C1", Symbology.GS1_128), ("]e0", Symbology.GS1_DATABAR),
        ("]d1", Symbology.DATAMATRIX), ("]d2", Symbology.GS1_DATAMATRIX),
        ("]Q1", Symbology.QR), ("]Q3", Symbology.GS1_QR), ("]J1", Symbology.UNKNOWN),
    ],
)
def test_aim_identifiers_name_their_symbology(aim: str, symbology: Symbology) -> None:
    assert symbology_for_aim(aim) is symbology


def test_parse_aim_splits_the_identifier_from_the_payload() -> None:
    assert parse_aim("]E04006381333931") == ("]E0", "4006381333931")
    assert parse_aim("4006381333931") == (None, "4006381333931")


@pytest.mark.parametrize("text", ["]E196", "]E212345"])
def test_an_add_on_alone_is_refused(text: str) -> None:
    with pytest.raises(CodeError) as err:
        parse(text)
    assert err.value.reason == "not_a_code"


def test_ean13_with_add_on_is_the_main_code() -> None:
    code = parse("]E3400638133393112")
    assert code.gtin == "04006381333931"
    assert ("Add-on", "12") in code.describe()


def test_itf14_is_a_gtin() -> None:
    gtin = "1095060001343" + str(check_digit("1095060001343"))
    code = parse("]I1" + gtin)
    assert (code.symbology, code.kind, code.gtin) == (Symbology.ITF, CodeKind.GTIN, gtin)


def test_gs1_databar_carries_the_gtin_as_ai_01() -> None:
    code = parse("]e00109506000134352")
    assert (code.symbology, code.kind, code.gtin) == (
        Symbology.GS1_DATABAR, CodeKind.GS1_ELEMENTS, "09506000134352")


def test_gs1_datamatrix_and_gs1_qr_carry_element_strings() -> None:
    for aim, sym in (("]d2", Symbology.GS1_DATAMATRIX), ("]Q3", Symbology.GS1_QR)):
        code = parse(f"{aim}0109506000134352" + f"21SN1{GS}17260100")
        assert (code.symbology, code.serial) == (sym, "SN1")
        assert code.expiry == dt.date(2026, 1, 31)


def test_upca_sent_as_twelve_digits_under_e0_is_upca() -> None:
    code = parse("]E0036000291452")
    assert (code.symbology, code.gtin) == (Symbology.UPCA, "00036000291452")


# --- protocols.md §2.3: check digits, UPC-E, prefixes ----------------------------------------


@pytest.mark.parametrize(
    ("body", "digit"),
    [("400638133393", 1), ("590123412345", 7), ("9638507", 4), ("03600029145", 2),
     ("0950600013435", 2)],
)
def test_check_digit_vectors(body: str, digit: int) -> None:
    assert check_digit(body) == digit
    assert is_valid_gtin(body + str(digit))
    assert not is_valid_gtin(body + str((digit + 1) % 10))


@pytest.mark.parametrize(
    ("upce", "upca"),
    [
        ("04252614", "042100005264"),  # last digit 0-2: mfr d1 d2 d6 0 0, item 0 0 d3 d4 d5
        ("01234531", "012300000451"),  # last digit 3: mfr d1 d2 d3 0 0, item 0 0 0 d4 d5
        ("01234543", "012340000053"),  # last digit 4: mfr d1..d4 0, item 0 0 0 0 d5
        ("01234572", "012345000072"),  # last digit 5-9: mfr d1..d5, item 0 0 0 0 d6
        ("0425261", "042100005264"),  # 7 digits: no check digit
        ("425261", "042100005264"),  # 6 digits: number system 0
    ],
)
def test_upce_expands_to_upca_by_gs1_rules(upce: str, upca: str) -> None:
    assert expand_upce(upce) == upca


def test_upce_with_a_wrong_check_digit_is_refused() -> None:
    with pytest.raises(CodeError) as err:
        expand_upce("04252615")
    assert err.value.reason == "bad_check_digit"


def test_an_eight_digit_code_is_ean8_unless_the_scanner_says_upce() -> None:
    with pytest.raises(CodeError) as err:
        normalize_gtin("04252614")
    assert err.value.reason == "bad_check_digit"
    assert normalize_gtin("04252614", Symbology.UPCE) == "00042100005264"
    assert parse("04252614", Symbology.UPCE).gtin == "00042100005264"
    assert parse("]E004252614").symbology is Symbology.UPCE


@pytest.mark.parametrize(
    ("code", "gtin14"),
    [("96385074", "00000096385074"), ("036000291452", "00036000291452"),
     ("4006381333931", "04006381333931"), ("09506000134352", "09506000134352")],
)
def test_gtins_are_normalised_to_fourteen_digits(code: str, gtin14: str) -> None:
    assert normalize_gtin(code) == gtin14


@pytest.mark.parametrize(
    ("code", "reason"),
    [("", "empty"), ("40063813339x1", "not_a_code"), ("1234567", "bad_length"),
     ("4006381333932", "bad_check_digit"), ("４００６３８１３３３９３１", "not_a_code")],
)
def test_bad_gtins_raise_code_error_with_a_reason(code: str, reason: str) -> None:
    with pytest.raises(CodeError) as err:
        normalize_gtin(code)
    assert err.value.reason == reason
    assert isinstance(err.value, ValueError)


def test_isbn_is_a_gtin_that_says_it_is_a_book() -> None:
    code = parse("9780306406157")
    assert (code.kind, code.gtin) == (CodeKind.ISBN, "09780306406157")


@pytest.mark.parametrize("code", ["2012345000007", "2112345000004", "2412345000000",
                                  "2712345000001", "0212345000008", "20123457"])
def test_store_defined_prefixes_are_looked_up_whole(code: str) -> None:
    valid = code[:-1] + str(check_digit(code[:-1]))
    scanned = parse(valid)
    assert scanned.kind is CodeKind.STORE_INTERNAL
    assert scanned.gtin == valid.zfill(14)
    assert scanned.weight_g is scanned.price_cents is scanned.count is None


# --- protocols.md §2.3: German in-store codes ------------------------------------------------


def test_price_check_digit_vectors() -> None:
    assert price_check_digit("14685") == 6
    assert price_check_digit("2875") == 9


def test_weight_code_gives_grams_and_the_article_lookup_key() -> None:
    code = parse("2812341012349")
    assert code.kind is CodeKind.IN_STORE_WEIGHT
    assert code.weight_g == 1234
    assert code.gtin == rcn_lookup_key("2812341012349") == "02812340000002"
    assert ("Article", "1234") in code.describe()


def test_price_code_gives_cents() -> None:
    code = parse("]E02247111002990")
    assert code.kind is CodeKind.IN_STORE_PRICE
    assert code.price_cents == 299
    assert code.gtin == rcn_lookup_key("2247111002990")
    assert code.gtin is not None and code.gtin[3:7] == "4711"


def test_count_code_gives_pieces() -> None:
    body = "254711" + str(price_check_digit("00012")) + "00012"
    code = parse(body + str(check_digit(body)))
    assert (code.kind, code.count) == (CodeKind.IN_STORE_COUNT, 12)


def test_every_price_and_weight_of_one_article_shares_one_lookup_key() -> None:
    keys = set()
    for value in ("00001", "01234", "99999", "00000"):
        body = "281234" + str(price_check_digit(value)) + value
        keys.add(parse(body + str(check_digit(body))).gtin)
    assert keys == {"02812340000002"}


def test_in_store_code_with_a_bad_price_check_digit_is_refused() -> None:
    body = "281234" + "2" + "01234"  # K should be 1
    with pytest.raises(CodeError) as err:
        parse(body + str(check_digit(body)))
    assert err.value.reason == "bad_price_check_digit"
    assert err.value.shopper_text("de") == UNREADABLE_DE


def test_in_store_code_with_a_bad_ean_check_digit_is_refused() -> None:
    with pytest.raises(CodeError) as err:
        parse("2812341012348")
    assert err.value.reason == "bad_check_digit"


def test_lookup_key_of_an_ordinary_gtin_is_the_gtin() -> None:
    assert rcn_lookup_key("4006381333931") == "04006381333931"


# --- protocols.md §2.3: GS1 application identifiers ------------------------------------------


@pytest.mark.parametrize(
    ("ai", "value", "grams"),
    [("3103", "001234", 1234), ("3102", "000125", 1250), ("3100", "000002", 2000),
     ("3104", "012345", 1235), ("3105", "012344", 123), ("3101", "000005", 500)],
)
def test_net_weight_ai_becomes_whole_grams_rounded_half_up(ai: str, value: str,
                                                          grams: int) -> None:
    assert parse(f"]C10109506000134352{ai}{value}").weight_g == grams


@pytest.mark.parametrize(
    ("element", "cents"),
    [("3922299", 299), ("39232995", 300), ("3920003", 300), ("3921299", 2990),
     ("3933978" + "2995", 300), ("3932978299", 299), ("39221", 1), ("392305", 1),
     ("392304", 0)],
)
def test_price_ai_becomes_cents(element: str, cents: int) -> None:
    assert parse(f"]C10109506000134352{element}").price_cents == cents


def test_a_price_in_another_currency_is_refused_with_its_own_text() -> None:
    with pytest.raises(CodeError) as err:
        parse("]C10109506000134352" + "3932840299")
    assert err.value.reason == "foreign_currency"
    assert "Euro" in err.value.shopper_text("de")


@pytest.mark.parametrize(
    ("yymmdd", "date"),
    [("251231", dt.date(2025, 12, 31)), ("250200", dt.date(2025, 2, 28)),
     ("240200", dt.date(2024, 2, 29)), ("260400", dt.date(2026, 4, 30))],
)
def test_expiry_day_00_means_the_last_day_of_the_month(yymmdd: str, date: dt.date) -> None:
    assert parse("]C10109506000134352" + f"17{yymmdd}").expiry == date


def test_two_digit_years_follow_the_gs1_window_when_today_is_given() -> None:
    text = "]C10109506000134352" + "17990101"
    assert parse(text).expiry == dt.date(2099, 1, 1)
    assert parse(text, today=dt.date(2025, 6, 1)).expiry == dt.date(1999, 1, 1)


def test_counts_and_serials_are_read() -> None:
    code = parse("]C10209506000134352" + f"3712{GS}21SER-1")
    assert (code.gtin, code.count, code.serial) == ("09506000134352", 12, "SER-1")


def test_human_readable_form_is_accepted() -> None:
    elements = parse_gs1("(01)09506000134352(3103)001234(17)251231(10)ABC123")
    assert elements == {"01": "09506000134352", "3103": "001234", "17": "251231",
                        "10": "ABC123"}
    assert parse("(01) 09506000134352 (3103) 001234").weight_g == 1234


def test_a_leading_fnc1_group_separator_is_ignored() -> None:
    assert parse_gs1(f"{GS}0109506000134352") == {"01": "09506000134352"}


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("]C10109506000134353", "bad_check_digit"),  # (01) check digit
        ("]C1010950600013435", "bad_gs1"),  # (01) too short
        ("]C10109506000134352" + "17251301", "bad_gs1"),  # month 13
        ("]C10109506000134352" + "17250230", "bad_gs1"),  # 30 February
        ("]C10109506000134352" + "3109001234", "bad_gs1"),  # 9 decimals do not exist
        ("]C1" + "14123456", "bad_gs1"),  # AI 14 is not assigned
        ("]C1" + "10" + "A" * 21, "bad_gs1"),  # batch longer than 20
        ("]C1" + "10AB\x01C", "bad_gs1"),  # control character in data
        ("]C1" + "0109506000134352" + "0104006381333931", "bad_gs1"),  # two GTINs
        ("]C1" + "0109506000134352" + "31030012343102001234", "bad_gs1"),  # two weights
        ("(01)09506000134352junk", "bad_gs1"),
        ("]C1", "empty"),
    ],
)
def test_malformed_gs1_data_raises_code_error(text: str, reason: str) -> None:
    with pytest.raises(CodeError) as err:
        parse(text)
    assert err.value.reason == reason
    assert err.value.code == text  # the error names the whole scan, not the part that failed
    assert err.value.shopper_text("de") == UNREADABLE_DE


def test_unknown_but_assigned_ais_are_kept() -> None:
    code = parse("]C10109506000134352" + f"8008251231120000{GS}3103001234")
    assert code.elements["8008"] == "251231120000"
    assert code.weight_g == 1234


def test_a_gtin_in_ai_01_is_looked_up_as_it_is() -> None:
    # Variable measures travel in AIs such as (3103); GS1 gives (01) no in-store layout.
    code = parse("]C1010" + "2812341012349" + "3103000500")
    assert (code.kind, code.gtin, code.weight_g) == (
        CodeKind.GS1_ELEMENTS, "02812341012349", 500)


# --- protocols.md §2.3: GS1 Digital Link ----------------------------------------------------


def test_digital_link_vector() -> None:
    url = "https://id.gs1.org/01/09506000134352/10/ABC123?17=251231"
    assert parse_digital_link(url) == {"01": "09506000134352", "10": "ABC123", "17": "251231"}
    code = parse("]Q1" + url)
    assert (code.kind, code.symbology) == (CodeKind.DIGITAL_LINK, Symbology.QR)
    assert (code.gtin, code.batch, code.expiry) == (
        "09506000134352", "ABC123", dt.date(2025, 12, 31))


def test_digital_link_on_any_host_with_a_path_prefix_and_weight_attribute() -> None:
    code = parse("HTTPS://shop.example.de/p/x/01/9506000134352/21/S%2F1?3103=001234&linkType=x")
    assert (code.gtin, code.serial, code.weight_g) == ("09506000134352", "S/1", 1234)


@pytest.mark.parametrize(
    ("url", "reason"),
    [("https://id.gs1.org/01/09506000134353", "bad_check_digit"),
     ("https://id.gs1.org/01/12345", "bad_gs1"),
     ("https://id.gs1.org/01/09506000134352/10", "bad_gs1"),
     ("https://id.gs1.org/01/09506000134352/99/x", "bad_gs1"),
     ("https://id.gs1.org/01/09506000134352?17=251341", "bad_gs1"),
     ("ftp://id.gs1.org/01/09506000134352", "bad_gs1")],
)
def test_bad_digital_links_raise_code_error(url: str, reason: str) -> None:
    with pytest.raises(CodeError) as err:
        parse_digital_link(url)
    assert err.value.reason == reason


def test_a_url_without_a_gtin_is_text_for_the_lookup_to_decide() -> None:
    code = parse("]Q1https://example.com/loyalty/12345")
    assert (code.kind, code.gtin) == (CodeKind.TEXT, None)


# --- everything else -------------------------------------------------------------------------


def test_a_loyalty_card_in_code128_is_text_not_an_error() -> None:
    code = parse("]C0KUNDE-000123")
    assert (code.kind, code.symbology, code.payload) == (
        CodeKind.TEXT, Symbology.CODE128, "KUNDE-000123")


def test_camera_symbology_is_used_when_there_is_no_aim() -> None:
    assert parse("0109506000134352", Symbology.GS1_DATABAR).kind is CodeKind.GS1_ELEMENTS
    assert parse("4006381333931", Symbology.QR).kind is CodeKind.TEXT
    assert parse("]E04006381333931", Symbology.QR).symbology is Symbology.EAN13  # AIM wins


@pytest.mark.parametrize(
    ("text", "reason"),
    [("", "empty"), ("   ", "empty"), ("]E0", "empty"), ("]E0400638133393A", "not_a_code"),
     ("]x", "not_a_code"), ("12345", "bad_length"), ("123456789012345", "bad_length"),
     ("4006381333932", "bad_check_digit"), ("abc\x07", "not_a_code"),
     ("]E44006381333931", "bad_length")],
)
def test_bad_scans_raise_code_error_with_reason_and_shopper_texts(text: str,
                                                                 reason: str) -> None:
    with pytest.raises(CodeError) as err:
        parse(text)
    assert err.value.reason == reason
    assert err.value.code == text
    assert err.value.shopper_text("de") == UNREADABLE_DE
    assert err.value.shopper_text("en") == "The code could not be read. Please scan it again."
    assert repr(text) in str(err.value) or not text.strip()


def test_describe_lists_what_a_technician_needs() -> None:
    rows = dict(parse("]C10109506000134352" + "3103001234" + "3922299").describe("de"))
    assert rows["AIM id"] == "]C1"
    assert rows["Symbology"] == "gs1_128"
    assert rows["GTIN"] == "09506000134352"
    assert rows["Weight"] == "1234 g (1.234 kg)"
    assert rows["Price"] == "2,99 €"
    assert rows["(3103) net weight (kg)"] == "001234"


def test_a_symbology_name_from_a_driver_is_accepted_and_an_odd_one_is_guessed() -> None:
    assert parse("4006381333931", "ean13").symbology is Symbology.EAN13
    odd = parse("4006381333931", "pharmacode")
    assert (odd.symbology, odd.gtin) == (Symbology.EAN13, "04006381333931")


@pytest.mark.parametrize(
    ("prefix", "kind", "field"),
    [("22", CodeKind.IN_STORE_PRICE, "price_cents"), ("23", CodeKind.IN_STORE_PRICE, "price_cents"),
     ("25", CodeKind.IN_STORE_COUNT, "count"), ("26", CodeKind.IN_STORE_COUNT, "count"),
     ("28", CodeKind.IN_STORE_WEIGHT, "weight_g"), ("29", CodeKind.IN_STORE_WEIGHT, "weight_g")],
)
def test_every_german_variable_prefix_carries_its_value(prefix: str, kind: CodeKind,
                                                        field: str) -> None:
    body = f"{prefix}0042{price_check_digit('00350')}00350"
    code = parse(body + str(check_digit(body)))
    assert code.kind is kind
    assert getattr(code, field) == 350
    assert code.gtin == rcn_lookup_key(body + str(check_digit(body)))


def test_isbn_979_is_a_book_too() -> None:
    assert parse("9791234567896").kind is CodeKind.ISBN


def test_german_gtins_with_prefix_40_to_44_are_ordinary_gtins() -> None:
    # protocols.md calls 40-49 company-internal; that holds for a UPC-A starting with 4
    # (GTIN-13 prefix 04), while 400-440 is GS1 Germany's own GTIN range.
    assert parse("4006381333931").kind is CodeKind.GTIN
    assert parse("]E0" + "412345678903").kind is CodeKind.STORE_INTERNAL


def test_gs1_dotcode_is_read_as_gs1_data() -> None:
    code = parse("]J10109506000134352")
    assert (code.kind, code.symbology, code.gtin) == (
        CodeKind.GS1_ELEMENTS, Symbology.UNKNOWN, "09506000134352")

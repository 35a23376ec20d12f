"""The fixed texts and the view's own checks (no window)."""

from __future__ import annotations

import re
import string

import pytest

from kiosk.ui import strings
from kiosk.ui.viewmodel import LaneView


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", strings.keys())
def test_every_text_exists_in_german_and_english_with_the_same_fields(key: str) -> None:
    german, english = strings.both(key)
    assert german.strip() and english.strip()
    assert _fields(german) == _fields(english)


@pytest.mark.parametrize("lang", strings.LANGS)
def test_every_translation_file_has_the_same_fields_as_german(lang: str) -> None:
    every_key = strings.keys()
    for key in every_key:
        assert _fields(strings.t(key, lang)) == _fields(strings.both(key)[0]), (lang, key)


def test_the_offered_languages_are_the_translation_files_named_in_their_own_words() -> None:
    files = sorted(path.stem for path in strings.LOCALE_DIR.glob("*.po"))
    assert sorted(strings.LANGS) == files
    assert strings.LANGS[:2] == ("de", "en")  # the store's language first
    assert strings.language_names()["de"] == "Deutsch"
    assert strings.language_names()["en"] == "English"


def test_a_language_without_a_translation_file_reads_english() -> None:
    assert strings.t("pay", "fr") == "Pay"
    assert strings.t("pay", "de") == "Bezahlen"
    assert strings.t("items_many", "en", n=3) == "3 items"


def test_a_misspelt_text_key_fails_loudly() -> None:
    with pytest.raises(KeyError):
        strings.t("pya", "de")


def test_a_view_for_an_unknown_screen_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=re.escape("'checkout' is not a kiosk screen")) as err:
        LaneView(screen="checkout")  # type: ignore[arg-type]
    assert "basket" in str(err.value)


def test_a_view_in_an_unoffered_language_is_refused() -> None:
    with pytest.raises(ValueError, match="'fr' is not offered"):
        LaneView(screen="basket", lang="fr")

"""The fixed texts and the view's own checks (no window)."""

from __future__ import annotations

import re
import string

import pytest

from kiosk.ui import strings
from kiosk.ui.viewmodel import LaneView


@pytest.mark.parametrize("key", strings.keys())
def test_every_text_exists_in_german_and_english_with_the_same_fields(key: str) -> None:
    german, english = strings.both(key)
    assert german.strip() and english.strip()

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    assert fields(german) == fields(english)


def test_german_is_the_fallback_for_an_unknown_language() -> None:
    assert strings.t("pay", "fr") == "Bezahlen"
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

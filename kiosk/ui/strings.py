"""Every fixed text of the kiosk window, read from the translation files in `kiosk/ui/locale/`.

One gettext .po file per language (`de.po`, `en.po`, ...): the msgid is the text's key, the
msgstr what the shopper reads. Adding a language is adding a file named by its code (`fr.po`);
its button shows the language's own name ("Deutsch", "English", "Français"). German is the store's
language; a language without a text falls back to English, then German. `t(key, lang, **values)`
fills `{name}` fields. A missing key raises KeyError on purpose: a typo in a screen must fail in
the UI tests, not show an empty button to a shopper.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).with_name("locale")
FALLBACK = ("en", "de")  # a tourist without their language reads English; English lacks none


@cache
def _catalogs() -> dict[str, dict[str, str]]:
    """{language code: {key: text}} for every .po file, German first, then English, then A-Z."""
    found: dict[str, dict[str, str]] = {}
    for path in sorted(LOCALE_DIR.glob("*.po")):
        with path.open("rb") as stream:
            catalog = read_po(stream, abort_invalid=True)
        texts = {str(m.id): str(m.string) for m in catalog if m.id and m.string and not m.fuzzy}
        found[path.stem] = texts
    order = sorted(found, key=lambda code: (code != "de", code != "en", code))
    return {code: found[code] for code in order}


def language_names() -> dict[str, str]:
    """{code: the language's own name} for the language buttons: {"de": "Deutsch", ...}."""
    return {code: _own_name(code) for code in _catalogs()}


def _own_name(code: str) -> str:
    try:
        name = Locale.parse(code).get_display_name(code) or code
    except (ValueError, UnknownLocaleError):
        return code
    return name[:1].upper() + name[1:]


LANGS: tuple[str, ...] = tuple(_catalogs())


def t(key: str, lang: str = "de", **values: object) -> str:
    """The text for `key` in `lang` (an unknown language reads English), with `values` filled
    into its `{name}` fields.
    """
    catalogs = _catalogs()
    for code in (lang, *FALLBACK):
        text = catalogs.get(code, {}).get(key)
        if text is not None:
            return text.format(**values) if values else text
    raise KeyError(key)


def both(key: str) -> tuple[str, str]:
    """The German and the English text for `key`, unfilled."""
    catalogs = _catalogs()
    return catalogs["de"][key], catalogs["en"][key]


def has(key: str) -> bool:
    """Whether `key` is in the table (for texts looked up by a domain value, e.g. a reason)."""
    return key in _catalogs()["de"]


def keys() -> tuple[str, ...]:
    """All keys, for the test that every text exists in every language."""
    return tuple(_catalogs()["de"])

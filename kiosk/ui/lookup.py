"""Finding loose items on the "item without barcode" lookup: pure functions, no Kivy.

Shoppers type on a touch keyboard, in a hurry and often without umlauts: "apfel" must find
"Äpfel", "aepfel" too, "bröt" finds "Brötchen", and digits find an item by its PLU.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from kiosk.ui.viewmodel import ProduceView

# German spelling without umlauts writes ä as ae; a shopper may type either.
_SPELLED_OUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def fold(text: str) -> str:
    """`text` lower-cased with accents dropped ("Äpfel" -> "apfel", "Straße" -> "strasse")."""
    text = text.casefold().replace("ß", "ss")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def spelled_out(text: str) -> str:
    """`text` lower-cased with umlauts written out ("Äpfel" -> "aepfel")."""
    return fold(text.casefold().translate(_SPELLED_OUT))


def matches(item: ProduceView, query: str) -> bool:
    """Whether `item` answers `query`: digits match the start of the PLU; words must each
    occur in the name, ignoring case, accents and how umlauts are written. An empty query
    matches everything.
    """
    query = query.strip()
    if not query:
        return True
    if query.isdigit():
        return item.plu.startswith(query)
    names = (fold(item.name), spelled_out(item.name))
    return all(any(fold(word) in name for name in names) for word in query.split())


def search(produce: Iterable[ProduceView], query: str) -> tuple[ProduceView, ...]:
    """The items that match `query`, in catalog order."""
    return tuple(item for item in produce if matches(item, query))


def categories(produce: Iterable[ProduceView]) -> tuple[str, ...]:
    """The categories in the order they first appear (the catalog's order)."""
    return tuple(dict.fromkeys(item.category for item in produce))


def in_category(produce: Iterable[ProduceView], category: str) -> tuple[ProduceView, ...]:
    return tuple(item for item in produce if item.category == category)


def initials(name: str) -> str:
    """One or two capitals for a tile without a picture: "Äpfel Fuji" -> "ÄF", "Kiwi" -> "K".

    Only letters count, so "Kartoffeln, mehligkochend" gives "KM" and "Pfand 0,25" gives "P".
    """
    words = [w for w in name.replace(",", " ").replace("-", " ").split() if w[:1].isalpha()]
    return "".join(w[0] for w in words[:2]).upper()

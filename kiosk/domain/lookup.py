"""From a scanned code to a product with its quantity, weight or label price.

`resolve` is what the checkout calls after `codes.parse`; `explain` is the `kiosk code CODE`
command: every fact about a code and its product as (label, value) rows, errors included.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.domain.basket import make_lines
from kiosk.domain.catalog import Catalog, Product
from kiosk.domain.codes import CodeKind, ScannedCode, parse
from kiosk.domain.gs1 import code_error, show
from kiosk.domain.money import format_eur
from kiosk.errors import CodeError

_STAFF = {
    "de": "Dieser Artikel kann hier nicht verkauft werden. Bitte wenden Sie sich an das "
          "Personal.",
    "en": "This item cannot be sold here. Please ask a member of staff.",
}
_TEXTS = {
    "unknown_product": {
        "de": "Artikel nicht gefunden. Bitte wenden Sie sich an das Personal.",
        "en": "Item not found. Please ask a member of staff.",
    },
    "not_a_product": {
        "de": "Dieser Code ist kein Artikel. Bitte scannen Sie den Strichcode auf dem Artikel.",
        "en": "This code is not an item. Please scan the barcode on the item.",
    },
    "needs_weighing": {
        "de": "Bitte legen Sie den Artikel auf die Waage.",
        "en": "Please place the item on the scale.",
    },
    "weight_for_piece_item": _STAFF,
    "zero_value": _STAFF,
}


@dataclass(frozen=True)
class Resolution:
    """A code resolved to a product.

    `quantity` is pieces (1 unless the code carries a count); `weight_g` is set for a product
    sold by kg whose code carries the weight; `price_override_cents` is the price printed in
    the code (in-store 22/23 or GS1 392n), which wins over the catalog price.
    """

    code: ScannedCode
    product: Product
    quantity: int
    weight_g: int | None
    price_override_cents: int | None


def resolve(code: ScannedCode, catalog: Catalog) -> Resolution:
    """The product and amounts for `code`.

    Raises CodeError with reason "unknown_product", "not_a_product" (text, or GS1 data with
    no GTIN), "needs_weighing" (sold by kg and the code carries neither weight nor price: the
    checkout sends the shopper to the scale), "weight_for_piece_item" (a weight code for a
    product sold by the piece: a catalog or label error) or "zero_value" (weight, count or
    price of zero in the code).
    """
    product = _product(code, catalog)
    quantity, weight_g, price_cents = 1, None, code.price_cents
    if code.kind is CodeKind.IN_STORE_WEIGHT and not product.sold_by_weight:
        raise _error(
            f"code {show(code.raw)} carries a weight ({code.weight_g} g) but product "
            f"{product.sku!r} is sold by the piece; fix the product's unit or the label",
            code, "weight_for_piece_item")
    if product.sold_by_weight:
        # A piece item's GS1 net weight is information, not a price basis; ignore it there.
        weight_g = code.weight_g
    if code.count is not None:
        quantity = code.count
    for name, value in (("weight", weight_g), ("count", quantity), ("price", price_cents)):
        if value == 0:
            raise _error(f"code {show(code.raw)} has a {name} of zero; the label is wrong, "
                         "reprint it", code, "zero_value")
    if product.sold_by_weight and weight_g is None and price_cents is None:
        raise _error(f"product {product.sku!r} is sold by kg and code {show(code.raw)} "
                     "carries no weight; weigh it on the scale", code, "needs_weighing")
    return Resolution(code, product, quantity, weight_g, price_cents)


def _error(message: str, code: ScannedCode, reason: str) -> CodeError:
    return code_error(message, code.raw, reason, _TEXTS[reason])


def _product(code: ScannedCode, catalog: Catalog) -> Product:
    if code.kind is CodeKind.TEXT or code.gtin is None:
        raise _error(f"{show(code.raw)} is {code.kind.value} without a GTIN, not a product "
                     "code; scan the item's barcode", code, "not_a_product")
    product = catalog.by_gtin(code.gtin)
    if product is None:
        raise _error(f"no product with GTIN {code.gtin} (from {show(code.raw)}) in the "
                     "catalog; add it or check the catalog import", code, "unknown_product")
    return product


# --- explain ---------------------------------------------------------------------------------


def explain(text: str, catalog: Catalog, lang: str = "en") -> list[tuple[str, str]]:
    """(label, value) rows saying what the kiosk makes of `text`: the scan, the product found,
    the line it would add, or the error reason and what the shopper would see. Never raises
    for a bad code (the error becomes rows)."""
    try:
        code = parse(text)
    except CodeError as e:
        rows = [("Scanned", show(text, 200)), *_error_rows(e, lang)]
        number = text.strip()
        # Integrators often type a PLU here; say so rather than only "bad length".
        plu = catalog.by_plu(number) if number.isascii() and number.isdigit() else None
        if plu is not None and len(number) <= 5:
            rows.append(("PLU match", f"{plu.sku} {plu.name(lang)} (picked on screen)"))
        return rows
    rows = code.describe(lang)
    try:
        res = resolve(code, catalog)
    except CodeError as e:
        found = catalog.by_gtin(code.gtin) if code.gtin else None
        if found is not None:
            rows += _product_rows(found, catalog, lang)
        return rows + _error_rows(e, lang)
    return rows + _product_rows(res.product, catalog, lang) + _line_rows(res, catalog, lang)


def _error_rows(e: CodeError, lang: str) -> list[tuple[str, str]]:
    return [("Error", e.reason), ("Message", str(e)), ("Shopper sees", e.shopper_text(lang))]


def _product_rows(p: Product, catalog: Catalog, lang: str) -> list[tuple[str, str]]:
    per = " per kg" if p.sold_by_weight else ""
    rows = [("Product", f"{p.sku} {p.name(lang)}"),
            ("Unit price", f"{format_eur(p.price_cents, lang)}{per}"),
            ("VAT", f"{p.vat_rate.percent} % ({p.vat_rate.value})"),
            ("Age limit", str(p.age_limit) if p.age_limit else "none")]
    if p.deposit_sku is None:
        rows.append(("Deposit", "none"))
    else:
        dep = catalog.by_sku(p.deposit_sku)
        rows.append(("Deposit", f"{p.deposit_sku} {dep.name(lang)} "
                                f"{format_eur(dep.price_cents, lang)}" if dep is not None
                     else f"{p.deposit_sku} (missing from the catalog)"))
    return rows


def _line_rows(res: Resolution, catalog: Catalog, lang: str) -> list[tuple[str, str]]:
    p = res.product
    dep = catalog.by_sku(p.deposit_sku) if p.deposit_sku else None
    lines = make_lines(p, 1, quantity=res.quantity, weight_g=res.weight_g,
                       price_override_cents=res.price_override_cents, code=res.code.raw,
                       deposit=dep)
    rows = [("Quantity", str(res.quantity))]
    if res.weight_g is not None:
        rows.append(("Weight", f"{res.weight_g} g"))
    if res.price_override_cents is not None:
        rows.append(("Label price", format_eur(res.price_override_cents, lang)))
    rows.append(("Line price", format_eur(lines[0].list_amount_cents, lang)))
    if len(lines) > 1:
        rows.append(("Deposit line", format_eur(lines[1].list_amount_cents, lang)))
    total = sum(line.list_amount_cents for line in lines)
    rows.append(("Total", format_eur(total, lang)))
    return rows

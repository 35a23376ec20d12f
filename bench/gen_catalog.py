"""Build the demo store's catalog, and large synthetic catalogs for benchmarks.

    python bench/gen_catalog.py --demo > kiosk/data/demo_catalog.json
    python bench/gen_catalog.py -n 100000 --seed 1 --format csv -o bench/out/catalog-100k.csv
    python bench/gen_catalog.py --instore-samples     # the scannable label codes in docs/catalog.md
    python bench/gen_catalog.py                       # `make bench`: time a 100k build, JSON line

Every GTIN here is made up inside the German GS1 range 400-440 and gets its check digit computed,
never typed. The demo rows live in `bench/demo_rows.py`.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import demo_rows as rows  # a sibling script module; bench/ is not a package

# --- check digits -------------------------------------------------------------------------------


def gs1_check_digit(payload: str) -> int:
    """GS1 mod-10 check digit for the digits of `payload` (weights 3,1,3,... from the right)."""
    if not payload.isdigit():
        raise ValueError(f"{payload!r} is not all digits")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(payload)))
    return (10 - total % 10) % 10


def with_check_digit(payload: str) -> str:
    return payload + str(gs1_check_digit(payload))


# GS1 General Specifications 7.9.2: weight tables for the price/weight check digit.
_TWO_MINUS = (0, 2, 4, 6, 8, 9, 1, 3, 5, 7)
_FIVE_PLUS = (0, 5, 1, 6, 2, 7, 3, 8, 4, 9)
_FIVE_MINUS = (0, 5, 9, 4, 8, 3, 7, 2, 6, 1)
_FIVE_DIGIT_TABLES = (_FIVE_PLUS, _TWO_MINUS, _FIVE_MINUS, _FIVE_PLUS, _TWO_MINUS)


def price_weight_check_digit(value: str) -> int:
    """The German in-store check digit K over a 5-digit price/weight value (protocols.md 2.3)."""
    if len(value) != 5 or not value.isdigit():
        raise ValueError(f"price/weight value {value!r} must be 5 digits")
    total = sum(table[int(d)] for table, d in zip(_FIVE_DIGIT_TABLES, value, strict=True))
    return _FIVE_MINUS.index((10 - total % 10) % 10)


def instore_code(prefix: int, article: int, value: int) -> str:
    """A 13-digit German in-store code `PP AAAA K VVVVV C`.

    `value` is grams for prefixes 28/29, cents for 22/23. With value 0 this is the product's
    lookup key (what the catalog stores as its GTIN).
    """
    if prefix not in (22, 23, 25, 26, 28, 29) or not 0 <= article <= 9999:
        raise ValueError(f"no German in-store layout for prefix {prefix} article {article}")
    if not 0 <= value <= 99999:
        raise ValueError(f"value {value} does not fit 5 digits")
    vvvvv = f"{value:05d}"
    return with_check_digit(f"{prefix:02d}{article:04d}{price_weight_check_digit(vvvvv)}{vvvvv}")


def gtin14(code: str) -> str:
    """A GTIN-8/12/13 zero-padded to the 14 digits the catalog stores."""
    return code.zfill(14)


# --- the demo store -----------------------------------------------------------------------------

# GTIN-13 payload 42C CC 00 IIIII / GTIN-8 payload 40 CC III: C = category number, I = item.
def _ean13(category_no: int, item: int) -> str:
    return with_check_digit(f"420{category_no:02d}00{item:05d}")


def _ean8(category_no: int, item: int) -> str:
    return with_check_digit(f"40{category_no:02d}{item:03d}")


def _tolerance_g(weight_g: int) -> int:
    # 5 % of the pack, at least 10 g: a bagging scale resolves 2-5 g, packs vary by a few %.
    return max(10, round(weight_g * 0.05))


def _packaged(category: str, code: str, category_no: int, vat: int,
              items: Sequence[tuple[str, str, int, int, str]]) -> list[dict[str, Any]]:
    out = []
    for i, (de, en, cents, weight_g, flags) in enumerate(items, start=1):
        tokens = flags.split()
        rec: dict[str, Any] = {
            "sku": f"{code}-{i:03d}",
            "names": {"de": de, "en": en},
            "price_cents": cents,
            "vat_rate": vat,
            "gtin": gtin14(_ean8(category_no, i) if "e8" in tokens else _ean13(category_no, i)),
            "unit": "piece",
            "category": category,
            "expected_weight_g": weight_g,
            "weight_tolerance_g": _tolerance_g(weight_g),
        }
        for token in tokens:
            if token in ("v7", "v19"):
                rec["vat_rate"] = int(token[1:])
            elif token in ("a16", "a18"):
                rec["age_limit"] = int(token[1:])
            elif token in rows.DEPOSIT_FLAGS:
                rec["deposit_sku"] = rows.DEPOSIT_FLAGS[token]
            elif token.startswith("plu"):
                rec["plu"] = token[3:]
            elif token != "e8":
                raise ValueError(f"unknown flag {token!r} on {de!r}")
        out.append(rec)
    return out


def demo() -> dict[str, Any]:
    """The demo store: about 200 products and one promotion of each kind, deterministic."""
    products: list[dict[str, Any]] = [
        {"sku": sku, "names": {"de": de, "en": en}, "price_cents": cents, "vat_rate": 19,
         "unit": "piece", "category": "Pfand", "is_deposit": True}
        for sku, de, en, cents in rows.DEPOSITS
    ]
    for plu, de, en, cents, unit, category in rows.LOOSE:
        products.append({"sku": f"PLU-{plu}", "names": {"de": de, "en": en},
                         "price_cents": cents, "vat_rate": 7, "plu": plu, "unit": unit,
                         "category": category})
    for category_no, (category, (code, vat, items)) in enumerate(rows.PACKAGED.items(), start=1):
        products.extend(_packaged(category, code, category_no, vat, items))
    for prefix, article, de, en, cents, category in rows.COUNTER:
        products.append({"sku": f"THEKE-{prefix}{article:04d}", "names": {"de": de, "en": en},
                         "price_cents": cents, "vat_rate": 7,
                         "gtin": gtin14(instore_code(prefix, article, 0)),
                         "unit": "kg" if prefix in (28, 29) else "piece", "category": category})
    return {"products": products, "promotions": [dict(p) for p in rows.PROMOTIONS]}


def instore_samples() -> list[tuple[str, str, str, int]]:
    """(code, sku, value text, amount cents) for the scannable label codes in docs/catalog.md."""
    by_article = {(p, a): cents for p, a, _de, _en, cents, _cat in rows.COUNTER}
    out = []
    for prefix, article, value in rows.INSTORE_SAMPLES:
        code = instore_code(prefix, article, value)
        sku = f"THEKE-{prefix}{article:04d}"
        if prefix in (28, 29):
            per_kg = by_article[(prefix, article)]
            amount = (per_kg * value * 2 + 1000) // 2000  # half up, as money.price_for_weight
            text = f"{value / 1000:.3f} kg".replace(".", ",")
        else:
            amount, text = value, f"{value / 100:.2f} €".replace(".", ",")
        out.append((code, sku, text, amount))
    return out


# --- synthetic catalogs -------------------------------------------------------------------------

_WORDS_DE = ("Apfel", "Birne", "Kaffee", "Tee", "Nudeln", "Reis", "Käse", "Wurst", "Brot",
             "Saft", "Seife", "Kekse", "Joghurt", "Suppe", "Sauce", "Müsli", "Chips", "Honig")
_WORDS_EN = ("apple", "pear", "coffee", "tea", "pasta", "rice", "cheese", "sausage", "bread",
             "juice", "soap", "biscuits", "yoghurt", "soup", "sauce", "muesli", "crisps", "honey")


def generate(n: int, seed: int) -> dict[str, Any]:
    """An n-product synthetic catalog with unique valid GTINs and PLUs, same seed same output.

    About 2 % loose items with PLUs, 3 % EAN-8, the rest EAN-13; 5 % carry a deposit and 3 % an
    age limit. The deposit products are included (and counted) when n leaves room for them.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    rng = random.Random(seed)
    products: list[dict[str, Any]] = []
    deposits = [d[0] for d in rows.DEPOSITS] if n > 2 * len(rows.DEPOSITS) else []
    for sku, de, en, cents in rows.DEPOSITS if deposits else ():
        products.append({"sku": sku, "names": {"de": de, "en": en}, "price_cents": cents,
                         "vat_rate": 19, "unit": "piece", "category": "Pfand", "is_deposit": True})
    m = n - len(products)
    n_plu, n_ean8 = m * 2 // 100, m * 3 // 100
    plus = iter(rng.sample(range(1000, 100000), n_plu))
    ean8 = iter(rng.sample(range(41 * 10**4), n_ean8))  # GS1-8 prefixes 400-440
    ean13 = iter(rng.sample(range(41 * 10**9), m - n_plu - n_ean8))  # GS1 prefixes 400-440
    categories = [c for c in rows.PACKAGED]
    for i in range(m):
        k = rng.randrange(len(_WORDS_DE))
        rec: dict[str, Any] = {
            "sku": f"SYN-{i:07d}",
            "names": {"de": f"{_WORDS_DE[k]} Nr. {i}", "en": f"{_WORDS_EN[k]} no. {i}"},
            "price_cents": rng.randrange(19, 3000),
            "vat_rate": rng.choice((7, 7, 19)),
            "unit": "piece",
            "category": rng.choice(categories),
        }
        if i < n_plu:
            rec["plu"] = str(next(plus))
            rec["unit"] = rng.choice(("kg", "piece"))
        else:
            if i < n_plu + n_ean8:
                code = with_check_digit(f"{4000000 + next(ean8):07d}")
            else:
                code = with_check_digit(f"{400 * 10**9 + next(ean13):012d}")
            weight_g = rng.randrange(20, 3000)
            rec.update(gtin=gtin14(code), expected_weight_g=weight_g,
                       weight_tolerance_g=_tolerance_g(weight_g))
        roll = rng.random()
        if deposits and roll < 0.05:
            rec["deposit_sku"] = rng.choice(deposits[:3])
            rec["vat_rate"] = 19
        elif roll < 0.08:
            rec["age_limit"] = rng.choice((16, 18))
            rec["vat_rate"] = 19
        products.append(rec)
    return {"products": products, "promotions": []}


# --- output -------------------------------------------------------------------------------------

CSV_COLUMNS = ("sku", "name_de", "name_en", "price_cents", "vat_rate", "gtin", "plu", "unit",
               "age_limit", "deposit_sku", "expected_weight_g", "weight_tolerance_g", "category",
               "is_deposit")


def to_json(catalog: dict[str, Any]) -> str:
    """The catalog as JSON with one product or promotion per line (readable diffs)."""
    def block(items: Iterable[dict[str, Any]]) -> str:
        return ",\n".join("  " + json.dumps(x, ensure_ascii=False) for x in items)

    return ('{"products": [\n' + block(catalog["products"]) + '\n],\n"promotions": [\n'
            + block(catalog["promotions"]) + "\n]}\n")


def to_csv(catalog: dict[str, Any]) -> str:
    """The products as CSV with the columns `product_from_dict` reads (promotions are left out)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for p in catalog["products"]:
        row = {k: v for k, v in p.items() if k != "names"}
        row["name_de"], row["name_en"] = p["names"]["de"], p["names"]["en"]
        if row.get("is_deposit"):
            row["is_deposit"] = "true"
        writer.writerow(row)
    return buf.getvalue()


def _bench() -> None:
    started = time.perf_counter()
    catalog = generate(100_000, seed=1)
    generated = time.perf_counter()
    size = len(to_json(catalog).encode())
    print(json.dumps({"bench": "gen_catalog", "products": len(catalog["products"]),
                      "generate_s": round(generated - started, 3),
                      "to_json_s": round(time.perf_counter() - generated, 3), "json_bytes": size}))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--demo", action="store_true", help="the demo store (JSON)")
    what.add_argument("-n", type=int, help="number of synthetic products")
    what.add_argument("--instore-samples", action="store_true",
                      help="print the demo's scannable in-store label codes as a Markdown table")
    parser.add_argument("--seed", type=int, default=1, help="random seed for -n (default 1)")
    parser.add_argument("--format", choices=("json", "csv"), default="json")
    parser.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    args = parser.parse_args(argv)
    if args.instore_samples:
        print("| Code | Product (sku) | Label value | Amount |\n|---|---|---|---|")
        for code, sku, text, amount in instore_samples():
            euros = f"{amount // 100},{amount % 100:02d} €"
            print(f"| `{code}` | {sku} | {text} | {euros} |")
        return 0
    if not args.demo and args.n is None:
        _bench()
        return 0
    if args.n is not None and args.n < 1:
        parser.error(f"-n must be at least 1, got {args.n}")
    catalog = demo() if args.demo else generate(args.n, args.seed)
    text = to_csv(catalog) if args.format == "csv" else to_json(catalog)
    if args.output is None:
        sys.stdout.write(text)
    else:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

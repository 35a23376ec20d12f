"""Catalog benchmark: import 100,000 products (JSON and CSV) and look products up.

    .venv/bin/python bench/catalog.py [-n 100000] [--seed 1] [--lookups 20000] [--dir DIR]

Generates the catalog with `bench/gen_catalog.generate`, writes it as JSON and CSV into a
temporary folder (or DIR, to measure another disk), imports each into a fresh journal through
`CatalogStore.import_file` (parse, validate, one transaction), then times single lookups by GTIN
and by PLU against the store, beside the same lookups in a plain dict (the floor for any
in-process catalog). Prints readable lines, then the figures as one JSON object on the last line.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# gen_catalog is a sibling script, not a package module.
sys.path.insert(0, str(Path(__file__).resolve().parent))

import gen_catalog

from kiosk.domain.catalog import Product, product_from_dict
from kiosk.journal.catalog import CatalogStore
from kiosk.journal.catalog_import import read_catalog_file
from kiosk.journal.db import open_db


def percentile_us(samples_ns: Sequence[int], pct: float) -> float:
    ordered = sorted(samples_ns)
    index = min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))
    return ordered[index] / 1000


def time_lookups(lookup: Callable[[str], Any], keys: Sequence[str]) -> dict[str, float]:
    """p50/p99/mean of single calls, in microseconds; every key must be found."""
    for key in keys[:200]:  # warm caches and the statement cache
        lookup(key)
    samples: list[int] = []
    clock = time.perf_counter_ns
    for key in keys:
        start = clock()
        found = lookup(key)
        samples.append(clock() - start)
        if found is None:
            raise SystemExit(f"lookup of {key!r} found nothing: the benchmark is broken")
    return {"p50_us": round(percentile_us(samples, 50), 2),
            "p99_us": round(percentile_us(samples, 99), 2),
            "mean_us": round(statistics.fmean(samples) / 1000, 2)}


def import_seconds(folder: Path, name: str, source: Path) -> tuple[float, CatalogStore]:
    db = open_db(folder / f"{name}.db")
    store = CatalogStore(db)
    started = time.perf_counter()
    report = store.import_file(source)
    elapsed = time.perf_counter() - started
    print(f"import {source.suffix[1:]:<4} {report.products} products in {elapsed:.2f} s")
    return elapsed, store


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100_000, help="products (default 100000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--lookups", type=int, default=20_000, help="timed lookups per kind")
    parser.add_argument("--dir", type=Path, help="folder for the files (default: a temp folder)")
    args = parser.parse_args(argv)

    catalog = gen_catalog.generate(args.n, args.seed)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = Path(tmp)
        json_path, csv_path = folder / "catalog.json", folder / "catalog.csv"
        json_path.write_text(gen_catalog.to_json(catalog), encoding="utf-8")
        csv_path.write_text(gen_catalog.to_csv(catalog), encoding="utf-8")
        json_s, store = import_seconds(folder, "json", json_path)
        csv_s, _ = import_seconds(folder, "csv", csv_path)
        parse_started = time.perf_counter()
        read_catalog_file(json_path)  # parse and validate only: the rest of an import is SQLite
        parse_s = time.perf_counter() - parse_started
        print(f"parse+validate json alone {parse_s:.2f} s")
        reimport_started = time.perf_counter()
        store.import_file(json_path)  # replacing a full catalog: delete + insert in one step
        reimport_s = time.perf_counter() - reimport_started
        print(f"re-import json over a full catalog in {reimport_s:.2f} s")

        products = [product_from_dict(p) for p in catalog["products"]]
        rng = random.Random(args.seed)
        gtins = [p.gtin for p in products if p.gtin]
        plus = [p.plu for p in products if p.plu]
        gtin_keys = [rng.choice(gtins) for _ in range(args.lookups)]
        plu_keys = [rng.choice(plus) for _ in range(args.lookups)]
        by_gtin: dict[str, Product] = {p.gtin: p for p in products if p.gtin}
        by_plu: dict[str, Product] = {p.plu: p for p in products if p.plu}
        figures = {
            "store_gtin": time_lookups(store.by_gtin, gtin_keys),
            "store_plu": time_lookups(store.by_plu, plu_keys),
            "dict_gtin": time_lookups(by_gtin.get, gtin_keys),
            "dict_plu": time_lookups(by_plu.get, plu_keys),
        }
        store.db.close()
    for name, f in figures.items():
        print(f"lookup {name:<10} p50 {f['p50_us']:7.2f} us  p99 {f['p99_us']:7.2f} us")
    result = {
        "bench": "catalog", "products": len(products), "gtins": len(gtins), "plus": len(plus),
        "import_json_s": round(json_s, 2), "import_csv_s": round(csv_s, 2),
        "parse_validate_json_s": round(parse_s, 2), "reimport_json_s": round(reimport_s, 2),
        "lookups": args.lookups, **figures,
        "gtin_p99_ratio_vs_dict": round(
            figures["store_gtin"]["p99_us"] / max(figures["dict_gtin"]["p99_us"], 0.01), 1),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

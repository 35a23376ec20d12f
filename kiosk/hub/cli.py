"""`kiosk hub ...`: run the store hub, make enrolment codes, publish a catalog, export sales.

    kiosk hub [--listen 127.0.0.1:8080] [--db PATH|URL]   serve the API (default)
    kiosk hub enrol-code --device ID [--valid-h 24]       print a one-time enrolment code
    kiosk hub catalog import FILE                          publish a CSV/JSON catalog
    kiosk hub export --from DATE --to DATE [--out FILE]   sales as CSV (UTC dates, inclusive)
    kiosk hub report NAME --from DATE --to DATE [--format text|csv|json]   a manager's report
    kiosk hub manager-token                                print a token that opens the reports
    kiosk hub attendant add|list|disable ...               console logins (PIN from stdin)
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from aiohttp import web

from kiosk.hub import console_cli, reports_cli
from kiosk.hub.app import make_app
from kiosk.hub.catalog import publish
from kiosk.hub.errors import BadRequest
from kiosk.hub.store import HubStore

DEFAULT_DB = Path("var/hub.sqlite")
# kiosk.journal.catalog_import.read_catalog_file: handed in by kiosk/cli.py, because the hub
# package may not import the lane's journal (tests/test_layout.py).
CatalogReader = Callable[[Path], Any]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kiosk hub", description="The store hub: receives every "
                                "lane's sales exactly once and publishes the catalog.")
    # A str, not a Path: Path would fold the '//' of a postgresql:// URL.
    p.add_argument("--db", default=str(DEFAULT_DB), metavar="PATH|URL", help=f"hub database: "
                   f"a SQLite file (default {DEFAULT_DB}, made on first use) or a "
                   "postgresql://user@host:port/dbname URL (password from PGPASSWORD or "
                   "~/.pgpass)")
    p.add_argument("--store-id", default="store-1", help="this store's id, written when the "
                   "database is made")
    p.add_argument("--listen", default="127.0.0.1:8080", metavar="HOST:PORT",
                   help="where to serve the API (default 127.0.0.1:8080; port 0: any free one)")
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    code = sub.add_parser("enrol-code", help="print a one-time code a lane enrols with")
    code.add_argument("--device", required=True, help="the lane's device id, e.g. lane-3")
    code.add_argument("--valid-h", type=float, default=24.0, help="hours it stays valid")
    cat = sub.add_parser("catalog", help="publish the catalog to the lanes")
    cat_sub = cat.add_subparsers(dest="catalog_action", metavar="ACTION", required=True)
    imp = cat_sub.add_parser("import", help="publish a CSV or JSON catalog file (see "
                             "docs/catalog.md); a bad file changes nothing")
    imp.add_argument("file", type=Path)
    exp = sub.add_parser("export", help="write the sales of a date range as CSV")
    exp.add_argument("--from", dest="first", type=date.fromisoformat, required=True,
                     metavar="YYYY-MM-DD", help="first day (UTC), inclusive")
    exp.add_argument("--to", dest="last", type=date.fromisoformat, required=True,
                     metavar="YYYY-MM-DD", help="last day (UTC), inclusive")
    exp.add_argument("--out", type=Path, default=None, help="CSV file (default: stdout)")
    reports_cli.add_parsers(sub)
    console_cli.add_parsers(sub)
    return p


def run_hub(argv: Sequence[str], *, read_catalog: CatalogReader | None = None) -> int:
    """Run `kiosk hub` with `argv` (the words after "hub"); returns the exit status.

    Raises KioskError (one plain sentence) for a bad database, file or value.
    """
    args = _parser().parse_args(list(argv))
    if args.action is None:
        host, port = _listen(args.listen)
        return asyncio.run(serve(args.db, host, port, store_id=args.store_id))
    with HubStore.open(args.db, store_id=args.store_id) as store:
        done = reports_cli.run(store, args)
        if done is None:
            done = console_cli.run(store, args)
        if done is not None:
            return done
        if args.action == "enrol-code":
            print(store.create_enrol_code(args.device, valid_h=args.valid_h))
            return 0
        if args.action == "export":
            text = store.export_csv(args.first, args.last)
            if args.out is None:
                sys.stdout.write(text)
            else:
                args.out.write_text(text, encoding="utf-8")
            return 0
        return _import_catalog(store, args.file, read_catalog)


def _import_catalog(store: HubStore, path: Path, read_catalog: CatalogReader | None) -> int:
    if read_catalog is None:
        from kiosk.errors import CatalogError

        raise CatalogError("no catalog reader was given; run this as `kiosk hub catalog import`")
    parsed = read_catalog(path)
    if parsed.errors:
        print(f"kiosk hub: catalog file {parsed.source} has {len(parsed.errors)} problem(s); "
              "nothing was published:\n  " + "\n  ".join(parsed.errors[:50]), file=sys.stderr)
        return 1
    version = store.run(publish, store, parsed.products, parsed.promotions,
                        source=parsed.source)
    print(f"catalog version {version}: {len(parsed.products)} products from {parsed.source}")
    return 0


def _listen(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) > 65535:
        raise BadRequest(f"--listen {text!r} must look like 127.0.0.1:8080")
    return host.strip("[]"), int(port)


async def serve(db: str | Path, host: str, port: int, *, store_id: str = "store-1",
                ready: Callable[[int], None] | None = None) -> int:
    """Serve the hub until SIGINT/SIGTERM; prints (or hands `ready`) the bound port."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    with HubStore.open(db, store_id=store_id) as store:
        runner = web.AppRunner(make_app(store))
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, port)
            await site.start()
            bound = runner.addresses[0][1]
            print(f"hub {store.store_id} listening on http://{host}:{bound}", flush=True)
            if ready is not None:
                ready(bound)
            await stop.wait()
        finally:
            await runner.cleanup()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
    return 0


"""`kiosk hub report NAME --from DAY --to DAY [--format text|csv|json]` and
`kiosk hub manager-token`: the reports read straight from the hub's database.

Text is a readable table per section (amounts in euros, weights in grams, shares in percent,
times in the store's time zone); CSV writes each table with its title on a line of its own and
a blank line between tables; JSON is what `GET /api/v1/reports/{name}` answers.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
from datetime import datetime
from typing import Any

from kiosk.hub.managers import create_manager_token
from kiosk.hub.reports import REPORTS, build_report, parse_day
from kiosk.hub.reports_common import STORE_TZ, Report
from kiosk.hub.store import HubStore

FORMATS = ("text", "csv", "json")


def add_parsers(sub: Any) -> None:
    """Add the `report` and `manager-token` actions to `kiosk hub`'s subparsers `sub`."""
    rep = sub.add_parser("report", help="print a store manager's report for a date range")
    rep.add_argument("name", choices=list(REPORTS), help="which report")
    rep.add_argument("--from", dest="first", required=True, metavar="YYYY-MM-DD",
                     help="first day (UTC), inclusive")
    rep.add_argument("--to", dest="last", required=True, metavar="YYYY-MM-DD",
                     help="last day (UTC), inclusive; at most 31 days in all")
    rep.add_argument("--format", choices=FORMATS, default="text", help="default: text")
    sub.add_parser("manager-token", help="print a new token that opens the reports (GET "
                   "/reports); only its SHA-256 is stored, so keep it safe")


def run(store: HubStore, args: argparse.Namespace) -> int | None:
    """Run `report` or `manager-token` and print; None when `args` is another action."""
    if args.action == "manager-token":
        print(create_manager_token(store))
        return 0
    if args.action != "report":
        return None
    first, last = parse_day(args.first, "--from"), parse_day(args.last, "--to")
    report = build_report(store, args.name, first, last)
    if args.format == "json":
        print(json.dumps(report, ensure_ascii=False, indent=2))
    elif args.format == "csv":
        print(as_csv(report), end="")
    else:
        print(as_text(report), end="")
    return 0


def cell(value: Any, unit: str) -> str:
    """One value as a manager reads it: 12,34 €, 1.234 g, 75 %, 4.5 s, 3 min ago."""
    if value is None:
        return "never" if unit == "ago" else "–"
    if unit == "cents":
        euros, cents = divmod(abs(int(value)), 100)
        return f"{'-' if value < 0 else ''}{euros:,}".replace(",", ".") + f",{cents:02d} €"
    if unit in ("g", "pcs"):
        return f"{int(value):,}".replace(",", ".") + (" g" if unit == "g" else "")
    if unit == "share":
        return f"{value * 100:.0f} %" if value * 100 == round(value * 100) else \
            f"{value * 100:.1f} %"
    if unit == "s":
        return f"{value} s"
    if unit == "time":
        return datetime.fromisoformat(str(value)).astimezone(STORE_TZ).strftime(
            "%Y-%m-%d %H:%M:%S")
    if unit == "ago":
        return ago(int(value))
    return str(value)


def ago(seconds: int) -> str:
    """`seconds` as "45 s ago", "3 min ago", "5 h ago" or "9 days ago"."""
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 2 * 3600:
        return f"{round(seconds / 60)} min ago"
    if seconds < 2 * 86400:
        return f"{round(seconds / 3600)} h ago"
    return f"{round(seconds / 86400)} days ago"


def as_text(report: Report) -> str:
    """The report as aligned text tables with its notes and summary."""
    out = [f"{report['title']}: {report['from']} to {report['to']} (UTC days; times in "
           f"{report['timezone']})"]
    out += [f"  {note}" for note in report["notes"]]
    out.append("  " + ", ".join(f"{k}: {v}" for k, v in report["summary"].items()))
    if report["skipped_payloads"]:
        out.append(f"  {report['skipped_payloads']} stored sale(s) could not be read and are "
                   "left out.")
    for table in report["tables"]:
        cols = table["columns"]
        grid = [[c["label"] for c in cols]] + [
            [cell(row[c["key"]], c["unit"]) for c in cols] for row in table["rows"]]
        widths = [max(len(r[i]) for r in grid) for i in range(len(cols))]
        out += ["", table["title"]]
        for n, r in enumerate(grid):
            out.append("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
            if n == 0:
                out.append("  ".join("-" * w for w in widths))
        if not table["rows"]:
            out.append("(no sales in this range)")
    return "\n".join(out) + "\n"


def as_csv(report: Report) -> str:
    """Each table as CSV (raw values: cents, grams, seconds, shares 0-1), titled, blank line
    between."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for n, table in enumerate(report["tables"]):
        if n:
            writer.writerow([])
        writer.writerow([table["title"]])
        keys = [c["key"] for c in table["columns"]]
        writer.writerow(keys)
        writer.writerows([row[k] for k in keys] for row in table["rows"])
    return buffer.getvalue()

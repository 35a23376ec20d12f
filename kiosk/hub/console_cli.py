"""`kiosk hub attendant add|list|disable`: the people who may log in to the console.

    kiosk hub attendant add --id 1001 --name Anna --role attendant [--pin-stdin] [--badge]
    kiosk hub attendant list
    kiosk hub attendant disable 1001

The PIN is never an argument (it would land in the shell history and the process list): it is
asked twice on a terminal, else read as the first line of stdin (`--pin-stdin` forces that).
`--badge` also reads the badge code, the same way, after the PIN.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from kiosk.hub.console_auth import add_attendant, disable_attendant, list_attendants
from kiosk.hub.errors import BadRequest
from kiosk.hub.store import HubStore


def add_parsers(sub: Any) -> None:
    """Add the `attendant` action to `kiosk hub`'s subparsers `sub`."""
    att = sub.add_parser("attendant", help="add, list or disable console attendants")
    att_sub = att.add_subparsers(dest="attendant_action", metavar="ACTION", required=True)
    add = att_sub.add_parser("add", help="add an attendant; the PIN is read from stdin")
    add.add_argument("--id", dest="attendant_id", required=True, help="e.g. 1001")
    add.add_argument("--name", required=True, help="the name the console shows, e.g. Anna")
    add.add_argument("--role", choices=("attendant", "supervisor"), default="attendant")
    add.add_argument("--pin-stdin", action="store_true", help="read the PIN as one line of "
                     "stdin even on a terminal")
    add.add_argument("--badge", action="store_true", help="also read a badge code (after "
                     "the PIN)")
    att_sub.add_parser("list", help="list the attendants (never their PINs)")
    dis = att_sub.add_parser("disable", help="disable an attendant and end their sessions")
    dis.add_argument("attendant_id", metavar="ID")


def _secret(what: str, from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        line = sys.stdin.readline()
        if not line:
            raise BadRequest(f"no {what} on stdin; give it as one line")
        return line.rstrip("\r\n")
    first = getpass.getpass(f"{what}: ")
    if getpass.getpass(f"{what} again: ") != first:
        raise BadRequest(f"the two {what}s differ; nothing was stored, try again")
    return first


def run(store: HubStore, args: argparse.Namespace) -> int | None:
    """Run `attendant ...` and print; None when `args` is another action."""
    if args.action != "attendant":
        return None
    if args.attendant_action == "list":
        for a in list_attendants(store):
            state = "active" if a["active"] else "disabled"
            badge = ", badge" if a["has_badge"] else ""
            print(f"{a['id']}\t{a['name']}\t{a['role']}\t{state}{badge}")
        return 0
    if args.attendant_action == "disable":
        if not store.run(disable_attendant, store, args.attendant_id):
            print(f"kiosk hub: there is no attendant {args.attendant_id!r}; see `kiosk hub "
                  "attendant list`", file=sys.stderr)
            return 1
        print(f"attendant {args.attendant_id} disabled; their sessions ended")
        return 0
    pin = _secret("PIN", args.pin_stdin)
    code = _secret("badge code", args.pin_stdin) if args.badge else None
    store.run(add_attendant, store, args.attendant_id, args.name, args.role, pin, code)
    print(f"attendant {args.attendant_id} ({args.name}, {args.role}) added")
    return 0

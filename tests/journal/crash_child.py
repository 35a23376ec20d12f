"""Child process of the crash test: runs a scripted lane through DurableCheckout until killed.

    python crash_child.py JOURNAL.db SCRIPT.json

SCRIPT.json holds {"steps": [command dicts], "cum_facts": [facts journaled after 0, 1, ... steps],
"refused": [steps that raise by design, e.g. a wrong PIN, whose facts are still journaled]}.
The child finds where to resume from what the journal says (its fact count must fall exactly on
a step boundary, else a step was torn), restores the lane, prints "ready K", then runs steps K..
printing "ack I" after each step is durable, and "done" at the end. Exit 3 means a torn step.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# The child runs as a plain script, so its sibling helper is imported by path, not package.
sys.path.insert(0, str(Path(__file__).resolve().parent))

import lane

from kiosk.errors import KioskError
from kiosk.journal import basket_log
from kiosk.journal.db import open_db
from kiosk.journal.durable import DurableCheckout


def main(journal: str, script_path: str) -> int:
    script = json.loads(Path(script_path).read_text(encoding="utf-8"))
    steps, cum_facts = script["steps"], script["cum_facts"]
    refused = set(script["refused"])
    db = open_db(journal)
    count = basket_log.fact_count(db, lane.LANE_ID)
    if count not in cum_facts:
        print(f"torn {count}", flush=True)
        return 3
    start = cum_facts.index(count)
    durable = DurableCheckout.restore(db, lane.LANE_ID, lane.POLICY, lane.attendants())
    shop = lane.catalog()
    out = sys.stdout
    out.write(f"ready {start}\n")
    out.flush()
    for i in range(start, len(steps)):
        command = lane.command_from_dict(steps[i])
        try:
            durable.handle(command, lane.context(i, shop))
        except KioskError:
            if i not in refused:
                raise
        out.write(f"ack {i}\n")
        out.flush()
    out.write("done\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))

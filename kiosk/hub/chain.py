"""The lane's sale hash chain, as documented in kiosk/journal/sales.py, written out here.

The hub checks what lanes send; it recomputes the formula on its own rather than importing the
lane's journal, so the hub depends only on the documented wire format (and a lane bug in the
formula is caught by the hub's tests, which build sales with the lane's own journal).

    hash = sha256_hex(prev_hash + "\\n" + payload + "\\n" + str(seq) + "\\n" + sale_id)
"""

from __future__ import annotations

import hashlib

GENESIS_HASH = "0" * 64


def sale_hash(prev_hash: str, payload: str, seq: int, sale_id: str) -> str:
    """The chain hash of one sale, 64 lowercase hex digits."""
    text = "\n".join((prev_hash, payload, str(seq), sale_id))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()

"""One scan per item when several readers see the same label.

A lane may have a serial scanner, a keyboard-wedge scanner and a camera. Held over the glass, one
label can reach two of them; it must count once. But the SAME reader reading the same code twice
is a shopper scanning two yoghurts, and must count twice, unless the repeat is faster than a
scanner's own double-read guard (a bounce).

Rule: each accepted scan can absorb at most one read of the same code from each OTHER source
within `window_s`. So serial+wedge reading yoghurt #1 counts once, and serial+wedge reading
yoghurt #2 a second later counts once more, in whatever order the sources report.
Pure: the caller passes the time (`at_s`, monotonic seconds).
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_WINDOW_S = 1.5
DEFAULT_BOUNCE_S = 0.15


@dataclass(slots=True)
class _Accepted:
    at_s: float
    seen_by: set[str] = field(default_factory=set)  # sources this scan already absorbed


class ScanDeduplicator:
    """Decides whether a read is a new item (`accept` -> True) or an echo of one (False)."""

    def __init__(self, window_s: float = DEFAULT_WINDOW_S,
                 bounce_s: float = DEFAULT_BOUNCE_S) -> None:
        if window_s < 0 or bounce_s < 0:
            raise ValueError(
                f"window_s ({window_s}) and bounce_s ({bounce_s}) must not be negative")
        self.window_s = window_s
        self.bounce_s = bounce_s
        self._accepted: dict[str, list[_Accepted]] = {}
        self._last_read_s: dict[tuple[str, str], float] = {}

    def accept(self, text: str, source: str, at_s: float) -> bool:
        """True when this read of `text` from `source` at `at_s` is a new item."""
        self._forget_before(at_s)
        key = (text, source)
        last_s = self._last_read_s.get(key)
        self._last_read_s[key] = at_s
        if last_s is not None and at_s - last_s < self.bounce_s:
            return False  # the reader repeated itself faster than anyone can rescan
        scans = self._accepted.setdefault(text, [])
        for scan in scans:  # oldest first: an echo belongs to the earliest unmatched scan
            if source not in scan.seen_by:
                scan.seen_by.add(source)
                return False
        scans.append(_Accepted(at_s, {source}))
        return True

    def _forget_before(self, now_s: float) -> None:
        horizon_s = now_s - self.window_s
        for text in list(self._accepted):
            kept = [scan for scan in self._accepted[text] if scan.at_s >= horizon_s]
            if kept:
                self._accepted[text] = kept
            else:
                del self._accepted[text]
        bounce_horizon_s = now_s - max(self.window_s, self.bounce_s)
        for key in [k for k, t in self._last_read_s.items() if t < bounce_horizon_s]:
            del self._last_read_s[key]

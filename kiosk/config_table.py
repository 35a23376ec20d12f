"""The typed reader under kiosk/config.py: one TOML table at a time, each getter checking its
value and naming `path.key` in every error, unknown keys refused with a "did you mean"."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from kiosk.errors import ConfigError

ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def clip(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def suggest(key: str, known: Sequence[str], prefix: str = "") -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    close = close or [k for k in known if k.startswith(key) or key.startswith(k)][:1]
    return f"; did you mean {prefix + close[0]!r}" if close else ""


class Table:
    """One TOML table being read: typed getters that name `path.key` in every error."""

    def __init__(self, data: Any, path: str, known: Mapping[str, Sequence[str]]) -> None:
        if not isinstance(data, Mapping):
            raise ConfigError(f"{path}: expected a table like [{path}], got {clip(repr(data))}")
        self.data, self.path = data, path
        self.schema = re.sub(r"\[\d+\]$", "", path)
        self.known = known  # table path ("" for the top, "policy", ...) -> its keys

    def name(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str, default: Any) -> Any:
        return self.data.get(key, default)

    def finish(self) -> None:
        """Refuse keys this table does not know, suggesting the closest known one."""
        known = self.known.get(self.schema, ())
        for key in self.data:
            if key not in known:
                hint = suggest(key, known, f"{self.path}." if self.path else "")
                raise ConfigError(f"unknown key {self.name(key)!r}{hint}; known keys here: "
                                  f"{', '.join(known)}")

    def table(self, key: str) -> Table:
        return Table(self.data.get(key, {}), self.name(key), self.known)

    def raw_table(self, key: str) -> dict[str, Any]:
        value = self.data.get(key, {})
        if not isinstance(value, Mapping):
            raise ConfigError(f"{self.name(key)}: expected a table like [{self.name(key)}], "
                              f"got {value!r}")
        return dict(value)

    def _required(self, key: str, default: Any) -> Any:
        if key not in self.data and default is None:
            raise ConfigError(f"{self.name(key)}: missing; every entry needs it")
        return self.data.get(key, default)

    def text(self, key: str, default: str | None, *, allow_empty: bool = False) -> str:
        value = self._required(key, default)
        if not isinstance(value, str) or (not allow_empty and not value.strip()):
            raise ConfigError(f"{self.name(key)}: expected non-empty text in quotes, "
                              f"got {value!r}")
        return value

    def ident(self, key: str, default: str) -> str:
        value = self.text(key, default)
        if not ID.fullmatch(value):
            raise ConfigError(f"{self.name(key)}: expected 1 to 64 letters, digits, '.', '_' "
                              f"or '-' (no spaces), got {value!r}")
        return value

    def flag(self, key: str, default: bool) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise ConfigError(f"{self.name(key)}: expected true or false, got {value!r}")
        return value

    def whole(self, key: str, default: int, low: int) -> int:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ConfigError(f"{self.name(key)}: must be a whole number >= {low}, "
                              f"got {value!r}")
        return value

    def choice(self, key: str, default: str | None, allowed: Sequence[str], what: str) -> str:
        value = self._required(key, default)
        if value not in allowed:
            only = "only " if len(allowed) == 1 else ""
            raise ConfigError(f"{self.name(key)}: {only}{' or '.join(map(repr, allowed))} "
                              f"{what}, got {value!r}")
        return str(value)

    def str_list(self, key: str, default: tuple[str, ...], allowed: Sequence[str], *,
                 allow_empty: bool = False) -> tuple[str, ...]:
        value = self.data.get(key, list(default))
        ok = (isinstance(value, list) and (allow_empty or value)
              and all(v in allowed for v in value) and len(set(value)) == len(value))
        if not ok:
            raise ConfigError(f"{self.name(key)}: expected a list of distinct values from "
                              f"{list(allowed)}, got {value!r}")
        return tuple(value)

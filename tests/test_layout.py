"""The tree keeps the design's shape: imports point inward, the domain stays pure."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# package -> packages of ours it may import (besides itself and kiosk.errors)
ALLOWED = {
    "kiosk.domain": set(),
    "kiosk.journal": {"kiosk.domain"},
    "kiosk.ui": {"kiosk.domain"},
    "kiosk.lane": {"kiosk.domain"},
    "kiosk.sync": {"kiosk.domain"},
    "kiosk.hub": {"kiosk.domain"},
    "hardware": set(),
}
# What a pure domain module must never import: I/O, clocks, UI, databases, event loops.
IMPURE = {"sqlite3", "sqlite_utils", "kivy", "asyncio", "socket", "serial", "os", "subprocess",
          "threading", "time", "random", "uuid", "pathlib", "logging", "aiohttp", "gpiozero"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package.replace(".", "/")).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_packages_import_only_inward(package: str) -> None:
    ours = ("kiosk", "hardware")
    allowed = {package, "kiosk.errors", *ALLOWED[package]}
    if package == "hardware":
        allowed = {"hardware"}
    bad = []
    for path in _modules(package):
        for name in _imports(path):
            if name.split(".")[0] not in ours:
                continue
            if not any(name == a or name.startswith(a + ".") for a in allowed):
                bad.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not bad, "imports against the design's direction:\n" + "\n".join(bad)


def test_domain_does_no_io() -> None:
    bad = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _modules("kiosk.domain")
        for name in _imports(path)
        if name.split(".")[0] in IMPURE
    ]
    assert not bad, "kiosk/domain must stay pure:\n" + "\n".join(bad)


def test_every_design_room_exists() -> None:
    for room in ("kiosk/domain", "kiosk/journal", "kiosk/ui", "kiosk/lane", "kiosk/sync",
                 "kiosk/hub", "hardware/sim", "provisioning", "systemd", "tests", "bench",
                 "docs", ".ci/run", "Makefile", "pyproject.toml", "README.md"):
        assert (ROOT / room).exists(), f"{room} is missing from the tree"

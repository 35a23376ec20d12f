"""Shared by the update tests: the repository's RAUC files, and tools that may be missing.

A missing tool skips its tests with the line that installs it; in CI (CI=true) that is a
failure, because CI must build and check a bundle (the Makefile's test-only packages bring them).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RAUC_DIR = ROOT / "provisioning" / "rauc"
INSTALL_LINE = ("sudo apt-get install -y rauc squashfs-tools e2fsprogs dosfstools mtools openssl "
                "shellcheck")


def need_tools(*tools: str) -> None:
    """Skip (fail in CI) unless every tool is on PATH."""
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if not missing:
        return
    reason = f"{', '.join(missing)} not installed. Run: {INSTALL_LINE}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the update tests, but {reason}")
    pytest.skip(reason)

"""The console page in a real browser: Debian's Chromium driven by Playwright (its own browser
downloads cannot run here, so it launches /usr/bin/chromium), against a real hub on 127.0.0.1.

Without Chromium or the playwright package the tests are skipped with the line that installs
them, except in CI (CI=true), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.console.harness import PIN, ConsoleHub, OpenPage

CHROMIUM = "/usr/bin/chromium"
# No network but loopback here: without these, Chromium keeps reaching for Google's services.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


def _missing() -> str | None:
    if not (Path(CHROMIUM).is_file() or shutil.which("chromium")):
        return "Chromium is not installed. Run: sudo apt-get install -y chromium"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed. Run: .venv/bin/pip install -e '.[test]'"
    return None


# Module scope, not session: Playwright's sync API keeps its asyncio loop registered as the
# main thread's running loop while it is started, so every later test's asyncio.run() would fail
# ("cannot be called from a running event loop"). Stopping it after each module frees the thread.
@pytest.fixture(scope="module")
def playwright_driver() -> Iterator[Any]:
    reason = _missing()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the console browser tests, but: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[ConsoleHub]:
    """A hub with attendant 1001 Anna (attendant) and 2001 Sven (supervisor), PIN 4711."""
    with ConsoleHub(tmp_path) as running:
        running.add_attendant("1001", "Anna", "attendant", PIN)
        running.add_attendant("2001", "Sven", "supervisor", PIN)
        yield running



@pytest.fixture
def open_console(playwright_driver: Any, hub: ConsoleHub, tmp_path: Path) -> Iterator[OpenPage]:
    """`open_console(width=1280, height=900)` -> a Playwright page on the hub's /console, in a
    fresh browser profile (German, Berlin time)."""
    contexts: list[Any] = []

    def open_page(width: int = 1280, height: int = 900, **options: Any) -> Any:
        context = playwright_driver.chromium.launch_persistent_context(
            str(tmp_path / f"profile-{len(contexts)}"), executable_path=CHROMIUM,
            headless=True, args=CHROMIUM_FLAGS, viewport={"width": width, "height": height},
            locale="de-DE", timezone_id="Europe/Berlin", **options)
        contexts.append(context)
        page = context.pages[0] if context.pages else context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        # A blocked inline style or script shows only as a console error: count those too.
        page.on("console", lambda m: errors.append(m.text) if m.type == "error"
                and "Content Security Policy" in m.text else None)
        page.js_errors = errors
        page.goto(hub.url + "/console")
        return page

    yield open_page
    for context in contexts:
        context.close()

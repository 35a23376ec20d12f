"""The browser part of bench/console_approve.py: the same approve, clicked on the real page.

Debian's Chromium (/usr/bin/chromium; Playwright's own browser download is never used) driven
by Playwright's async API, like tests/console: a fresh profile, German, Berlin time; the
attendant logs in on the page (staff number + PIN). Each sample: a lane not used before in
this set raises the age check, the page shows the card's "Alter bestätigt" button, the
attendant reads it for `think_s`, Playwright clicks it. Timed from just before the click
(so Playwright's own checks and the CDP hop count against the console, not for it):
- click -> lane resumed (the lane process's "resumed" moment, as in the main samples);
- click -> the tile says "Alter bestätigt: erledigt" (polled on every animation frame);
and the same two from the page's own click event (a capturing listener added by an init
script records performance.timeOrigin + now(); epoch turned into monotonic time by reading
both clocks), which leaves out Playwright's actionability checks before the click
(`playwright_click_overhead`).

`missing()` says why this cannot run here ("" when it can).
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
DONE_TEXT = "Alter bestätigt: erledigt"
WAIT_MS = 10_000
# The page's own moment of each click (epoch ms, sub-ms), read back after the sample.
_MARK_CLICKS = ("document.addEventListener('click', () => { window.__clickAt = "
                "performance.timeOrigin + performance.now(); }, true);")
_SAYS_DONE = ("([tile, text]) => document.querySelector(tile + ' .tile-result')"
              "?.textContent === text")

# ask(lane, op) -> the lane process's answer; resumed(iid) -> its monotonic "resumed" time.
Ask = Callable[[str, str], Awaitable[dict[str, Any]]]
Resumed = Callable[[str, str], Awaitable[float]]


def missing() -> str:
    if not (Path(CHROMIUM).is_file() or shutil.which("chromium")):
        return "Chromium is not installed (sudo apt-get install -y chromium)"
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (.venv/bin/pip install -e '.[test]')"
    return ""


async def browser_samples(hub_url: str, profile: Path, pin: str, lanes: Sequence[str],
                          ask: Ask, resumed: Resumed, think_s: float,
                          ) -> dict[str, list[float]]:
    """One click per lane of `lanes` on the console page; the two timings in ms."""
    from playwright.async_api import async_playwright

    out: dict[str, list[float]] = {key: [] for key in (
        "lane_resumed", "page_says_done", "event_to_lane_resumed", "event_to_page_says_done",
        "playwright_click_overhead")}
    async with async_playwright() as driver:
        context = await driver.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1920, "height": 1080}, locale="de-DE",
            timezone_id="Europe/Berlin")
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            await page.add_init_script(_MARK_CLICKS)
            await page.goto(hub_url + "/console")
            await page.fill("#attendant-id", "1001")
            await page.fill("#pin", pin)
            await page.click("#pin-form button[type=submit]")
            for name in lanes:
                iid = (await ask(name, "raise"))["iid"]
                tile = f"#lane-{name}"
                button = page.locator(f"{tile} .iv-card").get_by_role(
                    "button", name="Alter bestätigt")
                await button.wait_for(state="visible", timeout=WAIT_MS)
                await asyncio.sleep(think_s)
                click = time.monotonic()
                await button.click(timeout=WAIT_MS)
                lane_at = await resumed(name, iid)
                await page.wait_for_function(_SAYS_DONE, arg=[tile, DONE_TEXT],
                                             polling="raf", timeout=WAIT_MS)
                done = time.monotonic()
                # epoch -> monotonic: both clocks read together now (no slew within a run).
                offset_s = time.time() - time.monotonic()
                event = float(await page.evaluate("window.__clickAt")) / 1000 - offset_s
                out["page_says_done"].append((done - click) * 1000)
                out["lane_resumed"].append((lane_at - click) * 1000)
                out["event_to_lane_resumed"].append((lane_at - event) * 1000)
                out["event_to_page_says_done"].append((done - event) * 1000)
                out["playwright_click_overhead"].append((event - click) * 1000)
                await ask(name, "reset")
        finally:
            await context.close()
    return out

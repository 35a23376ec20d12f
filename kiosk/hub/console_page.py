"""GET /console and /console/static/*: the attendant console's page and its files.

The files live in kiosk/hub/console/ (package data). The page holds no secrets; it is sent with
a strict Content-Security-Policy (only the hub's own scripts, styles and connections, no
framing) and never cached, so a new hub version is picked up on reload.
"""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp import web

from kiosk.hub.console_api import refuse

CONSOLE_DIR = Path(__file__).parent / "console"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
       "img-src 'self' data:; media-src 'self' data:; frame-ancestors 'none'")
_SECURITY = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff",
             "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"}
# Only plain file names of the kinds the page uses: no folders, no dot files.
_STATIC_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}\.(js|css|mp3|ogg|wav|svg|png|"
                          r"woff2|json)$")


async def console_page(request: web.Request) -> web.FileResponse:
    page = CONSOLE_DIR / "console.html"
    if not page.is_file():
        raise refuse(web.HTTPNotFound, "The console page is not installed on this hub; "
                     "reinstall the kiosk package.")
    return web.FileResponse(page, headers={**_SECURITY, "Cache-Control": "no-store",
                                           "Content-Type": "text/html; charset=utf-8"})


async def console_static(request: web.Request) -> web.FileResponse:
    name = request.match_info["name"]
    if _STATIC_NAME.match(name):
        for folder in (CONSOLE_DIR / "static", CONSOLE_DIR):
            if (folder / name).is_file():
                return web.FileResponse(folder / name, headers={
                    **_SECURITY, "Cache-Control": "no-cache"})
    raise refuse(web.HTTPNotFound, f"There is no console file {name[:80]!r}.")


def add_console_page(app: web.Application) -> None:
    app.router.add_get("/console", console_page)
    app.router.add_get("/console/static/{name}", console_static)

"""The attendant console's JSON API (docs/console.md): login, session, lanes, commands, audit.

Every POST needs the hub's own Origin; every POST but login also needs the session's
X-CSRF-Token. A command is checked against the role the lane published for it before it is
sent, and every outcome (refusals included) goes to the audit trail. A refused request changes
nothing and sends nothing to any lane.
"""

from __future__ import annotations

import hmac
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from kiosk.domain.policy import Policy
from kiosk.hub.api import STORE_KEY, error, read_json
from kiosk.hub.console_auth import (
    LoginRefused,
    Session,
    audit,
    audit_rows,
    delete_session,
    login,
    session_for,
)
from kiosk.hub.errors import BadRequest
from kiosk.hub.lanes import (
    COMMAND_TIMEOUT_S,
    LaneOffline,
    LaneRegistry,
    LaneTimeout,
    iso_now,
    lane_label,
    role_allows,
)

COOKIE = "kiosk_console"
REGISTRY_KEY: web.AppKey[LaneRegistry] = web.AppKey("lanes", LaneRegistry)
POLICY_KEY: web.AppKey[Policy] = web.AppKey("policy", Policy)
TIMEOUT_KEY: web.AppKey[float] = web.AppKey("command_timeout_s", float)
INTERVENTION_ACTIONS = ("approve", "reject")
LANE_ACTIONS = ("void_line", "cancel_basket", "close_lane", "open_lane")
AUDIT_MAX = 1000


def refuse(cls: type[web.HTTPException], message: str) -> web.HTTPException:
    """An HTTP refusal with the JSON body {"error": message}."""
    return cls(text=json.dumps({"error": message}), content_type="application/json",
               headers={"Cache-Control": "no-store"})


def own_origin(request: web.Request) -> str:
    """scheme://host:port of the request as the browser names the hub."""
    return f"{request.scheme}://{request.host}".lower()


def origin_ok(request: web.Request) -> bool:
    """True when the request's Origin header is the hub's own origin."""
    origin = request.headers.get("Origin")
    return origin is not None and hmac.compare_digest(origin.lower(), own_origin(request))


async def current_session(request: web.Request) -> Session | None:
    cookie = request.cookies.get(COOKIE)
    if not cookie or len(cookie) > 100:
        return None
    store = request.app[STORE_KEY]
    return await store.call(session_for, store, cookie, datetime.now(UTC))


async def require_session(request: web.Request) -> Session:
    session = await current_session(request)
    if session is None:
        raise refuse(web.HTTPUnauthorized, "You are not logged in (or the session ended); "
                     "log in again.")
    return session


def csrf_ok(request: web.Request, session: Session) -> bool:
    sent = request.headers.get("X-CSRF-Token", "")
    return hmac.compare_digest(sent.encode(), session.csrf_token.encode())


def _me(session: Session) -> dict[str, Any]:
    return {"attendant": session.attendant(), "csrf_token": session.csrf_token}


async def login_handler(request: web.Request) -> web.Response:
    if not origin_ok(request):
        raise refuse(web.HTTPForbidden, "The request does not come from this hub's console "
                     "page (Origin header); open the console from the hub.")
    body = await read_json(request)
    if not isinstance(body, dict):
        raise BadRequest('the body must be {"attendant_id": ..., "pin": ...} or '
                         '{"badge": ...}')
    store = request.app[STORE_KEY]
    try:
        session, cookie = await login(store, request.app[POLICY_KEY], body, request.remote)
    except LoginRefused as e:
        return error(e.status, e.message)
    answer = web.json_response(_me(session), headers={"Cache-Control": "no-store"})
    answer.set_cookie(COOKIE, cookie, path="/", httponly=True, samesite="Strict",
                      secure=request.secure)
    return answer


async def logout_handler(request: web.Request) -> web.Response:
    session = await require_session(request)
    if not origin_ok(request) or not csrf_ok(request, session):
        raise refuse(web.HTTPForbidden, "The logout lacks this page's CSRF token or Origin; "
                     "reload the console.")
    store = request.app[STORE_KEY]
    await store.call(delete_session, store, request.cookies[COOKIE])
    await store.call(audit, store, action="logout", result="ok",
                     attendant_id=session.attendant_id, remote_addr=request.remote)
    answer = web.Response(status=204)
    answer.del_cookie(COOKIE, path="/")
    return answer


async def me_handler(request: web.Request) -> web.Response:
    session = await require_session(request)
    return web.json_response(_me(session), headers={"Cache-Control": "no-store"})


async def lanes_handler(request: web.Request) -> web.Response:
    await require_session(request)
    return web.json_response({"lanes": request.app[REGISTRY_KEY].rows(), "now": iso_now()},
                             headers={"Cache-Control": "no-store"})


async def audit_handler(request: web.Request) -> web.Response:
    session = await require_session(request)
    if session.role != "supervisor":
        raise refuse(web.HTTPForbidden, "Only a supervisor may read the audit trail.")
    raw = request.query.get("limit", "100")
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= AUDIT_MAX:
        raise BadRequest(f"limit {raw[:20]!r} must be a whole number from 1 to {AUDIT_MAX}")
    store = request.app[STORE_KEY]
    rows = await store.call(audit_rows, store, int(raw))
    return web.json_response({"audit": rows}, headers={"Cache-Control": "no-store"})


def parse_command(body: object) -> dict[str, Any]:
    """The command fields of a console request: action and the target it needs."""
    if not isinstance(body, dict):
        raise BadRequest('the body must be a JSON object {"action": ...}')
    action = body.get("action")
    if action not in INTERVENTION_ACTIONS + LANE_ACTIONS:
        raise BadRequest(f"action {str(action)[:30]!r} must be one of "
                         f"{', '.join(INTERVENTION_ACTIONS + LANE_ACTIONS)}")
    fields: dict[str, Any] = {"action": action}
    if action in INTERVENTION_ACTIONS:
        fields["intervention_id"] = _text(body, "intervention_id")
    if action in ("void_line", "cancel_basket"):
        fields["basket_id"] = _text(body, "basket_id")
    if action == "void_line":
        line_id = body.get("line_id")
        if not isinstance(line_id, int) or isinstance(line_id, bool) or line_id < 1:
            raise BadRequest(f"line_id {str(line_id)[:20]!r} must be a line number >= 1")
        fields["line_id"] = line_id
    return fields


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not 1 <= len(value) <= 100:
        raise BadRequest(f"{key} must be the id as text (1 to 100 characters) for this action")
    return value


def _target(fields: dict[str, Any]) -> str:
    if "intervention_id" in fields:
        return str(fields["intervention_id"])
    if "line_id" in fields:
        return f"{fields['basket_id']}#{fields['line_id']}"
    return str(fields.get("basket_id", ""))


def allowed_roles(state: dict[str, Any], fields: dict[str, Any]) -> list[str] | None:
    """The roles the lane published for this command; None when its intervention is not open
    at the lane."""
    if fields["action"] in INTERVENTION_ACTIONS:
        for item in state.get("interventions") or []:
            if item.get("intervention_id") == fields["intervention_id"]:
                # needs_role "attendant": both roles; "supervisor": supervisors only.
                return ["attendant", "supervisor"] if item.get("needs_role") == "attendant" \
                    else ["supervisor"]
        return None
    roles = (state.get("action_roles") or {}).get(fields["action"])
    return list(roles) if isinstance(roles, list) else []


class _Refused(Exception):
    def __init__(self, status: int, result: str, message: str) -> None:
        super().__init__(message)
        self.status, self.result, self.message = status, result, message


def _check_command(request: web.Request, session: Session | None, lane_id: str,
                   fields: dict[str, Any] | None) -> None:
    """Raise _Refused unless the command may be sent: session, Origin, CSRF, lane, role."""
    if session is None:
        raise _Refused(401, "unauthenticated", "You are not logged in (or the session ended); "
                       "log in again.")
    if not origin_ok(request):
        raise _Refused(403, "bad_origin", "The command does not come from this hub's console "
                       "page (Origin header); open the console from the hub.")
    if not csrf_ok(request, session):
        raise _Refused(403, "bad_csrf", "The command lacks this page's CSRF token; reload the "
                       "console.")
    if fields is None:
        raise _Refused(400, "bad_request", "The command is malformed.")
    registry = request.app[REGISTRY_KEY]
    if not registry.is_online(lane_id):
        raise _Refused(409, "offline", f"{lane_label(lane_id)} is offline; go to the lane.")
    roles = allowed_roles(registry.state(lane_id), fields)
    if roles is None:
        raise _Refused(409, "gone", f"Intervention {fields['intervention_id']} is no longer "
                       f"open at {lane_label(lane_id)}.")
    if not role_allows(session.role, roles):
        raise _Refused(403, "forbidden_role", f"A {session.role} may not {fields['action']} "
                       f"this at {lane_label(lane_id)}; ask a supervisor.")


async def command_handler(request: web.Request) -> web.Response:
    """POST /console/api/lanes/{lane_id}/commands: check, send, wait for the lane's result."""
    lane_id = request.match_info["lane_id"]
    store = request.app[STORE_KEY]
    session = await current_session(request)
    bad_body: BadRequest | None = None
    fields: dict[str, Any] | None = None
    try:
        fields = parse_command(await read_json(request))
    except BadRequest as e:
        bad_body = e
    who = session.attendant_id if session else None
    base: dict[str, Any] = {
        "attendant_id": who, "lane_id": lane_id[:64], "remote_addr": request.remote,
        "action": str(fields["action"]) if fields else "command",
        "target": _target(fields) if fields else None}
    try:
        _check_command(request, session, lane_id, fields)
    except _Refused as e:
        reason = str(bad_body) if e.status == 400 else e.message
        await store.call(audit, store, result=e.result, reason=reason, **base)
        return error(e.status, reason)
    assert session is not None and fields is not None
    command_id = uuid.uuid4().hex
    command = {"type": "command", "command_id": command_id, **fields,
               "attendant": session.attendant(), "issued_at": iso_now()}
    try:
        result = await request.app[REGISTRY_KEY].send_command(
            lane_id, command, request.app[TIMEOUT_KEY])
    except (LaneOffline, LaneTimeout) as e:
        status, outcome = (409, "offline") if isinstance(e, LaneOffline) else (504, "timeout")
        await store.call(audit, store, command_id=command_id, result=outcome, reason=str(e),
                         **base)
        return web.json_response({"error": str(e), "command_id": command_id}, status=status)
    await store.call(audit, store, command_id=command_id, result=result.status,
                     reason=result.reason, **base)
    return web.json_response({"command_id": command_id, "status": result.status,
                              "reason": result.reason})


def add_console_api(app: web.Application, *, policy: Policy | None = None,
                    command_timeout_s: float = COMMAND_TIMEOUT_S) -> None:
    """Add the console's JSON API to the hub's `app` (and its lane registry)."""
    app[REGISTRY_KEY] = LaneRegistry()
    app[POLICY_KEY] = policy or Policy()
    app[TIMEOUT_KEY] = command_timeout_s
    app.router.add_post("/console/api/login", login_handler)
    app.router.add_post("/console/api/logout", logout_handler)
    app.router.add_get("/console/api/me", me_handler)
    app.router.add_get("/console/api/lanes", lanes_handler)
    app.router.add_get("/console/api/audit", audit_handler)
    app.router.add_post("/console/api/lanes/{lane_id}/commands", command_handler)

"""What every REST route shares: Discord's errors, auth, rate-limit headers, body parsing, strict mode."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import BodyPartReader, web

from bot.sandbox import errors
from bot.sandbox.core import SandboxCore
from bot.sandbox.interactions import Interactions
from bot.sandbox.messages import Upload

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
CORE = web.AppKey("sandbox_core", SandboxCore)
INTERACTIONS = web.AppKey("sandbox_interactions", Interactions)
NO_AUTH_PREFIXES = ("/interactions/", "/webhooks/")
NO_AUTH_EXACT = frozenset({"GET /gateway"})
MAJOR = ("channel_id", "guild_id", "webhook_id", "interaction_id")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response whose Content-Type is exactly `application/json`, as discord.py checks."""
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    response = web.Response(body=body, status=status)
    response.headers["Content-Type"] = "application/json"
    if headers:
        response.headers.update(headers)
    return response


def no_content() -> web.Response:
    return web.Response(status=204)


def core_of(request: web.Request) -> SandboxCore:
    return request.config_dict[CORE]


def interactions_of(request: web.Request) -> Interactions:
    return request.config_dict[INTERACTIONS]


def snowflake(request: web.Request, name: str) -> int:
    raw = request.match_info[name]
    if not raw.isdigit():
        raise errors.invalid_form([([name], "NUMBER_TYPE_COERCE", f'Value "{raw}" is not snowflake.')])
    return int(raw)


def query_int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not raw.lstrip("-").isdigit() or not low <= int(raw) <= high:
        raise errors.invalid_form(
            [([name], "NUMBER_TYPE_MAX", f"int value should be <= {high} and >= {low}.")]
        )
    return int(raw)


def query_bool(request: web.Request, name: str) -> bool:
    return request.query.get(name, "").lower() in ("1", "true")


def route_of(request: web.Request) -> str | None:
    """ "POST /channels/{channel_id}/messages" for the matched route, named as in Discord's OpenAPI paths."""
    info = request.match_info
    if info.http_exception is not None:
        return None
    resource = info.route.resource
    if resource is None:
        return None
    path = resource.canonical
    if path.startswith(API_PREFIX):
        path = path[len(API_PREFIX) :] or "/"
    return f"{request.method} {path}"


async def read_body(request: web.Request) -> tuple[Any, list[Upload]]:
    """JSON or multipart (payload_json + files[n]) bodies; strict mode checks them against the spec."""
    uploads: list[Upload] = []
    body: Any = {}
    ctype = request.content_type
    if ctype == "multipart/form-data":
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, BodyPartReader):
                continue
            name = part.name or ""
            if name == "payload_json":
                body = _parse_json(await part.read())
            elif name.startswith("files[") and name.endswith("]") and name[6:-1].isdigit():
                data = bytes(await part.read())
                uploads.append(
                    Upload(
                        index=int(name[6:-1]),
                        filename=part.filename or f"file{name[6:-1]}",
                        data=data,
                        content_type=part.headers.get("Content-Type"),
                    )
                )
    elif request.can_read_body:
        raw = await request.read()
        if raw.strip():
            if ctype != "application/json":
                raise errors.ApiError(400, 50035, "Invalid Form Body")
            body = _parse_json(raw)
    _strict(request, body)
    return body, uploads


async def read_object(request: web.Request) -> tuple[dict[str, Any], list[Upload]]:
    body, uploads = await read_body(request)
    if not isinstance(body, dict):
        raise errors.invalid_form([([], "DICT_TYPE_CONVERT", "Only dictionaries may be used.")])
    return body, uploads


def _parse_json(raw: bytes | bytearray) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise errors.invalid_json() from None


def _strict(request: web.Request, body: Any) -> None:
    core = core_of(request)
    route = route_of(request)
    if core.validator is None or route is None or not isinstance(body, dict | list):
        return
    method, _, path = route.partition(" ")
    problems = core.validator(method, path, body)
    if problems:
        log.warning("strict mode: %s body does not match the spec: %s", route, problems)
        raise errors.invalid_form([(path_, "SPEC_VALIDATION", message) for path_, message in problems])


def _needs_auth(route: str) -> bool:
    path = route.partition(" ")[2]
    return route not in NO_AUTH_EXACT and not path.startswith(NO_AUTH_PREFIXES)


@web.middleware
async def api_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Discord's conventions around every route: 401 without a Bot token, rate limits, JSON errors."""
    core = core_of(request)
    route = route_of(request)
    headers: dict[str, str] = {}
    response: web.StreamResponse
    try:
        if route is None:
            exc = request.match_info.http_exception
            raise (
                errors.method_not_allowed()
                if isinstance(exc, web.HTTPMethodNotAllowed)
                else errors.not_found_route()
            )
        if _needs_auth(route) and not request.headers.get("Authorization", "").startswith("Bot "):
            raise errors.unauthorized()
        major = next((request.match_info[k] for k in MAJOR if k in request.match_info), "")
        verdict = core.limiter.check(route, major)
        headers = verdict.headers
        if not verdict.allowed:
            log.info("rate limited: %s (retry after %.3fs)", route, verdict.retry_after)
            body = {
                "message": "You are being rate limited.",
                "retry_after": verdict.retry_after,
                "global": False,
                "code": 0,
            }
            limited = json_response(body, 429, {**headers, "Via": "1.1 google"})
            _observe(core, route, limited)
            return limited
        fault = core.faults.get(route)
        if fault:
            status = fault.pop(0)
            log.info("injected fault: %s -> %d", route, status)
            response = _injected_fault(status)
        else:
            response = await handler(request)
    except errors.ApiError as exc:
        response = json_response(exc.body(), exc.status)
    except web.HTTPException:
        raise
    except Exception:
        log.exception("sandbox REST handler failed: %s", route)
        response = json_response({"message": "500: Internal Server Error", "code": 0}, 500)
    response.headers.update(headers)
    response.headers["Via"] = "1.1 google"
    _observe(core, route or f"{request.method} {request.path}", response)
    return response


SHARED_RETRY_AFTER = 0.25


def _injected_fault(status: int) -> web.Response:
    """A 5xx as Discord sends during an outage, or a 429 with scope "shared", as for a busy shared resource."""
    if status != 429:
        return json_response({"message": f"{status}: Service Unavailable", "code": 0}, status)
    body = {
        "message": "You are being rate limited.",
        "retry_after": SHARED_RETRY_AFTER,
        "global": False,
        "code": 0,
    }
    return json_response(body, 429, {"Retry-After": "1", "X-RateLimit-Scope": "shared"})


def _observe(core: SandboxCore, route: str, response: web.StreamResponse) -> None:
    """Lets tests see every REST answer (e.g. to check it against Discord's OpenAPI description)."""
    if core.response_observer is None or not isinstance(response, web.Response):
        return
    body: Any = None
    if response.body is not None and response.content_type == "application/json":
        raw = response.body
        body = json.loads(raw if isinstance(raw, bytes | bytearray | str) else b"null")
    method, _, path = route.partition(" ")
    core.response_observer(method, path, response.status, body)

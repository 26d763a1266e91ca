"""The HTTP side: the relying-party API, device registration, health and the OpenAPI document.

Every refusal is JSON `{"error", "message"}` with its status. The error middleware also
turns aiohttp's own 404/405/413 into that shape, and anything unexpected into a logged 500
that carries no detail (tests prove bad input never gets that far).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.typedefs import Middleware

from app.push.messages import ID_PATTERN
from app.server.config import ServerConfig
from app.server.errors import ApiError, bad_request, too_many
from app.server.openapi import openapi_document
from app.server.ratelimit import TokenBuckets
from app.server.service import PushService
from app.server.stats import ServerStats
from app.server.validation import (
    check_user,
    no_such,
    parse_challenge_request,
    parse_enrollment_request,
    parse_registration,
    parse_unblock,
    parse_wait,
    read_json_body,
)

log = logging.getLogger("keyfob.server.http")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "invalid_content_type",
    429: "rate_limited",
}


def error_response(error: ApiError) -> web.Response:
    return web.json_response(error.body(), status=error.status, headers=error.headers)


def error_middleware(stats: ServerStats) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiError as error:
            return error_response(error)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            code = _STATUS_CODES.get(exc.status, "http_error")
            status = 400 if exc.status == 413 else exc.status
            headers = {k: v for k, v in exc.headers.items() if k.lower() in {"allow"}}
            return error_response(ApiError(status, code, exc.reason, headers=headers))
        except Exception:
            stats.unexpected_errors += 1
            log.exception("unexpected error in %s %s", request.method, request.rel_url.path)
            return error_response(
                ApiError(500, "internal", "Internal server error; the server log has details.")
            )

    return middleware


@dataclass
class HttpApi:
    service: PushService
    config: ServerConfig
    registrations: TokenBuckets = field(init=False)

    def __post_init__(self) -> None:
        limits = self.config.limits
        self.registrations = TokenBuckets(
            limits.registration_burst, limits.registrations_per_second
        )

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/v1/enrollments", self.create_enrollment)
        app.router.add_get("/v1/enrollments/{id}", self.get_enrollment, allow_head=False)
        app.router.add_post("/v1/devices", self.register_device)
        app.router.add_post("/v1/challenges", self.create_challenge)
        app.router.add_get("/v1/challenges/{id}", self.get_challenge, allow_head=False)
        app.router.add_delete("/v1/challenges/{id}", self.cancel_challenge)
        app.router.add_get("/v1/users/{user}/devices", self.list_devices, allow_head=False)
        app.router.add_delete("/v1/devices/{id}", self.revoke_device)
        app.router.add_post("/v1/users/{user}/unblock", self.unblock)
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/openapi.json", self.openapi)

    # -- helpers -----------------------------------------------------------------------------

    def base_url(self, request: web.Request) -> str:
        if self.config.public_url:
            return self.config.public_url.rstrip("/")
        return f"{request.scheme}://{request.host}"

    async def _rp(self, request: web.Request) -> str:
        return await self.service.authenticate(request.headers.get("Authorization"))

    async def _body(self, request: web.Request, *, allow_empty: bool = False) -> dict[str, object]:
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge as exc:
            limit = self.config.limits.max_body_bytes
            raise bad_request("body_too_large", f"The body is larger than {limit} bytes.") from exc
        except (HttpProcessingError, ConnectionError) as exc:
            raise bad_request("unreadable_body", "The request body could not be read.") from exc
        return read_json_body(request.headers.get("Content-Type"), body, allow_empty=allow_empty)

    @staticmethod
    def _id(request: web.Request, what: str) -> str:
        value = request.match_info["id"]
        if ID_PATTERN.fullmatch(value) is None:
            raise no_such(what)
        return value

    @staticmethod
    def _user(request: web.Request) -> str:
        return check_user(request.match_info["user"], "The user in the path")

    # -- relying party -----------------------------------------------------------------------

    async def create_enrollment(self, request: web.Request) -> web.Response:
        rp = await self._rp(request)
        body = parse_enrollment_request(await self._body(request))
        result = await self.service.create_enrollment(rp, body, self.base_url(request))
        return web.json_response(result, status=201)

    async def get_enrollment(self, request: web.Request) -> web.Response:
        rp = await self._rp(request)
        result = await self.service.enrollment_status(rp, self._id(request, "enrollment"))
        return web.json_response(result)

    async def create_challenge(self, request: web.Request) -> web.Response:
        rp = await self._rp(request)
        body = parse_challenge_request(await self._body(request))
        return web.json_response(await self.service.create_challenge(rp, body), status=201)

    async def get_challenge(self, request: web.Request) -> web.Response:
        rp = await self._rp(request)
        wait = parse_wait(request.query.getall("wait", []))
        challenge_id = self._id(request, "challenge")
        return web.json_response(await self.service.challenge_status(rp, challenge_id, wait))

    async def cancel_challenge(self, request: web.Request) -> web.Response:
        rp = await self._rp(request)
        challenge_id = self._id(request, "challenge")
        return web.json_response(await self.service.cancel_challenge(rp, challenge_id))

    async def list_devices(self, request: web.Request) -> web.Response:
        rp = await self._rp(request)
        return web.json_response(await self.service.list_devices(rp, self._user(request)))

    async def revoke_device(self, request: web.Request) -> web.Response:
        rp = await self._rp(request)
        return web.json_response(await self.service.revoke_device(rp, self._id(request, "device")))

    async def unblock(self, request: web.Request) -> web.Response:
        rp = await self._rp(request)
        user = self._user(request)
        parse_unblock(await self._body(request, allow_empty=True))
        return web.json_response(await self.service.unblock(rp, user))

    # -- devices and the rest ----------------------------------------------------------------

    async def register_device(self, request: web.Request) -> web.Response:
        wait = self.registrations.take(request.remote or "unknown")
        if wait > 0:
            raise too_many(
                "rate_limited", "Too many registrations from this address.", math.ceil(wait)
            )
        body = parse_registration(await self._body(request))
        status, answer = await self.service.register_device(body, self.base_url(request))
        return web.json_response(answer, status=status)

    async def healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def openapi(self, request: web.Request) -> web.Response:
        return web.json_response(openapi_document(self.base_url(request)))

"""The HTTP side: the relying-party API, device registration, health and the OpenAPI document.

Every refusal is JSON `{"error", "message"}` with its status. The error middleware also
turns aiohttp's own 404/405/413 into that shape, and anything unexpected into a logged 500
that carries no detail (tests prove bad input never gets that far).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.typedefs import Middleware

from app.server.config import ServerConfig
from app.server.errors import (
    AlreadyFinal,
    ApiError,
    Backoff,
    BadSignature,
    Blocked,
    ChallengePending,
    EnrollmentExpired,
    EnrollmentUsed,
    NoDevice,
    NotFound,
    PushRefusal,
    StoreUnavailable,
    TooManyChallenges,
    Unauthorized,
    UnknownEnrollment,
    WrongSecret,
    bad_request,
    too_many,
)
from app.server.openapi import openapi_document
from app.server.ratelimit import FailureCounts
from app.server.request_context import path_id, public_base_url, request_limit_key
from app.server.service import PushService
from app.server.stats import ServerStats
from app.server.validation import (
    check_user,
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


# The one place the push rules' refusals get their HTTP statuses.
_REFUSAL_STATUS: dict[type[PushRefusal], int] = {
    Unauthorized: 401,
    WrongSecret: 401,
    BadSignature: 401,
    NotFound: 404,
    NoDevice: 404,
    UnknownEnrollment: 404,
    AlreadyFinal: 409,
    EnrollmentUsed: 409,
    EnrollmentExpired: 410,
    Blocked: 423,
    ChallengePending: 429,
    Backoff: 429,
    TooManyChallenges: 429,
}


def api_error(refusal: PushRefusal) -> ApiError:
    """A refusal of the push rules as the HTTP answer the protocol gives it."""
    headers: dict[str, str] = {}
    extra: dict[str, object] = {}
    if refusal.retry_after is not None:
        headers["Retry-After"] = str(max(1, int(refusal.retry_after)))
    if isinstance(refusal, Unauthorized):
        headers["WWW-Authenticate"] = 'Bearer realm="keyfob-server"'
    if isinstance(refusal, AlreadyFinal):
        extra["status"] = refusal.status
    status = _REFUSAL_STATUS.get(type(refusal), 400)
    return ApiError(status, refusal.code, refusal.message, headers=headers, extra=extra)


def unavailable(error: StoreUnavailable) -> ApiError:
    """The database is away: 503 and when to try again, never a 500 (nothing changed)."""
    return ApiError(
        503,
        "unavailable",
        "The server cannot reach its database just now; try again shortly.",
        headers={"Retry-After": str(error.retry_after)},
    )


def error_response(error: ApiError) -> web.Response:
    return web.json_response(error.body(), status=error.status, headers=error.headers)


def error_middleware(stats: ServerStats) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except ApiError as error:
            return error_response(error)
        except PushRefusal as refusal:
            return error_response(api_error(refusal))
        except StoreUnavailable as error:
            return error_response(unavailable(error))
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
    failures: FailureCounts = field(init=False)

    def __post_init__(self) -> None:
        limits = self.config.limits
        # Only failed registrations count: a valid one always goes through.
        self.failures = FailureCounts(
            limits.subject_failure_burst,
            limits.subject_failures_per_second,
            limits.registration_burst,
            limits.registrations_per_second,
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
        app.router.add_get("/readyz", self.readyz)
        app.router.add_get("/openapi.json", self.openapi)

    # -- helpers -----------------------------------------------------------------------------

    @staticmethod
    def base_url(request: web.Request) -> str:
        return public_base_url(request)

    async def _rp(self, request: web.Request) -> str:
        return await self.service.authenticate(request.headers.get("Authorization"))

    async def _body(self, request: web.Request, *, allow_empty: bool = False) -> dict[str, object]:
        try:
            # A body trickled in a byte at a time must not hold the connection for ever.
            async with asyncio.timeout(self.config.limits.body_timeout):
                body = await request.read()
        except TimeoutError as exc:
            raise ApiError(408, "body_timeout", "The request body did not arrive in time.") from exc
        except web.HTTPRequestEntityTooLarge as exc:
            limit = self.config.limits.max_body_bytes
            raise bad_request("body_too_large", f"The body is larger than {limit} bytes.") from exc
        except (HttpProcessingError, ConnectionError) as exc:
            raise bad_request("unreadable_body", "The request body could not be read.") from exc
        return read_json_body(request.headers.get("Content-Type"), body, allow_empty=allow_empty)

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
        result = await self.service.enrollment_status(rp, path_id(request, "enrollment"))
        return web.json_response(result)

    async def create_challenge(self, request: web.Request) -> web.Response:
        rp = await self._rp(request)
        body = parse_challenge_request(await self._body(request))
        return web.json_response(await self.service.create_challenge(rp, body), status=201)

    async def get_challenge(self, request: web.Request) -> web.Response:
        rp = await self._rp(request)
        wait = parse_wait(request.query.getall("wait", []))
        challenge_id = path_id(request, "challenge")
        return web.json_response(await self.service.challenge_status(rp, challenge_id, wait))

    async def cancel_challenge(self, request: web.Request) -> web.Response:
        rp = await self._rp(request)
        challenge_id = path_id(request, "challenge")
        return web.json_response(await self.service.cancel_challenge(rp, challenge_id))

    async def list_devices(self, request: web.Request) -> web.Response:
        rp = await self._rp(request)
        return web.json_response(await self.service.list_devices(rp, self._user(request)))

    async def revoke_device(self, request: web.Request) -> web.Response:
        rp = await self._rp(request)
        return web.json_response(await self.service.revoke_device(rp, path_id(request, "device")))

    async def unblock(self, request: web.Request) -> web.Response:
        rp = await self._rp(request)
        user = self._user(request)
        parse_unblock(await self._body(request, allow_empty=True))
        return web.json_response(await self.service.unblock(rp, user))

    # -- devices and the rest ----------------------------------------------------------------

    async def register_device(self, request: web.Request) -> web.Response:
        """Failures count per (address, enrollment) and per address. Over budget, an attempt
        waits a little before it is judged, and a failed one reads 429 (which also hides
        whether the enrollment exists); a valid one always gets its answer."""
        address = request_limit_key(request)
        body = parse_registration(await self._body(request))
        wait = self.failures.delay(address, body.eid)
        if wait > 0:
            await asyncio.sleep(min(wait, self.config.limits.slowdown_cap))
        try:
            status, answer = await self.service.register_device(body, self.base_url(request))
        except PushRefusal as refusal:
            error = api_error(refusal)
            if error.status not in {401, 404}:
                raise error from refusal
            self.failures.failed(address, body.eid if error.status == 401 else None)
            if wait > 0:
                raise too_many(
                    "rate_limited",
                    "Too many failed registrations from this address.",
                    math.ceil(wait),
                ) from error
            raise
        return web.json_response(answer, status=status)

    async def healthz(self, request: web.Request) -> web.Response:
        """The process is alive (a liveness probe: restart it when this fails)."""
        return web.json_response({"status": "ok"})

    async def readyz(self, request: web.Request) -> web.Response:
        """The database answers and other nodes' notices can arrive (a readiness probe:
        send no traffic here while this is 503)."""
        checks = await self.service.readiness()
        ready = all(checks.values())
        return web.json_response(
            {"status": "ready" if ready else "not_ready", **checks},
            status=200 if ready else 503,
            headers=None if ready else {"Retry-After": str(StoreUnavailable.retry_after)},
        )

    async def openapi(self, request: web.Request) -> web.Response:
        return web.json_response(openapi_document(self.base_url(request)))

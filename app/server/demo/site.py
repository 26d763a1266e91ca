"""The demo site's routes: the page, and the small JSON API its script calls.

The demo is a relying party: on start it makes its own API key (RP "Keyfob Demo"; the
previous run's keys are revoked, the users and devices stay, since they belong to the RP
name) and every call goes through `PushService` with that key, as an integrating site's
would through HTTP. The page never sees the key.

It is for trying Keyfob on one computer, not for the internet: its pages act with an API key
and no sign-in. So it answers only requests addressed to this server by name (the Host of
--public-url or of the listen address): a page on another site whose name an attacker points
at 127.0.0.1 (DNS rebinding) reaches the port, but not the demo.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from typing import Final
from urllib.parse import urlsplit

from aiohttp import web

from app.push.enrollment import is_loopback_host
from app.push.messages import MAX_TEXT_LENGTH
from app.server.demo.page import PAGE_HTML, STYLE_CSS
from app.server.demo.qr_svg import qr_svg
from app.server.demo.script import SCRIPT_JS
from app.server.errors import ApiError, ServerError, bad_request, too_many
from app.server.keys import new_api_key
from app.server.ratelimit import TokenBuckets
from app.server.request_context import (
    listen_url,
    path_id,
    public_base_url,
    request_client,
    request_limit_key,
)
from app.server.service import PushService
from app.server.validation import (
    ChallengeRequest,
    EnrollmentRequest,
    check_user,
    parse_wait,
    read_json_body,
)

log = logging.getLogger("keyfob.server.demo")

DEMO_RP: Final = "Keyfob Demo"
DEMO_PATH: Final = "/demo"
ENROLLMENT_TTL: Final = 600
SIGN_IN_TTL: Final = 90
LOCATION: Final = "Demo"

_PAGE_HEADERS: Final = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_BROWSERS: Final = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("HeadlessChrome/", "Headless Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
)
_SYSTEMS: Final = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def describe_agent(agent: str) -> str:
    """ "Firefox on Linux" from a User-Agent header: what the prompt has room for."""
    browser = next((name for mark, name in _BROWSERS if mark in agent), None)
    system = next((name for mark, name in _SYSTEMS if mark in agent), None)
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return str(browser or system)
    cleaned = "".join(c if c.isprintable() else "?" for c in agent.strip())
    return cleaned[:80] or "unknown browser"


_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


def _host_port(netloc: str, scheme: str) -> tuple[str, int] | None:
    """("example.com", 443) from a Host header or a URL's netloc; None if malformed."""
    try:
        parts = urlsplit(f"{scheme}://{netloc}")
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname or parts.username is not None or parts.path or parts.query:
        return None
    return parts.hostname.lower(), port if port is not None else _DEFAULT_PORTS.get(scheme, 0)


def demo_hosts(base_url: str, listen: str) -> set[tuple[str, int]]:
    """The (host, port) pairs the demo answers: the public URL's, the listen address's, and
    on loopback the usual names of this computer."""
    hosts: set[tuple[str, int]] = set()
    for url in (base_url, listen):
        parts = urlsplit(url)
        found = _host_port(parts.netloc, parts.scheme)
        if found is None:
            continue
        hosts.add(found)
        if is_loopback_host(found[0]):
            hosts.update((name, found[1]) for name in ("localhost", "127.0.0.1", "::1"))
    return hosts


def host_allowed(host_header: str | None, scheme: str, allowed: set[tuple[str, int]]) -> bool:
    if not host_header:
        return False
    found = _host_port(host_header.strip(), scheme)
    return found is not None and found in allowed


def parse_user_body(content_type: str | None, body: bytes) -> str:
    """The page's `{"user": NAME}` body: the name, trimmed, or a 400 ApiError."""
    obj = read_json_body(content_type, body)
    if set(obj) != {"user"}:
        raise bad_request("invalid_field", 'Send {"user": "a user name"}.')
    user = obj["user"]
    return check_user(user.strip() if isinstance(user, str) else user, "The user name")


class DemoSite:
    """`site_hooks=[DemoSite(...).install]` adds /demo to a PushServer."""

    def __init__(self) -> None:
        self._service: PushService | None = None
        self._key: str | None = None
        self._key_id: str | None = None
        self._codes = TokenBuckets(30, 0.5)  # enrollment codes per address

    def install(self, app: web.Application, service: PushService) -> None:
        self._service = service
        app.on_startup.append(self._start)
        app.on_cleanup.append(self._stop)
        app.middlewares.append(self._check_host)
        router = app.router
        router.add_get(DEMO_PATH, self.page, allow_head=False)
        router.add_get(DEMO_PATH + "/", self.to_page, allow_head=False)
        router.add_get(DEMO_PATH + "/style.css", self.style, allow_head=False)
        router.add_get(DEMO_PATH + "/app.js", self.script, allow_head=False)
        router.add_post(DEMO_PATH + "/api/enrollments", self.enroll)
        router.add_get(DEMO_PATH + "/api/enrollments/{id}", self.enrollment, allow_head=False)
        router.add_post(DEMO_PATH + "/api/signins", self.sign_in)
        router.add_get(DEMO_PATH + "/api/signins/{id}", self.sign_in_status, allow_head=False)
        router.add_delete(DEMO_PATH + "/api/signins/{id}", self.cancel)
        router.add_post(DEMO_PATH + "/api/unblock", self.unblock)

    @web.middleware
    async def _check_host(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        path = request.rel_url.path
        if path == DEMO_PATH or path.startswith(DEMO_PATH + "/"):
            # Behind a proxy the scheme a URL's default port belongs to is the public one.
            allowed = demo_hosts(public_base_url(request), listen_url(request))
            scheme = urlsplit(public_base_url(request)).scheme
            if not (
                host_allowed(request.host, scheme, allowed)
                or host_allowed(request.host, request.scheme, allowed)
            ):
                raise ApiError(
                    421,
                    "wrong_host",
                    "The demo answers only at this server's own address.",
                )
        return await handler(request)

    # -- its own API key -------------------------------------------------------------------

    @property
    def service(self) -> PushService:
        if self._service is None:
            raise ServerError("the demo site is not installed on a running server")
        return self._service

    async def _start(self, _: web.Application) -> None:
        store = self.service.store
        now = self.service.now()
        for old in await store.list_api_keys():
            if old.rp == DEMO_RP and old.revoked_at is None:
                await store.revoke_api_key(old.key_id, now)
        made = new_api_key()
        await store.add_api_key(made.key_id, DEMO_RP, made.key_hash, now)
        self._key, self._key_id = made.key, made.key_id
        log.info("demo sign-in site at %s (API key %s for %s)", DEMO_PATH, made.key_id, DEMO_RP)

    async def _stop(self, _: web.Application) -> None:
        if self._key_id is not None:
            await self.service.store.revoke_api_key(self._key_id, self.service.now())
            self._key = self._key_id = None

    async def _rp(self) -> str:
        return await self.service.authenticate(f"Bearer {self._key}")

    # -- the page --------------------------------------------------------------------------

    async def page(self, request: web.Request) -> web.Response:
        return web.Response(
            text=PAGE_HTML, content_type="text/html", charset="utf-8", headers=_PAGE_HEADERS
        )

    async def to_page(self, request: web.Request) -> web.Response:
        raise web.HTTPFound(DEMO_PATH)

    async def style(self, request: web.Request) -> web.Response:
        return web.Response(
            text=STYLE_CSS, content_type="text/css", charset="utf-8", headers=_PAGE_HEADERS
        )

    async def script(self, request: web.Request) -> web.Response:
        return web.Response(
            text=SCRIPT_JS,
            content_type="text/javascript",
            charset="utf-8",
            headers=_PAGE_HEADERS,
        )

    # -- the page's API --------------------------------------------------------------------

    @staticmethod
    async def _user(request: web.Request) -> str:
        return parse_user_body(request.headers.get("Content-Type"), await request.read())

    async def enroll(self, request: web.Request) -> web.Response:
        wait = self._codes.take(request_limit_key(request))
        if wait > 0:
            raise too_many(
                "rate_limited", "Too many enrollment codes from this address.", math.ceil(wait)
            )
        user = await self._user(request)
        rp = await self._rp()
        made = await self.service.create_enrollment(
            rp, EnrollmentRequest(user, ENROLLMENT_TTL), public_base_url(request)
        )
        uri = str(made["uri"])
        return _json(
            {
                "id": made["id"],
                "user": user,
                "uri": uri,
                "expires_in": ENROLLMENT_TTL,
                "qr": qr_svg(uri, title=f"Keyfob enrollment code for {user}"),
            }
        )

    async def enrollment(self, request: web.Request) -> web.Response:
        rp = await self._rp()
        return _json(await self.service.enrollment_status(rp, path_id(request, "enrollment")))

    async def sign_in(self, request: web.Request) -> web.Response:
        user = await self._user(request)
        rp = await self._rp()
        context = {
            "app": DEMO_RP,
            "ip": request_client(request)[:MAX_TEXT_LENGTH],
            "location": LOCATION,
            "user_agent": describe_agent(request.headers.get("User-Agent", ""))[:MAX_TEXT_LENGTH],
        }
        made = await self.service.create_challenge(
            rp, ChallengeRequest(user, "Sign in", context, SIGN_IN_TTL, True)
        )
        return _json({**made, "user": user, "expires_in": SIGN_IN_TTL, "context": context})

    async def sign_in_status(self, request: web.Request) -> web.Response:
        rp = await self._rp()
        wait = parse_wait(request.query.getall("wait", []))
        challenge_id = path_id(request, "sign-in")
        return _json(await self.service.challenge_status(rp, challenge_id, wait))

    async def cancel(self, request: web.Request) -> web.Response:
        rp = await self._rp()
        return _json(await self.service.cancel_challenge(rp, path_id(request, "sign-in")))

    async def unblock(self, request: web.Request) -> web.Response:
        user = await self._user(request)
        return _json(await self.service.unblock(await self._rp(), user))


def _json(body: object) -> web.Response:
    return web.json_response(body, headers={"Cache-Control": "no-store"})

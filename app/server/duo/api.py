"""Duo's Auth API v2 over HTTP: `/auth/v2/*`, each call signed as Duo's clients sign it.

Every answer is Duo's shape, `{"stat": "OK", "response": ...}` or `{"stat": "FAIL", "code",
"message", "message_detail"?}` with Duo's status, whatever went wrong: an unknown endpoint,
a wrong method, a body too big or not readable, a missing or bad signature, a bad
parameter, the database away. Checks come in this order: the endpoint and method, the
credentials and the date (before any of the body is read), the signature, the parameters.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from app.server.config import Limits
from app.server.database import Database
from app.server.duo import params as p
from app.server.duo.credentials import DuoKeyError, DuoKeyring
from app.server.duo.database import open_duo_store
from app.server.duo.errors import (
    DuoError,
    invalid_parameter,
    invalid_signature,
    method_not_allowed,
    not_found,
    unavailable,
)
from app.server.duo.pages import ActivationPages
from app.server.duo.service import DuoService
from app.server.duo.signing import (
    SignedRequest,
    check_date,
    host_spellings,
    parse_credentials,
    parse_params,
    signature_matches,
)
from app.server.duo.store import DuoStore, Integration
from app.server.errors import StoreUnavailable
from app.server.request_context import public_base_url
from app.server.service import PushService

log = logging.getLogger("keyfob.server.duo")

_FORM: Final = "application/x-www-form-urlencoded"
_JSON: Final = "application/json"


@dataclass(frozen=True)
class Call:
    """One Duo API call, signed and read."""

    rp: str
    params: p.Params
    base_url: str


Handler = Callable[[DuoService, Call], Awaitable[object]]


async def _ping(service: DuoService, call: Call) -> object:
    return {"time": service.push.now()}


async def _logo(service: DuoService, call: Call) -> object:
    raise not_found("Logo not found")


async def _preauth(service: DuoService, call: Call) -> object:
    return await service.preauth(call.rp, p.user_ref(call.params), call.base_url)


async def _auth(service: DuoService, call: Call) -> object:
    return await service.auth(call.rp, p.auth_params(call.params))


async def _auth_status(service: DuoService, call: Call) -> object:
    return await service.auth_status(call.rp, p.txid(call.params))


async def _enroll(service: DuoService, call: Call) -> object:
    return await service.enroll(call.rp, p.enroll_params(call.params), call.base_url)


async def _enroll_status(service: DuoService, call: Call) -> object:
    return await service.enroll_status(call.rp, p.enroll_status_params(call.params))


# name: (method, signed, handler), as Duo's clients call them.
ENDPOINTS: Final[dict[str, tuple[str, bool, Handler]]] = {
    "ping": ("GET", False, _ping),
    "check": ("GET", True, _ping),
    "logo": ("GET", True, _logo),
    "preauth": ("POST", True, _preauth),
    "auth": ("POST", True, _auth),
    "auth_status": ("GET", True, _auth_status),
    "enroll": ("POST", True, _enroll),
    "enroll_status": ("POST", True, _enroll_status),
}


def duo_error_response(error: DuoError) -> web.Response:
    headers = {} if error.retry_after is None else {"Retry-After": str(error.retry_after)}
    return web.json_response(error.body(), status=error.status, headers=headers)


class DuoApi:
    """The Duo API of one server: its routes, its own store connection, its key file."""

    def __init__(self, service: DuoService, store: DuoStore, limits: Limits) -> None:
        self.service = service
        self.store = store
        self.limits = limits
        self.pages = ActivationPages(service)

    @classmethod
    async def open(
        cls, push: PushService, database: Database, key_file: Path, limits: Limits
    ) -> DuoApi:
        """The Duo side of a starting server; DuoKeyError when this node's Duo key cannot
        open the integrations in the database (a node with the wrong or no key file)."""
        store = await open_duo_store(database, push.store)
        try:
            keyring = DuoKeyring(key_file)
            keyring.check(await store.active_key_ids())
        except BaseException:
            await store.close()
            raise
        return cls(DuoService(push, store, keyring), store, limits)

    async def close(self) -> None:
        await self.store.close()

    def add_routes(self, app: web.Application) -> None:
        # Everything under /auth/ is Duo's, so a wrong path (a trailing slash, Auth API v1)
        # is told in Duo's shape too.
        app.router.add_route("*", "/auth{path:(/.*)?}", self.handle)
        self.pages.add_routes(app)

    async def handle(self, request: web.Request) -> web.Response:
        try:
            result = await self._call(request)
        except DuoError as error:
            return duo_error_response(error)
        except StoreUnavailable as error:
            return duo_error_response(unavailable(error.retry_after))
        return web.json_response({"stat": "OK", "response": result})

    async def _call(self, request: web.Request) -> object:
        version, _, endpoint = request.match_info["path"].removeprefix("/").partition("/")
        found = ENDPOINTS.get(endpoint) if version == "v2" else None
        if found is None:
            raise not_found()
        method, signed, handler = found
        if request.method != method:
            raise method_not_allowed(method)
        base_url = public_base_url(request)
        if not signed:
            return await handler(self.service, Call("", {}, base_url))
        rp, params = await self._signed(request, base_url)
        return await handler(self.service, Call(rp, params, base_url))

    async def _signed(self, request: web.Request, base_url: str) -> tuple[str, p.Params]:
        """The site of a correctly signed call, and its parameters (only signed ones)."""
        credentials = parse_credentials(request.headers.get("Authorization"))
        date = check_date(
            request.headers.get("X-Duo-Date") or request.headers.get("Date"),
            self.service.push.clock.now(),
        )
        body = await self._body(request)
        media = request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        query = parse_params(request.rel_url.raw_query_string, "query")
        form = parse_params(_ascii(body), "body") if media == _FORM else None
        public = urlsplit(base_url)
        signed_request = SignedRequest(
            method=request.method,
            path=request.rel_url.raw_path,
            hosts=host_spellings(
                request.headers.get("Host"),
                public.hostname or "",
                public.port or (443 if public.scheme == "https" else 80),
            ),
            date=date,
            query=query,
            body=body,
            form=form,
            duo_headers=tuple(
                (name, value)
                for name, value in request.headers.items()
                if name.lower().startswith("x-duo-")
            ),
        )
        integration = await self._integration(credentials.ikey)
        if not signature_matches(
            signed_request, self._secret_key(integration), credentials.signature
        ):
            raise invalid_signature()
        if form is not None:
            if query:  # a form POST signs its body, not its query: nothing unsigned is read
                raise invalid_parameter("query")
            return integration.rp, p.as_dict(form)
        if not body.strip():
            return integration.rp, p.as_dict(query)
        if media != _JSON:
            raise invalid_parameter("Content-Type")
        return integration.rp, p.as_dict([*query, *p.json_params(body).items()])

    def _secret_key(self, integration: Integration) -> str:
        try:
            key = self.service.keyring.for_id(integration.key_id)
            return key.open(integration.ikey, integration.skey_sealed)
        except DuoKeyError as exc:
            log.error("Duo integration %s cannot be checked: %s", integration.ikey, exc)
            raise DuoError(50001, "Internal error", "the server's Duo key; see its log") from exc

    async def _integration(self, ikey: str) -> Integration:
        integration = await self.store.get_integration(ikey)
        if integration is None or integration.revoked_at is not None:
            raise invalid_signature()  # the same answer as a wrong secret key
        return integration

    async def _body(self, request: web.Request) -> bytes:
        try:
            async with asyncio.timeout(self.limits.body_timeout):
                return await request.read()
        except TimeoutError as exc:
            raise invalid_parameter("the body did not arrive in time") from exc
        except web.HTTPRequestEntityTooLarge as exc:
            raise invalid_parameter(f"body over {self.limits.max_body_bytes} bytes") from exc
        except (HttpProcessingError, ConnectionError) as exc:
            raise invalid_parameter("body") from exc


def _ascii(body: bytes) -> str:
    try:
        return body.decode("ascii")
    except UnicodeDecodeError as exc:
        raise invalid_parameter("body") from exc

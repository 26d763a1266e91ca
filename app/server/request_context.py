"""What every handler may ask about the request's surroundings, in one place.

The `{id}` in its path, the client's address (through trusted proxies only, see
client_address.py) and the base URL this server hands out. The last two are set on the
aiohttp application by PushServer, so the API, the device websocket and site hooks (the
demo) read them the same way. A URL handed out never comes from the request's Host header:
a client could put anything there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from aiohttp import hdrs, web

from app.push.messages import ID_PATTERN
from app.server.client_address import (
    ClientAddressError,
    TrustedProxies,
    client_address,
    limit_key,
)
from app.server.errors import bad_request
from app.server.validation import no_such

TRUSTED_PROXIES: Final = web.AppKey("keyfob_trusted_proxies", TrustedProxies)
BASE_URL: Final[web.AppKey[Callable[[], str]]] = web.AppKey("keyfob_base_url")
LISTEN_URL: Final[web.AppKey[Callable[[], str]]] = web.AppKey("keyfob_listen_url")
_CLIENT: Final = web.RequestKey("keyfob_client_address", str)


def request_client(request: web.Request) -> str:
    """The client's address (read once per request); 400 for an unreadable proxy header."""
    if _CLIENT in request:
        return request[_CLIENT]
    trusted = request.app.get(TRUSTED_PROXIES, TrustedProxies())
    try:
        address = client_address(
            request.remote,
            request.headers.getall(hdrs.X_FORWARDED_FOR, []),
            request.headers.getall(hdrs.FORWARDED, []),
            trusted,
        )
    except ClientAddressError as exc:
        raise bad_request("bad_forwarding_header", str(exc)) from exc
    request[_CLIENT] = address
    return address


def request_limit_key(request: web.Request) -> str:
    """The key the per-address limits count this request under."""
    return limit_key(request_client(request))


def listen_url(request: web.Request) -> str:
    """Where this server listens, as a URL (the host may be 0.0.0.0 or ::)."""
    return request.app[LISTEN_URL]()


def public_base_url(request: web.Request) -> str:
    """The base URL devices and sites reach this server at: --public-url, else where it
    listens (only possible on loopback)."""
    return request.app[BASE_URL]()


def path_id(request: web.Request, what: str) -> str:
    """The `{id}` of the path, spelled as the protocol's ids are; anything else is no such
    `what` (404), the same answer as an id that is not there."""
    value = request.match_info["id"]
    if ID_PATTERN.fullmatch(value) is None:
        raise no_such(what)
    return value

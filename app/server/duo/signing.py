"""Duo's request signatures, checked exactly as Duo's own clients make them.

A client signs these lines, joined by "\\n" (duo_client's `canonicalize`, duo_api_golang's
`canonicalize` and `canonicalizeV5`):

- v2: the Date header as sent, METHOD, host (lower case), path, the sorted parameters
  (`quote(name, "~")=quote(value, "~")`, sorted, joined by "&"): the form body of a POST,
  the query of a GET.
- v4: the v2 lines (parameters: the query only), then the SHA-512 (hex) of the JSON body.
- v5: the v4 lines, then the SHA-512 (hex) of the X-Duo-* headers: names in lower case,
  sorted, each name and its value joined by NUL. duo_client's default.

and sends `Authorization: Basic base64(ikey ":" hex(HMAC(skey, text)))`. HMAC-SHA512 for
all of them; v2 also HMAC-SHA1, which older clients use. Two clients differ on the host:
duo_client signs its host without the port it connects to, Go's client signs host:port when
the API hostname has one, so every spelling of this server's host is tried. Nothing here
does I/O: pure functions over the request's parts, so hypothesis can try anything on them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Final
from urllib.parse import parse_qsl, quote

from app.server.duo.errors import (
    invalid_parameter,
    invalid_signature,
    missing_credentials,
)

# How far a request's date may be from our clock, either way: Duo's own mock server (in
# duo_unix) allows 300 s, and so do we.
ALLOWED_SKEW: Final = 300
MAX_PARAMS: Final = 64
_IKEY = re.compile(r"DI[A-Z0-9]{18}")
_SIGNATURE = re.compile(r"[0-9a-fA-F]{40}|[0-9a-fA-F]{128}")
_EMPTY_SHA512: Final = hashlib.sha512(b"").hexdigest()

Params = list[tuple[str, str]]


@dataclass(frozen=True)
class Credentials:
    ikey: str
    signature: str = field(repr=False)


@dataclass(frozen=True)
class SignedRequest:
    """What a signature covers, as read from the request."""

    method: str
    path: str
    hosts: tuple[str, ...]  # every spelling of our host the client may have signed
    date: str
    query: Params
    body: bytes = field(repr=False)
    form: Params | None = None  # the parsed body of a form POST; None for JSON or no body
    duo_headers: tuple[tuple[str, str], ...] = ()


def parse_credentials(header: str | None) -> Credentials:
    """`Authorization: Basic base64(ikey:hex signature)`; 40101 when absent, 40103 when it
    is no Duo signature at all."""
    if not header or not header.strip():
        raise missing_credentials("Authorization")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic" or not value.strip() or len(value) > 1024:
        raise missing_credentials("Authorization")
    try:
        text = base64.b64decode(value.strip(), validate=True).decode("ascii")
    except (binascii.Error, ValueError) as exc:
        raise invalid_signature("Authorization") from exc
    ikey, sep, signature = text.partition(":")
    if not sep or _IKEY.fullmatch(ikey) is None or _SIGNATURE.fullmatch(signature) is None:
        raise invalid_signature("Authorization")
    return Credentials(ikey, signature.lower())


def check_date(value: str | None, now: float) -> str:
    """The signed date (X-Duo-Date, else Date) if it is within ALLOWED_SKEW of `now`; any
    time zone, as RFC 2822 writes it (duo_client sends "-0000", Go "+0000")."""
    if value is None or not value.strip():
        raise missing_credentials("Date")
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError) as exc:
        raise invalid_signature("the Date header is not an RFC 2822 date") from exc
    if when.tzinfo is None:  # "-0000": UTC, said without vouching for the sender's zone
        when = when.replace(tzinfo=UTC)
    try:
        skew = abs(when.timestamp() - now)
    except (OverflowError, ValueError, OSError) as exc:
        raise invalid_signature("the Date header is out of range") from exc
    if skew > ALLOWED_SKEW:
        raise invalid_signature(
            f"the request's Date is {int(skew)} s from the server's clock; "
            f"at most {ALLOWED_SKEW} s is allowed"
        )
    return value


def parse_params(text: str, name: str) -> Params:
    """A query string or form body, decoded as Duo's clients encode it (UTF-8, `+` for a
    space); 40002 naming `name` when it is not one."""
    try:
        pairs = parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=MAX_PARAMS)
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid_parameter(name) from exc
    return pairs


def canonical_params(params: Sequence[tuple[str, str]]) -> str:
    """duo_client's `canon_params` (and Go's `url.Values.Encode` with %20 for spaces)."""
    return "&".join(
        f"{name}={value}"
        for name, value in sorted((quote(n, "~"), quote(v, "~")) for n, v in params)
    )


def canonical_duo_headers(headers: Sequence[tuple[str, str]]) -> str:
    """The SHA-512 (hex) of the X-Duo-* headers, as v5 signs them."""
    items = sorted((name.lower(), value) for name, value in headers)
    text = "\x00".join(part for item in items for part in item)
    return hashlib.sha512(text.encode("utf-8")).hexdigest()


def candidate_texts(request: SignedRequest) -> Iterator[tuple[bytes, str]]:
    """Each text a client may have signed for this request, with the digest it uses."""
    method = request.method.upper()
    json_body = request.form is None and request.body.strip() != b""
    body_hash = hashlib.sha512(request.body).hexdigest() if request.body else _EMPTY_SHA512
    for host in request.hosts:
        head = [request.date, method, host.lower(), request.path]
        if not json_body:
            v2_params = request.form if request.form is not None else request.query
            v2 = "\n".join([*head, canonical_params(v2_params)]).encode("utf-8")
            yield v2, "sha512"
            yield v2, "sha1"
        if request.form is None:
            v4 = [*head, canonical_params(request.query), body_hash]
            yield "\n".join([*v4, canonical_duo_headers(request.duo_headers)]).encode(), "sha512"
            yield "\n".join(v4).encode("utf-8"), "sha512"


def signature_matches(request: SignedRequest, secret_key: str, signature: str) -> bool:
    """Whether `signature` (lower-case hex) is one a client with `secret_key` makes."""
    key = secret_key.encode("utf-8")
    wanted = signature.lower().encode("ascii")
    found = False
    for text, digest in candidate_texts(request):
        expected = hmac.new(key, text, digest).hexdigest().encode("ascii")
        if len(expected) == len(wanted) and hmac.compare_digest(expected, wanted):
            found = True  # keep going: the time taken does not say which text matched
    return found


def host_spellings(host_header: str | None, public_host: str, public_port: int) -> tuple[str, ...]:
    """Our host as a client may have signed it: the Host header it sent and our public
    host, each with and without its port."""
    names: list[str] = []
    for given in (host_header or "", f"{public_host}:{public_port}", public_host):
        name = given.strip().lower()
        if not name:
            continue
        for spelling in (name, _without_port(name)):
            if spelling and spelling not in names:
                names.append(spelling)
    return tuple(names)


def _without_port(host: str) -> str:
    if host.startswith("["):
        end = host.find("]")
        return host[: end + 1] if end > 0 else host
    name, sep, port = host.rpartition(":")
    return name if sep and port.isdigit() and ":" not in name else host

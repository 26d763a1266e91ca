"""Enrolling a device: the keyfob://enroll URI, the registration request, the stored result.

The URI pins the server's public key, so the device never trusts a key on first use: the
server's signed answer to the registration must verify against the key from the QR code.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import SplitResult, unquote, urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from app.push.canonical import (
    KEY_SIZE,
    TAG_REGISTER,
    TAG_REGISTERED,
    JsonObject,
    b64u_decode,
    b64u_encode,
    load_private_key,
    load_public_key,
    loads_object,
    new_private_key,
    public_key_bytes,
    sign,
    verify,
)
from app.push.errors import EnrollmentError, ProtocolError, PushUriError
from app.push.messages import ID_PATTERN, MAX_NAME_LENGTH, MAX_TIME, PROTOCOL_VERSION

MAX_URI_LENGTH: Final = 4096
MAX_DEVICE_NAME_LENGTH: Final = 200
SECRET_SIZE: Final = 32
REGISTER_PATH: Final = "/v1/devices"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_REQUIRED = ("v", "url", "eid", "secret", "spk", "issuer", "user")


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class EnrollmentUri:
    """What a keyfob://enroll URI says."""

    url: str  # the server's base URL, without a trailing slash
    eid: str
    secret: bytes = field(repr=False)
    server_key: bytes
    issuer: str
    user: str

    @property
    def register_url(self) -> str:
        return self.url + REGISTER_PATH


def _split_url(value: str, what: str, allowed: tuple[str, ...]) -> SplitResult:
    try:
        parts = urlsplit(value)
        port = parts.port  # raises ValueError for a port out of range
    except ValueError as exc:
        raise PushUriError(f"The {what} is not a valid URL.") from exc
    if parts.scheme.lower() not in allowed or not parts.hostname:
        raise PushUriError(f"The {what} must be a {' or '.join(allowed)} URL with a host name.")
    if parts.username is not None or parts.password is not None or parts.fragment:
        raise PushUriError(f"The {what} must not carry a user name, password or fragment.")
    del port
    return parts


def check_ws_url(server_url: str, ws_url: str) -> str:
    """The websocket address a server's signed answer names, checked against the server the
    enrollment code named; raises PushUriError.

    The signature proves the server wrote it, not that it is safe to follow: a server (or a
    forged code whose key someone holds) could send the device's socket elsewhere. So it must
    be on the same host as the enrollment's server, and plain ws:// only on this computer,
    for a server the code also reached over plain http on this computer.
    """
    server = _split_url(server_url, "server address", ("https", "http"))
    parts = _split_url(ws_url, "push server's websocket address", ("wss", "ws"))
    server_host = (server.hostname or "").rstrip(".")
    ws_host = (parts.hostname or "").rstrip(".")
    if ws_host != server_host:
        raise PushUriError(
            "The push server named a websocket address on another host than the enrollment "
            "code's server; ask the site for a new code."
        )
    if parts.scheme.lower() == "ws" and not (
        server.scheme.lower() == "http" and is_loopback_host(server_host)
    ):
        raise PushUriError(
            "The push server's websocket address must use wss:// (ws:// only for a server on "
            "this computer)."
        )
    return ws_url


def _check_name(value: str, what: str) -> str:
    if not 1 <= len(value) <= MAX_NAME_LENGTH:
        raise PushUriError(f"The enrollment link's {what} must be 1-{MAX_NAME_LENGTH} characters.")
    if _CONTROL.search(value):
        raise PushUriError(f"The enrollment link's {what} contains control characters.")
    return value


def _query_params(query: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for part in query.split("&") if query else []:
        name, eq, raw = part.partition("=")
        if not eq:
            raise PushUriError("The enrollment link has a parameter without a value.")
        try:
            name = unquote(name, errors="strict")
            value = unquote(raw, errors="strict")
        except UnicodeDecodeError as exc:
            raise PushUriError("The enrollment link is not valid UTF-8 once decoded.") from exc
        if name in params:
            raise PushUriError(f"The enrollment link repeats the parameter `{name[:20]}`.")
        params[name] = value
    return params


def _server_url(value: str, allow_insecure: bool) -> str:
    url = value.rstrip("/")
    if _CONTROL.search(url) or " " in url:
        raise PushUriError("The server address in the enrollment link contains spaces or controls.")
    parts = _split_url(url, "server address in the enrollment link", ("https", "http"))
    if parts.query:
        raise PushUriError("The server address in the enrollment link must not have a query.")
    if parts.scheme.lower() == "http" and not (allow_insecure or is_loopback_host(parts.hostname)):
        raise PushUriError(
            "The push server address uses plain http; only https is accepted "
            "(http only for a server on this computer)."
        )
    return url


def parse_enroll_uri(text: str, *, allow_insecure: bool = False) -> EnrollmentUri:
    """Read a `keyfob://enroll?v=1&url=&eid=&secret=&spk=&issuer=&user=` URI.

    Plain http is accepted only for a loopback server unless `allow_insecure` is set.
    Raises PushUriError, whose message never repeats the secret.
    """
    if not isinstance(text, str):
        raise PushUriError("An enrollment link must be text.")
    text = text.strip()
    if len(text) > MAX_URI_LENGTH:
        raise PushUriError("The enrollment link is too long to be a Keyfob enrollment.")
    scheme, sep, rest = text.partition("://")
    rest = rest.partition("#")[0]
    host, _, query = rest.partition("?")
    if not sep or scheme.lower() != "keyfob" or host.rstrip("/").lower() != "enroll":
        raise PushUriError(
            "This is not a Keyfob push enrollment link (it should start with keyfob://enroll?)."
        )
    params = _query_params(query)
    missing = [name for name in _REQUIRED if name not in params]
    if missing:
        raise PushUriError(f"The enrollment link is missing {', '.join(missing)}.")
    if params["v"] != str(PROTOCOL_VERSION):
        raise PushUriError(
            "This enrollment link is for another version of the push protocol; "
            "update Keyfob or ask the site for a new code."
        )
    url = _server_url(params["url"], allow_insecure)
    if ID_PATTERN.fullmatch(params["eid"]) is None:
        raise PushUriError("The enrollment link's id (eid) is malformed.")
    try:
        secret = b64u_decode(params["secret"], SECRET_SIZE)
    except ProtocolError as exc:
        raise PushUriError("The enrollment link's secret is malformed.") from exc
    try:
        server_key = b64u_decode(params["spk"], KEY_SIZE)
        load_public_key(server_key)
    except ProtocolError as exc:
        raise PushUriError("The enrollment link's server key (spk) is malformed.") from exc
    return EnrollmentUri(
        url=url,
        eid=params["eid"],
        secret=secret,
        server_key=server_key,
        issuer=_check_name(params["issuer"], "issuer"),
        user=_check_name(params["user"], "user"),
    )


@dataclass(frozen=True)
class PushEnrollment:
    """One device enrollment, as kept in the vault's `push` list."""

    url: str
    ws_url: str
    device_id: str
    device_key: bytes = field(repr=False)  # the Ed25519 private key, raw 32 bytes
    server_key: bytes  # the pinned Ed25519 public key, raw 32 bytes
    issuer: str
    user: str
    name: str
    enrolled_at: int

    def __post_init__(self) -> None:
        if len(self.device_key) != KEY_SIZE or len(self.server_key) != KEY_SIZE:
            raise EnrollmentError("A push enrollment's keys must be 32 bytes each.")

    @property
    def private_key(self) -> Ed25519PrivateKey:
        return load_private_key(self.device_key)

    def to_dict(self) -> dict[str, object]:
        return {
            "url": self.url,
            "ws_url": self.ws_url,
            "device_id": self.device_id,
            "device_key": b64u_encode(self.device_key),
            "server_key": b64u_encode(self.server_key),
            "issuer": self.issuer,
            "user": self.user,
            "name": self.name,
            "enrolled_at": self.enrolled_at,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> PushEnrollment:
        """Read back what to_dict wrote; raises EnrollmentError for anything else."""
        if not isinstance(data, Mapping):
            raise EnrollmentError("A push enrollment must be a JSON object.")

        def text(name: str, hi: int = 2048) -> str:
            value = data.get(name)
            if not isinstance(value, str) or not 1 <= len(value) <= hi:
                raise EnrollmentError(f"The push enrollment's `{name}` is missing or malformed.")
            return value

        def key(name: str) -> bytes:
            try:
                return b64u_decode(data.get(name), KEY_SIZE)
            except ProtocolError as exc:
                raise EnrollmentError(f"The push enrollment's `{name}` is malformed.") from exc

        enrolled_at = data.get("enrolled_at")
        if (
            not isinstance(enrolled_at, int)
            or isinstance(enrolled_at, bool)
            or not 0 <= enrolled_at < MAX_TIME
        ):
            raise EnrollmentError("The push enrollment's `enrolled_at` is malformed.")
        device_id = text("device_id")
        if ID_PATTERN.fullmatch(device_id) is None:
            raise EnrollmentError("The push enrollment's `device_id` is malformed.")
        server_key = key("server_key")
        try:
            load_public_key(server_key)
        except ProtocolError as exc:
            raise EnrollmentError("The push enrollment's `server_key` is malformed.") from exc
        return cls(
            url=text("url"),
            ws_url=text("ws_url"),
            device_id=device_id,
            device_key=key("device_key"),
            server_key=server_key,
            issuer=text("issuer", MAX_NAME_LENGTH),
            user=text("user", MAX_NAME_LENGTH),
            name=text("name", MAX_DEVICE_NAME_LENGTH),
            enrolled_at=enrolled_at,
        )


@dataclass(frozen=True)
class Registration:
    """A registration request made and not yet answered: keep it to read the answer."""

    uri: EnrollmentUri
    device_key: bytes = field(repr=False)
    name: str
    body: JsonObject = field(repr=False)

    @property
    def url(self) -> str:
        return self.uri.register_url


def start_registration(
    uri: EnrollmentUri, device_name: str, now: int, *, key: Ed25519PrivateKey | None = None
) -> Registration:
    """A fresh device key and the signed `POST {url}/v1/devices` body proving we hold it.

    Sending the same Registration again after a lost answer is safe: the server answers a
    retry by the same key with the same answer.
    """
    if not 1 <= len(device_name) <= MAX_DEVICE_NAME_LENGTH or _CONTROL.search(device_name):
        raise EnrollmentError(
            f"A device name must be 1-{MAX_DEVICE_NAME_LENGTH} characters without control "
            "characters."
        )
    private = key if key is not None else new_private_key()
    body = sign(
        private,
        TAG_REGISTER,
        {
            "eid": uri.eid,
            "secret": b64u_encode(uri.secret),
            "device_key": b64u_encode(public_key_bytes(private)),
            "name": device_name,
            "ts": int(now),
        },
    )
    raw_key = private.private_bytes_raw()
    return Registration(uri=uri, device_key=raw_key, name=device_name, body=body)


def finish_registration(
    registration: Registration, answer: str | bytes | Mapping[str, object], now: int
) -> PushEnrollment:
    """Check the server's `registered` answer against the pinned key; the enrollment."""
    uri = registration.uri
    try:
        obj = loads_object(answer) if isinstance(answer, str | bytes) else dict(answer)
    except ProtocolError as exc:
        raise EnrollmentError(f"The push server's answer is not usable: {exc}.") from exc
    if not verify(load_public_key(uri.server_key), TAG_REGISTERED, obj):
        raise EnrollmentError(
            "The push server's answer is not signed by the key in the enrollment code; "
            "the code may be forged or for another server. Ask the site for a new code."
        )
    device_id = obj.get("device_id")
    if not isinstance(device_id, str) or ID_PATTERN.fullmatch(device_id) is None:
        raise EnrollmentError("The push server's answer has no usable device_id.")
    if obj.get("issuer") != uri.issuer or obj.get("user") != uri.user:
        raise EnrollmentError(
            "The push server registered this device for another site or account than the "
            "enrollment code names."
        )
    ws_url = obj.get("ws_url")
    if not isinstance(ws_url, str) or len(ws_url) > 2048:
        raise EnrollmentError("The push server's answer has no usable ws_url.")
    try:
        check_ws_url(uri.url, ws_url)
    except PushUriError as exc:
        raise EnrollmentError(str(exc)) from exc
    server_time = obj.get("server_time")
    if not isinstance(server_time, int) or isinstance(server_time, bool):
        raise EnrollmentError("The push server's answer has no usable server_time.")
    return PushEnrollment(
        url=uri.url,
        ws_url=ws_url,
        device_id=device_id,
        device_key=registration.device_key,
        server_key=uri.server_key,
        issuer=uri.issuer,
        user=uri.user,
        name=registration.name,
        enrolled_at=int(now),
    )

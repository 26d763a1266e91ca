"""The websocket messages of push protocol v1, parsed and checked field by field.

Parsers take the raw text of one message and return a frozen dataclass, or raise
ProtocolError saying what was wrong. They check types and sizes only; signatures are checked
by whoever holds the key (the device session, the server). Fields the protocol does not name
are ignored (they are still covered by the signature, which is over the whole object).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from typing import Final

from app.push.canonical import (
    KEY_SIZE,
    SIGNATURE_SIZE,
    JsonObject,
    b64u_decode,
    loads_object,
)
from app.push.errors import ProtocolError

PROTOCOL_VERSION: Final = 1
MAX_MESSAGE_BYTES: Final = 64 * 1024
MAX_FIELDS: Final = 32
MAX_ID_LENGTH: Final = 128
MAX_NAME_LENGTH: Final = 256  # issuer and user
MAX_TEXT_LENGTH: Final = 200  # action and each context value
MAX_NUMBER_LENGTH: Final = 16
MAX_TIME: Final = 2**53
CONTEXT_FIELDS: Final = ("app", "ip", "location", "user_agent")
# A context key only other APIs the server speaks fill in (Duo's `pushinfo`, rendered as
# "key: value · key: value"); the RP API keeps refusing it, and devices show any string key.
DETAILS_FIELD: Final = "details"
HASH_SIZE: Final = 32

ID_PATTERN: Final = re.compile(r"[A-Za-z0-9_.~-]{1,128}")
NUMBER_PATTERN: Final = re.compile(r"[0-9]{2}")


class Decision(StrEnum):
    APPROVE = "approve"
    DENY = "deny"
    FRAUD = "fraud"


class Status(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    FRAUD = "fraud"
    WRONG_NUMBER = "wrong_number"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    INVALID = "invalid"


FINAL_STATUSES: Final = frozenset(Status) - {Status.PENDING, Status.INVALID}
RESULT_STATUSES: Final = frozenset(Status) - {Status.PENDING}


class ProtocolMessageError(ProtocolError):
    """A message failed its checks; `message_id` is its `id` when that much was readable.

    The server answers a `response` it cannot use with `result: invalid`, which needs the id.
    """

    def __init__(self, message: str, message_type: str | None, message_id: str | None) -> None:
        super().__init__(message)
        self.message_type = message_type
        self.message_id = message_id


# -- field readers ------------------------------------------------------------------------


def _text(obj: JsonObject, name: str, lo: int, hi: int) -> str:
    value = obj.get(name)
    if not isinstance(value, str):
        raise ProtocolError(f"`{name}` must be a string")
    if not lo <= len(value) <= hi:
        raise ProtocolError(f"`{name}` must be {lo}-{hi} characters long")
    return value


def _ident(obj: JsonObject, name: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or ID_PATTERN.fullmatch(value) is None:
        raise ProtocolError(f"`{name}` must be 1-{MAX_ID_LENGTH} URL-safe characters")
    return value


def _time(obj: JsonObject, name: str) -> int:
    value = obj.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < MAX_TIME:
        raise ProtocolError(f"`{name}` must be a whole number of Unix seconds")
    return value


def _bytes(obj: JsonObject, name: str, size: int) -> bytes:
    try:
        return b64u_decode(obj.get(name), size)
    except ProtocolError as exc:
        raise ProtocolError(f"`{name}` must be {size} bytes in base64url") from exc


def _bool(obj: JsonObject, name: str) -> bool:
    value = obj.get(name)
    if not isinstance(value, bool):
        raise ProtocolError(f"`{name}` must be true or false")
    return value


def _status(obj: JsonObject, allowed: frozenset[Status]) -> Status:
    value = obj.get("status")
    if not isinstance(value, str) or value not in {s.value for s in allowed}:
        raise ProtocolError("`status` is not one the protocol knows")
    return Status(value)


def read_context(value: object) -> dict[str, str]:
    """A challenge's context: short strings under a few keys."""
    if not isinstance(value, dict):
        raise ProtocolError("`context` must be an object")
    if len(value) > MAX_FIELDS:
        raise ProtocolError("`context` has too many fields")
    context: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(item, str) or len(item) > MAX_TEXT_LENGTH:
            raise ProtocolError(f"context `{key}` must be a string of at most 200 characters")
        context[key] = item
    return context


# -- messages -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Hello:
    nonce: bytes
    server_time: int
    raw: JsonObject = field(repr=False, compare=False)


@dataclass(frozen=True)
class Ready:
    server_time: int


@dataclass(frozen=True)
class Challenge:
    id: str
    issuer: str
    user: str
    action: str
    context: dict[str, str]
    number_matching: bool
    created_at: int
    expires_at: int
    raw: JsonObject = field(repr=False, compare=False)


@dataclass(frozen=True)
class Ending:
    """The server's word that a challenge is over, and how it ended."""

    id: str
    status: Status


class Result(Ending):
    """The end of a challenge this device answered (`invalid`: the answer did not count)."""


class Cancel(Ending):
    """The end of a challenge decided on another device, withdrawn by the site, or expired."""


@dataclass(frozen=True)
class Auth:
    device_id: str
    nonce: bytes
    raw: JsonObject = field(repr=False, compare=False)


@dataclass(frozen=True)
class Response:
    id: str
    decision: Decision
    number: str | None
    challenge_hash: bytes
    ts: int
    raw: JsonObject = field(repr=False, compare=False)


ServerMessage = Hello | Ready | Challenge | Ending
DeviceMessage = Auth | Response
_Parser = Callable[[JsonObject], ServerMessage | DeviceMessage]


def _salvage(raw: str | bytes) -> tuple[str | None, str | None]:
    """The type and id of a message strict parsing refused (a float `ts`, say), if readable.

    The server still owes such a `response` its `result: invalid`.
    """
    try:
        obj = json.loads(raw)
    except (ValueError, RecursionError, TypeError):
        return None, None
    if not isinstance(obj, dict):
        return None, None
    kind, message_id = obj.get("type"), obj.get("id")
    return (
        kind if isinstance(kind, str) else None,
        message_id if isinstance(message_id, str) and ID_PATTERN.fullmatch(message_id) else None,
    )


def _load(raw: str | bytes) -> tuple[JsonObject, str]:
    size = len(raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw)
    if size > MAX_MESSAGE_BYTES:
        raise ProtocolMessageError("message is larger than 64 KiB", None, None)
    try:
        obj = loads_object(raw)
    except ProtocolError as exc:
        raise ProtocolMessageError(str(exc), *_salvage(raw)) from exc
    if len(obj) > MAX_FIELDS:
        raise ProtocolMessageError("message has too many fields", None, None)
    kind = obj.get("type")
    if not isinstance(kind, str):
        raise ProtocolMessageError("message has no `type`", None, None)
    return obj, kind


def _guarded(obj: JsonObject, kind: str, parse: _Parser) -> ServerMessage | DeviceMessage:
    try:
        return parse(obj)
    except ProtocolError as exc:
        raw_id = obj.get("id")
        message_id = raw_id if isinstance(raw_id, str) and ID_PATTERN.fullmatch(raw_id) else None
        raise ProtocolMessageError(f"bad `{kind}` message: {exc}", kind, message_id) from exc


def _hello(obj: JsonObject) -> Hello:
    version = obj.get("v")
    if version != PROTOCOL_VERSION or isinstance(version, bool):
        raise ProtocolError(f"protocol version {version!r} is not supported (expected 1)")
    _bytes(obj, "sig", SIGNATURE_SIZE)
    return Hello(_bytes(obj, "nonce", KEY_SIZE), _time(obj, "server_time"), obj)


def _ready(obj: JsonObject) -> Ready:
    return Ready(_time(obj, "server_time"))


def _challenge(obj: JsonObject) -> Challenge:
    _bytes(obj, "sig", SIGNATURE_SIZE)
    return Challenge(
        id=_ident(obj, "id"),
        issuer=_text(obj, "issuer", 1, MAX_NAME_LENGTH),
        user=_text(obj, "user", 1, MAX_NAME_LENGTH),
        action=_text(obj, "action", 1, MAX_TEXT_LENGTH),
        context=read_context(obj.get("context")),
        number_matching=_bool(obj, "number_matching"),
        created_at=_time(obj, "created_at"),
        expires_at=_time(obj, "expires_at"),
        raw=obj,
    )


def _ending(kind: type[Ending], obj: JsonObject) -> Ending:
    return kind(_ident(obj, "id"), _status(obj, RESULT_STATUSES))


def _auth(obj: JsonObject) -> Auth:
    _bytes(obj, "sig", SIGNATURE_SIZE)
    return Auth(_ident(obj, "device_id"), _bytes(obj, "nonce", KEY_SIZE), obj)


def _response(obj: JsonObject) -> Response:
    message_id = _ident(obj, "id")
    decision = obj.get("decision")
    if not isinstance(decision, str) or decision not in {d.value for d in Decision}:
        raise ProtocolError("`decision` must be approve, deny or fraud")
    number = obj.get("number")
    if number is not None and (not isinstance(number, str) or len(number) > MAX_NUMBER_LENGTH):
        raise ProtocolError("`number` must be a short string or null")
    _bytes(obj, "sig", SIGNATURE_SIZE)
    return Response(
        id=message_id,
        decision=Decision(decision),
        number=number,
        challenge_hash=_bytes(obj, "challenge_hash", HASH_SIZE),
        ts=_time(obj, "ts"),
        raw=obj,
    )


_SERVER_PARSERS: Final[dict[str, _Parser]] = {
    "hello": _hello,
    "ready": _ready,
    "challenge": _challenge,
    "result": partial(_ending, Result),
    "cancel": partial(_ending, Cancel),
}
_DEVICE_PARSERS: Final[dict[str, _Parser]] = {"auth": _auth, "response": _response}


def parse_server_message(raw: str | bytes) -> ServerMessage:
    """A message the server sent to a device."""
    obj, kind = _load(raw)
    parse = _SERVER_PARSERS.get(kind)
    if parse is None:
        raise ProtocolMessageError(f"unknown message type {kind[:40]!r}", kind, None)
    message = _guarded(obj, kind, parse)
    assert not isinstance(message, Auth | Response)
    return message


def parse_device_message(raw: str | bytes) -> DeviceMessage:
    """A message a device sent to the server."""
    obj, kind = _load(raw)
    parse = _DEVICE_PARSERS.get(kind)
    if parse is None:
        raise ProtocolMessageError(f"unknown message type {kind[:40]!r}", kind, None)
    message = _guarded(obj, kind, parse)
    assert isinstance(message, Auth | Response)
    return message

"""Reading HTTP request bodies and parameters: every refusal is a 400 ApiError.

Pure functions over bytes and parsed JSON, so hypothesis can throw anything at them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from app.push.canonical import KEY_SIZE, b64u_decode, load_public_key, loads_object
from app.push.enrollment import MAX_DEVICE_NAME_LENGTH, SECRET_SIZE
from app.push.errors import ProtocolError
from app.push.messages import CONTEXT_FIELDS, MAX_NAME_LENGTH, MAX_TEXT_LENGTH
from app.server.errors import ApiError, bad_request

ENROLLMENT_TTL: Final = (60, 86400, 600)  # min, max, default
CHALLENGE_TTL: Final = (30, 300, 120)
DEFAULT_ACTION: Final = "Sign in"
MAX_WAIT: Final = 60
MAX_EID_LENGTH: Final = 256
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# What a prompt must not show: control characters, line and paragraph separators, bidi
# marks, embeddings, overrides and isolates (they reorder the text around them, so "Sign in
# from Paris" can be made to read as something else), and lone surrogates.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)
_DIGITS = re.compile(r"[0-9]+")

JsonBody = dict[str, object]


def read_json_body(content_type: str | None, body: bytes, *, allow_empty: bool = False) -> JsonBody:
    """A request body as a JSON object: `application/json`, UTF-8, strict JSON."""
    if allow_empty and not body.strip():
        return {}
    if content_type is None:
        raise bad_request(
            "invalid_content_type", "Send the body as Content-Type: application/json."
        )
    media, *params = (part.strip() for part in content_type.split(";"))
    if media.lower() != "application/json":
        raise bad_request(
            "invalid_content_type", "Send the body as Content-Type: application/json."
        )
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in {
            "utf-8",
            "utf8",
        }:
            raise bad_request("invalid_content_type", "The body must be UTF-8.")
    try:
        return loads_object(body)
    except ProtocolError as exc:
        raise bad_request("invalid_json", f"The body is not a usable JSON object: {exc}.") from exc


def _fields(obj: JsonBody, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> None:
    """Unknown fields are refused; an optional field sent as null counts as absent."""
    for name in [n for n in optional if n in obj and obj[n] is None]:
        del obj[name]
    for name in obj:
        if name not in required and name not in optional:
            raise bad_request("unknown_field", f"Unknown field `{name[:40]}`.")
    for name in required:
        if name not in obj:
            raise bad_request("missing_field", f"The field `{name}` is required.")


def check_user(value: object, where: str = "`user`") -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_NAME_LENGTH:
        raise bad_request("invalid_field", f"{where} must be a string of 1-256 characters.")
    return _shown_text(value, where)


def _shown_text(value: str, where: str) -> str:
    """Text a device shows in its prompt (user, action, context): no controls, no bidi."""
    if _UNSAFE.search(value):
        raise bad_request(
            "invalid_field", f"{where} must not contain control or text-direction characters."
        )
    return value


def _int(obj: JsonBody, name: str, bounds: tuple[int, int, int]) -> int:
    lo, hi, default = bounds
    value = obj.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise bad_request("invalid_field", f"`{name}` must be a whole number from {lo} to {hi}.")
    return value


def _text(obj: JsonBody, name: str, lo: int, hi: int) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or not lo <= len(value) <= hi:
        raise bad_request("invalid_field", f"`{name}` must be a string of {lo}-{hi} characters.")
    return value


def _bytes(obj: JsonBody, name: str, size: int) -> bytes:
    try:
        return b64u_decode(obj.get(name), size)
    except ProtocolError as exc:
        raise bad_request(
            "invalid_field", f"`{name}` must be {size} bytes in unpadded base64url."
        ) from exc


@dataclass(frozen=True)
class EnrollmentRequest:
    user: str
    ttl: int


def parse_enrollment_request(obj: JsonBody) -> EnrollmentRequest:
    _fields(obj, ("user",), ("ttl",))
    return EnrollmentRequest(check_user(obj["user"]), _int(obj, "ttl", ENROLLMENT_TTL))


@dataclass(frozen=True)
class ChallengeRequest:
    user: str
    action: str
    context: dict[str, str]
    ttl: int
    number_matching: bool


def parse_challenge_request(obj: JsonBody) -> ChallengeRequest:
    _fields(obj, ("user",), ("action", "context", "ttl", "number_matching"))
    user = check_user(obj["user"])
    action = (
        _shown_text(_text(obj, "action", 1, MAX_TEXT_LENGTH), "`action`")
        if "action" in obj
        else DEFAULT_ACTION
    )
    raw_context = obj.get("context", {})
    if not isinstance(raw_context, dict):
        raise bad_request("invalid_field", "`context` must be an object.")
    context: dict[str, str] = {}
    for name, value in raw_context.items():
        if value is None and name in CONTEXT_FIELDS:
            continue
        if name not in CONTEXT_FIELDS:
            raise bad_request(
                "unknown_field",
                f"Unknown context field `{name[:40]}` (known: {', '.join(CONTEXT_FIELDS)}).",
            )
        if not isinstance(value, str) or len(value) > MAX_TEXT_LENGTH:
            raise bad_request(
                "invalid_field", f"context `{name}` must be a string of at most 200 characters."
            )
        context[name] = _shown_text(value, f"context `{name}`")
    number_matching = obj.get("number_matching", True)
    if not isinstance(number_matching, bool):
        raise bad_request("invalid_field", "`number_matching` must be true or false.")
    return ChallengeRequest(
        user=user,
        action=action,
        context=context,
        ttl=_int(obj, "ttl", CHALLENGE_TTL),
        number_matching=number_matching,
    )


@dataclass(frozen=True)
class RegistrationRequest:
    eid: str
    secret: bytes | None = field(repr=False)  # None: not 32 bytes of base64url, so wrong
    device_key: bytes
    name: str
    ts: int
    raw: JsonBody = field(repr=False)


def parse_registration(obj: JsonBody) -> RegistrationRequest:
    _fields(obj, ("eid", "secret", "device_key", "name", "ts", "sig"))
    eid = _text(obj, "eid", 1, MAX_EID_LENGTH)
    # A secret or signature of the wrong shape is a wrong secret (401) or a bad signature
    # (401), not a malformed body: clients tampering a character must see the real refusal.
    secret_text = _text(obj, "secret", 1, 1024)
    try:
        secret: bytes | None = b64u_decode(secret_text, SECRET_SIZE)
    except ProtocolError:
        secret = None
    device_key = _bytes(obj, "device_key", KEY_SIZE)
    try:
        load_public_key(device_key)
    except ProtocolError as exc:
        raise bad_request("invalid_field", "`device_key` is not an Ed25519 public key.") from exc
    name = _text(obj, "name", 1, MAX_DEVICE_NAME_LENGTH)
    if _CONTROL.search(name):
        raise bad_request("invalid_field", "`name` must not contain control characters.")
    ts = obj.get("ts")
    if not isinstance(ts, int) or isinstance(ts, bool) or not -(2**63) <= ts < 2**63:
        raise bad_request("invalid_field", "`ts` must be a whole number of Unix seconds.")
    _text(obj, "sig", 1, 1024)
    return RegistrationRequest(eid, secret, device_key, name, ts, obj)


def parse_unblock(obj: JsonBody) -> None:
    _fields(obj, ())


def parse_wait(values: list[str]) -> int:
    """`?wait=N`: 0-60 seconds, more reads as 60; absent is 0."""
    if not values:
        return 0
    if len(values) > 1 or _DIGITS.fullmatch(values[0]) is None:
        raise bad_request("invalid_parameter", "`wait` must be a whole number of seconds, 0-60.")
    text = values[0]
    return MAX_WAIT if len(text) > 4 else min(int(text), MAX_WAIT)


def no_such(what: str) -> ApiError:
    return ApiError(404, "not_found", f"No such {what}.")

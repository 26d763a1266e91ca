"""Reading Duo API parameters, endpoint by endpoint, and what a Duo push shows on the device.

Pure functions over the decoded parameters: a value that is not what Duo's API takes is
40002 naming the parameter (Duo's own answer), and nothing is changed. Parameters Duo's API
has and Keyfob does not use (hostname, trusted_device_token, ...) are ignored, as Duo ignores
what it does not know.

Text from an IdP that the device shows (`type`, `display_username`, `pushinfo`) is made safe
rather than refused: control characters and line breaks become spaces, and format characters
(bidi overrides, zero-width marks) become U+FFFD, so a prompt can never read as something
else, yet a sign-in does not fail because an IdP put a tab in its brand name.
"""

from __future__ import annotations

import ipaddress
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qsl, unquote

from app.push.messages import ID_PATTERN, MAX_TEXT_LENGTH
from app.server.duo.errors import invalid_parameter
from app.server.errors import ApiError
from app.server.validation import DEFAULT_ACTION, ENROLLMENT_TTL, check_user

PUSH_FACTORS: Final = frozenset({"push", "auto"})
MAX_PUSHINFO: Final = 20_000  # bytes, as Duo documents
DEFAULT_VALID_SECS: Final = 86_400  # Duo's default for enroll
SEPARATOR: Final = " · "
_USER_ID = re.compile(r"[A-Za-z0-9]{1,64}")
_SPACE_CATEGORIES: Final = frozenset({"Cc", "Zl", "Zp"})
_MARK_CATEGORIES: Final = frozenset({"Cf", "Cs", "Co", "Cn"})

Params = dict[str, str]


def as_dict(pairs: Sequence[tuple[str, str]]) -> Params:
    """Decoded query or form pairs; a name given twice is ambiguous (40002)."""
    params: Params = {}
    for name, value in pairs:
        if name in params:
            raise invalid_parameter(name[:40])
        params[name] = value
    return params


def json_params(body: bytes) -> Params:
    """A v4/v5 JSON body: an object whose values are strings (duo_client sends strings;
    numbers and booleans are read as the strings a form would carry). duo_client's own
    command line (`python -m duo_client.client --sig-version 5`) sends each value as a list
    of one: that is the value; a longer list is as ambiguous as a form name given twice."""
    try:
        obj = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise invalid_parameter("body") from exc
    if not isinstance(obj, dict):
        raise invalid_parameter("body")
    params: Params = {}
    for name, given in obj.items():
        value = given[0] if isinstance(given, list) and len(given) == 1 else given
        if isinstance(value, bool):
            params[name] = "1" if value else "0"
        elif isinstance(value, str | int):
            params[name] = str(value)
        else:
            raise invalid_parameter(str(name)[:40])
    return params


def shown(text: str) -> str:
    """`text` as safe to show in a prompt (see the module's note)."""
    out = []
    for char in text:
        category = unicodedata.category(char)
        if category in _SPACE_CATEGORIES:
            out.append(" ")
        elif category in _MARK_CATEGORIES:
            out.append("\ufffd")
        else:
            out.append(char)
    return "".join(out).strip()


def cut(text: str, limit: int = MAX_TEXT_LENGTH) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def decode_pushinfo(text: str) -> list[tuple[str, str]]:
    """Duo's `pushinfo`: a URL-encoded form ("from=login%20portal&domain=example.com"). Some
    clients encode the whole form once more ("from%3Dlogin%2520portal"): a text with no `=`
    or `&` of its own is decoded once before the form is read, so at most twice in all."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_PUSHINFO:
        raise invalid_parameter("pushinfo")
    try:
        if "=" not in text and "&" not in text:
            text = unquote(text, errors="strict")
        return parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=100)
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid_parameter("pushinfo") from exc


def push_details(pushinfo: str | None, display_username: str | None, username: str) -> str | None:
    """What the prompt shows under `details`: "user: X" first when the IdP names the user
    otherwise, then pushinfo's pairs, "key: value · key: value", at most 200 characters."""
    pairs: list[tuple[str, str]] = []
    if display_username and shown(display_username) and display_username != username:
        pairs.append(("user", display_username))
    if pushinfo:
        pairs.extend(decode_pushinfo(pushinfo))
    items = [f"{shown(key)}: {shown(value)}" if key else shown(value) for key, value in pairs]
    text = SEPARATOR.join(item for item in items if item.strip(": "))
    return cut(text) if text else None


def _user_name(value: str, name: str = "username") -> str:
    try:
        return check_user(value)
    except ApiError as exc:
        raise invalid_parameter(name) from exc


@dataclass(frozen=True)
class UserRef:
    """A user by `username` or by the `user_id` enroll handed out: exactly one."""

    username: str | None = None
    user_id: str | None = None


def user_ref(params: Params) -> UserRef:
    username, user_id = params.get("username"), params.get("user_id")
    if (username is None) == (user_id is None):
        raise invalid_parameter("username" if username is None else "user_id")
    if user_id is not None:
        if _USER_ID.fullmatch(user_id) is None:
            raise invalid_parameter("user_id")
        return UserRef(user_id=user_id)
    assert username is not None
    return UserRef(username=_user_name(username))


@dataclass(frozen=True)
class AuthParams:
    user: UserRef
    device: str  # "auto", or a device id of the user
    is_async: bool
    action: str
    ip: str | None
    pushinfo: str | None
    display_username: str | None


def _flag(params: Params, name: str) -> bool:
    value = params.get(name, "0").strip().lower()
    if value in {"1", "true"}:
        return True
    if value in {"0", "false", ""}:
        return False
    raise invalid_parameter(name)


def auth_params(params: Params) -> AuthParams:
    """`auth`: push (or auto, which is push here) to the user's devices."""
    factor = params.get("factor")
    if factor not in PUSH_FACTORS:
        raise invalid_parameter("factor")  # sms, phone, passcode: Keyfob only pushes
    user = user_ref(params)
    device = params.get("device", "auto")
    if device != "auto" and ID_PATTERN.fullmatch(device) is None:
        raise invalid_parameter("device")
    ip = params.get("ipaddr") or None
    if ip is not None:
        try:
            ip = str(ipaddress.ip_address(ip))
        except ValueError as exc:
            raise invalid_parameter("ipaddr") from exc
    kind = shown(params.get("type", ""))
    return AuthParams(
        user=user,
        device=device,
        is_async=_flag(params, "async"),
        action=cut(kind) if kind else DEFAULT_ACTION,
        ip=ip,
        pushinfo=params.get("pushinfo") or None,
        display_username=params.get("display_username") or None,
    )


def txid(params: Params) -> str:
    value = params.get("txid")
    if value is None or ID_PATTERN.fullmatch(value) is None:
        raise invalid_parameter("txid")
    return value


@dataclass(frozen=True)
class EnrollParams:
    username: str | None
    valid_secs: int


def enroll_params(params: Params) -> EnrollParams:
    """`enroll`: an optional username (made up when absent, as Duo does) and how long the
    activation code lasts (Keyfob's enrollment bounds, 60 s to a day; Duo's default, a day)."""
    username = params.get("username")
    text = params.get("valid_secs", str(DEFAULT_VALID_SECS))
    low, high, _ = ENROLLMENT_TTL
    if not (text.isascii() and text.isdigit() and len(text) <= 6 and low <= int(text) <= high):
        raise invalid_parameter("valid_secs")
    return EnrollParams(None if username is None else _user_name(username), int(text))


@dataclass(frozen=True)
class EnrollStatusParams:
    user_id: str
    activation_code: str


def enroll_status_params(params: Params) -> EnrollStatusParams:
    user_id, code = params.get("user_id"), params.get("activation_code")
    if user_id is None or _USER_ID.fullmatch(user_id) is None:
        raise invalid_parameter("user_id")
    if not code or len(code) > 4096:
        raise invalid_parameter("activation_code")
    return EnrollStatusParams(user_id, code)

"""Protocol messages: field checks for each type, and any text gives a message or an error."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.push.canonical import b64u_encode
from app.push.errors import ProtocolError
from app.push.messages import (
    Auth,
    Cancel,
    Challenge,
    Decision,
    Hello,
    ProtocolMessageError,
    Ready,
    Response,
    Result,
    Status,
    parse_device_message,
    parse_server_message,
)

SIG = b64u_encode(b"s" * 64)
NONCE = b64u_encode(b"n" * 32)
HASH = b64u_encode(b"h" * 32)

CHALLENGE = {
    "type": "challenge",
    "id": "c_1",
    "issuer": "Example",
    "user": "alice",
    "action": "Sign in",
    "context": {"app": "Mail", "ip": "192.0.2.1"},
    "number_matching": True,
    "created_at": 100,
    "expires_at": 220,
    "sig": SIG,
}
RESPONSE = {
    "type": "response",
    "id": "c_1",
    "decision": "approve",
    "number": "47",
    "challenge_hash": HASH,
    "ts": 5,
    "sig": SIG,
}


def dumps(obj: object) -> str:
    return json.dumps(obj)


def test_server_messages() -> None:
    hello = parse_server_message(
        dumps({"type": "hello", "v": 1, "nonce": NONCE, "server_time": 9, "sig": SIG})
    )
    assert isinstance(hello, Hello)
    assert hello.nonce == b"n" * 32
    assert hello.server_time == 9
    assert parse_server_message(dumps({"type": "ready", "server_time": 3})) == Ready(3)
    challenge = parse_server_message(dumps(CHALLENGE))
    assert isinstance(challenge, Challenge)
    assert challenge.context == {"app": "Mail", "ip": "192.0.2.1"}
    assert challenge.raw == CHALLENGE
    assert parse_server_message(dumps({"type": "result", "id": "c_1", "status": "approved"})) == (
        Result("c_1", Status.APPROVED)
    )
    assert parse_server_message(dumps({"type": "cancel", "id": "c_1", "status": "expired"})) == (
        Cancel("c_1", Status.EXPIRED)
    )


def test_device_messages() -> None:
    auth = parse_device_message(
        dumps({"type": "auth", "device_id": "d_1", "nonce": NONCE, "sig": SIG})
    )
    assert isinstance(auth, Auth)
    assert auth.device_id == "d_1"
    response = parse_device_message(dumps(RESPONSE))
    assert isinstance(response, Response)
    assert response.decision is Decision.APPROVE
    assert response.number == "47"
    deny = parse_device_message(dumps({**RESPONSE, "decision": "deny", "number": None}))
    assert isinstance(deny, Response)
    assert deny.number is None


def test_unknown_fields_are_ignored_but_kept_for_the_signature() -> None:
    message = parse_server_message(dumps({**CHALLENGE, "future": 1}))
    assert isinstance(message, Challenge)
    assert message.raw["future"] == 1


@pytest.mark.parametrize(
    "change",
    [
        {"id": ""},
        {"id": "a b"},
        {"id": "x" * 129},
        {"issuer": ""},
        {"user": "u" * 257},
        {"action": "a" * 201},
        {"context": []},
        {"context": {"app": 5}},
        {"context": {"app": "x" * 201}},
        {"number_matching": "yes"},
        {"created_at": -1},
        {"expires_at": "1"},
        {"expires_at": True},
        {"sig": "AAAA"},
    ],
)
def test_bad_challenges(change: dict[str, object]) -> None:
    with pytest.raises(ProtocolError, match="bad `challenge` message"):
        parse_server_message(dumps({**CHALLENGE, **change}))


@pytest.mark.parametrize(
    ("change", "readable_id"),
    [
        ({"decision": "maybe"}, "c_1"),
        ({"number": 47}, "c_1"),
        ({"challenge_hash": "AAAA"}, "c_1"),
        ({"ts": "x"}, "c_1"),
        ({"sig": None}, "c_1"),
        ({"id": 5}, None),
    ],
)
def test_bad_responses_keep_their_id_for_the_invalid_result(
    change: dict[str, object], readable_id: str | None
) -> None:
    with pytest.raises(ProtocolMessageError) as caught:
        parse_device_message(dumps({**RESPONSE, **change}))
    assert caught.value.message_type == "response"
    assert caught.value.message_id == readable_id


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "null",
        "[]",
        '{"type": 5}',
        '{"type": "nope"}',
        f'{{"type": "hello", "v": 2, "nonce": "{NONCE}", "server_time": 1, "sig": "{SIG}"}}',
        f'{{"type": "hello", "v": true, "nonce": "{NONCE}", "server_time": 1, "sig": "{SIG}"}}',
        '{"type": "ready", "server_time": 1.0}',
        '{"type": "result", "id": "c", "status": "pending"}',
        '{"type": "result", "id": "c", "status": "maybe"}',
        '{"type": "ready", "server_time": 1, "x": "' + "a" * 70000 + '"}',
    ],
)
def test_bad_server_messages(raw: str) -> None:
    with pytest.raises(ProtocolError):
        parse_server_message(raw)


def test_floats_are_refused() -> None:
    with pytest.raises(ProtocolError, match="floats"):
        parse_server_message(dumps({**CHALLENGE, "expires_at": 1.5}))


def test_a_device_message_is_not_a_server_message() -> None:
    with pytest.raises(ProtocolError, match="unknown message type"):
        parse_server_message(dumps(RESPONSE))
    with pytest.raises(ProtocolError, match="unknown message type"):
        parse_device_message(dumps(CHALLENGE))


@given(st.text(max_size=300))
def test_any_text_gives_a_server_message_or_protocol_error(raw: str) -> None:
    with contextlib.suppress(ProtocolError):
        parse_server_message(raw)


@given(st.text(max_size=300))
def test_any_text_gives_a_device_message_or_protocol_error(raw: str) -> None:
    with contextlib.suppress(ProtocolError):
        parse_device_message(raw)


field_values = st.none() | st.booleans() | st.integers() | st.text(max_size=40) | st.just(SIG)


@given(st.dictionaries(st.sampled_from(sorted(RESPONSE)), field_values, max_size=8))
def test_any_response_like_object_gives_a_response_or_protocol_error(
    change: dict[str, object],
) -> None:
    with contextlib.suppress(ProtocolError):
        parse_device_message(dumps({**RESPONSE, **change}))


@given(st.dictionaries(st.sampled_from(sorted(CHALLENGE)), field_values, max_size=10))
def test_any_challenge_like_object_gives_a_challenge_or_protocol_error(
    change: dict[str, object],
) -> None:
    with contextlib.suppress(ProtocolError):
        parse_server_message(dumps({**CHALLENGE, **change}))


def test_a_response_refused_for_a_float_still_names_its_id() -> None:
    with pytest.raises(ProtocolMessageError) as caught:
        parse_device_message(dumps({**RESPONSE, "ts": 1.5}))
    assert caught.value.message_type == "response"
    assert caught.value.message_id == "c_1"

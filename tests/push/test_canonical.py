"""Canonical JSON, strict base64url and tagged Ed25519 signatures."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.push.canonical import (
    TAG_CHALLENGE,
    TAG_HELLO,
    TAGS,
    b64u_decode,
    b64u_encode,
    canonical,
    digest,
    loads_object,
    new_private_key,
    private_key_from_pem,
    private_key_to_pem,
    public_key_bytes,
    sign,
    signed_bytes,
    verify,
)
from app.push.errors import ProtocolError


def test_canonical_is_sorted_compact_utf8() -> None:
    obj = {"b": 1, "a": {"d": [True, None, "é"], "c": "x"}}
    assert canonical(obj) == '{"a":{"c":"x","d":[true,null,"é"]},"b":1}'.encode()


def test_canonical_matches_the_protocol_formula() -> None:
    obj = {"z": "ünï", "a": [1, 2, {"y": False}], "m": None}
    expected = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    assert canonical(obj) == expected


@pytest.mark.parametrize("bad", [{"x": 1.5}, {"x": [0.0]}, {"x": "\ud800"}, {"x": b"bytes"}])
def test_canonical_refuses_what_has_no_canonical_form(bad: dict[str, object]) -> None:
    with pytest.raises(ProtocolError):
        canonical(bad)


def test_signed_bytes_are_tag_newline_canonical_without_sig() -> None:
    obj = {"type": "hello", "v": 1, "sig": "ignored", "nonce": "AA"}
    assert signed_bytes(TAG_HELLO, obj) == b'keyfob-hello-v1\n{"nonce":"AA","type":"hello","v":1}'


def test_signed_bytes_refuses_unknown_tags() -> None:
    with pytest.raises(ValueError, match="unknown signature tag"):
        signed_bytes("keyfob-other-v1", {})


def test_six_tags() -> None:
    assert TAGS == (
        "keyfob-register-v1",
        "keyfob-registered-v1",
        "keyfob-hello-v1",
        "keyfob-ws-auth-v1",
        "keyfob-challenge-v1",
        "keyfob-response-v1",
    )


def test_sign_and_verify() -> None:
    key = new_private_key()
    message = sign(key, TAG_HELLO, {"type": "hello", "n": 1})
    assert verify(key.public_key(), TAG_HELLO, message)
    # The same signature under another purpose tag does not verify.
    assert not verify(key.public_key(), TAG_CHALLENGE, message)
    assert not verify(new_private_key().public_key(), TAG_HELLO, message)
    assert not verify(key.public_key(), TAG_HELLO, {**message, "n": 2})
    assert not verify(key.public_key(), TAG_HELLO, {**message, "sig": "AAAA"})
    assert not verify(key.public_key(), TAG_HELLO, {k: v for k, v in message.items() if k != "sig"})
    # An extra field is covered by the signature too.
    assert not verify(key.public_key(), TAG_HELLO, {**message, "extra": 1})


def test_a_signature_an_independent_implementation_would_make_verifies() -> None:
    key = new_private_key()
    obj = {"type": "auth", "device_id": "d_1", "nonce": "abc"}
    data = b"keyfob-hello-v1\n" + json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()
    sig = base64.urlsafe_b64encode(key.sign(data)).rstrip(b"=").decode()
    assert verify(key.public_key(), TAG_HELLO, {**obj, "sig": sig})


def test_digest_is_sha256_of_signed_bytes() -> None:
    obj = {"type": "challenge", "id": "c1", "sig": "x"}
    assert digest(TAG_CHALLENGE, obj) == hashlib.sha256(signed_bytes(TAG_CHALLENGE, obj)).digest()


@pytest.mark.parametrize(
    "bad", ["AA==", "AA=", "A", "AB+/", "AB/c", "AB c", " AB", "AB\n", "AF", "AAB", "ÀA", 5, None]
)
def test_b64u_decode_is_strict(bad: object) -> None:
    with pytest.raises(ProtocolError):
        b64u_decode(bad)


def test_b64u_size_check() -> None:
    assert b64u_decode(b64u_encode(b"x" * 32), 32) == b"x" * 32
    with pytest.raises(ProtocolError, match="expected 32 bytes"):
        b64u_decode(b64u_encode(b"x" * 31), 32)


@given(st.binary(max_size=100))
def test_b64u_round_trip(data: bytes) -> None:
    text = b64u_encode(data)
    assert "=" not in text
    assert b64u_decode(text) == data


@given(st.text(max_size=60))
def test_b64u_decode_any_text_gives_bytes_or_protocol_error(text: str) -> None:
    try:
        data = b64u_decode(text)
    except ProtocolError:
        return
    assert b64u_encode(data) == text


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "[]",
        '"x"',
        "1",
        '{"a": 1.0}',
        '{"a": 1e3}',
        '{"a": NaN}',
        '{"a": Infinity}',
        '{"a": 1, "a": 2}',
        '{"a": "\\ud800"}',
        "[" * 5000 + "]" * 5000,
        '{"a":' * 20 + "1" + "}" * 20,
        '{"a": ' + "9" * 5000 + "}",
        b"\xff\xfe",
        "{",
    ],
)
def test_loads_object_refuses(bad: str | bytes) -> None:
    with pytest.raises(ProtocolError):
        loads_object(bad)


def test_loads_object_reads_a_message() -> None:
    assert loads_object(b'{"type":"ready","server_time":5}') == {"type": "ready", "server_time": 5}


@given(st.one_of(st.text(max_size=200), st.binary(max_size=200)))
def test_loads_object_any_input_gives_an_object_or_protocol_error(raw: str | bytes) -> None:
    try:
        value = loads_object(raw)
    except ProtocolError:
        return
    assert isinstance(value, dict)
    canonical(value)  # whatever it accepts can be signed


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=5))
def test_loads_of_canonical_round_trips(obj: dict[str, object]) -> None:
    assert loads_object(canonical(obj)) == obj


def test_pem_round_trip() -> None:
    key = new_private_key()
    again = private_key_from_pem(private_key_to_pem(key))
    assert public_key_bytes(again) == public_key_bytes(key)
    with pytest.raises(ProtocolError):
        private_key_from_pem(b"not a key")

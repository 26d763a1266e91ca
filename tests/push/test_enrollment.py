"""keyfob://enroll URIs, the registration request and answer, the stored enrollment."""

from __future__ import annotations

import contextlib
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.push.canonical import (
    TAG_REGISTER,
    TAG_REGISTERED,
    b64u_encode,
    load_private_key,
    new_private_key,
    public_key_bytes,
    sign,
    verify,
)
from app.push.enrollment import (
    EnrollmentUri,
    PushEnrollment,
    check_ws_url,
    finish_registration,
    parse_enroll_uri,
    start_registration,
)
from app.push.errors import EnrollmentError, PushUriError

SERVER_KEY = new_private_key()
SPK = b64u_encode(public_key_bytes(SERVER_KEY))
SECRET = bytes(range(32))


def make_uri(**overrides: str) -> str:
    params = {
        "v": "1",
        "url": "https://push.example.com",
        "eid": "e_abc",
        "secret": b64u_encode(SECRET),
        "spk": SPK,
        "issuer": "Example Site",
        "user": "alice@example.com",
    }
    params.update(overrides)
    return "keyfob://enroll?" + "&".join(
        f"{k}={quote(v, safe='')}" for k, v in params.items() if v is not None
    )


def test_parse_a_good_uri() -> None:
    uri = parse_enroll_uri(make_uri())
    assert uri == EnrollmentUri(
        url="https://push.example.com",
        eid="e_abc",
        secret=SECRET,
        server_key=public_key_bytes(SERVER_KEY),
        issuer="Example Site",
        user="alice@example.com",
    )
    assert uri.register_url == "https://push.example.com/v1/devices"
    assert b64u_encode(SECRET) not in repr(uri)


def test_parse_keeps_a_base_path_and_drops_a_trailing_slash() -> None:
    uri = parse_enroll_uri(make_uri(url="https://example.com/keyfob/"))
    assert uri.register_url == "https://example.com/keyfob/v1/devices"


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:1", "[::1]:80", "127.9.9.9"])
def test_plain_http_only_on_loopback(host: str) -> None:
    assert parse_enroll_uri(make_uri(url=f"http://{host}")).url == f"http://{host}"


def test_plain_http_elsewhere_needs_allow_insecure() -> None:
    with pytest.raises(PushUriError, match="plain http"):
        parse_enroll_uri(make_uri(url="http://push.example.com"))
    assert parse_enroll_uri(make_uri(url="http://10.0.0.5"), allow_insecure=True).url


def test_case_and_whitespace_around_the_scheme() -> None:
    assert parse_enroll_uri("  " + make_uri().replace("keyfob://enroll", "KEYFOB://Enroll") + "\n")


def test_plus_is_a_plus_not_a_space() -> None:
    assert parse_enroll_uri(make_uri().replace("alice%40", "a+b%40")).user == "a+b@example.com"


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("otpauth://totp/x?secret=AAAA", "not a Keyfob push enrollment link"),
        ("keyfob://other?v=1", "not a Keyfob push enrollment link"),
        ("keyfob:enroll?v=1", "not a Keyfob push enrollment link"),
        (make_uri(v="2"), "another version"),
        (make_uri(secret=None), "missing secret"),  # type: ignore[arg-type]
        (make_uri(spk=None, user=None), "missing spk, user"),  # type: ignore[arg-type]
        (make_uri() + "&user=bob", "repeats the parameter `user`"),
        (make_uri() + "&novalue", "without a value"),
        (make_uri(url="ftp://x"), "https or http URL"),
        (make_uri(url="https://"), "https or http URL"),
        (make_uri(url="https://u:p@x.example"), "user name"),
        (make_uri(url="https://x.example:99999"), "not a valid URL"),
        (make_uri(url="https://x.example/?q=1"), "query"),
        (make_uri(url="https://x.exa mple"), "spaces"),
        (make_uri(eid="a/b"), "eid"),
        (make_uri(eid=""), "eid"),
        (make_uri(secret="AAAA"), "secret is malformed"),
        (make_uri(secret=b64u_encode(SECRET) + "="), "secret is malformed"),
        (make_uri(spk="AAAA"), "spk"),
        (make_uri(issuer=""), "issuer must be 1-256"),
        (make_uri(user="x" * 257), "user must be 1-256"),
        (make_uri(user="a\nb"), "control characters"),
        ("keyfob://enroll?v=1&user=%ff", "UTF-8"),
        ("keyfob://enroll?" + "x" * 5000, "too long"),
    ],
)
def test_bad_uris_say_what_is_wrong(uri: str, message: str) -> None:
    with pytest.raises(PushUriError, match=message) as caught:
        parse_enroll_uri(uri)
    assert b64u_encode(SECRET) not in str(caught.value)


def test_push_uri_error_is_a_value_error() -> None:
    assert issubclass(PushUriError, ValueError)


@given(st.text(max_size=300))
def test_any_text_gives_a_uri_or_push_uri_error(text: str) -> None:
    with contextlib.suppress(PushUriError):
        parse_enroll_uri(text)


@given(st.text(max_size=300))
def test_any_text_after_the_prefix_gives_a_uri_or_push_uri_error(text: str) -> None:
    with contextlib.suppress(PushUriError):
        parse_enroll_uri("keyfob://enroll?" + text)


names = st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=256)


@given(issuer=names, user=names)
def test_any_issuer_and_user_survive_percent_encoding(issuer: str, user: str) -> None:
    uri = parse_enroll_uri(make_uri(issuer=issuer, user=user))
    assert (uri.issuer, uri.user) == (issuer, user)


# -- registration ---------------------------------------------------------------------------


def answer_for(body: dict[str, object], **overrides: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "device_id": "d_1",
        "ws_url": "wss://push.example.com/v1/ws",
        "issuer": "Example Site",
        "user": "alice@example.com",
        "server_time": 1_800_000_000,
    }
    fields.update(overrides)
    return sign(SERVER_KEY, TAG_REGISTERED, fields)


def test_registration_body_proves_possession_of_the_device_key() -> None:
    registration = start_registration(parse_enroll_uri(make_uri()), "My laptop", 1234)
    body = registration.body
    assert set(body) == {"eid", "secret", "device_key", "name", "ts", "sig"}
    assert body["eid"] == "e_abc"
    assert body["secret"] == b64u_encode(SECRET)
    assert body["name"] == "My laptop"
    assert body["ts"] == 1234
    device_key = load_private_key(registration.device_key).public_key()
    assert body["device_key"] == b64u_encode(public_key_bytes(device_key))
    assert verify(device_key, TAG_REGISTER, body)
    assert registration.url == "https://push.example.com/v1/devices"
    assert b64u_encode(registration.device_key) not in repr(registration)


def test_each_registration_has_a_fresh_key() -> None:
    uri = parse_enroll_uri(make_uri())
    first = start_registration(uri, "A", 1)
    second = start_registration(uri, "A", 1)
    assert first.device_key != second.device_key


@pytest.mark.parametrize("name", ["", "x" * 201, "a\tb"])
def test_device_name_is_checked(name: str) -> None:
    with pytest.raises(EnrollmentError, match="device name"):
        start_registration(parse_enroll_uri(make_uri()), name, 1)


def test_finish_registration_gives_the_enrollment() -> None:
    registration = start_registration(parse_enroll_uri(make_uri()), "My laptop", 5)
    enrollment = finish_registration(registration, answer_for(registration.body), 99)
    assert enrollment.device_id == "d_1"
    assert enrollment.ws_url == "wss://push.example.com/v1/ws"
    assert enrollment.server_key == public_key_bytes(SERVER_KEY)
    assert enrollment.device_key == registration.device_key
    assert (enrollment.issuer, enrollment.user, enrollment.name) == (
        "Example Site",
        "alice@example.com",
        "My laptop",
    )
    assert enrollment.enrolled_at == 99


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"issuer": "Other"}, "another site"),
        ({"user": "bob"}, "another site"),
        ({"ws_url": "ws://push.example.com/v1/ws"}, "wss"),
        ({"ws_url": 5}, "ws_url"),
        ({"device_id": "a b"}, "device_id"),
        ({"server_time": "now"}, "server_time"),
    ],
)
def test_finish_registration_checks_the_answer(overrides: dict[str, object], message: str) -> None:
    registration = start_registration(parse_enroll_uri(make_uri()), "x", 5)
    with pytest.raises(EnrollmentError, match=message):
        finish_registration(registration, answer_for(registration.body, **overrides), 5)


def test_an_answer_signed_by_another_key_is_refused() -> None:
    registration = start_registration(parse_enroll_uri(make_uri()), "x", 5)
    forged = sign(new_private_key(), TAG_REGISTERED, answer_for(registration.body))
    with pytest.raises(EnrollmentError, match="not signed by the key"):
        finish_registration(registration, forged, 5)
    tampered = {**answer_for(registration.body), "device_id": "d_2"}
    with pytest.raises(EnrollmentError, match="not signed by the key"):
        finish_registration(registration, tampered, 5)


def test_ws_is_fine_for_a_loopback_http_server() -> None:
    registration = start_registration(parse_enroll_uri(make_uri(url="http://127.0.0.1:1")), "x", 5)
    answer = answer_for(registration.body, ws_url="ws://127.0.0.1:1/v1/ws")
    assert finish_registration(registration, answer, 5).ws_url == "ws://127.0.0.1:1/v1/ws"
    # Another port of the same host is the server's choice (a separate websocket listener).
    answer = answer_for(registration.body, ws_url="wss://127.0.0.1:2/v1/ws")
    assert finish_registration(registration, answer, 5).ws_url == "wss://127.0.0.1:2/v1/ws"


@pytest.mark.parametrize(
    ("url", "ws_url"),
    [
        # A loopback http enrollment must not send the socket in the clear to another host.
        ("http://127.0.0.1:8765", "ws://push.example.com/v1/ws"),
        ("http://127.0.0.1:8765", "ws://10.0.0.5:8765/v1/ws"),
        ("http://localhost:8765", "ws://127.0.0.1:8765/v1/ws"),
        # Nor anywhere else, encrypted or not: the host is the enrollment's server's.
        ("http://127.0.0.1:8765", "wss://push.example.com/v1/ws"),
        ("https://push.example.com", "wss://evil.example/v1/ws"),
        ("https://push.example.com", "wss://push.example.com.evil.example/v1/ws"),
        ("https://push.example.com", "ws://push.example.com/v1/ws"),
        ("https://127.0.0.1:8443", "ws://127.0.0.1:8443/v1/ws"),
        ("https://push.example.com", "wss://user@push.example.com/v1/ws"),
    ],
)
def test_a_signed_ws_url_elsewhere_or_in_the_clear_is_refused(url: str, ws_url: str) -> None:
    registration = start_registration(parse_enroll_uri(make_uri(url=url)), "x", 5)
    answer = answer_for(registration.body, ws_url=ws_url)
    with pytest.raises(EnrollmentError, match="websocket address"):
        finish_registration(registration, answer, 5)


@pytest.mark.parametrize(
    ("url", "ws_url"),
    [
        ("https://push.example.com", "wss://PUSH.example.com/v1/ws"),
        ("https://push.example.com", "wss://push.example.com:8443/v1/ws"),
        ("http://[::1]:8765", "ws://[::1]:8765/v1/ws"),
        ("http://localhost:8765", "ws://localhost:8765/v1/ws"),
    ],
)
def test_the_same_host_is_accepted(url: str, ws_url: str) -> None:
    assert check_ws_url(url, ws_url) == ws_url


@given(st.text(max_size=80))
def test_any_ws_url_is_accepted_only_on_the_servers_host(ws_url: str) -> None:
    try:
        check_ws_url("https://push.example.com", ws_url)
    except PushUriError:
        return
    assert ws_url.lower().startswith("wss://push.example.com")


@given(st.text(max_size=200))
def test_any_answer_text_gives_an_enrollment_error(text: str) -> None:
    registration = start_registration(parse_enroll_uri(make_uri()), "x", 5)
    with pytest.raises(EnrollmentError):
        finish_registration(registration, text, 5)


# -- the stored enrollment --------------------------------------------------------------------


def sample_enrollment() -> PushEnrollment:
    registration = start_registration(parse_enroll_uri(make_uri()), "My laptop", 5)
    return finish_registration(registration, answer_for(registration.body), 77)


def test_to_dict_from_dict_round_trip() -> None:
    enrollment = sample_enrollment()
    data = enrollment.to_dict()
    assert data["device_key"] == b64u_encode(enrollment.device_key)
    assert data["server_key"] == SPK
    assert PushEnrollment.from_dict(data) == enrollment
    assert data["device_key"] not in repr(enrollment)


@pytest.mark.parametrize(
    "change",
    [
        {"device_key": "AAAA"},
        {"server_key": None},
        {"enrolled_at": "x"},
        {"enrolled_at": True},
        {"device_id": ""},
        {"url": 3},
        {"user": "x" * 300},
    ],
)
def test_from_dict_refuses_damage(change: dict[str, object]) -> None:
    data = {**sample_enrollment().to_dict(), **change}
    with pytest.raises(EnrollmentError):
        PushEnrollment.from_dict(data)


@given(
    st.dictionaries(
        st.sampled_from(list(sample_enrollment().to_dict())) | st.text(max_size=5),
        st.none() | st.integers() | st.text(max_size=50) | st.booleans(),
        max_size=12,
    )
)
def test_from_dict_any_mapping_gives_an_enrollment_or_enrollment_error(
    data: dict[str, object],
) -> None:
    merged = {**sample_enrollment().to_dict(), **data}
    with contextlib.suppress(EnrollmentError):
        PushEnrollment.from_dict(merged)

"""The signature check against what Duo's real client (duo_client from PyPI) signs, byte for
byte, and every parser of the credentials answering garbage with Duo's error, never a crash."""

from __future__ import annotations

import base64
import datetime
import email.utils
import hashlib
import json
import time
import urllib.parse
from collections.abc import Callable

import duo_client.client as duo
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.server.duo.errors import DuoError
from app.server.duo.signing import (
    ALLOWED_SKEW,
    SignedRequest,
    canonical_params,
    check_date,
    host_spellings,
    parse_credentials,
    parse_params,
    signature_matches,
)

IKEY = "DIWJ8X6AEYOR5OMC6TQ1"
SKEY = "Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep"
names = st.text(min_size=1, max_size=12)
values = st.text(max_size=30)
param_dicts = st.dictionaries(names, values, max_size=6)


def sent_form(params: dict[str, str]) -> list[tuple[str, str]]:
    """The params as the server reads them back from what duo_client puts on the wire."""
    wire = urllib.parse.urlencode(duo.normalize_params(params), doseq=True)
    return parse_params(wire, "body")


@given(param_dicts)
def test_our_canonical_parameters_are_duo_clients(params: dict[str, str]) -> None:
    assert canonical_params(sent_form(params)) == duo.canon_params(duo.normalize_params(params))


def signed(
    params: dict[str, str], *, version: int, digest: object = hashlib.sha512, host: str = "h"
) -> tuple[str, SignedRequest]:
    """What duo_client sends for a POST, as SignedRequest sees it; and its signature."""
    date = email.utils.formatdate()
    if version == 2:
        auth = duo.sign(
            IKEY,
            SKEY,
            "POST",
            host,
            "/auth/v2/auth",
            date,
            2,
            duo.normalize_params(params),
            digestmod=digest,
        )
        body = urllib.parse.urlencode(duo.normalize_params(params), doseq=True).encode()
        request = SignedRequest(
            "POST", "/auth/v2/auth", ("h:8443", "h"), date, [], body, form=sent_form(params)
        )
    else:
        text = duo.Client.canon_json(params)
        auth = duo.sign(IKEY, SKEY, "POST", host, "/auth/v2/auth", date, version, {}, body=text)
        request = SignedRequest("POST", "/auth/v2/auth", ("h:8443", "h"), date, [], text.encode())
    return parse_credentials(auth).signature, request


@given(param_dicts, st.sampled_from([(2, hashlib.sha512), (2, hashlib.sha1), (5, None), (4, None)]))
def test_duo_clients_signatures_are_accepted(
    params: dict[str, str], version_digest: tuple[int, object]
) -> None:
    version, digest = version_digest
    signature, request = signed(params, version=version, digest=digest or hashlib.sha512)
    assert signature_matches(request, SKEY, signature)
    assert not signature_matches(request, SKEY[:-1] + "x", signature)


def test_a_changed_parameter_or_host_breaks_the_signature() -> None:
    signature, request = signed({"username": "alice", "factor": "push"}, version=2)
    tampered = SignedRequest(
        request.method,
        request.path,
        request.hosts,
        request.date,
        [],
        b"",
        form=[("username", "mallory"), ("factor", "push")],
    )
    assert signature_matches(request, SKEY, signature)
    assert not signature_matches(tampered, SKEY, signature)
    elsewhere, request = signed({"username": "alice"}, version=5, host="other.example")
    assert not signature_matches(request, SKEY, elsewhere)


def test_the_host_is_tried_with_and_without_its_port() -> None:
    # duo_client signs "localhost" and sends Host: localhost:8443; Go signs host:port.
    assert host_spellings("LocalHost:8443", "push.example.com", 443) == (
        "localhost:8443",
        "localhost",
        "push.example.com:443",
        "push.example.com",
    )
    assert host_spellings("[::1]:8443", "::1", 8443)[:2] == ("[::1]:8443", "[::1]")
    for host in ("h:8443", "h"):
        signature, request = signed({"a": "b"}, version=5, host=host)
        assert signature_matches(request, SKEY, signature)


# Each spelling is made at test time: a parameter holding the time itself would give every
# xdist worker a different test id, and the run would refuse to start.
DATE_SPELLINGS: dict[str, Callable[[], str]] = {
    "duo_client, -0000": lambda: email.utils.formatdate(time.time()),
    "Go RFC1123Z, +0000": lambda: time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime()),
    "another zone, -0500": lambda: email.utils.format_datetime(
        datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=-5)))
    ),
}


@pytest.mark.parametrize("spelling", sorted(DATE_SPELLINGS))
def test_dates_in_any_time_zone_are_read(spelling: str) -> None:
    text = DATE_SPELLINGS[spelling]()
    assert check_date(text, time.time()) == text


def test_a_date_too_far_either_way_is_refused() -> None:
    now = time.time()
    for offset in (ALLOWED_SKEW + 5, -ALLOWED_SKEW - 5):
        with pytest.raises(DuoError) as caught:
            check_date(email.utils.formatdate(now + offset), now)
        assert caught.value.code == 40103
    assert check_date(email.utils.formatdate(now + ALLOWED_SKEW - 5), now)
    with pytest.raises(DuoError) as missing:
        check_date(None, now)
    assert missing.value.code == 40101


@given(st.one_of(st.none(), st.text(max_size=200)), st.floats(0, 2**40))
def test_any_date_header_is_a_date_or_duos_error(text: str | None, now: float) -> None:
    try:
        answer: object = check_date(text, now)
    except DuoError as error:
        answer = (error.status, error.code)
    assert answer == text or answer in {(401, 40101), (401, 40103)}


credential_texts = st.one_of(
    st.none(),
    st.text(max_size=80),
    st.text(max_size=80).map(lambda t: "Basic " + base64.b64encode(t.encode()).decode()),
    st.builds(
        lambda ikey, sig: "Basic " + base64.b64encode(f"{ikey}:{sig}".encode()).decode(),
        st.sampled_from([IKEY, "DI", "XX" + IKEY[2:], IKEY.lower()]),
        st.text("0123456789abcdefABCDEF", max_size=130),
    ),
)


@given(credential_texts)
def test_any_authorization_header_is_credentials_or_duos_error(header: str | None) -> None:
    try:
        found = parse_credentials(header)
    except DuoError as error:
        refused = error
    else:
        assert found.ikey == IKEY
        assert len(found.signature) in {40, 128}
        return
    assert refused.code in {40101, 40103}
    assert set(refused.body()) <= {"stat", "code", "message", "message_detail"}


@given(st.text(max_size=200))
def test_any_query_is_parameters_or_duos_error(text: str) -> None:
    try:
        pairs = parse_params(text, "query")
    except DuoError as error:
        pairs, code = [], error.code
    else:
        code = 0
    assert code in {0, 40002}
    assert all(isinstance(name, str) and isinstance(value, str) for name, value in pairs)


def test_the_v5_body_hash_covers_the_body() -> None:
    signature, request = signed({"username": "alice"}, version=5)
    changed = json.dumps({"username": "mallory"}, sort_keys=True, separators=(",", ":"))
    forged = SignedRequest(
        request.method, request.path, request.hosts, request.date, [], changed.encode()
    )
    assert signature_matches(request, SKEY, signature)
    assert not signature_matches(forged, SKEY, signature)

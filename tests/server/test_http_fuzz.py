"""Any request body or parameter gives a result or a 400: never a crash, never a 500."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.server.errors import ApiError
from app.server.validation import (
    parse_challenge_request,
    parse_enrollment_request,
    parse_registration,
    parse_unblock,
    parse_wait,
    read_json_body,
)
from tests.server.conftest import Env
from tests.server.helpers import Rp

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
FIELDS = [
    "user",
    "ttl",
    "action",
    "context",
    "number_matching",
    "eid",
    "secret",
    "device_key",
    "name",
    "ts",
    "sig",
]
bodies = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(str.encode),
    st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), json_values, max_size=6).map(
        lambda d: json.dumps(d).encode()
    ),
)
content_types = st.sampled_from(
    [
        None,
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/json; charset=latin1",
        "",
    ]
)
PARSERS = [parse_enrollment_request, parse_challenge_request, parse_registration, parse_unblock]


@given(bodies, content_types, st.booleans())
def test_body_parsers_give_a_value_or_a_400(
    body: bytes, content_type: str | None, allow_empty: bool
) -> None:
    refusals: list[int] = []
    try:
        obj = read_json_body(content_type, body, allow_empty=allow_empty)
    except ApiError as error:
        obj = None
        refusals.append(error.status)
    for parse in PARSERS if obj is not None else []:
        try:
            parse(obj)
        except ApiError as error:
            refusals.append(error.status)
    assert set(refusals) <= {400}


@given(st.lists(st.text(max_size=30), max_size=3))
def test_wait_gives_0_to_60_or_a_400(values: list[str]) -> None:
    try:
        wait = parse_wait(values)
    except ApiError as error:
        wait = -error.status
    assert 0 <= wait <= 60 or wait == -400


LIVE = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ALLOWED = {
    "/v1/enrollments": {201, 400},
    "/v1/challenges": {400, 404},
    "/v1/devices": {400, 404},
    "/v1/users/u/unblock": {200, 400},
}


@LIVE
@given(st.sampled_from(sorted(ALLOWED)), bodies, content_types)
@pytest.mark.asyncio
async def test_any_body_to_the_live_server_is_never_a_500(
    env: Env, path: str, body: bytes, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type is not None else {}
    reply = await env.rp.call("POST", path, raw=body, headers=headers)
    assert reply.status in ALLOWED[path], reply
    assert isinstance(reply.body, dict)
    if reply.status == 400:
        assert set(reply.body) == {"error", "message"}
    assert env.server.stats.unexpected_errors == 0


@LIVE
@given(
    st.sampled_from(["GET", "POST", "DELETE", "PUT", "PATCH"]),
    st.sampled_from(
        [
            "/v1/enrollments/{}",
            "/v1/challenges/{}",
            "/v1/challenges/{}?wait={}",
            "/v1/users/{}/devices",
            "/v1/devices/{}",
            "/v1/users/{}/unblock",
            "/{}",
            "/v1/{}",
        ]
    ),
    st.text(min_size=1, max_size=40),
    st.text(max_size=10),
    st.booleans(),
)
@pytest.mark.asyncio
async def test_any_path_and_method_is_never_a_500(
    env: Env, method: str, template: str, part: str, wait: str, authenticated: bool
) -> None:
    path = template.format(quote(part, safe=""), quote(wait, safe=""))
    rp = env.rp if authenticated else Rp(env.http, env.base_url, None)
    reply = await rp.call(method, path, {} if method == "POST" else None)
    assert reply.status < 500, reply
    assert reply.status in {200, 400, 401, 404, 405}, reply
    assert isinstance(reply.body, dict | list)
    assert env.server.stats.unexpected_errors == 0

"""Duo parameters as IdPs send them, and what a Duo push shows on the device."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import duo_client.client as duo
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.server.duo import params as p
from app.server.duo.errors import DuoError
from app.server.errors import ApiError
from app.server.validation import parse_challenge_request
from tests.server.duo.conftest import PARAM_NAMES


def test_authentiks_pushinfo_is_shown_as_pairs() -> None:
    # authentik: pushinfo=urlencode({"Domain": host, "Application": name})
    pushinfo = urlencode({"Domain": "auth.example.com", "Application": "Grafana & Co"})
    details = p.push_details(pushinfo, "alice", "alice")
    assert details == "Domain: auth.example.com · Application: Grafana & Co"


def test_authelias_pushinfo_is_shown_as_a_pair() -> None:
    # Authelia: values.Set("pushinfo", fmt.Sprintf("target%%20url=%s", targetURL))
    details = p.push_details("target%20url=https://app.example.com/x?y=1", None, "bob")
    assert details == "target url: https://app.example.com/x?y=1"


def test_pushinfo_encoded_twice_is_decoded_once_more() -> None:
    once = urlencode({"from": "login portal", "domain": "example.com"})
    twice = quote(once, safe="")
    assert p.decode_pushinfo(twice) == [("from", "login portal"), ("domain", "example.com")]
    assert p.decode_pushinfo(once) == p.decode_pushinfo(twice)
    # A value with an encoded "=" of its own is not decoded a third time.
    assert p.decode_pushinfo(quote("a=b%3Dc", safe="")) == [("a", "b=c")]


def test_display_username_comes_first_when_it_differs() -> None:
    assert p.push_details("app=Mail", "Alice Doe", "alice") == "user: Alice Doe · app: Mail"
    assert p.push_details("app=Mail", "alice", "alice") == "app: Mail"
    assert p.push_details(None, None, "alice") is None


def test_details_are_cut_to_200_characters_with_an_ellipsis() -> None:
    details = p.push_details(urlencode({"note": "x" * 500}), None, "u")
    assert details is not None
    assert len(details) == 200
    assert details.endswith("…")


def test_text_that_could_disguise_a_prompt_is_neutralised() -> None:
    shown = p.shown("Sign in\u202efrom Paris\nnow\u200b")
    assert not {"\u202e", "\n", "\u200b"} & set(shown)
    assert shown == "Sign in\ufffdfrom Paris now\ufffd"


def test_unsupported_factors_get_duos_invalid_factor_error() -> None:
    for factor in ("sms", "phone", "passcode", "duo_push", ""):
        with pytest.raises(DuoError) as caught:
            p.auth_params({"factor": factor, "username": "alice"})
        assert (caught.value.status, caught.value.code, caught.value.detail) == (
            400,
            40002,
            "factor",
        )


def test_auth_defaults() -> None:
    got = p.auth_params({"factor": "auto", "user_id": "DUABCDEFGHIJKLMNOPQR"})
    assert got.device == "auto"
    assert not got.is_async
    assert got.action == "Sign in"
    assert got.user == p.UserRef(user_id="DUABCDEFGHIJKLMNOPQR")
    typed = p.auth_params({"factor": "push", "username": "a", "type": "Transfer", "async": "1"})
    assert (typed.action, typed.is_async) == ("Transfer", True)


param_dicts = st.dictionaries(
    st.sampled_from(PARAM_NAMES) | st.text(max_size=8),
    st.sampled_from(["auto", "push", "1", "0", "alice", "DUABCDEFGHIJKLMNOPQR", "600"])
    | st.text(max_size=60),
    max_size=8,
)
PARSERS = [p.user_ref, p.auth_params, p.txid, p.enroll_params, p.enroll_status_params]


@given(param_dicts)
def test_every_parser_gives_a_value_or_duos_40002(params: dict[str, str]) -> None:
    before = dict(params)
    codes = set()
    for parse in PARSERS:
        try:
            parse(params)
        except DuoError as error:
            codes.add((error.status, error.code))
    assert codes <= {(400, 40002)}
    assert params == before  # nothing changed


@given(param_dicts)
def test_what_a_duo_push_shows_passes_the_prompt_rules(params: dict[str, str]) -> None:
    """Whatever an IdP sends, the action and details are text the push API itself would
    accept in a challenge (no control or direction characters, 200 characters at most)."""
    params = {**params, "factor": "push", "username": "alice"}
    params.pop("user_id", None)
    try:
        got = p.auth_params(params)
        details = p.push_details(got.pushinfo, got.display_username, "alice")
    except DuoError:
        return
    context = {"location": details} if details else {}
    try:
        parse_challenge_request({"user": "alice", "action": got.action, "context": context})
    except ApiError as error:  # pragma: no cover - the failure hypothesis reports
        raise AssertionError(f"{got.action!r} / {details!r}: {error.message}") from error


@given(st.text(max_size=300))
def test_any_pushinfo_is_pairs_or_40002(text: str) -> None:
    try:
        pairs = p.decode_pushinfo(text)
    except DuoError as error:
        pairs, code = [], error.code
    else:
        code = 0
    assert code in {0, 40002}
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in pairs)


@given(st.binary(max_size=200))
def test_any_json_body_is_string_parameters_or_40002(body: bytes) -> None:
    try:
        params = p.json_params(body)
    except DuoError as error:
        params, code = {}, error.code
    else:
        code = 0
    assert code in {0, 40002}
    assert all(isinstance(v, str) for v in params.values())


def test_a_json_body_from_duo_clients_command_line_is_read() -> None:
    """`python -m duo_client.client --sig-version 5` sends every value as a list of one."""
    body = duo.Client.canon_json({"username": ["alice"], "factor": ["push"]})
    assert p.json_params(body.encode()) == {"username": "alice", "factor": "push"}
    for ambiguous in (b'{"username": ["a", "b"]}', b'{"username": []}', b'{"username": [["a"]]}'):
        with pytest.raises(DuoError) as caught:
            p.json_params(ambiguous)
        assert (caught.value.code, caught.value.detail) == (40002, "username")

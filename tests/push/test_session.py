"""DeviceSession without sockets: the test plays the server with its own key."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.push.canonical import (
    TAG_CHALLENGE,
    TAG_HELLO,
    TAG_RESPONSE,
    TAG_WS_AUTH,
    b64u_encode,
    digest,
    load_public_key,
    new_private_key,
    private_key_bytes,
    public_key_bytes,
    sign,
    verify,
)
from app.push.close_codes import CloseCode
from app.push.enrollment import PushEnrollment
from app.push.errors import PushError
from app.push.keepalive import Backoff
from app.push.messages import Decision, Status
from app.push.session import (
    AnswerRejected,
    ChallengeDropped,
    ChallengeReceived,
    ChallengeResolved,
    Connected,
    DeviceSession,
    DropReason,
    Outgoing,
    ProtocolViolation,
    State,
    ViolationKind,
)

SERVER_KEY = new_private_key()
DEVICE_KEY = new_private_key()
NONCE = b"\x01" * 32
NOW = 1_800_000_000


def enrollment() -> PushEnrollment:
    return PushEnrollment(
        url="https://push.example.com",
        ws_url="wss://push.example.com/v1/ws",
        device_id="d_1",
        device_key=private_key_bytes(DEVICE_KEY),
        server_key=public_key_bytes(SERVER_KEY),
        issuer="Example",
        user="alice",
        name="Laptop",
        enrolled_at=NOW,
    )


def text(obj: dict[str, object]) -> str:
    return json.dumps(obj)


def hello(server_time: int = NOW, key=SERVER_KEY) -> str:  # type: ignore[no-untyped-def]
    message = {"type": "hello", "v": 1, "nonce": b64u_encode(NONCE), "server_time": server_time}
    return text(sign(key, TAG_HELLO, message))


def challenge(key=SERVER_KEY, **change: object) -> dict[str, object]:  # type: ignore[no-untyped-def]
    fields: dict[str, object] = {
        "type": "challenge",
        "id": "c_1",
        "issuer": "Example",
        "user": "alice",
        "action": "Sign in",
        "context": {"app": "Mail"},
        "number_matching": True,
        "created_at": NOW,
        "expires_at": NOW + 120,
    }
    fields.update(change)
    return sign(key, TAG_CHALLENGE, fields)


def ready_session(local_now: int = NOW, server_time: int = NOW) -> DeviceSession:
    session = DeviceSession(enrollment())
    session.on_open()
    session.on_message(hello(server_time), local_now)
    [event] = session.on_message(text({"type": "ready", "server_time": server_time}), local_now)
    assert isinstance(event, Connected)
    return session


def test_hello_gets_a_signed_auth_echoing_the_nonce() -> None:
    session = DeviceSession(enrollment())
    assert session.on_open() == []
    [out] = session.on_message(hello(), NOW)
    assert isinstance(out, Outgoing)
    auth = json.loads(out.text)
    assert auth["type"] == "auth"
    assert auth["device_id"] == "d_1"
    assert auth["nonce"] == b64u_encode(NONCE)
    assert verify(DEVICE_KEY.public_key(), TAG_WS_AUTH, auth)
    assert session.state is State.AWAIT_READY


def test_a_hello_not_signed_by_the_pinned_key_is_fatal() -> None:
    session = DeviceSession(enrollment())
    session.on_open()
    [violation] = session.on_message(hello(key=new_private_key()), NOW)
    assert isinstance(violation, ProtocolViolation)
    assert violation.fatal
    assert violation.kind is ViolationKind.BAD_SIGNATURE
    assert violation.close_code == CloseCode.POLICY_VIOLATION == 1008
    assert session.state is State.AWAIT_HELLO  # no auth was sent


def test_anything_but_hello_first_is_fatal() -> None:
    session = DeviceSession(enrollment())
    session.on_open()
    [violation] = session.on_message(text({"type": "ready", "server_time": NOW}), NOW)
    assert isinstance(violation, ProtocolViolation)
    assert violation.fatal
    assert violation.kind is ViolationKind.OUT_OF_TURN
    [violation] = session.on_message("garbage", NOW)
    assert isinstance(violation, ProtocolViolation)
    assert violation.fatal
    assert violation.kind is ViolationKind.MALFORMED


def test_ready_reports_the_drift_from_the_signed_hello() -> None:
    session = DeviceSession(enrollment())
    session.on_open()
    session.on_message(hello(server_time=NOW + 40), NOW)
    [event] = session.on_message(text({"type": "ready", "server_time": NOW + 41}), NOW + 1)
    assert event == Connected(server_time=NOW + 41, drift=40)
    assert session.server_now(NOW + 10) == NOW + 50


def test_a_second_hello_is_fatal() -> None:
    session = ready_session()
    [violation] = session.on_message(hello(), NOW)
    assert isinstance(violation, ProtocolViolation)
    assert violation.fatal
    assert violation.kind is ViolationKind.OUT_OF_TURN


def test_a_good_challenge_is_shown_with_a_local_deadline() -> None:
    session = ready_session(local_now=NOW, server_time=NOW + 30)  # our clock is 30 s slow
    [event] = session.on_message(text(challenge()), NOW)
    assert isinstance(event, ChallengeReceived)
    assert event.challenge.id == "c_1"
    assert event.challenge.action == "Sign in"
    assert event.local_expires_at == NOW + 90
    assert [c.id for c in session.pending] == ["c_1"]


def test_a_challenge_with_a_bad_signature_is_dropped() -> None:
    session = ready_session()
    [event] = session.on_message(text(challenge(key=new_private_key())), NOW)
    assert isinstance(event, ChallengeDropped)
    assert event.reason is DropReason.BAD_SIGNATURE
    tampered = {**challenge(), "action": "Transfer money"}
    [event] = session.on_message(text(tampered), NOW)
    assert isinstance(event, ChallengeDropped)
    assert session.pending == []


@pytest.mark.parametrize("change", [{"issuer": "Other"}, {"user": "bob"}])
def test_a_challenge_for_another_site_or_user_is_dropped(change: dict[str, object]) -> None:
    session = ready_session()
    [event] = session.on_message(text(challenge(**change)), NOW)
    assert isinstance(event, ChallengeDropped)
    assert event.reason is DropReason.OTHER_ENROLLMENT


def test_a_challenge_id_seen_before_is_dropped_even_after_reconnecting() -> None:
    session = ready_session()
    session.on_message(text(challenge()), NOW)
    [event] = session.on_message(text(challenge()), NOW)
    assert isinstance(event, ChallengeDropped)
    assert event.reason is DropReason.ALREADY_SEEN
    session.on_close()
    session.on_open()
    session.on_message(hello(), NOW)
    session.on_message(text({"type": "ready", "server_time": NOW}), NOW)
    [event] = session.on_message(text(challenge()), NOW)
    assert isinstance(event, ChallengeDropped)
    assert [c.id for c in session.pending] == ["c_1"]  # still answerable


def test_expiry_is_judged_by_the_servers_clock() -> None:
    # Our clock is 200 s fast: by it the challenge is over, by the server's it is not.
    session = ready_session(local_now=NOW + 200, server_time=NOW)
    [event] = session.on_message(text(challenge()), NOW + 200)
    assert isinstance(event, ChallengeReceived)
    # Our clock is 200 s slow: by it there is time left, by the server's it is over.
    session = ready_session(local_now=NOW - 200, server_time=NOW + 121)
    [event] = session.on_message(text(challenge(id="c_2")), NOW - 200)
    assert isinstance(event, ChallengeDropped)
    assert event.reason is DropReason.EXPIRED


def test_a_challenge_before_ready_is_dropped() -> None:
    session = DeviceSession(enrollment())
    session.on_open()
    session.on_message(hello(), NOW)
    [event] = session.on_message(text(challenge()), NOW)
    assert isinstance(event, ChallengeDropped)


def test_answer_builds_a_signed_response_bound_to_the_challenge() -> None:
    session = ready_session()
    sent = challenge()
    session.on_message(text(sent), NOW)
    out = session.answer("c_1", Decision.APPROVE, "47", NOW + 3)
    response = json.loads(out.text)
    assert response == {
        "type": "response",
        "id": "c_1",
        "decision": "approve",
        "number": "47",
        "challenge_hash": b64u_encode(digest(TAG_CHALLENGE, sent)),
        "ts": NOW + 3,
        "sig": response["sig"],
    }
    assert verify(DEVICE_KEY.public_key(), TAG_RESPONSE, response)
    with pytest.raises(PushError, match="already been answered"):
        session.answer("c_1", Decision.APPROVE, "47", NOW)


def test_the_hash_is_over_the_challenge_as_received() -> None:
    session = ready_session()
    sent = {**challenge(), "future_field": "x"}  # unknown to us, signed by the server
    sent = sign(SERVER_KEY, TAG_CHALLENGE, sent)
    session.on_message(text(sent), NOW)
    response = json.loads(session.answer("c_1", Decision.DENY, None, NOW).text)
    assert response["challenge_hash"] == b64u_encode(digest(TAG_CHALLENGE, sent))


def test_deny_and_fraud_send_a_null_number() -> None:
    session = ready_session()
    session.on_message(text(challenge()), NOW)
    assert json.loads(session.answer("c_1", Decision.FRAUD, "12", NOW).text)["number"] is None


def test_approving_with_number_matching_needs_two_digits() -> None:
    session = ready_session()
    session.on_message(text(challenge()), NOW)
    for bad in (None, "4", "473", "ab"):
        with pytest.raises(PushError, match="two-digit number"):
            session.answer("c_1", Decision.APPROVE, bad, NOW)


def test_approving_without_number_matching_sends_no_number() -> None:
    session = ready_session()
    session.on_message(text(challenge(number_matching=False)), NOW)
    assert json.loads(session.answer("c_1", Decision.APPROVE, None, NOW).text)["number"] is None


def test_answer_refuses_unknown_challenges_and_a_closed_connection() -> None:
    session = ready_session()
    with pytest.raises(PushError, match="over or unknown"):
        session.answer("c_9", Decision.DENY, None, NOW)
    session.on_message(text(challenge()), NOW)
    session.on_close()
    with pytest.raises(PushError, match="Not connected"):
        session.answer("c_1", Decision.DENY, None, NOW)


def test_result_and_cancel_end_a_prompt() -> None:
    session = ready_session()
    session.on_message(text(challenge()), NOW)
    session.on_message(text(challenge(id="c_2")), NOW)
    session.answer("c_1", Decision.APPROVE, "10", NOW)
    [event] = session.on_message(text({"type": "result", "id": "c_1", "status": "approved"}), NOW)
    assert event == ChallengeResolved("c_1", Status.APPROVED, "result")
    assert not event.elsewhere  # our own answer
    [event] = session.on_message(text({"type": "cancel", "id": "c_2", "status": "cancelled"}), NOW)
    assert event == ChallengeResolved("c_2", Status.CANCELLED, "cancel")
    assert not event.elsewhere  # the site withdrew it: nobody decided
    assert session.pending == []
    assert session.on_message(text({"type": "cancel", "id": "c_2", "status": "expired"}), NOW) == []


@pytest.mark.parametrize("status", ["approved", "denied", "fraud", "wrong_number"])
def test_a_cancel_carrying_a_decision_was_decided_on_another_device(status: str) -> None:
    session = ready_session()
    session.on_message(text(challenge()), NOW)
    [event] = session.on_message(text({"type": "cancel", "id": "c_1", "status": status}), NOW)
    assert event == ChallengeResolved("c_1", Status(status), "cancel")
    assert event.elsewhere


def test_a_challenge_before_ready_is_dropped_and_a_message_while_closed_is_fatal() -> None:
    session = DeviceSession(enrollment())
    session.on_open()
    session.on_message(hello(), NOW)
    [event] = session.on_message(text(challenge()), NOW)
    assert event == ChallengeDropped("c_1", DropReason.BEFORE_READY)
    session.on_close()
    [violation] = session.on_message(text({"type": "ready", "server_time": NOW}), NOW)
    assert isinstance(violation, ProtocolViolation)
    assert violation.fatal
    assert violation.kind is ViolationKind.WHILE_CLOSED


def test_an_invalid_result_keeps_the_prompt_and_allows_another_answer() -> None:
    session = ready_session()
    session.on_message(text(challenge()), NOW)
    session.answer("c_1", Decision.APPROVE, "10", NOW)
    [event] = session.on_message(text({"type": "result", "id": "c_1", "status": "invalid"}), NOW)
    assert event == AnswerRejected("c_1")
    assert [c.id for c in session.pending] == ["c_1"]
    session.answer("c_1", Decision.DENY, None, NOW)


def test_expire_takes_down_prompts_whose_time_is_up() -> None:
    session = ready_session()
    session.on_message(text(challenge()), NOW)
    assert session.expire(NOW + 119) == []
    assert session.expire(NOW + 120) == [ChallengeResolved("c_1", Status.EXPIRED, "local")]
    assert session.pending == []


def test_malformed_messages_after_ready_are_ignored() -> None:
    session = ready_session()
    for raw in ("{", '{"type": "future"}', "[]"):
        [event] = session.on_message(raw, NOW)
        assert isinstance(event, ProtocolViolation)
        assert not event.fatal
        assert event.kind is ViolationKind.MALFORMED
    assert session.state is State.READY


def test_an_oversized_message_closes_with_1009() -> None:
    session = ready_session()
    [event] = session.on_message('{"type":"ready","x":"' + "a" * 65536 + '"}', NOW)
    assert isinstance(event, ProtocolViolation)
    assert event.fatal
    assert event.kind is ViolationKind.TOO_BIG
    assert event.close_code == CloseCode.TOO_BIG == 1009


def test_the_session_never_sends_the_device_key() -> None:
    session = ready_session()
    session.on_message(text(challenge()), NOW)
    out = session.answer("c_1", Decision.DENY, None, NOW)
    assert b64u_encode(private_key_bytes(DEVICE_KEY)) not in out.text
    assert load_public_key(public_key_bytes(DEVICE_KEY))


messages = st.one_of(
    st.text(max_size=200),
    st.builds(
        lambda kind, extra: json.dumps({"type": kind, **extra}),
        st.sampled_from(["hello", "ready", "challenge", "result", "cancel", "auth", "x"]),
        st.dictionaries(
            st.sampled_from(["id", "status", "server_time", "nonce", "sig", "v", "issuer"]),
            st.none() | st.integers() | st.text(max_size=20) | st.booleans(),
            max_size=6,
        ),
    ),
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(messages, max_size=6), st.integers(0, 3))
def test_any_text_in_any_state_gives_actions_never_an_exception(
    raws: list[str], start: int
) -> None:
    session = DeviceSession(enrollment())
    session.on_open()
    if start >= 1:
        session.on_message(hello(), NOW)
    if start >= 2:
        session.on_message(text({"type": "ready", "server_time": NOW}), NOW)
    if start >= 3:
        session.on_message(text(challenge()), NOW)
    for raw in raws:
        actions = session.on_message(raw, NOW)
        assert isinstance(actions, list)


def test_backoff_doubles_to_a_minute_with_jitter_and_resets() -> None:
    lows = Backoff(random=lambda: 0.0)
    assert [lows.next_delay() for _ in range(8)] == [0.5, 1, 2, 4, 8, 16, 30, 30]
    highs = Backoff(random=lambda: 1.0)
    assert [highs.next_delay() for _ in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    highs.reset()
    assert highs.next_delay() == 1


def test_the_sessions_backoff_resets_at_ready_not_before() -> None:
    session = DeviceSession(enrollment(), backoff=Backoff(random=lambda: 1.0))
    for _ in range(3):
        session.on_open()
        session.on_close()
        session.backoff.next_delay()
    session.on_open()
    session.on_message(hello(), NOW)  # hello alone is not enough
    assert session.backoff.next_delay() == 8
    session.on_message(text({"type": "ready", "server_time": NOW}), NOW)
    assert session.backoff.next_delay() == 1


def test_backoff_jitter_uses_the_given_randomness() -> None:
    draws = iter([0.5, 0.25])
    backoff = Backoff(random=lambda: next(draws))
    assert backoff.next_delay() == 0.75
    assert backoff.next_delay() == 1.25
    for _ in range(100):
        assert 0.5 <= Backoff().next_delay() <= 1.0


def reconnect(session: DeviceSession) -> list[object]:
    session.on_close()
    session.on_open()
    session.on_message(hello(), NOW)
    return list(session.on_message(text({"type": "ready", "server_time": NOW}), NOW))


def test_an_answer_without_a_result_is_sent_again_after_reconnecting() -> None:
    session = ready_session()
    session.on_message(text(challenge()), NOW)
    sent = session.answer("c_1", Decision.APPROVE, "47", NOW)
    # The socket drops before the server's result: the same signed response goes again at
    # the next ready, and its result then ends the prompt.
    connected, again = reconnect(session)
    assert isinstance(connected, Connected)
    assert again == sent
    [event] = session.on_message(text({"type": "result", "id": "c_1", "status": "approved"}), NOW)
    assert event == ChallengeResolved("c_1", Status.APPROVED, "result")
    assert reconnect(session)[1:] == []  # resolved: nothing more to send


def test_a_resolved_or_rejected_answer_is_not_sent_again() -> None:
    session = ready_session()
    session.on_message(text(challenge()), NOW)
    session.answer("c_1", Decision.DENY, None, NOW)
    session.on_message(text({"type": "result", "id": "c_1", "status": "invalid"}), NOW)
    assert reconnect(session)[1:] == []

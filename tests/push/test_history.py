"""The history of push requests as kept in the vault: written back, read back, never fatal."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from app.push.history import (
    HISTORY_KEY,
    MAX_PER_ENROLLMENT,
    PENDING,
    UNANSWERED,
    HistoryEntry,
    PushHistory,
)
from app.push.messages import Challenge


def entry(device: str, challenge: str, received: int, outcome: str = PENDING) -> HistoryEntry:
    return HistoryEntry(
        device_id=device,
        challenge_id=challenge,
        issuer="Example Site",
        user="alice",
        action="Sign in",
        context={"location": "Lyon, France", "ip": "203.0.113.7"},
        created_at=received,
        received_at=received,
        outcome=outcome,
    )


def test_entries_go_into_their_enrollments_and_come_back() -> None:
    history = PushHistory()
    history.add(entry("d_1", "c_1", 100))
    history.add(entry("d_2", "c_2", 200))
    history.add(entry("d_1", "c_3", 300))
    history.finish("d_1", "c_1", "approved", elsewhere=False, ended_at=110)
    history.finish("d_2", "c_2", "denied", elsewhere=True, ended_at=210)
    push: list[dict[str, Any]] = [
        {"device_id": "d_1", "device_key": "secret-looking"},
        {"device_id": "d_2"},
        {"device_id": "d_gone", HISTORY_KEY: [{"id": "old", "received_at": 5}]},
    ]
    history.store(push)
    assert [h["id"] for h in push[0][HISTORY_KEY]] == ["c_1", "c_3"]
    assert push[0]["device_key"] == "secret-looking"  # the rest of the enrollment is untouched
    assert HISTORY_KEY not in push[2]  # no entry of its own any more
    json.dumps(push)  # plain JSON for the vault

    again = PushHistory()
    again.load(push)
    assert [(e.challenge_id, e.outcome, e.elsewhere) for e in again.entries] == [
        ("c_1", "approved", False),
        ("c_2", "denied", True),
        # Still waiting when it was saved: it ended without this device.
        ("c_3", UNANSWERED, False),
    ]
    assert again.entries[0].context == {"location": "Lyon, France", "ip": "203.0.113.7"}
    assert not again.dirty


def test_a_request_shown_is_kept_as_asked_and_pending_until_it_ends() -> None:
    challenge = Challenge(
        id="c_1",
        issuer="Example Site",
        user="alice",
        action="Sign in",
        context={"app": "Webmail", "ip": "203.0.113.7"},
        number_matching=True,
        created_at=90,
        expires_at=210,
        raw={"sig": "signature-bytes"},
    )
    history = PushHistory()
    history.add(HistoryEntry.from_challenge("d_1", challenge, received_at=100))
    history.add(HistoryEntry.from_challenge("d_1", challenge, received_at=101))  # shown once
    [kept] = history.entries
    assert kept.to_dict() == {
        "id": "c_1",
        "issuer": "Example Site",
        "user": "alice",
        "action": "Sign in",
        "context": {"app": "Webmail", "ip": "203.0.113.7"},
        "created_at": 90,
        "received_at": 100,
        "outcome": PENDING,
        "elsewhere": False,
        "ended_at": None,
    }
    history.finish("d_1", "c_1", "approved", elsewhere=True, ended_at=120)
    history.finish("d_1", "c_1", "expired", elsewhere=False, ended_at=300)  # already over
    assert (kept.outcome, kept.elsewhere, kept.ended_at) == ("approved", True, 120)


def test_memory_wins_over_what_the_vault_held() -> None:
    history = PushHistory()
    history.add(entry("d_1", "c_1", 100))
    history.finish("d_1", "c_1", "fraud", elsewhere=False, ended_at=101)
    push: list[dict[str, Any]] = [
        {"device_id": "d_1", HISTORY_KEY: [entry("d_1", "c_1", 100).to_dict()]}
    ]
    history.load(push)
    assert [(e.challenge_id, e.outcome) for e in history.entries] == [("c_1", "fraud")]


def test_only_the_latest_entries_of_an_enrollment_are_kept() -> None:
    history = PushHistory()
    for i in range(MAX_PER_ENROLLMENT + 7):
        history.add(entry("d_1", f"c_{i}", i))
    push: list[dict[str, Any]] = [{"device_id": "d_1"}]
    history.store(push)
    kept = push[0][HISTORY_KEY]
    assert len(kept) == MAX_PER_ENROLLMENT
    assert kept[-1]["id"] == f"c_{MAX_PER_ENROLLMENT + 6}"


def test_removed_enrollments_lose_their_history() -> None:
    history = PushHistory()
    history.add(entry("d_1", "c_1", 1))
    history.add(entry("d_2", "c_2", 2))
    history.dirty = False
    history.keep_only({"d_2"})
    assert [e.device_id for e in history.entries] == ["d_2"]
    assert history.dirty


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)
entry_like = st.fixed_dictionaries(
    {},
    optional={
        "id": json_values | st.text(min_size=1, max_size=10),
        "received_at": json_values | st.integers(),
        "created_at": json_values,
        "outcome": json_values,
        "context": json_values
        | st.dictionaries(st.sampled_from(["app", "ip", "location", "other"]), json_values),
        "elsewhere": json_values,
        "ended_at": json_values,
        "issuer": json_values,
    },
)


@settings(max_examples=150, deadline=None)
@given(
    push=st.lists(
        st.dictionaries(
            st.sampled_from(["device_id", HISTORY_KEY]),
            json_values | st.lists(entry_like | json_values, max_size=4),
        ),
        max_size=4,
    )
)
def test_any_stored_history_reads_as_entries_or_nothing(push: list[dict[str, Any]]) -> None:
    before = copy.deepcopy(push)
    history = PushHistory()
    history.load(push)  # never raises
    assert push == before  # reading changes nothing
    for item in history.entries:
        assert isinstance(item.challenge_id, str)
        assert item.challenge_id
        assert isinstance(item.received_at, int)
        assert all(isinstance(v, str) for v in item.context.values())
        assert item.outcome != PENDING
    history.store(push)
    json.dumps(push)

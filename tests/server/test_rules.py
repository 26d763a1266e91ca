"""The push rules as pure functions, and the parsers of notices and database URLs.

The rules' behaviour through the API is tested against both stores (test_challenges.py);
here, properties that hold for every sequence of events, and bad input to every parser.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.push.messages import Decision, Status
from app.server import rules
from app.server.database import DatabaseUrlError, parse_database_url
from app.server.migrations import POSTGRES, SQLITE, Migration, SchemaTooNew, to_apply
from app.server.notify import Notice, NoticeError, NoticeKind, decode_notice
from app.server.rules import CreateKind, FatiguePolicy, UserState

POLICY = FatiguePolicy()
FINAL = [s for s in Status if s not in {Status.PENDING, Status.INVALID}]


def create(state: UserState, now: int) -> rules.CreateVerdict:
    return rules.judge_create(POLICY, state, now=now, has_device=True, pending_until=None)


def test_refusals_come_in_the_protocols_order() -> None:
    worst = UserState(blocked=True, not_before=100, create_tat=10_000)
    verdict = rules.judge_create(POLICY, worst, now=0, has_device=False, pending_until=50)
    assert verdict.kind is CreateKind.NO_DEVICE
    verdict = rules.judge_create(POLICY, worst, now=0, has_device=True, pending_until=50)
    assert verdict.kind is CreateKind.BLOCKED
    unblocked = rules.unblocked(worst)
    verdict = rules.judge_create(POLICY, unblocked, now=0, has_device=True, pending_until=50)
    assert (verdict.kind, verdict.retry_at) == (CreateKind.PENDING, 50)
    assert create(unblocked, 0) == rules.CreateVerdict(CreateKind.BACKOFF, 100)
    verdict = create(unblocked, 100)
    assert verdict.kind is CreateKind.TOO_MANY


def test_five_in_a_row_then_one_a_minute() -> None:
    state, now, made = UserState(), 1000, 0
    while (verdict := create(state, now)).kind is CreateKind.CREATED:
        assert verdict.state is not None
        state, made = verdict.state, made + 1
    assert made == 5
    assert verdict == rules.CreateVerdict(CreateKind.TOO_MANY, now + 60)
    assert create(state, now + 59).kind is CreateKind.TOO_MANY
    next_one = create(state, now + 60)
    assert next_one.kind is CreateKind.CREATED
    assert next_one.state is not None
    assert create(next_one.state, now + 60).kind is CreateKind.TOO_MANY
    # After a quiet spell the whole burst is back.
    assert create(state, now + 5 * 60).kind is CreateKind.CREATED


@given(st.lists(st.integers(min_value=0, max_value=400), max_size=60))
def test_the_budget_never_allows_more_than_it_says(gaps: list[int]) -> None:
    """In any window of W seconds at most burst + W // interval challenges are made."""
    state, now, made = UserState(), 0, []
    for gap in gaps:
        now += gap
        verdict = create(state, now)
        if verdict.kind is CreateKind.CREATED:
            assert verdict.state is not None
            state = verdict.state
            made.append(now)
        else:
            assert verdict.kind is CreateKind.TOO_MANY
            assert verdict.retry_at is not None
            assert verdict.retry_at > now
    for i, start in enumerate(made):
        for j in range(i, len(made)):
            window = made[j] - start
            assert j - i + 1 <= POLICY.create_burst + window // POLICY.create_interval


@given(st.lists(st.sampled_from(FINAL), max_size=30))
def test_backoff_counts_strikes_and_an_approval_resets_it(endings: list[Status]) -> None:
    state, strikes = UserState(), 0
    for at, status in enumerate(endings):
        before = state
        state = rules.after_end(POLICY, state, status, at * 10)
        if status is Status.APPROVED:
            strikes = 0
            assert (state.strikes, state.not_before) == (0, 0)
        elif status in rules.STRIKES:
            strikes += 1
            assert state.not_before == at * 10 + min(3600, 10 * 2 ** (strikes - 1))
        else:  # cancelled, fraud: the backoff stays as it is
            assert (state.strikes, state.not_before) == (before.strikes, before.not_before)
        assert state.blocked == (before.blocked or status is Status.FRAUD)
        assert state.strikes == strikes
        assert state.create_tat == before.create_tat  # an ending never refunds a creation


def test_a_decision_ends_a_challenge_once_and_a_wrong_number_ends_it() -> None:
    decide = rules.decision_status
    assert decide(Decision.APPROVE, True, "47", "47") is Status.APPROVED
    assert decide(Decision.APPROVE, True, "47", "48") is Status.WRONG_NUMBER
    assert decide(Decision.APPROVE, True, "47", None) is Status.WRONG_NUMBER
    assert decide(Decision.APPROVE, True, "07", "7") is Status.WRONG_NUMBER  # strings
    assert decide(Decision.APPROVE, False, None, None) is Status.APPROVED
    assert decide(Decision.DENY, True, "47", None) is Status.DENIED
    assert decide(Decision.FRAUD, True, "47", None) is Status.FRAUD


def test_registration_steps_in_the_protocols_order() -> None:
    step = rules.registration_step
    assert step(found=False, secret_ok=False, used=True, expires_at=0, now=9) is (
        rules.RegistrationStep.UNKNOWN
    )
    assert step(found=True, secret_ok=False, used=True, expires_at=0, now=9) is (
        rules.RegistrationStep.MISMATCH
    )
    assert step(found=True, secret_ok=True, used=True, expires_at=0, now=9) is (
        rules.RegistrationStep.USED
    )
    assert step(found=True, secret_ok=True, used=False, expires_at=9, now=9) is (
        rules.RegistrationStep.EXPIRED
    )
    assert step(found=True, secret_ok=True, used=False, expires_at=10, now=9) is (
        rules.RegistrationStep.OPEN
    )


# -- notices ---------------------------------------------------------------------------------


@given(
    st.sampled_from(list(NoticeKind)),
    st.from_regex(r"[A-Za-z0-9_-]{1,128}", fullmatch=True),
    st.from_regex(r"[A-Za-z0-9_-]{1,128}", fullmatch=True),
)
def test_a_notice_reads_back_as_written(kind: NoticeKind, origin: str, object_id: str) -> None:
    notice = Notice(kind, origin, object_id)
    assert decode_notice(notice.encode()) == notice


@given(st.text(max_size=300))
def test_anything_else_is_a_notice_error(payload: str) -> None:
    try:
        notice = decode_notice(payload)
    except NoticeError:
        return
    assert notice.encode() == payload


@pytest.mark.parametrize("payload", ["", "c:a", "x:a:b", "c:a:b:c", "c::b", "c:a:b\n", "c:ä:b"])
def test_malformed_notices(payload: str) -> None:
    with pytest.raises(NoticeError):
        decode_notice(payload)


# -- database URLs ---------------------------------------------------------------------------


def test_database_urls() -> None:
    pg = parse_database_url("postgresql://kf:pw@db.internal:5432/keyfob?sslmode=verify-full")
    assert (pg.kind, pg.url) == (
        "postgresql",
        "postgresql://kf:pw@db.internal:5432/keyfob?sslmode=verify-full",
    )
    assert "pw" not in pg.describe()
    assert parse_database_url("postgres://db/keyfob").kind == "postgresql"
    assert parse_database_url("sqlite:///var/lib/kf/db.sqlite3").path == Path(
        "/var/lib/kf/db.sqlite3"
    )
    assert parse_database_url("sqlite:////var/lib/kf/db.sqlite3").path == Path(
        "/var/lib/kf/db.sqlite3"
    )
    assert parse_database_url("sqlite:state/db.sqlite3").path == Path("state/db.sqlite3")
    assert parse_database_url("sqlite:///a%20b.db").path == Path("/a b.db")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "keyfob",
        "mysql://db/keyfob",
        "postgresql:db",
        "postgresql://db:port/keyfob",
        "postgresql://db:99999/keyfob",
        "sqlite://host/path.db",
        "sqlite:///",
        "sqlite:",
        "sqlite:///db?mode=ro",
    ],
)
def test_bad_database_urls(text: str) -> None:
    with pytest.raises(DatabaseUrlError):
        parse_database_url(text)


@given(st.text(max_size=80))
def test_any_database_url_is_read_or_refused(text: str) -> None:
    try:
        database = parse_database_url(text)
    except DatabaseUrlError:
        return
    assert database.kind in {"sqlite", "postgresql"}
    assert (database.path is None) == (database.kind == "postgresql")


# -- migrations ------------------------------------------------------------------------------


@pytest.mark.parametrize("migrations", [SQLITE, POSTGRES], ids=["sqlite", "postgresql"])
def test_migrations_are_numbered_in_order_from_one(migrations: tuple[Migration, ...]) -> None:
    versions = [m.version for m in migrations]
    assert versions == list(range(1, len(versions) + 1))
    assert to_apply(0, migrations) == list(migrations)
    assert to_apply(versions[-1], migrations) == []


def test_a_newer_schema_is_refused() -> None:
    with pytest.raises(SchemaTooNew, match="upgrade keyfob-server"):
        to_apply(len(POSTGRES) + 1, POSTGRES)

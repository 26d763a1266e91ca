"""The device's keepalive, shared by the app and the CLI, on an injected clock: a ping every
20 s, and a server silent for 20 s after a ping is dropped (PUSH-PROTOCOL.md), not sooner."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.push.keepalive import PING_INTERVAL, PING_TIMEOUT, Heartbeat


def run_until(
    beat: Heartbeat, end: float, heard_at: tuple[float, ...] = ()
) -> list[tuple[float, str]]:
    """Drive the heartbeat as a transport does, waking at `next_due`; what it did, when."""
    done: list[tuple[float, str]] = []
    pending = sorted(heard_at)
    now = 0.0
    while now <= end:
        due = beat.next_due()
        if pending and pending[0] <= due:
            now = pending.pop(0)
            beat.heard(now)
            continue
        now = due
        if now > end:
            break
        action = beat.tick(now)
        if action is not None:
            done.append((now, action))
            if action == "drop":
                break
    return done


def test_the_protocol_timings() -> None:
    assert (PING_INTERVAL, PING_TIMEOUT) == (20.0, 20.0)


def test_a_silent_server_is_dropped_20_s_after_the_ping() -> None:
    beat = Heartbeat()
    beat.start(0.0)
    assert run_until(beat, 100.0) == [(20.0, "ping"), (40.0, "drop")]


def test_nothing_happens_before_it_is_due() -> None:
    beat = Heartbeat()
    beat.start(0.0)
    assert beat.tick(19.9) is None
    assert beat.tick(20.0) == "ping"
    for now in (21.0, 30.0, 39.9):  # silent, yet within the protocol's 20 s
        assert beat.tick(now) is None
    assert beat.tick(40.0) == "drop"


def test_a_server_that_answers_is_kept_ping_after_ping() -> None:
    beat = Heartbeat()
    beat.start(0.0)
    pongs = tuple(20.0 * n + 0.5 for n in range(1, 10))
    assert run_until(beat, 200.0, pongs) == [(20.0 * n, "ping") for n in range(1, 11)]


def test_anything_heard_counts_as_an_answer() -> None:
    beat = Heartbeat()
    beat.start(0.0)
    assert beat.tick(20.0) == "ping"
    beat.heard(39.0)  # a message, not a pong: the server is alive all the same
    assert beat.tick(40.0) == "ping"
    assert beat.tick(59.9) is None
    assert beat.tick(60.0) == "drop"


def test_start_forgets_the_last_connection() -> None:
    beat = Heartbeat()
    beat.start(0.0)
    assert beat.tick(20.0) == "ping"
    beat.start(30.0)  # reconnected
    assert beat.tick(45.0) is None
    assert beat.next_due() == 50.0


def test_a_shorter_interval_keeps_pinging_but_times_from_the_first_unanswered_ping() -> None:
    beat = Heartbeat(interval=5.0, timeout=12.0)
    beat.start(0.0)
    assert run_until(beat, 100.0) == [(5.0, "ping"), (10.0, "ping"), (15.0, "ping"), (17.0, "drop")]


@given(st.lists(st.floats(min_value=0, max_value=300), max_size=30))
def test_never_dropped_while_heard_within_the_timeout_of_each_ping(heard: list[float]) -> None:
    beat = Heartbeat()
    beat.start(0.0)
    done = run_until(beat, 300.0, tuple(heard))
    for when, action in done:
        if action == "drop":
            ping = max(t for t, a in done if a == "ping" and t < when)
            assert when - ping >= PING_TIMEOUT
            assert not [t for t in heard if ping <= t < when]

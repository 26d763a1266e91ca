"""How the history of push requests reads on screen (the history itself: tests/push)."""

from __future__ import annotations

from app.ui.push.history import describe_outcome


def test_outcomes_in_words() -> None:
    assert describe_outcome("approved") == "Approved"
    assert describe_outcome("approved", elsewhere=True) == "Approved on another device"
    assert describe_outcome("expired", elsewhere=True) == "Expired"
    assert describe_outcome("wrong_number") == "Refused: wrong number"

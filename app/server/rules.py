"""The push rules, as pure functions of plain values: no I/O, no clock, no store.

Against push fatigue (PUSH-PROTOCOL.md): one pending challenge per user; a backoff after a
challenge ends denied, expired or wrong_number (10 s doubling to an hour, counted from its
end, reset by an approval; cancelled and fraud leave it as it is); a fraud report blocks
pushes until the site unblocks; and at most `create_burst` challenges in a row per user,
then one per `create_interval`, whatever became of them (cancelled ones count, so a site,
or an attacker driving it, cannot push a prompt in a create-and-cancel loop).

Both stores call these inside the one transaction that reads a user's state and writes the
result, so a rule holds across server nodes; a store only persists what they decide. The
enrollment and response rules below are the service's, kept here with the others.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, replace
from enum import Enum
from typing import Final

from app.push.messages import Decision, Status

# Endings that count as a strike: the user did not (or could not) approve.
STRIKES: Final = frozenset({Status.DENIED, Status.EXPIRED, Status.WRONG_NUMBER})


@dataclass(frozen=True)
class FatiguePolicy:
    """The numbers of the rules; the defaults are the production values."""

    backoff_base: int = 10
    backoff_cap: int = 3600
    # A user may get this many challenges in a row, then one every `create_interval` s.
    create_burst: int = 5
    create_interval: int = 60

    def backoff(self, strikes: int) -> int:
        """10 s after the first bad ending, doubling with each one after, up to an hour."""
        if strikes <= 0:
            return 0
        return int(min(self.backoff_cap, self.backoff_base * 2 ** min(strikes - 1, 16)))


@dataclass(frozen=True)
class UserState:
    """What the rules remember of one user of one site (a row of the store's `users`)."""

    blocked: bool = False
    strikes: int = 0  # bad endings since the last approval
    not_before: int = 0  # the backoff: no challenge before this time
    # When the creation budget is full again (a GCRA "theoretical arrival time"): each
    # challenge moves it `create_interval` later; at most `create_burst` intervals ahead.
    create_tat: int = 0


class CreateKind(Enum):
    CREATED = "created"
    NO_DEVICE = "no_device"
    BLOCKED = "blocked"
    PENDING = "pending"
    BACKOFF = "backoff"
    TOO_MANY = "too_many"


@dataclass(frozen=True)
class CreateVerdict:
    kind: CreateKind
    retry_at: int | None = None  # PENDING: its expiry; BACKOFF, TOO_MANY: when to try again
    state: UserState | None = None  # CREATED: the user's state to save with the challenge


def judge_create(
    policy: FatiguePolicy,
    state: UserState,
    *,
    now: int,
    has_device: bool,
    pending_until: int | None,
) -> CreateVerdict:
    """May a challenge be made for this user now? In the protocol's order: 404, 423, 429
    (pending), 429 (backoff), then the creation budget. `pending_until` is the expiry of the
    user's pending challenge, if one is pending (stale ones must be expired first)."""
    if not has_device:
        return CreateVerdict(CreateKind.NO_DEVICE)
    if state.blocked:
        return CreateVerdict(CreateKind.BLOCKED)
    if pending_until is not None:
        return CreateVerdict(CreateKind.PENDING, pending_until)
    if state.not_before > now:
        return CreateVerdict(CreateKind.BACKOFF, state.not_before)
    tat = max(state.create_tat, now)
    tolerance = (policy.create_burst - 1) * policy.create_interval
    if tat - now > tolerance:
        return CreateVerdict(CreateKind.TOO_MANY, tat - tolerance)
    return CreateVerdict(
        CreateKind.CREATED, state=replace(state, create_tat=tat + policy.create_interval)
    )


def after_end(
    policy: FatiguePolicy, state: UserState, status: Status, decided_at: int
) -> UserState:
    """The user's state once one of their challenges has ended with `status`."""
    if status is Status.APPROVED:
        return replace(state, strikes=0, not_before=0)
    if status is Status.FRAUD:
        return replace(state, blocked=True)
    if status in STRIKES:
        strikes = state.strikes + 1
        return replace(state, strikes=strikes, not_before=decided_at + policy.backoff(strikes))
    return state  # cancelled: nothing changes


def unblocked(state: UserState) -> UserState:
    """After the site's unblock: pushes may go again; the backoff is untouched."""
    return replace(state, blocked=False)


def is_due(expires_at: int, now: int) -> bool:
    """A pending challenge whose time is up is expired, whatever has not run yet."""
    return now >= expires_at


def decision_status(
    decision: Decision, number_matching: bool, expected: str | None, given: str | None
) -> Status:
    """How a valid response ends a pending challenge: one wrong number ends it (no second
    guess); the number counts only for an approval, and compares as a string."""
    if decision is Decision.DENY:
        return Status.DENIED
    if decision is Decision.FRAUD:
        return Status.FRAUD
    if not number_matching:
        return Status.APPROVED
    if given is None or expected is None:
        return Status.WRONG_NUMBER
    if not hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode()):
        return Status.WRONG_NUMBER
    return Status.APPROVED


class RegistrationStep(Enum):
    """Where a registration stands, checked in the protocol's order."""

    UNKNOWN = "unknown"  # 404
    MISMATCH = "mismatch"  # 401: the enrollment secret is wrong
    USED = "used"  # the same key again gets its answer (200), another key 409
    EXPIRED = "expired"  # 410
    OPEN = "open"  # the signature is checked next (401), then it is used, once


def registration_step(
    *, found: bool, secret_ok: bool, used: bool, expires_at: int, now: int
) -> RegistrationStep:
    if not found:
        return RegistrationStep.UNKNOWN
    if not secret_ok:
        return RegistrationStep.MISMATCH
    if used:
        return RegistrationStep.USED
    if now >= expires_at:
        return RegistrationStep.EXPIRED
    return RegistrationStep.OPEN

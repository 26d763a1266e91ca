"""The history of push sign-in requests: what was asked, from where, and how it ended.

Kept in memory while Keyfob runs (requests also arrive while it is locked) and saved inside
the vault, with each enrollment's entry in the `push` list (`"history"`), so it is as
private as the enrollments themselves. Entries hold no key, no number and no password.
The app saves it when the vault closes (lock or quit), not after every request: every save
rotates the vault's backups, and a few sign-ins must not push real backups out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from app.push.messages import CONTEXT_FIELDS, DETAILS_FIELD, Challenge

HISTORY_KEY: Final = "history"
MAX_PER_ENROLLMENT: Final = 50
PENDING: Final = "pending"
UNANSWERED: Final = "unanswered"  # Keyfob closed before the request ended
_MAX_TEXT: Final = 256


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    return value[:_MAX_TEXT] if isinstance(value, str) else ""


def _int(data: Mapping[str, Any], name: str) -> int | None:
    value = data.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass
class HistoryEntry:
    device_id: str
    challenge_id: str
    issuer: str
    user: str
    action: str
    context: dict[str, str]
    created_at: int  # by the server's clock
    received_at: int  # by ours
    outcome: str = PENDING  # a Status value once over, or PENDING / UNANSWERED
    elsewhere: bool = False
    ended_at: int | None = None

    @classmethod
    def from_challenge(cls, device_id: str, challenge: Challenge, received_at: int) -> HistoryEntry:
        """A request just shown, still waiting for its answer."""
        return cls(
            device_id=device_id,
            challenge_id=challenge.id,
            issuer=challenge.issuer,
            user=challenge.user,
            action=challenge.action,
            context=dict(challenge.context),
            created_at=challenge.created_at,
            received_at=received_at,
        )

    @property
    def key(self) -> tuple[str, str]:
        return self.device_id, self.challenge_id

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.challenge_id,
            "issuer": self.issuer,
            "user": self.user,
            "action": self.action,
            "context": dict(self.context),
            "created_at": self.created_at,
            "received_at": self.received_at,
            "outcome": self.outcome,
            "elsewhere": self.elsewhere,
            "ended_at": self.ended_at,
        }

    @classmethod
    def from_dict(cls, device_id: str, data: object) -> HistoryEntry | None:
        """An entry as saved, or None when it is not one (skipped, never fatal)."""
        if not isinstance(data, Mapping):
            return None
        challenge_id = _text(data, "id")
        received_at = _int(data, "received_at")
        if not challenge_id or received_at is None:
            return None
        raw_context = data.get("context")
        context: dict[str, str] = {}
        if isinstance(raw_context, Mapping):
            for key in (*CONTEXT_FIELDS, DETAILS_FIELD):
                value = raw_context.get(key)
                if isinstance(value, str):
                    context[key] = value[:_MAX_TEXT]
        outcome = _text(data, "outcome") or UNANSWERED
        return cls(
            device_id=device_id,
            challenge_id=challenge_id,
            issuer=_text(data, "issuer"),
            user=_text(data, "user"),
            action=_text(data, "action"),
            context=context,
            created_at=_int(data, "created_at") or received_at,
            received_at=received_at,
            # A request still waiting when Keyfob closed ended without us.
            outcome=UNANSWERED if outcome == PENDING else outcome,
            elsewhere=data.get("elsewhere") is True,
            ended_at=_int(data, "ended_at"),
        )


@dataclass
class PushHistory:
    """Every request seen, oldest first; `dirty` while some are not saved in the vault."""

    entries: list[HistoryEntry] = field(default_factory=list)
    dirty: bool = False

    def add(self, entry: HistoryEntry) -> None:
        if self.find(*entry.key) is None:
            self.entries.append(entry)
            self.dirty = True

    def find(self, device_id: str, challenge_id: str) -> HistoryEntry | None:
        for entry in reversed(self.entries):
            if entry.key == (device_id, challenge_id):
                return entry
        return None

    def finish(
        self, device_id: str, challenge_id: str, outcome: str, *, elsewhere: bool, ended_at: int
    ) -> None:
        entry = self.find(device_id, challenge_id)
        if entry is not None and entry.outcome == PENDING:
            entry.outcome = outcome
            entry.elsewhere = elsewhere
            entry.ended_at = ended_at
            self.dirty = True

    def clear(self) -> None:
        self.entries.clear()
        self.dirty = True

    def keep_only(self, device_ids: set[str]) -> None:
        """Forget the requests of enrollments that were removed."""
        kept = [e for e in self.entries if e.device_id in device_ids]
        if len(kept) != len(self.entries):
            self.entries = kept
            self.dirty = True

    def load(self, push: list[dict[str, Any]]) -> None:
        """Merge what the vault's `push` list holds; entries already in memory are newer and
        win. Reading never fails: what is not an entry is skipped."""
        stored: list[HistoryEntry] = []
        for enrollment in push:
            device_id = enrollment.get("device_id")
            saved = enrollment.get(HISTORY_KEY)
            if not isinstance(device_id, str) or not isinstance(saved, list):
                continue
            for item in saved:
                entry = HistoryEntry.from_dict(device_id, item)
                if entry is not None and self.find(*entry.key) is None:
                    stored.append(entry)
        if stored:
            self.entries = sorted([*stored, *self.entries], key=lambda e: e.received_at)

    def store(self, push: list[dict[str, Any]]) -> None:
        """Write the latest entries of each enrollment into the vault's `push` list (inside
        `Vault.modify`); the rest of each enrollment object is left as it is."""
        for enrollment in push:
            device_id = enrollment.get("device_id")
            mine = [e for e in self.entries if e.device_id == device_id]
            if mine:
                enrollment[HISTORY_KEY] = [e.to_dict() for e in mine[-MAX_PER_ENROLLMENT:]]
            else:
                enrollment.pop(HISTORY_KEY, None)

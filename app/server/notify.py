"""How server nodes that share one database tell each other "look again".

A notice names what changed and nothing else: a challenge made or ended, a device revoked,
by its id, and the node that did it (which acted on it already, and skips its own notice).
The database row is the truth: a node that gets a notice reads the row, so a notice that is
lost costs a re-read after the listener reconnects, never a sign-in; and a notice carries no
user name, number or key, so what travels through the database's notification channel says
nothing about anyone.

Notices are text: `KIND:NODE:ID` (PostgreSQL NOTIFY payloads are text, at most 8000 bytes).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import Final, Protocol

from app.server.errors import ServerError

CHANNEL: Final = "keyfob_push"
# Node ids and object ids are URL-safe tokens (see outgoing.new_id and app.push ID_PATTERN).
_ID: Final = r"[A-Za-z0-9_-]{1,128}"
_NOTICE: Final = re.compile(rf"([cer]):({_ID}):({_ID})")


class NoticeError(ServerError):
    """A notification payload that is not a notice of ours."""


class NoticeKind(Enum):
    CHALLENGE_CREATED = "c"
    CHALLENGE_ENDED = "e"
    DEVICE_REVOKED = "r"


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    origin: str  # the node that made the change
    object_id: str  # a challenge id or a device id

    def encode(self) -> str:
        return f"{self.kind.value}:{self.origin}:{self.object_id}"


def decode_notice(payload: str) -> Notice:
    """A notice from its text; `NoticeError` for anything else (it is only logged)."""
    found = _NOTICE.fullmatch(payload)
    if found is None:
        raise NoticeError(f"not a keyfob notice ({len(payload)} characters)")
    return Notice(NoticeKind(found.group(1)), found.group(2), found.group(3))


NoticeHandler = Callable[[Notice], Awaitable[None]]
ResyncHandler = Callable[[], Awaitable[None]]


@dataclass
class NotifierHealth:
    errors: int = 0  # lost connections, failed reconnections, notices that could not be used
    received: int = 0
    reconnects: int = 0


class Notifier(Protocol):
    """Delivers other nodes' notices to this node while it runs."""

    health: NotifierHealth

    @property
    def connected(self) -> bool:
        """True while notices can arrive (readiness depends on it)."""
        ...

    async def start(self, on_notice: NoticeHandler, on_resync: ResyncHandler) -> None:
        """Begin listening. `on_resync` runs after every reconnection: notices sent while
        the node was not listening are lost, so it re-reads what they would have said."""
        ...

    async def close(self) -> None: ...


class LocalNotifier:
    """One process owns the store (SQLite): it acts on its own changes, nobody else makes
    any, and there is nothing to listen to."""

    def __init__(self) -> None:
        self.health = NotifierHealth()

    @property
    def connected(self) -> bool:
        return True

    async def start(self, on_notice: NoticeHandler, on_resync: ResyncHandler) -> None:
        return None

    async def close(self) -> None:
        return None

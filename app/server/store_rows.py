"""Records as table rows, the same for both databases: the columns, a row read back into a
record, a record written out as the parameters of its INSERT.

A column bears the name of its record's field, so each list of columns below is the one
place that says what goes where, both ways. sqlite3.Row and asyncpg.Record are both read
by column name, and the two schemas (migrations.py) have the same tables and columns, so
one reader serves both stores. Booleans stay `bool` on the way in: PostgreSQL's BOOLEAN
columns want them, SQLite stores them as 1 and 0 (and gives those back: `bool()` here).
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Final, Protocol

from app.push.messages import Status
from app.server.rules import UserState
from app.server.store import ApiKeyInfo, ChallengeRecord, DeviceRecord, EnrollmentRecord


class Row(Protocol):
    """A result row, read by column name."""

    def __getitem__(self, key: str, /) -> Any: ...


CHALLENGE_COLUMNS: Final = (
    "id, rp, user_name, number, number_matching, created_at, expires_at, status, payload, "
    "payload_hash, decided_at, device_id"
)
DEVICE_COLUMNS: Final = "id, rp, user_name, name, public_key, enrolled_at, last_seen, revoked_at"
ENROLLMENT_COLUMNS: Final = (
    "id, rp, user_name, secret_hash, created_at, expires_at, device_id, device_key, answer"
)
# A new enrollment: the rest is filled in when a device uses it.
NEW_ENROLLMENT_COLUMNS: Final = "id, rp, user_name, secret_hash, created_at, expires_at"
USER_COLUMNS: Final = "blocked, strikes, not_before, create_tat"
API_KEY_COLUMNS: Final = "key_id, rp, created_at, revoked_at"


def _field(column: str) -> str:
    """The record field a column holds: its own name, but `user` in `user_name` (USER is
    a reserved word in PostgreSQL)."""
    return "user" if column == "user_name" else column


def _by_field(row: Row, columns: str) -> dict[str, Any]:
    """A row's `columns` as keyword arguments of their record."""
    return {_field(column): row[column] for column in columns.split(", ")}


def challenge_from_row(row: Row) -> ChallengeRecord:
    fields = _by_field(row, CHALLENGE_COLUMNS)
    fields["number_matching"] = bool(fields["number_matching"])
    fields["status"] = Status(fields["status"])
    fields["payload_hash"] = bytes(fields["payload_hash"])
    return ChallengeRecord(**fields)


def device_from_row(row: Row) -> DeviceRecord:
    fields = _by_field(row, DEVICE_COLUMNS)
    fields["public_key"] = bytes(fields["public_key"])
    return DeviceRecord(**fields)


def enrollment_from_row(row: Row) -> EnrollmentRecord:
    fields = _by_field(row, ENROLLMENT_COLUMNS)
    fields["secret_hash"] = bytes(fields["secret_hash"])
    if fields["device_key"] is not None:
        fields["device_key"] = bytes(fields["device_key"])
    return EnrollmentRecord(**fields)


def user_state_from_row(row: Row) -> UserState:
    fields = _by_field(row, USER_COLUMNS)
    fields["blocked"] = bool(fields["blocked"])
    return UserState(**fields)


def api_key_from_row(row: Row) -> ApiKeyInfo:
    return ApiKeyInfo(**_by_field(row, API_KEY_COLUMNS))


def values(record: object, columns: str) -> tuple[object, ...]:
    """A record's fields in the order of `columns`, as its INSERT or UPDATE takes them
    (enums by their value)."""
    found: list[object] = []
    for column in columns.split(", "):
        value = getattr(record, _field(column))
        found.append(value.value if isinstance(value, Enum) else value)
    return tuple(found)

"""The database schema, as numbered migrations for each store.

A migration is applied once, in its own transaction, in order, and recorded with its number;
a database records the highest number applied. The server migrates at start (PostgreSQL:
under an advisory lock, so nodes starting together take turns and the second finds nothing
to do) and `keyfob-server migrate` does only that. A database migrated by a newer server
(a number this one does not know) is refused rather than misread.

Never edit a published migration: add the next one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from app.server.duo import schema as duo_schema
from app.server.errors import ServerError

# pg_advisory_lock key: "keyfob" in ASCII, so it does not collide with another program's.
ADVISORY_LOCK_KEY: Final = 0x6B6579666F62


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


class SchemaTooNew(ServerError):
    """The database was migrated by a newer keyfob-server."""


def to_apply(current: int, migrations: Sequence[Migration]) -> list[Migration]:
    """The migrations after `current`, in order; `SchemaTooNew` if `current` is unknown."""
    latest = migrations[-1].version if migrations else 0
    if current > latest:
        raise SchemaTooNew(
            f"the database is at schema version {current}, newer than this keyfob-server "
            f"knows ({latest}); upgrade keyfob-server"
        )
    return [m for m in migrations if m.version > current]


# -- SQLite ------------------------------------------------------------------------------
# The version lives in meta('schema'), where the first release kept it.

SQLITE: Final = (
    Migration(
        1,
        "initial schema",
        """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY,
    rp TEXT NOT NULL,
    key_hash BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE TABLE IF NOT EXISTS enrollments (
    id TEXT PRIMARY KEY,
    rp TEXT NOT NULL,
    user_name TEXT NOT NULL,
    secret_hash BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    device_id TEXT,
    device_key BLOB,
    answer TEXT
);
CREATE TABLE IF NOT EXISTS devices (
    id TEXT PRIMARY KEY,
    rp TEXT NOT NULL,
    user_name TEXT NOT NULL,
    name TEXT NOT NULL,
    public_key BLOB NOT NULL,
    enrolled_at INTEGER NOT NULL,
    last_seen INTEGER,
    revoked_at INTEGER
);
CREATE INDEX IF NOT EXISTS devices_by_user ON devices (rp, user_name);
CREATE TABLE IF NOT EXISTS challenges (
    id TEXT PRIMARY KEY,
    rp TEXT NOT NULL,
    user_name TEXT NOT NULL,
    number TEXT,
    number_matching INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    payload TEXT NOT NULL,
    payload_hash BLOB NOT NULL,
    decided_at INTEGER,
    device_id TEXT
);
CREATE INDEX IF NOT EXISTS challenges_pending_by_user
    ON challenges (rp, user_name) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS challenges_pending_by_expiry
    ON challenges (expires_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS challenges_by_age ON challenges (created_at);
CREATE TABLE IF NOT EXISTS users (
    rp TEXT NOT NULL,
    user_name TEXT NOT NULL,
    blocked INTEGER NOT NULL DEFAULT 0,
    strikes INTEGER NOT NULL DEFAULT 0,
    not_before INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (rp, user_name)
);
""",
    ),
    Migration(
        2,
        "creation budget per user; one pending challenge per user, enforced",
        """
ALTER TABLE users ADD COLUMN create_tat INTEGER NOT NULL DEFAULT 0;
DROP INDEX IF EXISTS challenges_pending_by_user;
CREATE UNIQUE INDEX one_pending_challenge_per_user
    ON challenges (rp, user_name) WHERE status = 'pending';
""",
    ),
    Migration(3, "Duo Auth API: integrations, users, enrollments, refusals", duo_schema.SQLITE),
)

# -- PostgreSQL --------------------------------------------------------------------------
# Applied versions are rows of keyfob_schema. Times are Unix seconds (BIGINT) as in SQLite.

POSTGRES_VERSION_TABLE: Final = """
CREATE TABLE IF NOT EXISTS keyfob_schema (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""

POSTGRES: Final = (
    Migration(
        1,
        "initial schema",
        """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE api_keys (
    key_id TEXT PRIMARY KEY,
    rp TEXT NOT NULL,
    key_hash BYTEA NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE TABLE enrollments (
    id TEXT PRIMARY KEY,
    rp TEXT NOT NULL,
    user_name TEXT NOT NULL,
    secret_hash BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    device_id TEXT,
    device_key BYTEA,
    answer TEXT
);
CREATE INDEX enrollments_by_expiry ON enrollments (expires_at);
CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    rp TEXT NOT NULL,
    user_name TEXT NOT NULL,
    name TEXT NOT NULL,
    public_key BYTEA NOT NULL,
    enrolled_at BIGINT NOT NULL,
    last_seen BIGINT,
    revoked_at BIGINT
);
CREATE INDEX devices_by_user ON devices (rp, user_name);
CREATE TABLE challenges (
    id TEXT PRIMARY KEY,
    rp TEXT NOT NULL,
    user_name TEXT NOT NULL,
    number TEXT,
    number_matching BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    payload TEXT NOT NULL,
    payload_hash BYTEA NOT NULL,
    decided_at BIGINT,
    device_id TEXT
);
-- The rule "one pending challenge per user" holds in the database itself, whatever node
-- and whatever race: a second pending row for a user cannot be committed.
CREATE UNIQUE INDEX one_pending_challenge_per_user
    ON challenges (rp, user_name) WHERE status = 'pending';
CREATE INDEX challenges_pending_by_expiry ON challenges (expires_at) WHERE status = 'pending';
CREATE INDEX challenges_by_age ON challenges (created_at);
CREATE TABLE users (
    rp TEXT NOT NULL,
    user_name TEXT NOT NULL,
    blocked BOOLEAN NOT NULL DEFAULT false,
    strikes INTEGER NOT NULL DEFAULT 0,
    not_before BIGINT NOT NULL DEFAULT 0,
    create_tat BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (rp, user_name)
);
""",
    ),
    Migration(2, "Duo Auth API: integrations, users, enrollments, refusals", duo_schema.POSTGRES),
)

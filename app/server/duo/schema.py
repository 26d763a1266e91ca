"""The Duo tables, as one migration for each store (migrations.py applies them in turn).

- duo_integrations: one row per integration key; the secret key sealed (credentials.py),
  `key_id` naming the Duo key that sealed it. An integration belongs to a site (`rp`).
- duo_users: the Duo user ids handed out, so `user_id` can be read back to the user name.
- duo_enrollments: Duo `enroll` calls. The activation links carry a random token; only its
  SHA-256 is kept, with the SHA-256 of the activation code (for `enroll_status`) and the code
  itself sealed (the page and QR code show it; it holds the enrollment's one-time secret).
- duo_refusals: `auth` calls that the push rules refused, so `auth_status` can answer for
  their txid (a push that went out has the challenge's id as its txid).
"""

from __future__ import annotations

from typing import Final

SQLITE: Final = """
CREATE TABLE duo_integrations (
    ikey TEXT PRIMARY KEY,
    rp TEXT NOT NULL,
    skey_sealed BLOB NOT NULL,
    key_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE TABLE duo_users (
    rp TEXT NOT NULL,
    user_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    PRIMARY KEY (rp, user_id)
);
CREATE TABLE duo_enrollments (
    token_hash BLOB PRIMARY KEY,
    rp TEXT NOT NULL,
    user_name TEXT NOT NULL,
    enrollment_id TEXT NOT NULL,
    code_hash BLOB NOT NULL UNIQUE,
    code_sealed BLOB NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX duo_enrollments_by_expiry ON duo_enrollments (expires_at);
CREATE TABLE duo_refusals (
    txid TEXT PRIMARY KEY,
    rp TEXT NOT NULL,
    status TEXT NOT NULL,
    status_msg TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX duo_refusals_by_age ON duo_refusals (created_at);
"""

# The same tables in PostgreSQL's words: bytes are BYTEA, and times (Unix seconds) BIGINT.
POSTGRES: Final = SQLITE.replace(" BLOB", " BYTEA").replace(" INTEGER", " BIGINT")

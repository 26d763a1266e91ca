"""The Duo store's queries, written once for both databases.

Each operation is SQL with `?` parameters; a database's store (sqlite_store.py,
postgres_store.py here) supplies only two primitives: read rows, and run some statements in
one transaction. PostgreSQL's store rewrites `?` as `$1, $2, ...`. Rows are read by column
name, which sqlite3.Row and asyncpg.Record both allow.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, Final, Protocol

from app.server.duo.store import DuoEnrollment, Integration, Refusal, Standing

Args = tuple[object, ...]
Statement = tuple[str, Args]

_INTEGRATION: Final = "ikey, rp, skey_sealed, key_id, created_at, revoked_at"
_ENROLLMENT: Final = "token_hash, rp, user_name, enrollment_id, code_hash, code_sealed, expires_at"
_REFUSAL: Final = "txid, rp, status, status_msg, created_at"


class Row(Protocol):
    def __getitem__(self, key: str, /) -> Any: ...


def _integration(row: Row) -> Integration:
    return Integration(
        ikey=row["ikey"],
        rp=row["rp"],
        skey_sealed=bytes(row["skey_sealed"]),
        key_id=row["key_id"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
    )


def _enrollment(row: Row) -> DuoEnrollment:
    return DuoEnrollment(
        token_hash=bytes(row["token_hash"]),
        rp=row["rp"],
        user=row["user_name"],
        enrollment_id=row["enrollment_id"],
        code_hash=bytes(row["code_hash"]),
        code_sealed=bytes(row["code_sealed"]),
        expires_at=row["expires_at"],
    )


def _refusal(row: Row) -> Refusal:
    return Refusal(row["txid"], row["rp"], row["status"], row["status_msg"], row["created_at"])


class DuoSqlStore(ABC):
    """`DuoStore` over two primitives a database provides."""

    @abstractmethod
    async def _rows(self, sql: str, args: Args = ()) -> Sequence[Row]:
        """The rows a query reads."""

    @abstractmethod
    async def _change(self, statements: Sequence[Statement]) -> int:
        """Run the statements in one transaction; the rows the last one changed."""

    async def _row(self, sql: str, *args: object) -> Row | None:
        rows = await self._rows(sql, args)
        return rows[0] if rows else None

    # -- integrations ----------------------------------------------------------------------

    async def add_integration(self, integration: Integration) -> None:
        values = (
            integration.ikey,
            integration.rp,
            integration.skey_sealed,
            integration.key_id,
            integration.created_at,
            integration.revoked_at,
        )
        sql = f"INSERT INTO duo_integrations ({_INTEGRATION}) VALUES (?, ?, ?, ?, ?, ?)"  # noqa: S608
        await self._change([(sql, values)])

    async def get_integration(self, ikey: str) -> Integration | None:
        sql = f"SELECT {_INTEGRATION} FROM duo_integrations WHERE ikey = ?"  # noqa: S608
        row = await self._row(sql, ikey)
        return None if row is None else _integration(row)

    async def list_integrations(self) -> list[Integration]:
        sql = f"SELECT {_INTEGRATION} FROM duo_integrations ORDER BY created_at, ikey"  # noqa: S608
        return [_integration(row) for row in await self._rows(sql)]

    async def revoke_integration(self, ikey: str, now: int) -> bool:
        sql = "UPDATE duo_integrations SET revoked_at = ? WHERE ikey = ? AND revoked_at IS NULL"
        return await self._change([(sql, (now, ikey))]) > 0

    async def active_key_ids(self) -> set[str]:
        sql = "SELECT DISTINCT key_id FROM duo_integrations WHERE revoked_at IS NULL"
        return {str(row["key_id"]) for row in await self._rows(sql)}

    # -- users -----------------------------------------------------------------------------

    async def remember_user(self, rp: str, user_id: str, user: str) -> None:
        sql = (
            "INSERT INTO duo_users (rp, user_id, user_name) VALUES (?, ?, ?) "
            "ON CONFLICT (rp, user_id) DO NOTHING"
        )
        await self._change([(sql, (rp, user_id, user))])

    async def user_for_id(self, rp: str, user_id: str) -> str | None:
        sql = "SELECT user_name FROM duo_users WHERE rp = ? AND user_id = ?"
        row = await self._row(sql, rp, user_id)
        return None if row is None else str(row["user_name"])

    async def standing(self, rp: str, user: str) -> Standing:
        # The push store's own table, read only: whether the rules block this user.
        sql = "SELECT blocked, not_before FROM users WHERE rp = ? AND user_name = ?"
        row = await self._row(sql, rp, user)
        return Standing() if row is None else Standing(bool(row["blocked"]), row["not_before"])

    # -- enrollments and refusals ------------------------------------------------------------

    async def add_enrollment(self, enrollment: DuoEnrollment, prune_before: int) -> None:
        values = (
            enrollment.token_hash,
            enrollment.rp,
            enrollment.user,
            enrollment.enrollment_id,
            enrollment.code_hash,
            enrollment.code_sealed,
            enrollment.expires_at,
        )
        insert = f"INSERT INTO duo_enrollments ({_ENROLLMENT}) VALUES (?, ?, ?, ?, ?, ?, ?)"  # noqa: S608
        prune = "DELETE FROM duo_enrollments WHERE expires_at < ?"
        await self._change([(prune, (prune_before,)), (insert, values)])

    async def enrollment_by_token(self, token_hash: bytes) -> DuoEnrollment | None:
        sql = f"SELECT {_ENROLLMENT} FROM duo_enrollments WHERE token_hash = ?"  # noqa: S608
        row = await self._row(sql, token_hash)
        return None if row is None else _enrollment(row)

    async def enrollment_by_code(self, rp: str, code_hash: bytes) -> DuoEnrollment | None:
        sql = f"SELECT {_ENROLLMENT} FROM duo_enrollments WHERE code_hash = ? AND rp = ?"  # noqa: S608
        row = await self._row(sql, code_hash, rp)
        return None if row is None else _enrollment(row)

    async def add_refusal(self, refusal: Refusal, prune_before: int) -> None:
        values = (refusal.txid, refusal.rp, refusal.status, refusal.status_msg, refusal.created_at)
        insert = f"INSERT INTO duo_refusals ({_REFUSAL}) VALUES (?, ?, ?, ?, ?)"  # noqa: S608
        prune = "DELETE FROM duo_refusals WHERE created_at < ?"
        await self._change([(prune, (prune_before,)), (insert, values)])

    async def get_refusal(self, rp: str, txid: str) -> Refusal | None:
        sql = f"SELECT {_REFUSAL} FROM duo_refusals WHERE txid = ? AND rp = ?"  # noqa: S608
        row = await self._row(sql, txid, rp)
        return None if row is None else _refusal(row)

"""Duo's error answers: `{"stat": "FAIL", "code": 40103, "message": ..., "message_detail"?}`
with the HTTP status Duo gives them (the code's first three digits).

Duo's clients read `code` and `message` (duo_client raises "Received 401 Invalid signature in
request credentials (detail)"; Authelia logs the code), so the codes and messages are Duo's
own. `message_detail` says which parameter or check failed, never a secret.
"""

from __future__ import annotations

from typing import Final

from app.server.errors import ServerError

MISSING_CREDENTIALS: Final = 40101
INVALID_SIGNATURE: Final = 40103
INVALID_PARAMETERS: Final = 40002
NOT_FOUND: Final = 40401
METHOD_NOT_ALLOWED: Final = 40501
UNAVAILABLE: Final = 50301


class DuoError(ServerError):
    """A refused Duo API call, answered in Duo's shape."""

    def __init__(
        self,
        code: int,
        message: str,
        detail: str | None = None,
        *,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(f"{code} {message}" + (f" ({detail})" if detail else ""))
        self.code = code
        self.message = message
        self.detail = detail
        self.retry_after = retry_after

    @property
    def status(self) -> int:
        return self.code // 100

    def body(self) -> dict[str, object]:
        body: dict[str, object] = {"stat": "FAIL", "code": self.code, "message": self.message}
        if self.detail:
            body["message_detail"] = self.detail
        return body


def missing_credentials(detail: str | None = None) -> DuoError:
    return DuoError(MISSING_CREDENTIALS, "Missing request credentials", detail)


def invalid_signature(detail: str | None = None) -> DuoError:
    """Also for an unknown or revoked integration key: that a key exists is not told."""
    return DuoError(INVALID_SIGNATURE, "Invalid signature in request credentials", detail)


def invalid_parameter(name: str) -> DuoError:
    """`name` is the parameter (Duo puts it in message_detail: Authelia reads "username")."""
    return DuoError(INVALID_PARAMETERS, "Invalid request parameters", name)


def not_found(detail: str | None = None) -> DuoError:
    return DuoError(NOT_FOUND, "Resource not found", detail)


def method_not_allowed(allowed: str) -> DuoError:
    return DuoError(METHOD_NOT_ALLOWED, "Method not allowed", f"use {allowed}")


def unavailable(retry_after: int) -> DuoError:
    """The database cannot be reached: nothing was changed, try again shortly."""
    return DuoError(UNAVAILABLE, "Service unavailable", "database", retry_after=retry_after)

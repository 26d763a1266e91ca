"""Errors of the push server: API refusals carry their HTTP status and JSON body."""

from __future__ import annotations

from collections.abc import Mapping

from app.core.errors import KeyfobError


class ServerError(KeyfobError):
    """The server cannot start or do what was asked (bad data folder, key file, ...)."""


class ApiError(ServerError):
    """A refused API request: becomes `{"error": code, "message": message}` with `status`."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})

    def body(self) -> dict[str, object]:
        return {"error": self.code, "message": self.message, **self.extra}


def bad_request(code: str, message: str) -> ApiError:
    return ApiError(400, code, message)


def too_many(code: str, message: str, retry_after: int) -> ApiError:
    seconds = max(1, int(retry_after))
    return ApiError(429, code, message, headers={"Retry-After": str(seconds)})

"""Errors of the push server.

`ApiError` is an HTTP answer (status and JSON body), raised only by the HTTP edge (request
parsing, limits). The service raises domain errors: a `PushRefusal` says which rule refused
what, `StoreUnavailable` that the database cannot be reached; http_api.py alone turns them
into statuses. No message carries a secret (an enrollment secret, a key, a number).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

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


class StoreUnavailable(ServerError):
    """The database cannot be reached (down, restarting, connection lost): try again later.

    Nothing was changed, or the change was rolled back; the API answers 503 with Retry-After.
    """

    retry_after: ClassVar[int] = 5


class PushRefusal(ServerError):
    """A request the push rules refuse; `code` is the stable name sites test for."""

    code: ClassVar[str] = "refused"

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


class Unauthorized(PushRefusal):
    code = "unauthorized"

    def __init__(self) -> None:
        super().__init__(
            "Send a valid API key as `Authorization: Bearer <key>` "
            "(make one with `keyfob-server apikey create NAME`)."
        )


class NotFound(PushRefusal):
    """No such thing for this site (other sites' things do not exist for it)."""

    code = "not_found"

    def __init__(self, what: str) -> None:
        super().__init__(f"No such {what}.")


class NoDevice(PushRefusal):
    code = "no_device"

    def __init__(self) -> None:
        super().__init__("This user has no enrolled device; enroll one first.")


class Blocked(PushRefusal):
    code = "blocked"

    def __init__(self) -> None:
        super().__init__(
            "Pushes to this user are blocked after a sign-in was reported as fraud; "
            "call POST /v1/users/{user}/unblock once it is sorted out."
        )


class ChallengePending(PushRefusal):
    code = "challenge_pending"

    def __init__(self, retry_after: int) -> None:
        super().__init__("This user already has a pending challenge.", retry_after=retry_after)


class Backoff(PushRefusal):
    code = "backoff"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "Too many unanswered or refused pushes for this user; offer a code meanwhile.",
            retry_after=retry_after,
        )


class TooManyChallenges(PushRefusal):
    code = "too_many_challenges"

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "Too many challenges for this user in a short time, cancelled ones included; "
            "offer a code meanwhile.",
            retry_after=retry_after,
        )


class AlreadyFinal(PushRefusal):
    """The challenge has ended; `status` says how."""

    code = "already_final"

    def __init__(self, status: str) -> None:
        super().__init__(f"The challenge has already ended ({status}).")
        self.status = status


class UnknownEnrollment(PushRefusal):
    code = "not_found"

    def __init__(self) -> None:
        super().__init__("No such enrollment; ask the site for a new code.")


class WrongSecret(PushRefusal):
    code = "wrong_secret"

    def __init__(self) -> None:
        super().__init__("The enrollment secret is wrong.")


class EnrollmentUsed(PushRefusal):
    code = "already_used"

    def __init__(self) -> None:
        super().__init__("This enrollment has already been used.")


class EnrollmentExpired(PushRefusal):
    code = "expired"

    def __init__(self) -> None:
        super().__init__("This enrollment has expired; ask for a new code.")


class BadSignature(PushRefusal):
    code = "bad_signature"

    def __init__(self) -> None:
        super().__init__("The registration is not signed by device_key.")

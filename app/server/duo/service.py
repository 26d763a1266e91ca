"""Duo's Auth API calls, mapped onto the push service's enrollments and challenges.

A Duo integration belongs to a site (the API key NAME); its users and devices are that
site's. A Duo push is an ordinary challenge made through `PushService.create_challenge`, so
every push rule holds (one pending per user, backoff, the fraud block, delivery to every
device of the user on every node). It has no number matching: Duo's API has nowhere to show
a number. Its txid is the challenge's id; a push the rules refused gets a txid of its own
whose status is kept (duo_refusals). Duo answers a refused push with 200 and result `deny`
(its clients read nothing else), so the rules' refusals become denials whose status_msg
says why and how long to wait, never a 429 that an IdP cannot read.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import secrets
from dataclasses import dataclass
from typing import Final

from app.push.messages import DETAILS_FIELD, Status
from app.server.duo.credentials import DuoKeyring
from app.server.duo.errors import invalid_parameter, unavailable
from app.server.duo.params import (
    AuthParams,
    EnrollParams,
    EnrollStatusParams,
    UserRef,
    push_details,
)
from app.server.duo.store import DuoEnrollment, DuoStore, Refusal
from app.server.errors import (
    Backoff,
    Blocked,
    ChallengePending,
    NoDevice,
    NotFound,
    PushRefusal,
    StoreUnavailable,
    TooManyChallenges,
)
from app.server.service import PushService
from app.server.validation import ChallengeRequest, EnrollmentRequest

log = logging.getLogger("keyfob.server.duo")

PUSH_TTL: Final = 60  # Duo's push timeout
SYNC_WAIT: Final = 60  # a synchronous auth answers within this (plus a moment for expiry)
STATUS_WAIT: Final = 25  # auth_status long-polls this long for a final status
PORTAL_TTL: Final = 3600  # how long preauth's enroll_portal_url lasts
REFUSAL_KEPT: Final = 3600
ENROLLMENT_KEPT: Final = 7 * 24 * 3600

Outcome = tuple[str, str, str]  # Duo's result, status, status_msg
WAITING: Final[Outcome] = ("waiting", "pushed", "Pushed a login request to your device...")
ALLOW: Final[Outcome] = ("allow", "allow", "Success. Logging you in...")
DENY: Final[Outcome] = ("deny", "deny", "Login request denied.")
FRAUD: Final[Outcome] = ("deny", "fraud", "Login request reported as fraudulent.")
TIMEOUT: Final[Outcome] = ("deny", "timeout", "Login timed out.")
CANCELLED: Final[Outcome] = ("deny", "deny", "Login request cancelled by the site.")
_OUTCOMES: Final = {
    Status.PENDING: WAITING,
    Status.APPROVED: ALLOW,
    Status.DENIED: DENY,
    Status.WRONG_NUMBER: DENY,  # never, without number matching
    Status.FRAUD: FRAUD,
    Status.EXPIRED: TIMEOUT,
    Status.CANCELLED: CANCELLED,
}
BLOCKED_MSG: Final = (
    "Pushes to this account are blocked after a sign-in was reported as fraud; "
    "ask your administrator to unblock it."
)


def outcome(status: Status) -> dict[str, object]:
    result, duo_status, message = _OUTCOMES.get(status, DENY)
    return {"result": result, "status": duo_status, "status_msg": message}


def _refusal_message(refusal: PushRefusal) -> str:
    wait = max(1, math.ceil(refusal.retry_after or 0))
    if isinstance(refusal, Blocked):
        return BLOCKED_MSG
    if isinstance(refusal, ChallengePending):
        return f"A login request is already waiting on your device; answer it or wait {wait} s."
    return (
        f"Too many unanswered or refused login requests; wait {wait} s before the next push, "
        "or sign in another way."
    )


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


@dataclass(frozen=True)
class Activation:
    """What an activation link shows: the code while the enrollment is open, else why not."""

    state: str  # "open", "used", "expired"
    rp: str
    user: str
    code: str | None = None


class DuoService:
    def __init__(self, push: PushService, store: DuoStore, keyring: DuoKeyring) -> None:
        self.push = push
        self.store = store
        self.keyring = keyring

    async def _user(self, rp: str, ref: UserRef) -> str:
        if ref.username is not None:
            return ref.username
        assert ref.user_id is not None
        user = await self.store.user_for_id(rp, ref.user_id)
        if user is None:
            raise invalid_parameter("user_id")
        return user

    # -- preauth and auth --------------------------------------------------------------------

    async def preauth(self, rp: str, ref: UserRef, base_url: str) -> dict[str, object]:
        """`auth` with the user's devices, `enroll` with a link when there are none, `deny`
        when pushes to the user are blocked after "It wasn't me". A backoff does not show
        here: it is short, and the next `auth` says how long to wait."""
        user = await self._user(rp, ref)
        if (await self.store.standing(rp, user)).blocked:
            return {"result": "deny", "status_msg": BLOCKED_MSG}
        devices = await self.push.list_devices(rp, user)
        if not devices:
            made = await self._enroll(rp, user, PORTAL_TTL, base_url)
            return {
                "result": "enroll",
                "status_msg": "Enroll an authentication device to proceed",
                "enroll_portal_url": made["activation_url"],
            }
        return {
            "result": "auth",
            "status_msg": "Account is active",
            "devices": [
                {
                    "device": device["device_id"],
                    "type": "phone",  # the only kind Duo gives push to
                    "name": device["name"],
                    "display_name": device["name"],
                    "capabilities": ["auto", "push"],
                }
                for device in devices
            ],
        }

    async def auth(self, rp: str, params: AuthParams) -> dict[str, object]:
        user = await self._user(rp, params.user)
        if params.device != "auto":
            devices = await self.push.list_devices(rp, user)
            if params.device not in {device["device_id"] for device in devices}:
                raise invalid_parameter("device")
        context = {}
        if params.ip:
            context["ip"] = params.ip
        details = push_details(params.pushinfo, params.display_username, user)
        if details:
            context[DETAILS_FIELD] = details
        request = ChallengeRequest(
            user=user,
            action=params.action,
            context=context,
            ttl=PUSH_TTL,
            number_matching=False,
        )
        try:
            made = await self.push.create_challenge(rp, request)
        except NoDevice as exc:
            raise invalid_parameter("username" if params.user.username else "user_id") from exc
        except (Blocked, ChallengePending, Backoff, TooManyChallenges) as refusal:
            message = _refusal_message(refusal)
            log.info("Duo push for a user of %s refused (%s)", rp, refusal.code)
            if not params.is_async:
                return {"result": "deny", "status": "deny", "status_msg": message}
            txid = "t_" + secrets.token_urlsafe(16)
            now = self.push.now()
            await self.store.add_refusal(
                Refusal(txid, rp, "deny", message, now), prune_before=now - REFUSAL_KEPT
            )
            return {"txid": txid}
        txid = str(made["id"])
        if params.is_async:
            return {"txid": txid}
        return outcome(await self._final(rp, txid))

    async def _final(self, rp: str, txid: str) -> Status:
        """A synchronous auth: the challenge's status once final (it expires after 60 s)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + SYNC_WAIT + 5
        while True:
            wait = min(SYNC_WAIT, max(1, math.ceil(deadline - loop.time())))
            asked = loop.time()
            body = await self.push.challenge_status(rp, txid, wait)
            status = Status(str(body["status"]))
            if status is not Status.PENDING:
                return status
            if loop.time() >= deadline:
                return Status.EXPIRED
            if loop.time() - asked < wait - 1:
                # A long poll only ends early, still pending, when the server is stopping.
                raise unavailable(StoreUnavailable.retry_after)

    async def auth_status(self, rp: str, txid: str) -> dict[str, object]:
        """Long poll: the final status, or `waiting` after STATUS_WAIT seconds."""
        if txid.startswith("t_"):
            refusal = await self.store.get_refusal(rp, txid)
            if refusal is None:
                raise invalid_parameter("txid")
            return {"result": "deny", "status": refusal.status, "status_msg": refusal.status_msg}
        try:
            body = await self.push.challenge_status(rp, txid, STATUS_WAIT)
        except NotFound as exc:
            raise invalid_parameter("txid") from exc
        return outcome(Status(str(body["status"])))

    # -- enrollment ------------------------------------------------------------------------

    async def enroll(self, rp: str, params: EnrollParams, base_url: str) -> dict[str, object]:
        user = params.username or secrets.token_hex(16)  # Duo makes one up too
        return await self._enroll(rp, user, params.valid_secs, base_url)

    async def _enroll(self, rp: str, user: str, ttl: int, base_url: str) -> dict[str, object]:
        made = await self.push.create_enrollment(rp, EnrollmentRequest(user, ttl), base_url)
        code, expires_at = str(made["uri"]), int(str(made["expires_at"]))
        token = secrets.token_urlsafe(24)
        key = self.keyring.require()
        token_hash = _digest(token)
        record = DuoEnrollment(
            token_hash=token_hash,
            rp=rp,
            user=user,
            enrollment_id=str(made["id"]),
            code_hash=_digest(code),
            code_sealed=key.seal(token_hash.hex(), code),
            expires_at=expires_at,
        )
        await self.store.add_enrollment(record, prune_before=self.push.now() - ENROLLMENT_KEPT)
        user_id = key.user_id(rp, user)
        await self.store.remember_user(rp, user_id, user)
        return {
            "activation_barcode": f"{base_url}/duo/qr/{token}.png",
            "activation_code": code,
            "activation_url": f"{base_url}/duo/activate/{token}",
            "expiration": expires_at,
            "user_id": user_id,
            "username": user,
            "valid_secs": ttl,
        }

    async def enroll_status(self, rp: str, params: EnrollStatusParams) -> str:
        """`success` once a device registered with the code, `waiting` before, `invalid` for
        a code that is not this user's, has expired, or is unknown."""
        record = await self.store.enrollment_by_code(rp, _digest(params.activation_code))
        if record is None or self.keyring.require().user_id(rp, record.user) != params.user_id:
            return "invalid"
        try:
            body = await self.push.enrollment_status(rp, record.enrollment_id)
        except NotFound:
            return "invalid"
        return {"completed": "success", "pending": "waiting"}.get(str(body["status"]), "invalid")

    async def activation(self, token: str) -> Activation | None:
        """The enrollment behind an activation link's token; None for an unknown one."""
        token_hash = _digest(token)
        record = await self.store.enrollment_by_token(token_hash)
        if record is None:
            return None
        try:
            body = await self.push.enrollment_status(record.rp, record.enrollment_id)
        except NotFound:
            return Activation("expired", record.rp, record.user)
        status = str(body["status"])
        if status == "completed":
            return Activation("used", record.rp, record.user)
        if status != "pending":
            return Activation("expired", record.rp, record.user)
        code = self.keyring.require().open(token_hash.hex(), record.code_sealed)
        return Activation("open", record.rp, record.user, code)

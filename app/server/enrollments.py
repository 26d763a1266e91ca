"""Enrolling a device: the site asks for a keyfob://enroll URI for one of its users, the
device registers with it once, and the site reads whether it has.

Only the SHA-256 of the enrollment secret is kept. A registration is checked in the
protocol's order (404, 401 secret, 409 used, 410, 401 signature); the answer is kept with
the enrollment, so a device that lost it and registers again with the same key gets the
same answer instead of a 409.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from urllib.parse import quote

from app.push.canonical import (
    TAG_REGISTER,
    TAG_REGISTERED,
    b64u_encode,
    load_public_key,
    loads_object,
    public_key_bytes,
    sign,
    verify,
)
from app.push.messages import PROTOCOL_VERSION
from app.server import rules
from app.server.config import WS_PATH
from app.server.errors import (
    BadSignature,
    EnrollmentExpired,
    EnrollmentUsed,
    NotFound,
    UnknownEnrollment,
    WrongSecret,
)
from app.server.node import Node
from app.server.outgoing import message_text, new_id
from app.server.rules import RegistrationStep
from app.server.store import DeviceRecord, EnrollmentRecord
from app.server.validation import EnrollmentRequest, RegistrationRequest

log = logging.getLogger("keyfob.server")


def ws_url_for(base_url: str) -> str:
    if base_url.startswith("https://"):
        return "wss://" + base_url[len("https://") :] + WS_PATH
    return "ws://" + base_url.removeprefix("http://") + WS_PATH


class Enrollments:
    def __init__(self, node: Node) -> None:
        self.node = node
        self.server_public_key = public_key_bytes(node.server_key)

    async def create(self, rp: str, request: EnrollmentRequest, base_url: str) -> dict[str, object]:
        now = self.node.now()
        eid = new_id("e_")
        secret = secrets.token_bytes(32)
        record = EnrollmentRecord(
            id=eid,
            rp=rp,
            user=request.user,
            secret_hash=hashlib.sha256(secret).digest(),
            created_at=now,
            expires_at=now + request.ttl,
        )
        await self.node.store.add_enrollment(record)
        params = {
            "v": str(PROTOCOL_VERSION),
            "url": base_url,
            "eid": eid,
            "secret": b64u_encode(secret),
            "spk": b64u_encode(self.server_public_key),
            "issuer": rp,
            "user": request.user,
        }
        uri = "keyfob://enroll?" + "&".join(
            f"{name}={quote(value, safe='')}" for name, value in params.items()
        )
        log.info("enrollment %s made for a user of %s", eid, rp)
        return {"id": eid, "uri": uri, "expires_at": record.expires_at}

    async def status(self, rp: str, enrollment_id: str) -> dict[str, object]:
        record = await self.node.store.get_enrollment(enrollment_id)
        if record is None or record.rp != rp:
            raise NotFound("enrollment")
        if record.device_id is not None:
            return {"id": record.id, "status": "completed", "device_id": record.device_id}
        status = "expired" if self.node.now() >= record.expires_at else "pending"
        return {"id": record.id, "status": status}

    async def register(
        self, request: RegistrationRequest, base_url: str
    ) -> tuple[int, dict[str, object]]:
        """Checks in the protocol's order: 404, 401 secret, 409 used, 410, 401 signature."""
        record = await self.node.store.get_enrollment(request.eid)
        given = hashlib.sha256(request.secret or b"").digest()
        now = self.node.now()
        step = rules.registration_step(
            found=record is not None,
            secret_ok=record is not None
            and request.secret is not None
            and hmac.compare_digest(given, record.secret_hash),
            used=record is not None and record.device_id is not None,
            expires_at=0 if record is None else record.expires_at,
            now=now,
        )
        if step is RegistrationStep.UNKNOWN:
            raise UnknownEnrollment
        if step is RegistrationStep.MISMATCH:
            raise WrongSecret
        assert record is not None
        if step is RegistrationStep.USED:
            return self._retry(record, request)
        if step is RegistrationStep.EXPIRED:
            raise EnrollmentExpired
        if not verify(load_public_key(request.device_key), TAG_REGISTER, request.raw):
            raise BadSignature
        device_id = new_id("d_")
        answer = message_text(
            sign(
                self.node.server_key,
                TAG_REGISTERED,
                {
                    "device_id": device_id,
                    "ws_url": ws_url_for(base_url),
                    "issuer": record.rp,
                    "user": record.user,
                    "server_time": now,
                },
            )
        )
        device = DeviceRecord(
            id=device_id,
            rp=record.rp,
            user=record.user,
            name=request.name,
            public_key=request.device_key,
            enrolled_at=now,
        )
        if not await self.node.store.complete_enrollment(record.id, device, answer):
            # Another request used it first: answer as to any later request.
            current = await self.node.store.get_enrollment(record.id)
            assert current is not None
            return self._retry(current, request)
        log.info("device %s enrolled for a user of %s", device_id, record.rp)
        return 201, loads_object(answer)

    @staticmethod
    def _retry(
        record: EnrollmentRecord, request: RegistrationRequest
    ) -> tuple[int, dict[str, object]]:
        """The same key again after a lost answer gets that answer; any other key, 409."""
        if record.device_key is None or record.answer is None:
            raise EnrollmentUsed
        if not hmac.compare_digest(record.device_key, request.device_key):
            raise EnrollmentUsed
        if not verify(load_public_key(request.device_key), TAG_REGISTER, request.raw):
            raise BadSignature
        return 200, loads_object(record.answer)

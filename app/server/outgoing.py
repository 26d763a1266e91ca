"""The server's plain messages as the text it sends, and the ids it makes.

Messages go out as canonical JSON (app.push.canonical), so the same object is the same
bytes wherever it is made: the socket that answered a challenge, the node that ended it,
the sweeper that expired it. Signed messages (hello, registered, challenge) are made where
their content is decided, then written with `message_text` too.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from app.push.canonical import canonical
from app.push.messages import Status


def new_id(prefix: str) -> str:
    """An id for an enrollment (e_), device (d_) or challenge (c_): 128 random bits."""
    return prefix + secrets.token_urlsafe(16)


def message_text(message: Mapping[str, object]) -> str:
    return canonical(message).decode()


def ready_text(server_time: int) -> str:
    return message_text({"type": "ready", "server_time": server_time})


def result_text(challenge_id: str, status: Status) -> str:
    """How the server judged a device's response."""
    return message_text({"type": "result", "id": challenge_id, "status": status.value})


def cancel_text(challenge_id: str, status: Status) -> str:
    """A challenge ended: its prompt comes down."""
    return message_text({"type": "cancel", "id": challenge_id, "status": status.value})

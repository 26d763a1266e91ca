"""The device sockets this process holds, and how messages reach them.

Each socket has a bounded queue drained by its own writer task, so a fan-out never waits on
a slow device; one that falls too far behind is closed and reconnects later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from app.push.close_codes import CloseCode

log = logging.getLogger("keyfob.server.ws")

CloseFn = Callable[[int, str], Coroutine[Any, Any, None]]
# Told how long a challenge took from its arrival at this node to its write on a socket.
DeliveryFn = Callable[[float], None]


@dataclass(eq=False)
class Connection:
    """One authenticated device socket."""

    device_id: str
    rp: str
    user: str
    send_text: Callable[[str], Coroutine[Any, Any, None]]
    close_socket: CloseFn
    queue_size: int = 256
    # (text, when it arrived at this node for a challenge, else None); None stops the writer
    queue: asyncio.Queue[tuple[str, float | None] | None] = field(init=False)
    sent_challenges: set[str] = field(default_factory=set)  # offered or ended: never again
    ended_challenges: set[str] = field(default_factory=set)  # whose prompt was taken down
    on_delivery: DeliveryFn | None = None
    closing: bool = False

    def __post_init__(self) -> None:
        self.queue = asyncio.Queue(self.queue_size)

    def send(self, text: str, *, since: float | None = None) -> None:
        if self.closing:
            return
        try:
            self.queue.put_nowait((text, since))
        except asyncio.QueueFull:
            log.warning("device %s reads too slowly; closing its socket", self.device_id)
            self.close_soon(CloseCode.TRY_AGAIN_LATER, "too slow")

    def send_challenge(self, challenge_id: str, payload: str, since: float | None = None) -> None:
        """Each challenge once per socket, though fan-out, `ready`, other nodes' notices and
        a re-read after a lost listener may all offer it."""
        if challenge_id in self.sent_challenges:
            return
        self.sent_challenges.add(challenge_id)
        self.send(payload, since=since)

    def end_challenge(self, challenge_id: str, cancel: str) -> None:
        """Take a prompt down; a challenge that ended is never offered to this socket again."""
        if challenge_id in self.ended_challenges:
            return
        self.mark_ended(challenge_id)
        self.send(cancel)

    def mark_ended(self, challenge_id: str) -> None:
        """The challenge ended and this socket knows (it answered it)."""
        self.sent_challenges.add(challenge_id)
        self.ended_challenges.add(challenge_id)

    def open_prompts(self) -> set[str]:
        """Challenges offered here whose end this socket has not heard of."""
        return self.sent_challenges - self.ended_challenges

    def close_soon(self, code: int, reason: str) -> None:
        if self.closing:
            return
        self.closing = True
        task = asyncio.get_running_loop().create_task(self.close_socket(code, reason))
        _BACKGROUND.add(task)
        task.add_done_callback(_BACKGROUND.discard)

    async def run_writer(self) -> None:
        loop = asyncio.get_running_loop()
        while (item := await self.queue.get()) is not None:
            text, since = item
            await self.send_text(text)
            if since is not None and self.on_delivery is not None:
                self.on_delivery(loop.time() - since)

    def stop_writer(self) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(None)


_BACKGROUND: set[asyncio.Task[None]] = set()


class Hub:
    def __init__(self, on_delivery: DeliveryFn | None = None) -> None:
        self._by_user: dict[tuple[str, str], set[Connection]] = {}
        self._by_device: dict[str, set[Connection]] = {}
        self._on_delivery = on_delivery

    def add(self, conn: Connection) -> None:
        conn.on_delivery = self._on_delivery
        self._by_user.setdefault((conn.rp, conn.user), set()).add(conn)
        self._by_device.setdefault(conn.device_id, set()).add(conn)

    def remove(self, conn: Connection) -> None:
        user_key = (conn.rp, conn.user)
        by_user = self._by_user.get(user_key)
        if by_user is not None:
            by_user.discard(conn)
            if not by_user:
                del self._by_user[user_key]
        by_device = self._by_device.get(conn.device_id)
        if by_device is not None:
            by_device.discard(conn)
            if not by_device:
                del self._by_device[conn.device_id]

    def for_user(self, rp: str, user: str) -> list[Connection]:
        return list(self._by_user.get((rp, user), ()))

    def for_device(self, device_id: str) -> list[Connection]:
        return list(self._by_device.get(device_id, ()))

    def all(self) -> list[Connection]:
        return [conn for group in self._by_device.values() for conn in group]

    def users(self) -> list[tuple[str, str]]:
        """The (site, user) pairs with a device socket here."""
        return list(self._by_user)

    def __len__(self) -> int:
        return sum(len(group) for group in self._by_device.values())

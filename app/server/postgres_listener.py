"""One node's ear on the database: a dedicated connection that LISTENs for other nodes'
notices (notify.py), and comes back by itself when it is lost.

Notices sent while this connection was down are gone (PostgreSQL keeps none for a listener
that is not there), so after every (re)connection, once LISTEN is in place, the node
re-reads what they would have said (`on_resync`) and nothing is missed. The connection is
checked every few seconds, so a silently dead one is noticed; `/readyz` reports not ready
while it is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Final

import asyncpg  # type: ignore[import-untyped]

from app.server.notify import (
    CHANNEL,
    NoticeError,
    NoticeHandler,
    NotifierHealth,
    ResyncHandler,
    decode_notice,
)

log = logging.getLogger("keyfob.server.db")

CHECK_INTERVAL: Final = 5.0
CHECK_TIMEOUT: Final = 5.0
RETRY_FIRST: Final = 0.25
RETRY_MAX: Final = 5.0


class PostgresListener:
    def __init__(self, connect_options: dict[str, Any]) -> None:
        self._options = connect_options
        self.health = NotifierHealth()
        self._connected = False
        self._listened = False  # once listening, a new connection is a reconnection
        self._task: asyncio.Task[None] | None = None
        self._handling: set[asyncio.Task[None]] = set()
        self._on_notice: NoticeHandler | None = None
        self._on_resync: ResyncHandler | None = None

    @property
    def connected(self) -> bool:
        return self._connected

    async def start(self, on_notice: NoticeHandler, on_resync: ResyncHandler) -> None:
        self._on_notice, self._on_resync = on_notice, on_resync
        self._task = asyncio.create_task(self._run(), name="keyfob-db-listener")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for task in list(self._handling):
            task.cancel()
        await asyncio.gather(*self._handling, return_exceptions=True)

    async def _run(self) -> None:
        delay = RETRY_FIRST
        while True:
            try:
                conn = await asyncpg.connect(**self._options)
            except Exception as exc:  # any failure: count it, wait, try again
                self.health.errors += 1
                if delay == RETRY_FIRST:
                    log.warning("cannot listen for other nodes' notices: %s", _reason(exc))
                await asyncio.sleep(delay)
                delay = min(RETRY_MAX, delay * 2)
                continue
            try:
                await self._listen(conn)
            except Exception as exc:
                self.health.errors += 1
                log.warning("the notice listener stopped (%s); reconnecting", _reason(exc))
            finally:
                if self._connected:
                    delay = RETRY_FIRST  # it worked for a while: start the backoff afresh
                self._connected = False
                conn.terminate()
            await asyncio.sleep(delay)

    async def _listen(self, conn: Any) -> None:
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        await conn.add_listener(CHANNEL, self._received)
        if self._listened:
            self.health.reconnects += 1
            log.warning("listening for other nodes' notices again; re-reading what is pending")
        self._listened = True
        # LISTEN is in place: whatever changes from now on is heard, so re-reading now
        # covers everything that happened while nobody listened.
        assert self._on_resync is not None
        await self._on_resync()
        self._connected = True
        while not lost.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(lost.wait(), CHECK_INTERVAL)
            if not lost.is_set():
                await asyncio.wait_for(conn.fetchval("SELECT 1"), CHECK_TIMEOUT)
        raise ConnectionError("the connection was closed")

    def _received(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self.health.received += 1
        try:
            notice = decode_notice(payload)
        except NoticeError as exc:
            self.health.errors += 1
            log.warning("ignored a notification: %s", exc)
            return
        assert self._on_notice is not None
        task = asyncio.get_running_loop().create_task(self._handle(self._on_notice(notice)))
        self._handling.add(task)
        task.add_done_callback(self._handling.discard)

    async def _handle(self, work: Any) -> None:
        try:
            await work
        except Exception as exc:  # one notice failing must not stop the others
            self.health.errors += 1
            log.warning("could not act on a notice: %s", _reason(exc))


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

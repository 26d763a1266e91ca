"""`keyfob push listen`: hold every enrollment's websocket and answer requests from stdin.

The protocol is app.push's DeviceSession; this is its terminal transport: aiohttp's
websocket client, reconnecting with the session's jittered backoff, keeping each connection
alive, and handing the requests to the prompter (app.cli.push.prompts), which shows one at a
time and reads the answers from stdin.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Final

import aiohttp

from app.cli.context import Context
from app.cli.errors import CliError
from app.cli.output import note, printable
from app.cli.push.enrollments import read_enrollments
from app.cli.push.prompts import Prompt, Prompter, StdinLines
from app.push.close_codes import CloseCode
from app.push.enrollment import PushEnrollment, check_ws_url
from app.push.errors import PushUriError
from app.push.keepalive import Heartbeat
from app.push.messages import MAX_MESSAGE_BYTES
from app.push.session import (
    Action,
    AnswerRejected,
    ChallengeReceived,
    ChallengeResolved,
    Connected,
    DeviceSession,
    Outgoing,
    ProtocolViolation,
)

DROP_TIMEOUT: Final = 2.0
CONNECT_TIMEOUT: Final = 20.0
DRIFT_WARNING: Final = 15


@dataclass(eq=False)
class Link:
    """One enrollment's connection and its protocol session."""

    enrollment: PushEnrollment
    session: DeviceSession = field(init=False)
    ws: aiohttp.ClientWebSocketResponse | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    revoked: bool = False
    offline_reported: bool = False

    def __post_init__(self) -> None:
        self.session = DeviceSession(self.enrollment)

    @property
    def label(self) -> str:
        return f"{printable(self.enrollment.issuer)} ({printable(self.enrollment.user)})"

    async def send(self, outgoing: Outgoing) -> None:
        """Send on the socket if there is one; a send that fails is as good as a lost one."""
        if self.ws is not None and not self.ws.closed:
            with contextlib.suppress(ConnectionError):
                await self.ws.send_str(outgoing.text)


class Listener:
    def __init__(self, enrollments: list[PushEnrollment], once: bool, lines: StdinLines) -> None:
        self.links = [Link(e) for e in enrollments]
        self.prompter = Prompter(lines, once, self._stop)
        self.active: dict[tuple[int, str], Prompt] = {}
        self.finished = asyncio.Event()
        self.error: CliError | None = None

    async def run(self) -> int:
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=CONNECT_TIMEOUT)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            tasks = [asyncio.create_task(self._connect_loop(http, link)) for link in self.links]
            tasks.append(asyncio.create_task(self.prompter.run()))
            tasks.append(asyncio.create_task(self._ticker()))
            try:
                await self.finished.wait()
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                for link in self.links:
                    if link.ws is not None:
                        with contextlib.suppress(Exception):
                            await link.ws.close()
        if self.error is not None:
            raise self.error
        return 0

    def _stop(self, error: CliError | None = None) -> None:
        if error is not None and self.error is None:
            self.error = error
        self.finished.set()

    # -- connections ---------------------------------------------------------------------

    async def _connect_loop(self, http: aiohttp.ClientSession, link: Link) -> None:
        url = link.enrollment.ws_url
        try:
            # Enrollments stored before the registration checked this must not connect either.
            check_ws_url(link.enrollment.url, url)
        except PushUriError as error:
            link.revoked = True
            note(f"keyfob: not connecting for {link.label}: {error}")
            if all(other.revoked for other in self.links):
                self._stop(CliError("no push enrollment here can be connected"))
            return
        while True:
            try:
                async with asyncio.timeout(CONNECT_TIMEOUT):
                    # Pings are ours (Heartbeat, as the protocol times them): aiohttp's own
                    # heartbeat gives up half an interval after its ping.
                    ws = await http.ws_connect(
                        url,
                        max_msg_size=MAX_MESSAGE_BYTES + 1,
                        autoping=False,
                    )
            except (aiohttp.ClientError, OSError, TimeoutError) as error:
                delay = link.session.backoff.next_delay()
                if not link.offline_reported:
                    reason = printable(str(error).splitlines()[0] if str(error) else "no answer")
                    note(
                        f"keyfob: cannot reach {printable(url)} for {link.label}: {reason[:160]}; "
                        f"retrying in {delay:.0f} s"
                    )
                    link.offline_reported = True
                await asyncio.sleep(delay)
                continue
            await self._serve(link, ws)
            code = ws.close_code
            if code == CloseCode.REVOKED:
                link.revoked = True
                note(
                    f"keyfob: the site revoked this device for {link.label}; "
                    f"forget it with `keyfob push remove {link.enrollment.device_id}`"
                )
                if all(other.revoked for other in self.links):
                    self._stop(CliError("every push enrollment here was revoked by its site"))
                return
            delay = link.session.backoff.next_delay()
            if code == CloseCode.AUTH_FAILED:
                why = "the push server refused this device's authentication"
            else:
                why = "connection lost"
            note(f"keyfob: {why} for {link.label}; reconnecting in {delay:.0f} s")
            link.offline_reported = True
            await asyncio.sleep(delay)

    async def _serve(self, link: Link, ws: aiohttp.ClientWebSocketResponse) -> None:
        link.ws = ws
        loop = asyncio.get_running_loop()
        heartbeat = Heartbeat()
        heartbeat.start(loop.time())
        dropping = asyncio.Event()
        keepalive = asyncio.create_task(self._keepalive(link, ws, heartbeat, dropping))
        for action in link.session.on_open():
            await self._act(link, action)
        try:
            async for message in ws:
                heartbeat.heard(loop.time())
                if message.type is aiohttp.WSMsgType.PING:
                    with contextlib.suppress(ConnectionError):
                        await ws.pong(message.data)
                elif message.type is aiohttp.WSMsgType.TEXT:
                    for action in link.session.on_message(str(message.data), int(time.time())):
                        await self._act(link, action)
        finally:
            if not dropping.is_set():
                keepalive.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keepalive
            link.session.on_close()
            link.ready.clear()
            link.ws = None

    async def _keepalive(
        self,
        link: Link,
        ws: aiohttp.ClientWebSocketResponse,
        heartbeat: Heartbeat,
        dropping: asyncio.Event,
    ) -> None:
        loop = asyncio.get_running_loop()
        while not ws.closed:
            await asyncio.sleep(max(0.0, heartbeat.next_due() - loop.time()))
            due = heartbeat.tick(loop.time())
            if due == "ping":
                # A peer that reads nothing fills our buffer and a send would wait for ever:
                # the ping gets until the drop is due, then the loop drops the peer.
                with contextlib.suppress(ConnectionError, TimeoutError):
                    async with asyncio.timeout(heartbeat.timeout):
                        await ws.ping()
            elif due == "drop":
                note(f"keyfob: the push server stopped answering for {link.label}")
                dropping.set()
                # Closing ends the read loop at once; a peer that never answers the close
                # is cut off after DROP_TIMEOUT.
                with contextlib.suppress(TimeoutError, ConnectionError):
                    async with asyncio.timeout(DROP_TIMEOUT):
                        await ws.close(code=CloseCode.GOING_AWAY, message=b"no answer to ping")
                return

    async def _act(self, link: Link, action: Action) -> None:
        if isinstance(action, Outgoing):
            await link.send(action)
        elif isinstance(action, Connected):
            link.ready.set()
            link.offline_reported = False
            # Whole-second clocks differ by one now and then: only more is worth a word.
            drift = f"; clock drift {action.drift:+d} s" if abs(action.drift) > 1 else ""
            note(f"keyfob: connected to {printable(link.enrollment.url)} for {link.label}{drift}")
            if abs(action.drift) > DRIFT_WARNING:
                note("keyfob: this computer's clock is off; codes may be refused: set the time")
        elif isinstance(action, ChallengeReceived):
            prompt = Prompt(link, action.challenge, action.local_expires_at)
            self.active[(id(link), action.challenge.id)] = prompt
            self.prompter.prompts.put_nowait(prompt)
        elif isinstance(action, ChallengeResolved):
            ended = self.active.pop((id(link), action.challenge_id), None)
            if ended is not None:
                ended.end(action)
        elif isinstance(action, AnswerRejected):
            rejected = self.active.get((id(link), action.challenge_id))
            if rejected is not None:
                rejected.rejected.set()
        elif isinstance(action, ProtocolViolation) and action.fatal and link.ws is not None:
            note(f"keyfob: the push server sent something wrong ({action.detail}); reconnecting")
            await link.ws.close(code=action.close_code)

    async def _ticker(self) -> None:
        """Take down requests whose time is up by the server's clock."""
        while True:
            await asyncio.sleep(1.0)
            now = int(time.time())
            for link in self.links:
                for action in link.session.expire(now):
                    await self._act(link, action)


def cmd_listen(ctx: Context, once: bool) -> int:
    vault = ctx.open_vault()
    enrollments = read_enrollments(vault.content)
    vault.lock()  # the device keys are all this needs; the rest of the vault is closed again
    if not enrollments:
        raise CliError("no push enrollments in this vault: add one with `keyfob push enroll URI`")
    note(
        f"keyfob: listening for sign-in requests for {len(enrollments)} enrollment(s)"
        + ("" if once else "; Ctrl+C stops")
    )
    listener = Listener(enrollments, once, StdinLines())
    try:
        return asyncio.run(listener.run())
    except KeyboardInterrupt:
        note("keyfob: stopped listening")
        return 0

"""`keyfob push listen`: hold every enrollment's websocket and answer requests from stdin.

The protocol is app.push's DeviceSession; this is its terminal transport: aiohttp's
websocket client, reconnecting with the session's jittered backoff, and a prompter that
shows one request at a time and reads the answers from stdin. Stdin is read only while a
question is asked, so answers piped in ahead of time wait for their request (how scripts and
tests drive it); see LISTEN_HELP in commands for the prompt format.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import sys
import threading
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, TypeVar

import aiohttp

from app.cli.context import Context
from app.cli.errors import CliError
from app.cli.output import note, printable
from app.cli.push.enrollments import read_enrollments
from app.push.close_codes import CloseCode
from app.push.enrollment import PushEnrollment, check_ws_url
from app.push.errors import PushError, PushUriError
from app.push.keepalive import Heartbeat
from app.push.messages import MAX_MESSAGE_BYTES, NUMBER_PATTERN, Challenge, Decision, Status
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
_T = TypeVar("_T")

DECISIONS: Final = {
    "a": Decision.APPROVE,
    "approve": Decision.APPROVE,
    "y": Decision.APPROVE,
    "yes": Decision.APPROVE,
    "d": Decision.DENY,
    "deny": Decision.DENY,
    "n": Decision.DENY,
    "no": Decision.DENY,
    "f": Decision.FRAUD,
    "fraud": Decision.FRAUD,
}
OUTCOMES: Final = {
    Status.APPROVED: "the sign-in goes ahead",
    Status.DENIED: "the sign-in is refused",
    Status.FRAUD: "refused and reported; the site blocks further requests",
    Status.WRONG_NUMBER: "the number did not match; the sign-in is refused",
    Status.EXPIRED: "no answer in time",
    Status.CANCELLED: "the site withdrew the request",
}
CONTEXT_LABELS: Final = (
    ("app", "app"),
    ("location", "location"),
    ("ip", "ip"),
    ("user_agent", "browser"),
)


class StdinLines:
    """Lines of stdin, each read only when asked for.

    A daemon thread does the blocking reads with os.read (no buffered-file lock that could
    hang the interpreter's exit); a question that goes away (its request was cancelled)
    leaves its read pending, and the next question gets that line.
    """

    def __init__(self, fd: int = 0) -> None:
        self._fd = fd
        self._buffer = b""
        self._requests: queue.SimpleQueue[
            tuple[asyncio.AbstractEventLoop, asyncio.Future[str | None]]
        ] = queue.SimpleQueue()
        self._pending: asyncio.Future[str | None] | None = None
        self._thread: threading.Thread | None = None

    async def readline(self) -> str | None:
        """The next line without its end, or None at end of input."""
        if self._pending is None:
            loop = asyncio.get_running_loop()
            self._pending = loop.create_future()
            self._requests.put((loop, self._pending))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._serve, name="keyfob-stdin", daemon=True
                )
                self._thread.start()
        line = await asyncio.shield(self._pending)
        self._pending = None
        return line

    def _serve(self) -> None:
        while True:
            loop, future = self._requests.get()
            line = self._read_line()
            with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is listening
                loop.call_soon_threadsafe(_settle, future, line)

    def _read_line(self) -> str | None:
        while b"\n" not in self._buffer:
            try:
                chunk = os.read(self._fd, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                rest, self._buffer = self._buffer, b""
                return rest.decode("utf-8", "replace") if rest else None
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode("utf-8", "replace").rstrip("\r")


def _settle(future: asyncio.Future[str | None], line: str | None) -> None:
    if not future.done():
        future.set_result(line)


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


@dataclass(eq=False)
class Prompt:
    """One request on its way to the terminal, and how it ended."""

    link: Link
    challenge: Challenge
    local_expires_at: int
    outcome: asyncio.Future[ChallengeResolved] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    rejected: asyncio.Event = field(default_factory=asyncio.Event)

    def end(self, resolved: ChallengeResolved) -> None:
        if not self.outcome.done():
            self.outcome.set_result(resolved)


async def _first(work: Awaitable[_T], outcome: asyncio.Future[ChallengeResolved]) -> _T | None:
    """`work`'s result, or None when the request ends first (then `work` is cancelled)."""
    task = asyncio.ensure_future(work)
    racing: set[asyncio.Future[Any]] = {task, outcome}
    await asyncio.wait(racing, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return None


class Listener:
    def __init__(self, enrollments: list[PushEnrollment], once: bool, lines: StdinLines) -> None:
        self.links = [Link(e) for e in enrollments]
        self.once = once
        self.lines = lines
        self.echo = not os.isatty(0)  # answers read from a pipe are shown, as typed ones are
        self.prompts: asyncio.Queue[Prompt] = asyncio.Queue()
        self.active: dict[tuple[int, str], Prompt] = {}
        self.finished = asyncio.Event()
        self.error: CliError | None = None

    async def run(self) -> int:
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=CONNECT_TIMEOUT)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            tasks = [asyncio.create_task(self._connect_loop(http, link)) for link in self.links]
            tasks.append(asyncio.create_task(self._prompter()))
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
            if link.ws is not None and not link.ws.closed:
                with contextlib.suppress(ConnectionError):
                    await link.ws.send_str(action.text)
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
            self.prompts.put_nowait(prompt)
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

    # -- the terminal --------------------------------------------------------------------

    async def _prompter(self) -> None:
        try:
            while True:
                prompt = await self.prompts.get()
                if not prompt.outcome.done():
                    self._show(prompt)
                    await self._answer(prompt)
                self._report(prompt, await prompt.outcome)
                if self.once:
                    self._stop()
                    return
        except CliError as error:
            self._stop(error)

    def _show(self, prompt: Prompt) -> None:
        challenge = prompt.challenge
        drift = prompt.link.session.server_offset or 0
        left = max(0, prompt.local_expires_at - int(time.time()))
        made = datetime.fromtimestamp(challenge.created_at - drift).strftime("%H:%M:%S")
        lines = [
            "",
            f"sign-in request {printable(challenge.id)}",
            f"  site:     {printable(challenge.issuer)}",
            f"  account:  {printable(challenge.user)}",
            f"  action:   {printable(challenge.action)}",
        ]
        for key, label in CONTEXT_LABELS:
            if challenge.context.get(key):
                lines.append(f"  {label + ':':<9} {printable(challenge.context[key])}")
        known = {key for key, _ in CONTEXT_LABELS}
        for key, value in challenge.context.items():
            if key not in known and value:
                lines.append(f"  {printable(key)[:20]}: {printable(value)}")
        lines.append(f"  time:     {made} ({left} s left)")
        print("\n".join(lines), flush=True)

    async def _ask_line(self, question: str) -> str:
        print(question, end="", flush=True)
        line = await self.lines.readline()
        if line is None:
            print(flush=True)
            raise CliError("stdin closed before the sign-in request was answered; nothing was sent")
        if self.echo:
            print(printable(line), flush=True)
        return line.strip()

    async def _ask(self, challenge: Challenge) -> tuple[Decision, str | None]:
        number: str | None = None
        if challenge.number_matching:
            while True:
                typed = await self._ask_line("number shown on the sign-in page (two digits): ")
                if not typed or NUMBER_PATTERN.fullmatch(typed):
                    number = typed or None
                    break
                print("  type the two digits the sign-in page shows, or an empty line if none")
        can_approve = number is not None or not challenge.number_matching
        question = (
            'approve, deny, or fraud ("it wasn\'t me")? [a/d/f]: '
            if can_approve
            else 'deny, or fraud ("it wasn\'t me")? [d/f]: '
        )
        while True:
            decision = DECISIONS.get((await self._ask_line(question)).lower())
            if decision is Decision.APPROVE and not can_approve:
                print("  approving needs the number shown on the sign-in page")
            elif decision is not None:
                return decision, number
            else:
                print("  answer a (approve), d (deny) or f (fraud: it wasn't me)")

    async def _answer(self, prompt: Prompt) -> None:
        """Ask and send until the server takes an answer or the request ends."""
        link = prompt.link
        while True:
            answer = await _first(self._ask(prompt.challenge), prompt.outcome)
            if answer is None:
                return
            if not link.ready.is_set():
                note("keyfob: waiting for the connection to send the answer")
            if await _first(link.ready.wait(), prompt.outcome) is None:
                return
            try:
                outgoing = link.session.answer(prompt.challenge.id, *answer, int(time.time()))
            except PushError as error:
                note(f"keyfob: {error}")
                return
            prompt.rejected.clear()
            await self._act(link, outgoing)
            await _first(prompt.rejected.wait(), prompt.outcome)
            if prompt.outcome.done():
                return
            print("  the push server did not accept that answer; answer again", flush=True)

    def _report(self, prompt: Prompt, resolved: ChallengeResolved) -> None:
        why = (
            "answered on another device"
            if resolved.elsewhere
            else OUTCOMES.get(resolved.status, "")
        )
        outcome = f"result {printable(prompt.challenge.id)}: {resolved.status.value}"
        print(outcome + (f" ({why})" if why else ""))
        sys.stdout.flush()


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

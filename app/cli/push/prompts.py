"""The terminal side of `keyfob push listen`: one request at a time, answered from stdin.

Requests are shown in the order they came, each as a block (see LISTEN_HELP in commands),
and the answer is sent through the request's connection; a request that ends meanwhile (on
another device, withdrawn, expired) stops its questions. Stdin is read only while a question
is asked, so answers piped in ahead of time wait for their request (how scripts and tests
drive it).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Protocol, TypeVar

from app.cli.errors import CliError
from app.cli.output import note, printable
from app.push.errors import PushError
from app.push.messages import NUMBER_PATTERN, Challenge, Decision, Status
from app.push.session import ChallengeResolved, DeviceSession, Outgoing

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


class Connection(Protocol):
    """What answering needs of a request's connection (listen's Link)."""

    @property
    def session(self) -> DeviceSession: ...
    @property
    def ready(self) -> asyncio.Event: ...
    async def send(self, outgoing: Outgoing) -> None: ...


@dataclass(eq=False)
class Prompt:
    """One request on its way to the terminal, and how it ended."""

    link: Connection
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


class Prompter:
    """Shows the requests put in `prompts` and asks for their answers; `stop` is called
    with None when done (--once), or with the error that ends the listening."""

    def __init__(
        self, lines: StdinLines, once: bool, stop: Callable[[CliError | None], None]
    ) -> None:
        self.lines = lines
        self.once = once
        self.stop = stop
        self.echo = not os.isatty(0)  # answers read from a pipe are shown, as typed ones are
        self.prompts: asyncio.Queue[Prompt] = asyncio.Queue()

    async def run(self) -> None:
        try:
            while True:
                prompt = await self.prompts.get()
                if not prompt.outcome.done():
                    self._show(prompt)
                    await self._answer(prompt)
                self._report(prompt, await prompt.outcome)
                if self.once:
                    self.stop(None)
                    return
        except CliError as error:
            self.stop(error)

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
            await link.send(outgoing)
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

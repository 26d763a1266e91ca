"""Every push enrollment's connection, the queue of sign-in prompts, and their history.

The manager outlives a lock: after the first unlock of a run it keeps the enrollments (and
so their device keys) in memory, so prompts keep arriving while the accounts are locked
away. Denying and "It wasn't me" work while locked; approving asks for the password first
(the `Unlocker` the app gives it opens the vault).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from app.push.enrollment import PushEnrollment
from app.push.errors import PushError
from app.push.history import HistoryEntry, PushHistory
from app.push.messages import Challenge, Decision, Status
from app.push.session import AnswerRejected, ChallengeReceived, ChallengeResolved, Connected
from app.ui.push.transport import (
    ConnectionState,
    ConnectionStatus,
    PushConnection,
    TransportOptions,
)

EXPIRY_CHECK_MS = 1000
RESULT_MS = 2500  # how long the prompt shows how a request ended


class Unlocker(Protocol):
    """How the manager asks the app to open the vault before an approval."""

    def is_locked(self) -> bool: ...

    def unlock(self, password: str, done: Callable[[str | None], None]) -> None:
        """Open the vault with `password`; then `done(None)`, or `done(message)` if not."""
        ...


class PromptPresenter(Protocol):
    """The window that shows the manager's prompts (prompt.PromptWindow).

    The manager is handed a way to make one rather than importing it: the window reads the
    manager, and a module pair that imports each other cannot be understood apart.
    """

    def present(self) -> None: ...

    def close(self) -> bool: ...

    def deleteLater(self) -> None: ...  # Qt spells it so


@dataclass
class Prompt:
    """One sign-in request on screen (or queued), from one enrollment."""

    enrollment: PushEnrollment
    challenge: Challenge
    local_expires_at: int  # by our clock
    received_at: int
    sent: Decision | None = None  # the answer sent, while its result is awaited
    error: str = ""  # why the last answer did not count
    outcome: Status | None = None  # once it is over
    elsewhere: bool = False  # another device of the user decided it

    @property
    def key(self) -> tuple[str, str]:
        return self.enrollment.device_id, self.challenge.id

    @property
    def finished(self) -> bool:
        return self.outcome is not None


class PushManager(QObject):
    statuses_changed = Signal()
    prompts_changed = Signal()
    prompt_arrived = Signal(object)  # Prompt
    prompt_finished = Signal(object)  # Prompt, with its outcome
    drift_measured = Signal(float)  # seconds the system clock is behind the push server
    history_changed = Signal()

    def __init__(
        self,
        unlocker: Unlocker,
        *,
        now: Callable[[], float] = time.time,
        options: TransportOptions | None = None,
        show_prompts: bool = True,
        window_factory: Callable[[PushManager], PromptPresenter] | None = None,
        parent: QObject | None = None,
    ) -> None:
        """`window_factory` makes the prompt window; without one no window shows."""
        super().__init__(parent)
        self.unlocker = unlocker
        self.now = now
        self.options = options or TransportOptions()
        self.show_prompts = show_prompts
        self.result_ms = RESULT_MS
        self.connections: dict[str, PushConnection] = {}
        self.prompts: list[Prompt] = []  # waiting for an answer, in the order they came
        self.history = PushHistory()
        self.drift: float | None = None
        self.window: PromptPresenter | None = None
        self._window_factory = window_factory
        self._expiry = QTimer(self)
        self._expiry.setInterval(EXPIRY_CHECK_MS)
        self._expiry.timeout.connect(self.expire)

    # --- enrollments -----------------------------------------------------------------------

    @property
    def enrollments(self) -> list[PushEnrollment]:
        return [c.enrollment for c in self.connections.values()]

    def set_enrollments(self, enrollments: list[PushEnrollment]) -> None:
        """Connect new enrollments, drop removed ones; unchanged ones keep their socket."""
        wanted = {e.device_id: e for e in enrollments}
        for device_id in [d for d in self.connections if d not in wanted]:
            self._drop(device_id)
        for device_id, enrollment in wanted.items():
            if device_id in self.connections:
                continue
            connection = PushConnection(enrollment, now=self.now, options=self.options, parent=self)
            connection.status_changed.connect(self.statuses_changed)
            connection.happened.connect(lambda event, c=connection: self._on_event(c, event))
            self.connections[device_id] = connection
            connection.start()
        self.history.keep_only(set(wanted))
        self.statuses_changed.emit()

    def _drop(self, device_id: str) -> None:
        connection = self.connections.pop(device_id)
        connection.stop()
        connection.deleteLater()
        gone = [p for p in self.prompts if p.enrollment.device_id == device_id]
        if gone:
            self.prompts = [p for p in self.prompts if p.enrollment.device_id != device_id]
            self.prompts_changed.emit()

    def status(self, device_id: str) -> ConnectionStatus:
        connection = self.connections.get(device_id)
        return connection.status if connection else ConnectionStatus(ConnectionState.OFFLINE)

    def reconnect_now(self) -> None:
        for connection in self.connections.values():
            connection.reconnect_now()

    def shutdown(self) -> None:
        self._expiry.stop()
        for device_id in list(self.connections):
            self._drop(device_id)
        if self.window is not None:
            self.window.close()
            self.window.deleteLater()
            self.window = None

    # --- what the connections report -------------------------------------------------------

    def _on_event(self, connection: PushConnection, event: object) -> None:
        if isinstance(event, Connected):
            self.drift = float(event.drift)
            self.drift_measured.emit(self.drift)
        elif isinstance(event, ChallengeReceived):
            self._arrived(connection, event)
        elif isinstance(event, ChallengeResolved):
            self._resolved(connection.device_id, event)
        elif isinstance(event, AnswerRejected):
            prompt = self.find(connection.device_id, event.challenge_id)
            if prompt is not None:
                prompt.sent = None
                prompt.error = self.tr(
                    "The push server did not accept that answer. Try again, or deny."
                )
                self.prompts_changed.emit()

    def _arrived(self, connection: PushConnection, event: ChallengeReceived) -> None:
        challenge = event.challenge
        received = int(self.now())
        prompt = Prompt(connection.enrollment, challenge, event.local_expires_at, received)
        self.prompts.append(prompt)
        self.history.add(HistoryEntry.from_challenge(connection.device_id, challenge, received))
        self._expiry.start()
        self.history_changed.emit()
        self.prompts_changed.emit()
        self.prompt_arrived.emit(prompt)
        if self.show_prompts:
            self.show_window()

    def _resolved(self, device_id: str, event: ChallengeResolved) -> None:
        prompt = self.find(device_id, event.challenge_id)
        if prompt is None:
            return
        self.prompts.remove(prompt)
        prompt.outcome = event.status
        prompt.elsewhere = event.elsewhere
        self.history.finish(
            device_id,
            event.challenge_id,
            event.status.value,
            elsewhere=prompt.elsewhere,
            ended_at=int(self.now()),
        )
        if not self.prompts:
            self._expiry.stop()
        self.history_changed.emit()
        # The window shows the outcome of the prompt on screen before it follows the queue.
        self.prompt_finished.emit(prompt)
        self.prompts_changed.emit()

    def expire(self) -> None:
        """Take down prompts whose time is up (by the server's clock, as the session knows it)."""
        now = int(self.now())
        for connection in list(self.connections.values()):
            for event in connection.session.expire(now):
                if isinstance(event, ChallengeResolved):
                    self._resolved(connection.device_id, event)

    # --- prompts ---------------------------------------------------------------------------

    def find(self, device_id: str, challenge_id: str) -> Prompt | None:
        for prompt in self.prompts:
            if prompt.key == (device_id, challenge_id):
                return prompt
        return None

    def seconds_left(self, prompt: Prompt) -> int:
        return max(0, prompt.local_expires_at - int(self.now()))

    def is_locked(self) -> bool:
        return self.unlocker.is_locked()

    def answer(self, prompt: Prompt, decision: Decision, number: str | None = None) -> None:
        """Send an answer; raises PushError saying why it could not be sent.

        Approving needs an unlocked vault: unlock first (`unlock`), then approve.
        """
        if prompt.finished or prompt not in self.prompts:
            raise PushError(self.tr("This sign-in request is over."))
        if decision is Decision.APPROVE and self.unlocker.is_locked():
            raise PushError(self.tr("Unlock Keyfob to approve."))
        connection = self.connections.get(prompt.enrollment.device_id)
        if connection is None:
            raise PushError(self.tr("This push enrollment was removed."))
        connection.answer(prompt.challenge.id, decision, number)
        prompt.sent = decision
        prompt.error = ""
        self.prompts_changed.emit()

    def unlock(self, password: str, done: Callable[[str | None], None]) -> None:
        self.unlocker.unlock(password, done)

    def show_window(self) -> PromptPresenter | None:
        if self.window is None and self._window_factory is not None:
            self.window = self._window_factory(self)
        if self.window is not None:
            self.window.present()
        return self.window

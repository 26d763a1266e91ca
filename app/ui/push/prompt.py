"""The sign-in prompt: a window on top of the others that asks "Is this you signing in?".

It shows the site, the account, what is asked, where it comes from (application, location,
IP address, browser, and the details some sites add), when, and how long is left. With
number matching the user types the two digits the sign-in page shows, and Approve works only
once both are there. Deny says no; "It wasn't me" says no and reports it (after a short
confirmation of what that does). Several requests queue in the one window ("1 of 3"); ones
that end elsewhere (expired, cancelled, answered on another device) go away by themselves,
after a brief word on why.

This module keeps the queue and the state; what shows is prompt_request (the request) and
prompt_pages (the answer, the report, the password while locked, the outcome).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QStackedWidget, QWidget

from app.push.errors import PushError
from app.push.messages import Decision
from app.ui.common.columns import column
from app.ui.common.resources import app_icon
from app.ui.common.widgets import error_colour, is_dark
from app.ui.push.manager import Prompt, PushManager
from app.ui.push.prompt_pages import BAD, AnswerPage, FraudPage, ResultPage, UnlockPage
from app.ui.push.prompt_request import Countdown, QueueBar, RequestView


class PromptWindow(QWidget):
    """Shows the manager's prompts one at a time; the manager keeps the queue."""

    def __init__(self, manager: PushManager) -> None:
        super().__init__(None, Qt.WindowType.Window | Qt.WindowType.WindowStaysOnTopHint)
        self.manager = manager
        self.current: Prompt | None = None
        self.showing_result = False
        self._approve_number: str | None = None  # kept while the password is asked
        self.setWindowTitle(self.tr("Sign-in request — Keyfob"))
        self.setWindowIcon(app_icon())
        self.setObjectName("pushPrompt")
        self.setMinimumWidth(440)

        self.queue = QueueBar()
        self.queue.step_requested.connect(self.step)
        self.request = RequestView()
        self.countdown = Countdown()
        self.answer_page = AnswerPage()
        self.fraud_page = FraudPage()
        self.answer_page.approve_requested.connect(self._approve_pressed)
        self.answer_page.deny_requested.connect(lambda: self._send(Decision.DENY))
        self.answer_page.fraud_requested.connect(lambda: self._turn_to(self.fraud_page))
        self.fraud_page.back_requested.connect(lambda: self._turn_to(self.answer_page))
        self.fraud_page.report_requested.connect(lambda: self._send(Decision.FRAUD))
        self.unlock_page = UnlockPage()
        self.unlock_page.back_requested.connect(lambda: self._turn_to(self.answer_page))
        self.unlock_page.unlock_requested.connect(self._unlock_and_approve)
        self.result_page = ResultPage()
        self.pages = QStackedWidget()
        for page in (self.answer_page, self.fraud_page, self.unlock_page, self.result_page):
            self.pages.addWidget(page)

        parts = (self.queue, self.request, self.countdown, self.pages)
        column(self, *parts, margins=(22, 16, 22, 18), spacing=10)

        self._result_timer = QTimer(self)
        self._result_timer.setSingleShot(True)
        self._result_timer.timeout.connect(self._result_done)
        self._tick = QTimer(self)
        self._tick.setInterval(500)
        self._tick.timeout.connect(self._update_countdown)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)

        manager.prompts_changed.connect(self._sync)
        manager.prompt_finished.connect(self._finished)
        self._sync()

    def _restyle(self) -> None:
        dark = is_dark(self.palette())
        card = "rgba(255,255,255,0.06)" if dark else "rgba(0,0,0,0.035)"
        border = "rgba(255,255,255,0.10)" if dark else "rgba(0,0,0,0.08)"
        red = error_colour(self)
        self.setStyleSheet(
            f"#promptDetails {{ background: {card}; border: 1px solid {border};"
            " border-radius: 8px; }"
            f"#fraudButton {{ color: {red}; border: none; padding: 6px 4px; }}"
            "#fraudButton:hover { text-decoration: underline; }"
            f"#dangerButton {{ background: {BAD}; color: white; border: none;"
            " border-radius: 6px; padding: 7px 16px; font-weight: 600; }"
            "#dangerButton:disabled { background: rgba(127,127,127,0.4); }"
        )

    def _turn_to(self, page: QWidget) -> None:
        self.pages.setCurrentWidget(page)

    # --- showing ---------------------------------------------------------------------------

    def present(self) -> None:
        """Bring the window up, on top and focused."""
        self._restyle()
        self.countdown.recolour()  # the palette may have changed
        self._sync()
        if self.current is None and not self.showing_result:
            return
        self.show()
        self.raise_()
        self.activateWindow()
        if self.pages.currentWidget() is self.answer_page:
            self.answer_page.focus_number()

    def step(self, offset: int) -> None:
        prompts = self.manager.prompts
        if self.current not in prompts or self.showing_result:
            return
        index = prompts.index(self.current) + offset
        if 0 <= index < len(prompts):
            self._show(prompts[index])

    def _sync(self) -> None:
        """Follow the queue: keep the prompt shown if it is still there, else take the next."""
        prompts = self.manager.prompts
        if not self.showing_result:
            if self.current is not None and self.current in prompts:
                self._refresh_state()
            elif prompts:
                self._show(prompts[0])
            else:
                self.current = None
                self._tick.stop()
                self.hide()
        self._update_position()

    def _update_position(self) -> None:
        prompts = self.manager.prompts
        index = prompts.index(self.current) if self.current in prompts else None
        self.queue.show_place(index, len(prompts), self.showing_result)

    def _show(self, prompt: Prompt) -> None:
        changed = self.current is not prompt
        self.current = prompt
        challenge = prompt.challenge
        self.request.show_request(prompt)
        self.fraud_page.set_site(challenge.issuer)
        matching = challenge.number_matching
        self.answer_page.show_challenge(matching, fresh=changed)
        self.countdown.start(max(1, challenge.expires_at - challenge.created_at))
        if changed:
            self.unlock_page.clear()
            self._approve_number = None
            self._turn_to(self.answer_page)
        self._refresh_state()
        self._update_countdown()
        self._tick.start()
        self._update_position()
        if changed and self.isVisible() and matching:
            self.answer_page.number.setFocus()

    def _refresh_state(self) -> None:
        prompt = self.current
        if prompt is None:
            return
        self.answer_page.show_state(prompt.error, sending=prompt.sent is not None)
        if prompt.error and self.pages.currentWidget() is self.fraud_page:
            self._turn_to(self.answer_page)
        self._update_buttons()

    def _update_buttons(self) -> None:
        prompt = self.current
        idle = prompt is not None and prompt.sent is None and not self.showing_result
        needs_number = prompt is not None and prompt.challenge.number_matching
        self.answer_page.set_idle(idle, needs_number)
        self.fraud_page.report_button.setEnabled(idle)

    def _update_countdown(self) -> None:
        prompt = self.current
        if prompt is None or self.showing_result:
            return
        self.countdown.show_left(self.manager.seconds_left(prompt))

    # --- answering -------------------------------------------------------------------------

    def _approve_pressed(self) -> None:
        prompt = self.current
        if prompt is None:
            return
        matching = prompt.challenge.number_matching
        number = self.answer_page.number.text() if matching else None
        if self.manager.is_locked():
            self._approve_number = number
            self._turn_to(self.unlock_page)
            self.unlock_page.ask()
            return
        self._send(Decision.APPROVE, number)

    def _send(self, decision: Decision, number: str | None = None) -> None:
        prompt = self.current
        if prompt is None:
            return
        try:
            self.manager.answer(prompt, decision, number)
        except PushError as error:
            self._turn_to(self.answer_page)
            self.answer_page.answer_error.show_error(str(error))
            return
        self._turn_to(self.answer_page)

    def _unlock_and_approve(self, password: str) -> None:
        prompt = self.current

        def done(error: str | None) -> None:
            self.unlock_page.finish(error)
            if error is not None:
                return
            if prompt is not None and prompt is self.current and not prompt.finished:
                self._send(Decision.APPROVE, self._approve_number)
            # Unlocking opened the main window: the prompt stays in front.
            self.raise_()
            self.activateWindow()

        self.manager.unlock(password, done)

    # --- endings ---------------------------------------------------------------------------

    def _finished(self, prompt: Prompt) -> None:
        if prompt is not self.current:
            self._sync()
            return
        self._show_result(prompt)

    def _show_result(self, prompt: Prompt) -> None:
        self.showing_result = True
        self._tick.stop()
        self.result_page.show_outcome(prompt)
        self.countdown.stop()
        self._turn_to(self.result_page)
        self._update_buttons()
        self._update_position()
        self._result_timer.start(self.manager.result_ms)

    def _result_done(self) -> None:
        self.showing_result = False
        self.current = None
        self._sync()

    @property
    def result_text_shown(self) -> str:
        """The outcome on screen ("" when none): what tests and screen readers look at."""
        return self.result_page.title.text() if self.showing_result else ""

    def closeEvent(self, event: QCloseEvent) -> None:
        # Closing only hides: the requests stay, and the status button or tray brings them back.
        event.accept()
        if self.showing_result:
            self._result_timer.stop()
            self._result_done()

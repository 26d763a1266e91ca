"""The sign-in prompt: a window on top of the others that asks "Is this you signing in?".

It shows the site, the account, what is asked, where it comes from (application, location,
IP address, browser), when, and how long is left. With number matching the user types the
two digits the sign-in page shows, and Approve works only once both are there. Deny says no;
"It wasn't me" says no and reports it (after a short confirmation of what that does).
Several requests queue in the one window ("1 of 3"); ones that end elsewhere (expired,
cancelled, answered on another device) go away by themselves, after a brief word on why.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QDateTime, QLocale, QRegularExpression, QSize, Qt, QTimer
from PySide6.QtGui import (
    QCloseEvent,
    QColor,
    QFont,
    QKeySequence,
    QPalette,
    QRegularExpressionValidator,
    QShortcut,
)
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.account import Account
from app.push.errors import PushError
from app.push.messages import Decision, Status
from app.ui.common.avatar import AvatarPainter
from app.ui.common.resources import app_icon, icon
from app.ui.common.widgets import (
    ErrorLabel,
    PasswordField,
    code_font,
    error_colour,
    heading,
    is_dark,
    muted,
    scaled_font,
)
from app.ui.push.history import describe_outcome
from app.ui.push.manager import Prompt, PushManager

HURRY_SECONDS: Final = 15
_PAGE_ANSWER, _PAGE_FRAUD, _PAGE_UNLOCK, _PAGE_RESULT = range(4)
_DETAIL_ROWS: Final = ("action", "app", "location", "ip", "user_agent", "time")
_GOOD, _BAD, _NEUTRAL = "#2e8b57", "#d64541", "#6a737d"


class NumberField(QLineEdit):
    """Two big digits: the number the sign-in page shows."""

    def __init__(self) -> None:
        super().__init__()
        self.setValidator(QRegularExpressionValidator(QRegularExpression(r"[0-9]{0,2}"), self))
        self.setMaxLength(2)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = code_font(self.font(), 2.4)
        font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 3)
        self.setFont(font)
        self.setFixedSize(QSize(128, 64))
        self.setPlaceholderText("··")
        self.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly)

    @property
    def complete(self) -> bool:
        return len(self.text()) == 2


def _local_time(seconds: int) -> str:
    moment = QDateTime.fromSecsSinceEpoch(seconds)
    return QLocale().toString(moment.time(), QLocale.FormatType.ShortFormat)


def _countdown(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


class PromptWindow(QWidget):
    """Shows the manager's prompts one at a time; the manager keeps the queue."""

    def __init__(self, manager: PushManager) -> None:
        super().__init__(None, Qt.WindowType.Window | Qt.WindowType.WindowStaysOnTopHint)
        self.manager = manager
        self.current: Prompt | None = None
        self.showing_result = False
        self._approve_number: str | None = None  # kept while the password is asked
        self._avatars = AvatarPainter()
        self._hurry: bool | None = None
        self.setWindowTitle(self.tr("Sign-in request — Keyfob"))
        self.setWindowIcon(app_icon())
        self.setObjectName("pushPrompt")
        self.setMinimumWidth(440)

        self.pages = QStackedWidget()
        self.pages.addWidget(self._answer_page())
        self.pages.addWidget(self._fraud_page())
        self.pages.addWidget(self._unlock_page())
        self.pages.addWidget(self._result_page())

        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 16, 22, 18)
        layout.setSpacing(10)
        layout.addLayout(self._top_row())
        layout.addLayout(self._identity())
        layout.addWidget(self._details())
        layout.addLayout(self._countdown_row())
        layout.addWidget(self.pages)

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

    # --- building --------------------------------------------------------------------------

    def _top_row(self) -> QHBoxLayout:
        self.kind = QLabel(self.tr("SIGN-IN REQUEST"))
        self.kind.setFont(scaled_font(self.kind, 0.85, bold=True))
        self.kind.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.position = muted(small=True)
        self.position.setAccessibleName(self.tr("Request number"))
        self.previous_button = QToolButton()
        self.previous_button.setArrowType(Qt.ArrowType.LeftArrow)
        self.previous_button.setToolTip(self.tr("Previous request"))
        self.previous_button.setAccessibleName(self.tr("Previous request"))
        self.previous_button.clicked.connect(lambda: self.step(-1))
        self.next_button = QToolButton()
        self.next_button.setArrowType(Qt.ArrowType.RightArrow)
        self.next_button.setToolTip(self.tr("Next request"))
        self.next_button.setAccessibleName(self.tr("Next request"))
        self.next_button.clicked.connect(lambda: self.step(1))
        row = QHBoxLayout()
        row.setSpacing(6)
        row.addWidget(self.kind)
        row.addStretch(1)
        row.addWidget(self.position)
        row.addWidget(self.previous_button)
        row.addWidget(self.next_button)
        return row

    def _identity(self) -> QHBoxLayout:
        self.avatar = QLabel()
        self.avatar.setFixedSize(QSize(48, 48))
        # Every text from the server is plain: a site name must not be taken for rich text.
        self.issuer = heading("", 1.5)
        self.issuer.setTextFormat(Qt.TextFormat.PlainText)
        self.issuer.setAccessibleName(self.tr("Site"))
        self.user = muted()
        self.user.setTextFormat(Qt.TextFormat.PlainText)
        self.user.setAccessibleName(self.tr("Account"))
        self.user.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        names = QVBoxLayout()
        names.setSpacing(0)
        names.addWidget(self.issuer)
        names.addWidget(self.user)
        row = QHBoxLayout()
        row.setSpacing(12)
        row.addWidget(self.avatar, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(names, 1)
        return row

    def _details(self) -> QFrame:
        frame = QFrame()
        frame.setObjectName("promptDetails")
        self.details = QFormLayout(frame)
        self.details.setContentsMargins(14, 10, 14, 10)
        self.details.setHorizontalSpacing(16)
        self.details.setVerticalSpacing(5)
        self.details.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        titles = {
            "action": self.tr("Request"),
            "app": self.tr("Application"),
            "location": self.tr("Location"),
            "ip": self.tr("IP address"),
            "user_agent": self.tr("Browser"),
            "time": self.tr("Time"),
        }
        self.detail_values: dict[str, QLabel] = {}
        for name in _DETAIL_ROWS:
            title = QLabel(titles[name])
            title.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            value = QLabel()
            value.setTextFormat(Qt.TextFormat.PlainText)
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setAccessibleName(titles[name])
            self.details.addRow(title, value)
            self.detail_values[name] = value
        return frame

    def _countdown_row(self) -> QHBoxLayout:
        self.time_bar = QProgressBar()
        self.time_bar.setTextVisible(False)
        self.time_bar.setFixedHeight(6)
        self.time_bar.setAccessibleName(self.tr("Time left"))
        self.time_left = muted(small=True)
        self.time_left.setAccessibleName(self.tr("Time left"))
        self.time_left.setMinimumWidth(70)
        self.time_left.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        row = QHBoxLayout()
        row.setSpacing(10)
        row.addWidget(self.time_bar, 1)
        row.addWidget(self.time_left)
        return row

    def _answer_page(self) -> QWidget:
        page = QWidget()
        self.number_hint = QLabel(self.tr("Type the number shown on the sign-in page:"))
        self.number_hint.setWordWrap(True)
        self.number_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.number = NumberField()
        self.number.setAccessibleName(self.tr("Number shown on the sign-in page"))
        self.number.textChanged.connect(self._update_buttons)
        self.number.returnPressed.connect(self._approve_pressed)
        self.no_number_hint = muted(
            self.tr("Approve only if you are signing in right now, on a device you know.")
        )
        self.no_number_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.answer_error = ErrorLabel()
        self.answer_error.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.sending = muted(small=True)
        self.sending.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.fraud_button = QPushButton(self.tr("It wasn't me"))
        self.fraud_button.setObjectName("fraudButton")
        self.fraud_button.setFlat(True)
        self.fraud_button.setToolTip(self.tr("Deny and report that someone else tried to sign in"))
        self.fraud_button.clicked.connect(lambda: self.pages.setCurrentIndex(_PAGE_FRAUD))
        self.deny_button = QPushButton(self.tr("&Deny"))
        self.deny_button.setMinimumHeight(36)
        self.deny_button.clicked.connect(lambda: self._send(Decision.DENY))
        self.approve_button = QPushButton(self.tr("&Approve"))
        self.approve_button.setObjectName("primaryButton")
        self.approve_button.setMinimumHeight(36)
        self.approve_button.clicked.connect(self._approve_pressed)

        number_row = QHBoxLayout()
        number_row.addStretch(1)
        number_row.addWidget(self.number)
        number_row.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.fraud_button)
        buttons.addStretch(1)
        buttons.addWidget(self.deny_button)
        buttons.addWidget(self.approve_button)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.number_hint)
        layout.addLayout(number_row)
        layout.addWidget(self.no_number_hint)
        layout.addWidget(self.answer_error)
        layout.addWidget(self.sending)
        layout.addSpacing(4)
        layout.addLayout(buttons)
        return page

    def _fraud_page(self) -> QWidget:
        page = QWidget()
        title = heading(self.tr("Report this sign-in?"), 1.15)
        self.fraud_text = QLabel()
        self.fraud_text.setTextFormat(Qt.TextFormat.PlainText)
        self.fraud_text.setWordWrap(True)
        back = QPushButton(self.tr("&Back"))
        back.clicked.connect(lambda: self.pages.setCurrentIndex(_PAGE_ANSWER))
        self.report_button = QPushButton(self.tr("&Report it"))
        self.report_button.setObjectName("dangerButton")
        self.report_button.setMinimumHeight(36)
        self.report_button.clicked.connect(lambda: self._send(Decision.FRAUD))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(back)
        buttons.addWidget(self.report_button)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(title)
        layout.addWidget(self.fraud_text)
        layout.addStretch(1)
        layout.addLayout(buttons)
        return page

    def _unlock_page(self) -> QWidget:
        page = QWidget()
        title = heading(self.tr("Unlock Keyfob to approve"), 1.15)
        text = muted(self.tr("Keyfob is locked. Enter your password to approve this sign-in."))
        self.password = PasswordField(self.tr("Password"), self.tr("Password"))
        self.password.returnPressed.connect(self._unlock_and_approve)
        self.unlock_error = ErrorLabel()
        back = QPushButton(self.tr("&Back"))
        back.clicked.connect(self._back_from_unlock)
        self.unlock_button = QPushButton(self.tr("&Unlock and approve"))
        self.unlock_button.setObjectName("primaryButton")
        self.unlock_button.setMinimumHeight(36)
        self.unlock_button.clicked.connect(self._unlock_and_approve)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(back)
        buttons.addWidget(self.unlock_button)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(title)
        layout.addWidget(text)
        layout.addWidget(self.password)
        layout.addWidget(self.unlock_error)
        layout.addStretch(1)
        layout.addLayout(buttons)
        return page

    def _result_page(self) -> QWidget:
        page = QWidget()
        self.result_symbol = QLabel()
        self.result_symbol.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.result_title = heading("", 1.35)
        self.result_title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.result_title.setAccessibleName(self.tr("Outcome"))
        self.result_text = muted()
        self.result_text.setTextFormat(Qt.TextFormat.PlainText)
        self.result_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 10, 0, 10)
        layout.addStretch(1)
        layout.addWidget(self.result_symbol)
        layout.addWidget(self.result_title)
        layout.addWidget(self.result_text)
        layout.addStretch(1)
        return page

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
            f"#dangerButton {{ background: {_BAD}; color: white; border: none;"
            " border-radius: 6px; padding: 7px 16px; font-weight: 600; }"
            "#dangerButton:disabled { background: rgba(127,127,127,0.4); }"
        )

    # --- showing ---------------------------------------------------------------------------

    def present(self) -> None:
        """Bring the window up, on top and focused."""
        self._restyle()
        self._hurry = None  # the palette may have changed: colour the countdown again
        self._sync()
        if self.current is None and not self.showing_result:
            return
        self.show()
        self.raise_()
        self.activateWindow()
        if self.pages.currentIndex() == _PAGE_ANSWER and self.number.isVisible():
            self.number.setFocus()

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
        count = len(prompts)
        if self.current in prompts and count > 1:
            index = prompts.index(self.current)
            self.position.setText(
                self.tr("%1 of %2").replace("%1", str(index + 1)).replace("%2", str(count))
            )
            self.previous_button.setEnabled(index > 0 and not self.showing_result)
            self.next_button.setEnabled(index < count - 1 and not self.showing_result)
        elif self.showing_result and count:
            self.position.setText(self.tr("%n more waiting", "", count))
        else:
            self.position.setText("")
        several = count > 1 and not self.showing_result
        self.previous_button.setVisible(several)
        self.next_button.setVisible(several)

    def _show(self, prompt: Prompt) -> None:
        changed = self.current is not prompt
        self.current = prompt
        challenge = prompt.challenge
        self.issuer.setText(challenge.issuer)
        self.user.setText(challenge.user)
        stand_in = Account(secret=bytes(10), issuer=challenge.issuer, name=challenge.user)
        self.avatar.setPixmap(self._avatars.pixmap(stand_in, 48, self.devicePixelRatioF()))
        # The server's times, moved to our clock by the offset the session measured.
        offset = challenge.expires_at - prompt.local_expires_at
        values = {
            "action": challenge.action,
            "app": challenge.context.get("app", ""),
            "location": challenge.context.get("location", ""),
            "ip": challenge.context.get("ip", ""),
            "user_agent": challenge.context.get("user_agent", ""),
            "time": _local_time(challenge.created_at - offset),
        }
        for row, name in enumerate(_DETAIL_ROWS):
            self.detail_values[name].setText(values[name])
            self.details.setRowVisible(row, bool(values[name]))
        self.fraud_text.setText(
            self.tr(
                "Keyfob denies this request and tells %1 that someone else tried to sign in "
                "as you. The site stops sending push requests for this account until it is "
                "secured: change your password there, since someone seems to know it."
            ).replace("%1", challenge.issuer)
        )
        matching = challenge.number_matching
        self.number_hint.setVisible(matching)
        self.number.setVisible(matching)
        self.no_number_hint.setVisible(not matching)
        total = max(1, challenge.expires_at - challenge.created_at)
        self.time_bar.setRange(0, total)
        self.time_bar.show()
        if changed:
            self.number.clear()
            self.password.clear()
            self.unlock_error.clear_error()
            self._approve_number = None
            self.pages.setCurrentIndex(_PAGE_ANSWER)
        self._refresh_state()
        self._update_countdown()
        self._tick.start()
        self._update_position()
        if changed and self.isVisible() and matching:
            self.number.setFocus()

    def _refresh_state(self) -> None:
        prompt = self.current
        if prompt is None:
            return
        self.answer_error.show_error(prompt.error)
        waiting = prompt.sent is not None
        self.sending.setText(self.tr("Sending your answer…") if waiting else "")
        self.sending.setVisible(waiting)
        if prompt.error and self.pages.currentIndex() == _PAGE_FRAUD:
            self.pages.setCurrentIndex(_PAGE_ANSWER)
        self._update_buttons()

    def _update_buttons(self) -> None:
        prompt = self.current
        idle = prompt is not None and prompt.sent is None and not self.showing_result
        needs_number = prompt is not None and prompt.challenge.number_matching
        self.approve_button.setEnabled(idle and (self.number.complete or not needs_number))
        self.deny_button.setEnabled(idle)
        self.fraud_button.setEnabled(idle)
        self.report_button.setEnabled(idle)
        self.number.setEnabled(idle)

    def _update_countdown(self) -> None:
        prompt = self.current
        if prompt is None or self.showing_result:
            return
        left = self.manager.seconds_left(prompt)
        self.time_bar.setValue(min(left, self.time_bar.maximum()))
        self.time_left.setText(self.tr("%1 left").replace("%1", _countdown(left)))
        hurry = left <= HURRY_SECONDS
        if hurry is self._hurry:
            return  # restyling twice a second would cost for nothing
        self._hurry = hurry
        colour = error_colour(self) if hurry else ""
        self.time_left.setStyleSheet(f"color: {colour};" if colour else "")
        accent = QColor(colour) if hurry else self.palette().color(QPalette.ColorRole.Highlight)
        self.time_bar.setStyleSheet(
            "QProgressBar { border: none; border-radius: 3px;"
            " background: rgba(127,127,127,0.22); }"
            f"QProgressBar::chunk {{ border-radius: 3px; background: {accent.name()}; }}"
        )

    # --- answering -------------------------------------------------------------------------

    def _approve_pressed(self) -> None:
        prompt = self.current
        if prompt is None or not self.approve_button.isEnabled():
            return
        number = self.number.text() if prompt.challenge.number_matching else None
        if self.manager.is_locked():
            self._approve_number = number
            self.unlock_error.clear_error()
            self.pages.setCurrentIndex(_PAGE_UNLOCK)
            self.password.setFocus()
            return
        self._send(Decision.APPROVE, number)

    def _send(self, decision: Decision, number: str | None = None) -> None:
        prompt = self.current
        if prompt is None:
            return
        try:
            self.manager.answer(prompt, decision, number)
        except PushError as error:
            self.pages.setCurrentIndex(_PAGE_ANSWER)
            self.answer_error.show_error(str(error))
            return
        self.pages.setCurrentIndex(_PAGE_ANSWER)

    def _back_from_unlock(self) -> None:
        self.password.clear()
        self.pages.setCurrentIndex(_PAGE_ANSWER)

    def _unlock_and_approve(self) -> None:
        password = self.password.text()
        if not password:
            self.unlock_error.show_error(self.tr("Enter the password."))
            return
        prompt = self.current
        self.unlock_button.setEnabled(False)
        self.password.setEnabled(False)
        self.unlock_error.clear_error()

        def done(error: str | None) -> None:
            self.unlock_button.setEnabled(True)
            self.password.setEnabled(True)
            if error is not None:
                self.unlock_error.show_error(error)
                self.password.selectAll()
                self.password.setFocus()
                return
            self.password.clear()
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

    def _result_words(self, prompt: Prompt) -> tuple[str, str, str, str]:
        """Title, explanation, icon and colour of how a prompt ended."""
        status = prompt.outcome
        if prompt.elsewhere:
            return (
                describe_outcome(status.value if status else "", True),
                self.tr("This request was answered on another device."),
                "check" if status is Status.APPROVED else "warning",
                _NEUTRAL,
            )
        words = {
            Status.APPROVED: (
                self.tr("Approved"),
                self.tr("Continue on the sign-in page."),
                "check",
                _GOOD,
            ),
            Status.DENIED: (
                self.tr("Denied"),
                self.tr("The sign-in was refused."),
                "quit",
                _NEUTRAL,
            ),
            Status.FRAUD: (
                self.tr("Reported"),
                self.tr("The sign-in was refused and the site was told. Change your password."),
                "warning",
                _BAD,
            ),
            Status.WRONG_NUMBER: (
                self.tr("Wrong number"),
                self.tr("The sign-in was refused. If it was you, start again on the site."),
                "warning",
                _BAD,
            ),
            Status.EXPIRED: (
                self.tr("Expired"),
                self.tr("The request ran out of time."),
                "warning",
                _NEUTRAL,
            ),
            Status.CANCELLED: (
                self.tr("Cancelled"),
                self.tr("The site withdrew the request."),
                "quit",
                _NEUTRAL,
            ),
        }
        fallback = (describe_outcome(status.value if status else ""), "", "warning", _NEUTRAL)
        return words.get(status, fallback) if status is not None else fallback

    def _show_result(self, prompt: Prompt) -> None:
        title, text, symbol, colour = self._result_words(prompt)
        self.showing_result = True
        self._tick.stop()
        self.result_title.setText(title)
        self.result_text.setText(text)
        self.result_symbol.setPixmap(
            icon(symbol, colour).pixmap(QSize(44, 44), self.devicePixelRatioF())
        )
        self.time_left.setText("")
        self.time_bar.hide()
        self.pages.setCurrentIndex(_PAGE_RESULT)
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
        return self.result_title.text() if self.showing_result else ""

    def closeEvent(self, event: QCloseEvent) -> None:
        # Closing only hides: the requests stay, and the status button or tray brings them back.
        event.accept()
        if self.showing_result:
            self._result_timer.stop()
            self._result_done()

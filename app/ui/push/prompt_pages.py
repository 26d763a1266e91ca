"""The pages under the request in the sign-in prompt: the answer (number, Approve, Deny, "It
wasn't me"), the confirmation of a report, the password to approve while locked, and how the
request ended. Each page says what the user asked for by a signal; the window decides.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QRegularExpression, QSize, Qt, Signal
from PySide6.QtGui import QFont, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.push.messages import Status
from app.ui.common.columns import column
from app.ui.common.layouts import row
from app.ui.common.resources import icon
from app.ui.common.widgets import ErrorLabel, PasswordField, code_font, heading, muted
from app.ui.push.history import describe_outcome
from app.ui.push.manager import Prompt

GOOD: Final = "#2e8b57"
BAD: Final = "#d64541"
NEUTRAL: Final = "#6a737d"


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


def _big_button(text: str, name: str) -> QPushButton:
    button = QPushButton(text)
    button.setObjectName(name)
    button.setMinimumHeight(36)
    return button


class AnswerPage(QWidget):
    """The number to type (with number matching), Approve, Deny and "It wasn't me"."""

    approve_requested = Signal()  # only while Approve is enabled
    deny_requested = Signal()
    fraud_requested = Signal()  # "It wasn't me": the confirmation comes first

    def __init__(self) -> None:
        super().__init__()
        self._idle = False
        self._needs_number = False
        self.number_hint = QLabel(self.tr("Type the number shown on the sign-in page:"))
        self.number_hint.setWordWrap(True)
        self.number_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.number = NumberField()
        self.number.setAccessibleName(self.tr("Number shown on the sign-in page"))
        self.number.textChanged.connect(self._update_buttons)
        self.number.returnPressed.connect(self._approve)
        # Without number matching (Duo's API has nowhere to show one) nothing ties this
        # request to the user's own sign-in: say so, and what to check instead.
        self.no_number_hint = muted(
            self.tr(
                "There is no number to type for this request. Approve only if you are "
                "signing in right now, on a device you know."
            )
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
        self.fraud_button.clicked.connect(self.fraud_requested)
        self.deny_button = QPushButton(self.tr("&Deny"))
        self.deny_button.setMinimumHeight(36)
        self.deny_button.clicked.connect(self.deny_requested)
        self.approve_button = _big_button(self.tr("&Approve"), "primaryButton")
        self.approve_button.clicked.connect(self._approve)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.number_hint)
        layout.addLayout(row(None, self.number, None))
        layout.addWidget(self.no_number_hint)
        layout.addWidget(self.answer_error)
        layout.addWidget(self.sending)
        layout.addSpacing(4)
        layout.addLayout(row(self.fraud_button, None, self.deny_button, self.approve_button))

    def show_challenge(self, number_matching: bool, *, fresh: bool) -> None:
        """Ask for the number or not; a `fresh` request starts with an empty field."""
        self.number_hint.setVisible(number_matching)
        self.number.setVisible(number_matching)
        self.no_number_hint.setVisible(not number_matching)
        if fresh:
            self.number.clear()

    def show_state(self, error: str, sending: bool) -> None:
        """Why the last answer did not count (if it did not), or that one is on its way."""
        self.answer_error.show_error(error)
        self.sending.setText(self.tr("Sending your answer…") if sending else "")
        self.sending.setVisible(sending)

    def set_idle(self, idle: bool, needs_number: bool) -> None:
        """Answers are possible (`idle`); Approve waits for two digits if `needs_number`."""
        self._idle, self._needs_number = idle, needs_number
        self._update_buttons()

    def focus_number(self) -> None:
        if self.number.isVisible():
            self.number.setFocus()

    def _update_buttons(self) -> None:
        idle = self._idle
        self.approve_button.setEnabled(idle and (self.number.complete or not self._needs_number))
        self.deny_button.setEnabled(idle)
        self.fraud_button.setEnabled(idle)
        self.number.setEnabled(idle)

    def _approve(self) -> None:
        if self.approve_button.isEnabled():
            self.approve_requested.emit()


class FraudPage(QWidget):
    """ "Report this sign-in?": what reporting does, before it is done."""

    back_requested = Signal()
    report_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        title = heading(self.tr("Report this sign-in?"), 1.15)
        self.fraud_text = QLabel()
        self.fraud_text.setTextFormat(Qt.TextFormat.PlainText)
        self.fraud_text.setWordWrap(True)
        back = QPushButton(self.tr("&Back"))
        back.clicked.connect(self.back_requested)
        self.report_button = _big_button(self.tr("&Report it"), "dangerButton")
        self.report_button.clicked.connect(self.report_requested)
        buttons = row(None, back, self.report_button)
        column(self, title, self.fraud_text, None, buttons, margins=(0, 6, 0, 0))

    def set_site(self, issuer: str) -> None:
        self.fraud_text.setText(
            self.tr(
                "Keyfob denies this request and tells %1 that someone else tried to sign in "
                "as you. The site stops sending push requests for this account until it is "
                "secured: change your password there, since someone seems to know it."
            ).replace("%1", issuer)
        )


class UnlockPage(QWidget):
    """The password, to approve while Keyfob is locked."""

    back_requested = Signal()
    unlock_requested = Signal(str)  # the password typed

    def __init__(self) -> None:
        super().__init__()
        title = heading(self.tr("Unlock Keyfob to approve"), 1.15)
        text = muted(self.tr("Keyfob is locked. Enter your password to approve this sign-in."))
        self.password = PasswordField(self.tr("Password"), self.tr("Password"))
        self.password.returnPressed.connect(self._submit)
        self.unlock_error = ErrorLabel()
        back = QPushButton(self.tr("&Back"))
        back.clicked.connect(self._back)
        self.unlock_button = _big_button(self.tr("&Unlock and approve"), "primaryButton")
        self.unlock_button.clicked.connect(self._submit)
        buttons = row(None, back, self.unlock_button)
        column(
            self, title, text, self.password, self.unlock_error, None, buttons, margins=(0, 6, 0, 0)
        )

    def clear(self) -> None:
        self.password.clear()
        self.unlock_error.clear_error()

    def ask(self) -> None:
        """Shown: the cursor in the password field, no old error."""
        self.unlock_error.clear_error()
        self.password.setFocus()

    def finish(self, error: str | None) -> None:
        """The unlock answered: `error` says why it failed, None when it worked."""
        self.unlock_button.setEnabled(True)
        self.password.setEnabled(True)
        if error is not None:
            self.unlock_error.show_error(error)
            self.password.selectAll()
            self.password.setFocus()
            return
        self.password.clear()

    def _back(self) -> None:
        self.password.clear()
        self.back_requested.emit()

    def _submit(self) -> None:
        password = self.password.text()
        if not password:
            self.unlock_error.show_error(self.tr("Enter the password."))
            return
        self.unlock_button.setEnabled(False)
        self.password.setEnabled(False)
        self.unlock_error.clear_error()
        self.unlock_requested.emit(password)


class ResultPage(QWidget):
    """How the request ended, in a word, a sentence and a symbol."""

    def __init__(self) -> None:
        super().__init__()
        self.symbol = QLabel()
        self.symbol.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = heading("", 1.35)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setAccessibleName(self.tr("Outcome"))
        self.text = muted()
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        column(self, None, self.symbol, self.title, self.text, None, margins=(0, 10, 0, 10))

    def show_outcome(self, prompt: Prompt) -> None:
        title, text, symbol, colour = self._words(prompt)
        self.title.setText(title)
        self.text.setText(text)
        self.symbol.setPixmap(icon(symbol, colour).pixmap(QSize(44, 44), self.devicePixelRatioF()))

    def _words(self, prompt: Prompt) -> tuple[str, str, str, str]:
        """Title, explanation, icon and colour of how a prompt ended."""
        status = prompt.outcome
        if prompt.elsewhere:
            return (
                describe_outcome(status.value if status else "", True),
                self.tr("This request was answered on another device."),
                "check" if status is Status.APPROVED else "warning",
                NEUTRAL,
            )
        words = {
            Status.APPROVED: (
                self.tr("Approved"),
                self.tr("Continue on the sign-in page."),
                "check",
                GOOD,
            ),
            Status.DENIED: (
                self.tr("Denied"),
                self.tr("The sign-in was refused."),
                "quit",
                NEUTRAL,
            ),
            Status.FRAUD: (
                self.tr("Reported"),
                self.tr("The sign-in was refused and the site was told. Change your password."),
                "warning",
                BAD,
            ),
            Status.WRONG_NUMBER: (
                self.tr("Wrong number"),
                self.tr("The sign-in was refused. If it was you, start again on the site."),
                "warning",
                BAD,
            ),
            Status.EXPIRED: (
                self.tr("Expired"),
                self.tr("The request ran out of time."),
                "warning",
                NEUTRAL,
            ),
            Status.CANCELLED: (
                self.tr("Cancelled"),
                self.tr("The site withdrew the request."),
                "quit",
                NEUTRAL,
            ),
        }
        fallback = (describe_outcome(status.value if status else ""), "", "warning", NEUTRAL)
        return words.get(status, fallback) if status is not None else fallback

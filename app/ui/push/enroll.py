"""Setting up push sign-in from a keyfob://enroll link: confirm, register, save in the vault.

The registration is one HTTPS request, made with the standard library on a worker thread
(QtNetwork's manager crashed now and then while loading its plugins under load). The link
holds a one-time secret; a refused registration does not use it, and retrying with the same
request after a lost answer is safe (the server answers the same key the same way), so the
dialog keeps the request for a retry.
"""

from __future__ import annotations

import html
import json
import re
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Final

from PySide6.QtCore import QCoreApplication, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import KeyfobError
from app.push.enrollment import (
    MAX_DEVICE_NAME_LENGTH,
    EnrollmentUri,
    PushEnrollment,
    Registration,
    finish_registration,
    start_registration,
)
from app.push.errors import EnrollmentError
from app.ui.common.resources import icon
from app.ui.common.widgets import ErrorLabel, heading, muted, plain_label
from app.ui.common.worker import run_in_thread

HTTP_TIMEOUT: Final = 20.0
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _translate(text: str) -> str:
    return QCoreApplication.translate("PushEnroll", text)


def default_device_name() -> str:
    """What the site lists this computer as, unless the user types another name."""
    host = _CONTROL.sub("", socket.gethostname()).strip() or "computer"
    return f"Keyfob on {host}"[:MAX_DEVICE_NAME_LENGTH]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect would turn the POST into a GET somewhere else: treat it as an answer.
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def _refusal(status: int, body: bytes, retry_after: str | None) -> EnrollmentError:
    messages = {
        404: _translate("The push server does not know this code. Ask the site for a new one."),
        401: _translate("The push server refused this code. Ask the site for a new one."),
        409: _translate("This code has already been used. Ask the site for a new one."),
        410: _translate("This code has expired. Ask the site for a new one."),
    }
    if status in messages:
        return EnrollmentError(messages[status])
    if status == 429:
        later = (
            _translate("in %1 s").replace("%1", retry_after)
            if retry_after and retry_after.isdigit()
            else _translate("later")
        )
        return EnrollmentError(
            _translate("Too many set-ups from this address: try again %1.").replace("%1", later)
        )
    try:
        code = str(json.loads(body).get("error", ""))[:60]
    except (ValueError, AttributeError):
        code = ""
    detail = f" ({_CONTROL.sub('', code)})" if code else ""
    return EnrollmentError(
        _translate("The push server answered HTTP %1%2.")
        .replace("%1", str(status))
        .replace("%2", detail)
    )


def register(registration: Registration, timeout: float = HTTP_TIMEOUT) -> PushEnrollment:
    """POST the registration and check the signed answer; blocking (run it off the GUI thread).

    Raises EnrollmentError with a message for people.
    """
    request = urllib.request.Request(  # noqa: S310 - parse_enroll_uri allows only http(s)
        registration.url,
        data=json.dumps(registration.body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "Keyfob"},
    )
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            status, body = response.status, response.read(1 << 20)
    except urllib.error.HTTPError as error:
        raise _refusal(error.code, error.read(1 << 16), error.headers.get("Retry-After")) from None
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        raise EnrollmentError(
            _translate("The push server at %1 cannot be reached: %2")
            .replace("%1", registration.uri.url)
            .replace("%2", str(reason))
        ) from None
    if status not in (200, 201):
        raise _refusal(status, body, None)
    return finish_registration(registration, body, int(time.time()))


class PushEnrollDialog(QDialog):
    """Asks to set up push sign-in for a site and account, then does it.

    `save(enrollment)` stores the new enrollment (in the vault) and may raise KeyfobError.
    """

    enrolled = Signal(object)  # PushEnrollment

    def __init__(
        self,
        parent: QWidget | None,
        uri: EnrollmentUri,
        save: Callable[[PushEnrollment], None],
        *,
        already_enrolled: bool = False,
    ) -> None:
        super().__init__(parent)
        self.uri = uri
        self._save = save
        self._registration: Registration | None = None
        self.busy = False
        self.done_ok = False
        self.setWindowTitle(self.tr("Set up push sign-in"))
        self.setMinimumWidth(460)

        self.title = heading(self.tr("Set up push sign-in"), 1.3)
        # Keyfob's sentence with two bold names in it: rich text, the names escaped (they come
        # from the link, so a "<img>" or "<a href>" in them must show as typed).
        self.intro = QLabel(
            self.tr(
                "<b>%1</b> will ask this computer to approve each sign-in to <b>%2</b>. "
                "You approve each request here, typing the number the sign-in page shows "
                "when it shows one."
            )
            .replace("%1", html.escape(uri.issuer))
            .replace("%2", html.escape(uri.user))
        )
        self.intro.setTextFormat(Qt.TextFormat.RichText)
        self.intro.setWordWrap(True)
        self.note = muted(small=True)
        if already_enrolled:
            self.note.setText(
                self.tr(
                    "This vault already has push sign-in for this site and account; both "
                    "will receive each request."
                )
            )
        self.note.setVisible(already_enrolled)
        self.error = ErrorLabel()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 20, 22, 16)
        layout.setSpacing(10)
        layout.addWidget(self.title)
        layout.addWidget(self.intro)
        layout.addLayout(self._form())
        layout.addWidget(self.note)
        layout.addLayout(self._status_row())
        layout.addWidget(self.error)
        layout.addStretch(1)
        layout.addLayout(self._buttons())

    def _form(self) -> QFormLayout:
        uri = self.uri
        self.name = QLineEdit(default_device_name())
        self.name.setMaxLength(MAX_DEVICE_NAME_LENGTH)
        self.name.setAccessibleName(self.tr("Name of this computer"))
        server = plain_label(uri.url)
        server.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        server.setAccessibleName(self.tr("Push server"))
        form = QFormLayout()
        form.addRow(self.tr("Site"), plain_label(uri.issuer))
        form.addRow(self.tr("Account"), plain_label(uri.user))
        form.addRow(self.tr("Push server"), server)
        form.addRow(self.tr("This computer's &name"), self.name)
        return form

    def _status_row(self) -> QHBoxLayout:
        self.status = muted()
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setAccessibleName(self.tr("Status"))
        self.status.hide()
        self.done_symbol = QLabel()
        self.done_symbol.hide()
        row = QHBoxLayout()
        row.addWidget(self.done_symbol, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.status, 1)
        return row

    def _buttons(self) -> QHBoxLayout:
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.clicked.connect(self.reject)
        self.setup_button = QPushButton(self.tr("&Set up"))
        self.setup_button.setObjectName("primaryButton")
        self.setup_button.setDefault(True)
        self.setup_button.clicked.connect(self.submit)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.setup_button)
        return buttons

    def submit(self) -> None:
        if self.busy:
            return
        if self.done_ok:
            self.accept()
            return
        name = self.name.text().strip()
        registration = self._registration
        try:
            if registration is None or registration.name != name:
                registration = start_registration(self.uri, name, int(time.time()))
        except EnrollmentError as error:
            self.error.show_error(str(error))
            return
        self._registration = registration
        self._set_busy(True)
        self.error.clear_error()
        self.status.setText(self.tr("Registering with %1…").replace("%1", self.uri.url))
        self.status.show()
        run_in_thread(lambda: register(registration), self._registered, self._failed, owner=self)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.name.setEnabled(not busy and not self.done_ok)
        self.setup_button.setEnabled(not busy)

    def _registered(self, enrollment: PushEnrollment) -> None:
        self._set_busy(False)
        try:
            self._save(enrollment)
        except KeyfobError as error:
            self.status.hide()
            self.error.show_error(
                self.tr("Registered, but the vault could not be saved: %1").replace(
                    "%1", str(error)
                )
            )
            return
        self.done_ok = True
        self.name.setEnabled(False)
        self.title.setText(self.tr("Push sign-in is on"))
        self.status.setText(
            self.tr(
                "When you sign in to %1, a request will pop up here. Keyfob receives "
                "requests while it runs, even when locked."
            ).replace("%1", self.uri.issuer)
        )
        self.done_symbol.setPixmap(icon("check", "#2e8b57").pixmap(QSize(28, 28)))
        self.done_symbol.show()
        self.cancel_button.hide()
        self.setup_button.setText(self.tr("Done"))
        self.enrolled.emit(enrollment)

    def _failed(self, error: BaseException) -> None:
        self._set_busy(False)
        self.status.hide()
        if isinstance(error, KeyfobError):
            self.error.show_error(str(error))
            return
        raise error

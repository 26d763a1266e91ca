"""Quick unlock in Settings: "Unlock with the system keyring", its days, and how it stands.

Turning it on needs a vault opened with its password (or the password typed here): the
keyring then holds a random key for the vault, never the password (app.vault.quick_unlock).
The keyring calls run off the GUI thread: a keyring may show its own unlock prompt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QDateTime, QLocale
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QInputDialog,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import KeyfobError
from app.ui.common.status_line import StatusLine
from app.ui.common.widgets import muted
from app.ui.common.worker import run_in_thread
from app.vault.preferences import MAX_QUICK_UNLOCK_DAYS, MIN_QUICK_UNLOCK_DAYS

if TYPE_CHECKING:
    from app.ui.common.settings import Settings
    from app.vault.quick_unlock import QuickUnlockStatus
    from app.vault.store import Vault


class QuickUnlockBox(QGroupBox):
    """The switch, the days, and one line saying until when (or what went wrong)."""

    def __init__(self, vault: Vault, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Quick unlock"), parent)
        self.vault = vault
        self.settings = settings
        self.busy = False
        self.password_prompt: QInputDialog | None = None
        self.enabled = QCheckBox(self.tr("Unlock with the system &keyring"))
        about = muted(
            self.tr(
                "Keyfob opens without the password for a while after you enter it. The "
                "keyring keeps a key for the vault, never the password; showing a secret, "
                "exporting and changing the password still ask for it."
            ),
            small=True,
        )
        about.setWordWrap(True)
        self.days = QSpinBox()
        self.days.setRange(MIN_QUICK_UNLOCK_DAYS, MAX_QUICK_UNLOCK_DAYS)
        self.days.setSuffix(self.tr(" days"))
        self.days.setValue(settings.quick_unlock_days)
        self.status = StatusLine()
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.tr("Ask for the password again after"), self.days)
        layout = QVBoxLayout(self)
        layout.addWidget(self.enabled)
        layout.addWidget(about)
        layout.addLayout(form)
        layout.addWidget(self.status)
        self._show(self._status())
        self.enabled.toggled.connect(self._toggled)
        self.days.valueChanged.connect(self._days_changed)

    # --- state -----------------------------------------------------------------------------

    def _status(self) -> QuickUnlockStatus | None:
        from app.vault.quick_unlock import status

        try:
            return status(self.vault.path, days=self.settings.quick_unlock_days)
        except KeyfobError as error:
            self.status.show_error(str(error))
            return None

    def _show(self, status: QuickUnlockStatus | None) -> None:
        on = status is not None and status.enabled
        self.enabled.blockSignals(True)
        self.enabled.setChecked(on)
        self.enabled.blockSignals(False)
        self.days.setEnabled(on and not self.busy)
        self.enabled.setEnabled(not self.busy)
        if status is None:
            return
        if not on:
            self.status.say(self.tr("Off: Keyfob asks for the password at every start."))
        elif status.expired:
            self.status.say(
                self.tr("Expired: the next start asks for the password, and renews it.")
            )
        else:
            assert status.expires is not None
            self.status.say(self.tr("On until %1.").replace("%1", _date(status.expires)))

    def _days_changed(self, days: int) -> None:
        self.settings.quick_unlock_days = days
        self._show(self._status())

    # --- turning it on and off -------------------------------------------------------------

    def _toggled(self, on: bool) -> None:
        from app.vault.quick_unlock import opened_by_keyring

        if on and opened_by_keyring(self.vault):
            self._ask_password()  # no password was entered this time: it is needed now
            return
        self._run(on, None)

    def _ask_password(self) -> None:
        prompt = QInputDialog(self)
        prompt.setWindowTitle(self.tr("Confirm your password"))
        prompt.setLabelText(self.tr("Enter the vault password to turn quick unlock on."))
        prompt.setTextEchoMode(QLineEdit.EchoMode.Password)
        prompt.textValueSelected.connect(lambda password: self._run(True, password))
        prompt.rejected.connect(lambda: self._show(self._status()))
        self.password_prompt = prompt
        prompt.open()

    def _run(self, on: bool, password: str | None) -> None:
        from app.vault.quick_unlock import disable, enable

        vault = self.vault
        self.busy = True
        self.enabled.setEnabled(False)
        self.status.say(self.tr("Asking the system keyring…"))

        def work() -> object:
            if on:
                return enable(vault, password, allow_prompt=True)
            return disable(vault)

        run_in_thread(work, self._done, self._failed, owner=self)

    def _done(self, _result: object) -> None:
        self.busy = False
        self._show(self._status())

    def _failed(self, error: BaseException) -> None:
        self.busy = False
        self._show(self._status())
        if isinstance(error, KeyfobError):
            self.status.show_error(_sentence(str(error)))
        else:
            raise error


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _date(seconds: int) -> str:
    moment = QDateTime.fromSecsSinceEpoch(seconds)
    return QLocale().toString(moment, QLocale.FormatType.LongFormat)

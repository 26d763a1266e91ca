"""The first window: create the vault on the first run, unlock it on every later one.

The key derivation takes most of a second by design, so it runs off the GUI thread while the
window says what it is doing. The vault and crypto modules load there too, on first use.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QCoreApplication, QObject, QSize, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import KeyfobError
from app.ui.common.qt_names import set_by_name
from app.ui.common.resources import app_icon
from app.ui.common.widgets import (
    ErrorLabel,
    LinkButton,
    PasswordField,
    StrengthMeter,
    heading,
    muted,
)

if TYPE_CHECKING:
    # Only named in annotations: importing a Qt class makes its Python type (the events'
    # come with QEvent's 179 names), time the first window waits for.
    from PySide6.QtGui import QCloseEvent
    from PySide6.QtWidgets import QFileDialog

    from app.ui.common.warning_box import WarningBox
    from app.vault.kdf import KdfParams
    from app.vault.store import Vault

_CARD_WIDTH = 420


class UnlockWindow(QWidget):
    """Creates the vault (`create=True`) or unlocks it; emits `unlocked(vault)` when open,
    `vault_chosen(path)` when "Open an existing vault…" chose (and remembered) another file."""

    unlocked = Signal(object)
    close_requested = Signal()
    vault_chosen = Signal(object)

    def __init__(
        self,
        vault_path: Path,
        *,
        create: bool,
        kdf: KdfParams | None = None,
        geometry: QByteArray | None = None,
    ) -> None:
        super().__init__()
        self.vault_path = vault_path
        self.creating = create
        self._kdf = kdf
        self.busy = False
        self.setWindowTitle(self.tr("Keyfob"))
        self.setWindowIcon(app_icon())
        self.setObjectName("unlockWindow")

        card = QFrame()
        card.setFixedWidth(_CARD_WIDTH)
        layout = QVBoxLayout(card)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)

        self._add_heading(layout, create)
        self.password = PasswordField(
            self.tr("New password") if create else self.tr("Password"),
            self.tr("New password") if create else self.tr("Password"),
        )
        layout.addWidget(self.password)

        self.meter: StrengthMeter | None = None
        self.strength_label: QLabel | None = None
        self.confirm: PasswordField | None = None
        self.mismatch: ErrorLabel | None = None
        if create:
            self._add_create_fields(layout)
        else:
            self.password.returnPressed.connect(self.submit)
            self.password.textChanged.connect(self._clear_error)

        self.error = ErrorLabel()
        self.error.setAccessibleName(self.tr("Error"))
        layout.addWidget(self.error)

        self._add_footer(layout, create)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(32, 28, 32, 28)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(1)

        QShortcut(QKeySequence(QKeySequence.StandardKey.Quit), self, self.close)
        # The field has the focus when the window shows. Set here, not in a showEvent
        # override: Python's event types would be made for it before the window maps.
        self.password.setFocus()
        if create:
            self._update_create_state()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(self.sizeHint().expandedTo(QSize(520, 460 if not create else 700)))

    def _add_heading(self, layout: QVBoxLayout, create: bool) -> None:
        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(QSize(72, 72), self.devicePixelRatioF()))
        _centre(logo)
        logo.setAccessibleName(self.tr("Keyfob logo"))
        layout.addWidget(logo)
        layout.addSpacing(4)

        self.title = heading(self.tr("Welcome to Keyfob") if create else self.tr("Unlock Keyfob"))
        _centre(self.title)
        layout.addWidget(self.title)
        subtitle = muted(
            self.tr("Choose a password to protect your two-factor accounts.")
            if create
            else self.tr("Enter your password to see your codes.")
        )
        _centre(subtitle)
        layout.addWidget(subtitle)
        layout.addSpacing(10)
        if create:
            from app.ui.shell.open_existing import missing_vault_note

            note = missing_vault_note(self.vault_path)  # the vault chosen before is gone
            if note:
                from app.ui.common.warning_box import WarningBox  # only a new vault's form

                layout.addWidget(WarningBox(note))

    def _add_create_fields(self, layout: QVBoxLayout) -> None:
        self.meter = StrengthMeter()
        layout.addWidget(self.meter)
        self.strength_label = muted(small=True)
        self.strength_label.setAccessibleName(self.tr("Password strength"))
        layout.addWidget(self.strength_label)
        self.confirm = PasswordField(self.tr("Repeat the password"), self.tr("Repeat the password"))
        layout.addWidget(self.confirm)
        self.mismatch = ErrorLabel()
        layout.addWidget(self.mismatch)
        layout.addWidget(self._warning_box())
        self.password.textChanged.connect(self._update_create_state)
        self.confirm.textChanged.connect(self._update_create_state)
        self.confirm.returnPressed.connect(self.submit)
        self.password.returnPressed.connect(self.confirm.setFocus)

    def _add_footer(self, layout: QVBoxLayout, create: bool) -> None:
        self.button = QPushButton(self.tr("Create vault") if create else self.tr("Unlock"))
        self.button.setDefault(True)
        self.button.setMinimumHeight(36)
        self.button.setObjectName("primaryButton")
        self.button.clicked.connect(self.submit)
        layout.addWidget(self.button)

        self.status = muted(small=True)
        _centre(self.status)
        layout.addWidget(self.status)
        layout.addSpacing(6)

        self.open_error = ErrorLabel()  # why a file chosen to open is not a vault
        self.open_error.setAccessibleName(self.tr("Why the file was not opened"))
        _centre(self.open_error)
        if create:
            self._add_open_existing(layout)
            layout.insertWidget(layout.count() - 1, self.open_error)
        where = muted(self.tr("Vault: %1").replace("%1", str(self.vault_path)), small=True)
        _centre(where)
        set_by_name(where, "textInteractionFlags", "TextSelectableByMouse")
        where.setAccessibleName(self.tr("Vault file"))
        layout.addWidget(where)
        if not create:
            self.open_button: QPushButton = LinkButton(self.tr("Open another vault…"))
            self.open_button.clicked.connect(self.open_existing)
            centred = QHBoxLayout()  # stretches: a layout alignment is a Qt namespace enum
            centred.addStretch(1)
            centred.addWidget(self.open_button)
            centred.addStretch(1)
            layout.addLayout(centred)
            layout.addWidget(self.open_error)

    def _add_open_existing(self, layout: QVBoxLayout) -> None:
        """The second computer's way in: the vault the first one keeps in a synced folder."""
        divider = QHBoxLayout()  # ——— or ———
        divider.setSpacing(10)
        divider.addWidget(_rule(), 1)
        divider.addWidget(muted(self.tr("or"), small=True))
        divider.addWidget(_rule(), 1)
        layout.addLayout(divider)
        self.open_button = QPushButton(self.tr("Open an existing vault…"))
        self.open_button.setMinimumHeight(34)
        self.open_button.clicked.connect(self.open_existing)
        layout.addWidget(self.open_button)
        hint = muted(
            self.tr(
                "Keyfob on another computer? Choose its vault file in the folder your sync "
                "tool shares (Syncthing, Nextcloud, Dropbox…)."
            ),
            small=True,
        )
        _centre(hint)
        layout.addWidget(hint)
        layout.addSpacing(6)

    def open_existing(self) -> QFileDialog:
        """Choose a vault file; once it is one, `vault_chosen(path)` (the controller shows the
        unlock form for it). Anything else is refused in the error line."""
        from app.ui.shell.open_existing import choose_existing_vault

        self.open_error.clear_error()
        self.file_dialog = choose_existing_vault(
            self, self.vault_path, self.vault_chosen.emit, self.open_error.show_error
        )
        return self.file_dialog

    def _warning_box(self) -> WarningBox:
        from app.ui.common.warning_box import WarningBox  # only a new vault's form

        box = WarningBox(
            self.tr(
                "<b>Remember this password.</b> Nobody can reset it. Without the password "
                "and a backup of the vault, your accounts cannot be recovered."
            )
        )
        # Our own words with a bold lead, no outside text: rich text is safe here.
        set_by_name(box.body, "textFormat", "RichText")
        set_by_name(box.body, "textInteractionFlags", "LinksAccessibleByMouse")
        return box

    # --- creating --------------------------------------------------------------------------

    def _update_create_state(self) -> None:
        # Only a new vault's form rates the password: unlocking does not load the rules.
        from app.ui.common.password_feedback import repeat_differs, show_strength

        assert self.meter is not None
        assert self.strength_label is not None
        assert self.confirm is not None
        assert self.mismatch is not None
        text = self.password.text()
        show_strength(self.meter, self.strength_label, text)
        repeated = self.confirm.text()
        mismatch = repeat_differs(text, repeated)
        self.mismatch.show_error(self.tr("The passwords do not match.") if mismatch else "")
        self.button.setEnabled(bool(text) and repeated == text and not self.busy)

    # --- submitting ------------------------------------------------------------------------

    def submit(self) -> None:
        if self.busy:
            return
        password = self.password.text()
        if not password:
            self.error.show_error(self.tr("Enter the password."))
            return
        if self.creating:
            assert self.confirm is not None
            if self.confirm.text() != password:
                self._update_create_state()
                self.confirm.setFocus()
                return
        self._set_busy(True)
        self.error.clear_error()
        path, kdf, creating = self.vault_path, self._kdf, self.creating

        def work() -> Vault:
            from app.vault.store import Vault

            if creating:
                return Vault.create(path, password, kdf=kdf)
            return Vault.open(path, password)

        from app.ui.common.worker import run_in_thread  # when the password is submitted

        run_in_thread(work, self._opened, self._failed, owner=self)

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.password.setEnabled(not busy)
        if self.confirm is not None:
            self.confirm.setEnabled(not busy)
        self.button.setEnabled(not busy)
        self.open_button.setEnabled(not busy)
        if busy:
            self.status.setText(
                self.tr("Creating the vault…") if self.creating else self.tr("Unlocking…")
            )
        else:
            self.status.setText("")

    def _opened(self, vault: object) -> None:
        self._set_busy(False)
        self.password.clear()
        if self.confirm is not None:
            self.confirm.clear()
        self.unlocked.emit(vault)

    def _failed(self, error: BaseException) -> None:
        from app.vault.errors import VaultAuthError

        self._set_busy(False)
        message = failure_message(error)
        if message is None:
            sys.excepthook(type(error), error, error.__traceback__)
        else:
            self.error.show_error(message)
        if isinstance(error, VaultAuthError):
            self.password.selectAll()
            self.password.setFocus()
        if self.creating:
            self._update_create_state()

    def _clear_error(self) -> None:
        if self.error.text():
            self.error.clear_error()

    # --- window ----------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.busy:
            event.ignore()
            return
        event.accept()
        self.close_requested.emit()


def _centre(label: QLabel) -> None:
    # By name: the first window shows before PySide makes the Qt namespace (qt_names).
    set_by_name(label, "alignment", "AlignHCenter")


def _rule() -> QFrame:
    line = QFrame()
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    return line


def failure_message(error: BaseException) -> str | None:
    """What to say when the vault did not open; None for a bug (the crash dialog's)."""
    from app.vault.errors import VaultAuthError

    if isinstance(error, VaultAuthError):
        return QCoreApplication.translate("UnlockWindow", "Wrong password. Try again.")
    if isinstance(error, KeyfobError | OSError):
        return str(error)
    return None


def open_in_background(
    path: Path,
    password: str,
    opened: Callable[[Vault], None],
    failed: Callable[[str], None],
    *,
    owner: QObject,
) -> None:
    """Open the vault at `path` off the GUI thread (the KDF takes a while), without a window:
    `opened(vault)`, or `failed(message)`. A bug raises, as in any slot."""

    def work() -> Vault:
        from app.vault.store import Vault

        return Vault.open(path, password)

    def fail(error: BaseException) -> None:
        message = failure_message(error)
        if message is None:
            raise error
        failed(message)

    from app.ui.common.worker import run_in_thread

    run_in_thread(work, opened, fail, owner=owner)

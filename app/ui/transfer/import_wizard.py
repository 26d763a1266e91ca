"""The import wizard: accounts from another app's export (or Keyfob's own) into the vault.

Choose or drop a file (or a Google Authenticator transfer's QR images, together); the format
is recognised; an encrypted file asks for its password (a wrong one can be tried again); a
preview lists what the file holds: new accounts checked, those already in Keyfob and those
that cannot be used marked and left out. Only Import writes, in one `Vault.modify`, so a
cancelled wizard changes nothing. Reading and decrypting run off the GUI thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QIcon
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import KeyfobError
from app.ui.common.avatar import AvatarPainter
from app.ui.common.resources import icon
from app.ui.common.warning_box import ORANGE
from app.ui.common.widgets import (
    ErrorLabel,
    PasswordField,
    heading,
    muted,
    plain_label,
    plain_tooltip,
    scaled_font,
    show_check_boxes_on_dark,
)
from app.ui.common.wording import plural
from app.ui.common.worker import run_in_thread
from app.ui.transfer.import_plan import (
    EntryState,
    ImportOutcome,
    LoadedFile,
    Preview,
    add_chosen,
    load_files,
    make_preview,
    read_loaded,
)

if TYPE_CHECKING:
    from app.core.account import Account
    from app.formats.base import ImportResult
    from app.vault.store import Vault

_PAGE_CHOOSE, _PAGE_PASSWORD, _PAGE_PREVIEW, _PAGE_DONE = range(4)
_ENTRY = Qt.ItemDataRole.UserRole  # index into the preview's entries, on account rows


class DropArea(QFrame):
    """The dashed box on the first page: where a file can be dropped, with a Choose button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dropArea")
        self.setStyleSheet("#dropArea { border: 2px dashed palette(mid); border-radius: 12px; }")
        self.setMinimumHeight(220)
        symbol = QLabel()
        symbol.setPixmap(icon("image").pixmap(QSize(48, 48), self.devicePixelRatioF()))
        symbol.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text = QLabel(self.tr("Drop the export file here"))
        text.setFont(scaled_font(text, 1.15, bold=True))
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.choose_button = QPushButton(self.tr("&Choose file…"))
        self.choose_button.setObjectName("primaryButton")
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.choose_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 20)
        layout.setSpacing(10)
        layout.addStretch(1)
        layout.addWidget(symbol)
        layout.addWidget(text)
        layout.addSpacing(4)
        layout.addLayout(row)
        layout.addStretch(1)


class ImportWizard(QDialog):
    """`imported(accounts)` after a save, with the accounts as stored."""

    imported = Signal(list)

    def __init__(self, parent: QWidget | None, vault: Vault) -> None:
        super().__init__(parent)
        self.vault = vault
        self.busy = False
        self.loaded: LoadedFile | None = None
        self.preview: Preview | None = None
        self.outcome: ImportOutcome | None = None
        self._avatars = AvatarPainter()
        self.setWindowTitle(self.tr("Import accounts"))
        self.setAcceptDrops(True)
        self.setMinimumSize(QSize(560, 540))

        self.title = heading(self.tr("Import accounts"), 1.3)
        self.pages = QStackedWidget()
        self.pages.addWidget(self._choose_page())
        self.pages.addWidget(self._password_page())
        self.pages.addWidget(self._preview_page())
        self.pages.addWidget(self._done_page())

        self.status = plain_label()  # names the file; quotes what is wrong with it
        self.status.setWordWrap(True)
        self.status.setAccessibleName(self.tr("Status"))
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.back_button = QPushButton(self.tr("← Another file"))
        self.back_button.clicked.connect(self.start_over)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.clicked.connect(self.reject)
        self.next_button = QPushButton()
        self.next_button.setObjectName("primaryButton")
        self.next_button.setDefault(True)
        self.next_button.clicked.connect(self.go_on)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.next_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 20, 22, 18)
        layout.setSpacing(10)
        layout.addWidget(self.title)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self._show_page(_PAGE_CHOOSE)

    # --- pages -----------------------------------------------------------------------------

    def _choose_page(self) -> QWidget:
        intro = muted(
            self.tr(
                "In the app you are leaving, export or back up your accounts to a file, then "
                "choose that file here or drop it on this window. For a Google Authenticator "
                "transfer, choose the pictures of all its QR codes together."
            )
        )
        self.drop_area = DropArea()
        self.drop_area.choose_button.clicked.connect(self.open_file_dialog)
        known = muted(
            self.tr(
                "Keyfob reads Aegis, 2FAS, andOTP, Bitwarden, Ente Auth, FreeOTP and FreeOTP+, "
                "Stratum (Authenticator Pro), Proton Authenticator, TOTP Authenticator, "
                "Authenticator Plus, Google Authenticator, WinAuth, otpauth:// lists and its "
                "own exports. The format is recognised from the file."
            ),
            small=True,
        )
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        layout.addWidget(intro)
        layout.addWidget(self.drop_area, 1)
        layout.addWidget(known)
        return page

    def _password_page(self) -> QWidget:
        self.file_label = plain_label()
        self.file_label.setFont(scaled_font(self.file_label, 1.1, bold=True))
        self.file_label.setWordWrap(True)
        self.format_label = muted()
        self.format_label.setAccessibleName(self.tr("Format"))
        explain = QLabel(
            self.tr(
                "This file is encrypted. Enter the password it was exported with (in the "
                "other app, not Keyfob's password, unless they are the same)."
            )
        )
        explain.setWordWrap(True)
        self.password = PasswordField(self.tr("The file's password"), self.tr("File password"))
        self.password.returnPressed.connect(self.go_on)
        self.password.textChanged.connect(self._update_buttons)
        self.password_error = ErrorLabel()
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addSpacing(12)
        layout.addWidget(self.file_label)
        layout.addWidget(self.format_label)
        layout.addSpacing(10)
        layout.addWidget(explain)
        layout.addWidget(self.password)
        layout.addWidget(self.password_error)
        layout.addStretch(1)
        return page

    def _preview_page(self) -> QWidget:
        self.source_label = muted()
        self.source_label.setAccessibleName(self.tr("File and format"))
        self.summary = plain_label()
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName(self.tr("What the file holds"))
        self.all_button = QPushButton(self.tr("Select &all"))
        self.none_button = QPushButton(self.tr("Select &none"))
        for button in (self.all_button, self.none_button):
            button.setFlat(True)
        self.all_button.clicked.connect(lambda: self._check_all(True))
        self.none_button.clicked.connect(lambda: self._check_all(False))
        select = QHBoxLayout()
        select.addWidget(self.summary, 1)
        select.addWidget(self.all_button, 0, Qt.AlignmentFlag.AlignBottom)
        select.addWidget(self.none_button, 0, Qt.AlignmentFlag.AlignBottom)
        self.preview_list = QListWidget()
        self.preview_list.setAccessibleName(self.tr("Accounts in the file"))
        self.preview_list.setIconSize(QSize(32, 32))
        self.preview_list.setSpacing(2)
        self.preview_list.setWordWrap(True)
        self.preview_list.itemChanged.connect(self._update_buttons)
        show_check_boxes_on_dark(self.preview_list)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.source_label)
        layout.addLayout(select)
        layout.addWidget(self.preview_list, 1)
        return page

    def _done_page(self) -> QWidget:
        symbol = QLabel()
        symbol.setPixmap(icon("check").pixmap(QSize(56, 56), self.devicePixelRatioF()))
        symbol.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.result_label = plain_label()
        self.result_label.setFont(scaled_font(self.result_label, 1.15, bold=True))
        self.result_label.setWordWrap(True)
        self.result_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.result_label.setAccessibleName(self.tr("Result"))
        self.result_detail = muted()
        self.result_detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        layout.addWidget(symbol)
        layout.addSpacing(8)
        layout.addWidget(self.result_label)
        layout.addWidget(self.result_detail)
        layout.addStretch(2)
        return page

    def _show_page(self, page: int) -> None:
        self.pages.setCurrentIndex(page)
        self.title.setText(
            {
                _PAGE_CHOOSE: self.tr("Import accounts"),
                _PAGE_PASSWORD: self.tr("Unlock the file"),
                _PAGE_PREVIEW: self.tr("Choose the accounts to import"),
                _PAGE_DONE: self.tr("Import finished"),
            }[page]
        )
        if page == _PAGE_PASSWORD:
            self.password.setFocus()
        self._update_buttons()

    def _update_buttons(self) -> None:
        page = self.pages.currentIndex()
        self.back_button.setVisible(page in (_PAGE_PASSWORD, _PAGE_PREVIEW))
        self.back_button.setEnabled(not self.busy)
        self.cancel_button.setVisible(page != _PAGE_DONE)
        self.drop_area.choose_button.setEnabled(not self.busy)
        self.next_button.setVisible(page != _PAGE_CHOOSE)
        if page == _PAGE_PASSWORD:
            self.next_button.setText(self.tr("Open"))
            self.next_button.setEnabled(bool(self.password.text()) and not self.busy)
        elif page == _PAGE_PREVIEW:
            count = len(self.chosen_accounts())
            self.next_button.setText(
                plural(count, self.tr("Import 1 account"), self.tr("Import %n accounts"))
                if count
                else self.tr("Import")
            )
            self.next_button.setEnabled(count > 0 and not self.busy)
        else:
            self.next_button.setText(self.tr("Done"))
            self.next_button.setEnabled(True)

    def _set_busy(self, busy: bool, message: str = "") -> None:
        self.busy = busy
        self._say(message)
        self._update_buttons()

    def _say(self, text: str, *, problem: bool = False) -> None:
        from app.ui.common.widgets import error_colour

        self.status.setStyleSheet(f"color: {error_colour(self)};" if problem else "")
        self.status.setText(text)
        self.status.setVisible(bool(text))

    # --- choosing --------------------------------------------------------------------------

    def open_file_dialog(self) -> QFileDialog:
        dialog = QFileDialog(self, self.tr("Choose the export file"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setNameFilters(
            [
                self.tr("All files (*)"),
                self.tr("Exports (*.json *.txt *.csv *.2fas *.aegis *.bak *.backup *.db)"),
                self.tr("QR code pictures (*.png *.jpg *.jpeg *.gif *.bmp *.webp)"),
            ]
        )
        dialog.setOption(
            QFileDialog.Option.DontUseNativeDialog, QGuiApplication.platformName() == "offscreen"
        )
        dialog.filesSelected.connect(lambda files: self.take_files([Path(f) for f in files]))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.file_dialog = dialog
        return dialog

    def take_files(self, paths: list[Path]) -> None:
        """Read and recognise `paths` (in a worker thread), then ask for a password or preview."""
        if self.busy or not paths:
            return
        self._forget()
        self._show_page(_PAGE_CHOOSE)
        self._set_busy(True, self.tr("Reading %1…").replace("%1", paths[0].name))
        run_in_thread(lambda: load_files(paths), self._loaded, self._read_failed, owner=self)

    def start_over(self) -> None:
        if self.busy:
            return
        self._forget()
        self._say("")
        self._show_page(_PAGE_CHOOSE)

    def _loaded(self, loaded: LoadedFile) -> None:
        self.loaded = loaded
        self.file_label.setText(loaded.name)
        self.format_label.setText(loaded.format_title)
        if loaded.encrypted:
            self._ask_password()
        else:
            self._read(None)

    def _ask_password(self, error: str = "") -> None:
        self._set_busy(False)
        if error:
            self.password_error.show_error(error)
            self.password.selectAll()
        else:
            self.password_error.clear_error()
        self._show_page(_PAGE_PASSWORD)

    def go_on(self) -> None:
        """The primary button: open the file, import the checked accounts, or close."""
        page = self.pages.currentIndex()
        if page == _PAGE_PASSWORD:
            self.submit_password()
        elif page == _PAGE_PREVIEW:
            self.import_chosen()
        elif page == _PAGE_DONE:
            self.accept()

    def submit_password(self) -> None:
        if self.busy or self.loaded is None:
            return
        password = self.password.text()
        if not password:
            self.password_error.show_error(self.tr("Enter the file's password."))
            return
        self.password_error.clear_error()
        self._read(password)

    def _read(self, password: str | None) -> None:
        loaded = self.loaded
        if loaded is None:
            return
        message = (
            self.tr("Decrypting — this takes a moment…")
            if password is not None
            else self.tr("Reading the accounts…")
        )
        self._set_busy(True, message)
        run_in_thread(
            lambda: read_loaded(loaded, password), self._read_done, self._read_failed, owner=self
        )

    def _read_failed(self, error: BaseException) -> None:
        from app.formats.errors import PasswordRequiredError, WrongPasswordError

        if isinstance(error, WrongPasswordError):
            self._ask_password(
                self.tr("Wrong password for this file. Check it (and Caps Lock) and try again.")
            )
            self._say("")
            return
        if isinstance(error, PasswordRequiredError) and self.loaded is not None:
            self._ask_password()
            self._say("")
            return
        self._set_busy(False)
        if not isinstance(error, KeyfobError):
            raise error
        self._forget()
        self._show_page(_PAGE_CHOOSE)
        self._say(self.tr("Nothing was imported: %1").replace("%1", str(error)), problem=True)

    # --- the preview -----------------------------------------------------------------------

    def _read_done(self, result: ImportResult) -> None:
        self._set_busy(False)
        self.password.clear()
        preview = make_preview(result, self.vault.content.accounts)
        self.preview = preview
        self._fill_list(preview)
        loaded = self.loaded
        if loaded is not None:
            self.source_label.setText(f"{loaded.name} — {loaded.format_title}")
        self.summary.setText(self._preview_summary(preview))
        self._show_page(_PAGE_PREVIEW)
        if not preview.entries:
            self._say(self.tr("The file holds no account Keyfob can use."), problem=True)

    def _preview_summary(self, preview: Preview) -> str:
        new = preview.count(EntryState.NEW)
        parts = [plural(new, self.tr("1 new account"), self.tr("%n new accounts"))]
        duplicates = preview.count(EntryState.DUPLICATE) + preview.count(EntryState.REPEATED)
        if duplicates:
            parts.append(
                plural(
                    duplicates,
                    self.tr("1 already in Keyfob"),
                    self.tr("%n already in Keyfob"),
                )
            )
        if preview.unusable:
            parts.append(
                plural(
                    len(preview.unusable),
                    self.tr("1 that cannot be used"),
                    self.tr("%n that cannot be used"),
                )
            )
        return "; ".join(parts) + "."

    def _header(self, text: str) -> None:
        item = QListWidgetItem(text)
        item.setFont(scaled_font(self.preview_list, 0.95, bold=True))
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        item.setSizeHint(QSize(0, self.preview_list.fontMetrics().height() + 14))
        item.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom)
        self.preview_list.addItem(item)

    def _fill_list(self, preview: Preview) -> None:
        self.preview_list.blockSignals(True)
        self.preview_list.clear()
        ratio = self.devicePixelRatioF()
        groups = (
            (EntryState.NEW, self.tr("New")),
            (EntryState.DUPLICATE, self.tr("Already in Keyfob — skipped")),
            (EntryState.REPEATED, self.tr("Repeated in the file — skipped")),
        )
        for state, title in groups:
            rows = [(i, e) for i, e in enumerate(preview.entries) if e.state is state]
            if not rows:
                continue
            self._header(f"{title} ({len(rows)})")
            for index, entry in rows:
                account = entry.account
                text = account.issuer or account.name or self.tr("(unnamed)")
                detail = account.name if account.issuer else ""
                if state is EntryState.DUPLICATE:
                    detail = (detail + " — " if detail else "") + self.tr("already in Keyfob")
                elif state is EntryState.REPEATED:
                    detail = (detail + " — " if detail else "") + self.tr("appears twice")
                item = QListWidgetItem(f"{text}\n{detail}" if detail else text)
                item.setIcon(QIcon(self._avatars.pixmap(account, 32, ratio)))
                item.setData(_ENTRY, index)
                if state is EntryState.NEW:
                    item.setFlags(
                        Qt.ItemFlag.ItemIsEnabled
                        | Qt.ItemFlag.ItemIsSelectable
                        | Qt.ItemFlag.ItemIsUserCheckable
                    )
                    item.setCheckState(Qt.CheckState.Checked)
                else:
                    item.setFlags(Qt.ItemFlag.ItemIsSelectable)
                    item.setCheckState(Qt.CheckState.Unchecked)
                self.preview_list.addItem(item)
        if preview.unusable:
            self._header(self.tr("Cannot be used (%1)").replace("%1", str(len(preview.unusable))))
            warning = icon("warning", ORANGE)
            for problem in preview.unusable:
                item = QListWidgetItem(warning, f"{problem.title}\n{problem.reason}")
                item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                item.setToolTip(plain_tooltip(problem.reason))
                self.preview_list.addItem(item)
        self.preview_list.blockSignals(False)

    def _account_items(self) -> list[QListWidgetItem]:
        items = [self.preview_list.item(row) for row in range(self.preview_list.count())]
        return [item for item in items if item.data(_ENTRY) is not None]

    def _check_all(self, checked: bool) -> None:
        state = Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        self.preview_list.blockSignals(True)
        for item in self._account_items():
            if item.flags() & Qt.ItemFlag.ItemIsUserCheckable:
                item.setCheckState(state)
        self.preview_list.blockSignals(False)
        self._update_buttons()

    def chosen_accounts(self) -> list[Account]:
        """The checked new accounts, in the file's order."""
        preview = self.preview
        if preview is None:
            return []
        chosen = []
        for item in self._account_items():
            entry = preview.entries[int(item.data(_ENTRY))]
            if entry.state is EntryState.NEW and item.checkState() == Qt.CheckState.Checked:
                chosen.append(entry.account)
        return chosen

    # --- importing -------------------------------------------------------------------------

    def import_chosen(self) -> None:
        chosen = self.chosen_accounts()
        preview = self.preview
        if self.busy or not chosen or preview is None:
            return
        try:
            outcome = self.vault.modify(lambda content: add_chosen(content, chosen))
        except KeyfobError as error:
            self._say(self.tr("Nothing was imported: %1").replace("%1", str(error)), problem=True)
            return
        self.outcome = outcome
        new = preview.count(EntryState.NEW)
        skipped = (
            preview.count(EntryState.DUPLICATE)
            + preview.count(EntryState.REPEATED)
            + outcome.skipped
        )
        parts = [
            plural(len(outcome.added), self.tr("Added 1 account"), self.tr("Added %n accounts"))
        ]
        if skipped:
            parts.append(
                plural(
                    skipped,
                    self.tr("skipped 1 already in Keyfob"),
                    self.tr("skipped %n already in Keyfob"),
                )
            )
        if preview.unusable:
            parts.append(
                plural(
                    len(preview.unusable),
                    self.tr("1 could not be used"),
                    self.tr("%n could not be used"),
                )
            )
        self.result_label.setText("; ".join(parts) + ".")
        unchecked = new - len(chosen)
        self.result_detail.setText(
            plural(
                unchecked,
                self.tr("You left 1 account out: import the file again to add it later."),
                self.tr("You left %n accounts out: import the file again to add them later."),
            )
            if unchecked
            else ""
        )
        self._forget()
        self._say("")
        self._show_page(_PAGE_DONE)
        self.imported.emit(outcome.added)

    def _forget(self) -> None:
        """Drop the file's content and accounts (they hold secrets) and the password."""
        self.loaded = None
        self.preview = None
        self.password.clear()
        self.password_error.clear_error()
        self.preview_list.clear()

    # --- drag and drop ---------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths and not self.busy:
            event.acceptProposedAction()
            self.take_files(paths)

    def done(self, result: int) -> None:
        self._forget()
        super().done(result)

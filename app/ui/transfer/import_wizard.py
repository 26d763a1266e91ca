"""The import wizard: accounts from another app's export (or Keyfob's own) into the vault.

Choose or drop a file (or a Google Authenticator transfer's QR images, together); the format
is recognised; an encrypted file asks for its password (a wrong one can be tried again); a
preview lists what the file holds: new accounts checked, those already in Keyfob and those
that cannot be used marked and left out. Only Import writes, in one `Vault.modify`, so a
cancelled wizard changes nothing. Reading and decrypting run off the GUI thread.

The pages are in import_pages and import_preview; the reading and sorting, Qt-free, in
import_plan.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QDialog, QFileDialog, QPushButton, QStackedWidget, QWidget

from app.core.errors import KeyfobError
from app.ui.common.file_dialogs import choose_files
from app.ui.common.layouts import row, window_column
from app.ui.common.password_feedback import typed_password
from app.ui.common.status_line import StatusLine
from app.ui.common.widgets import heading
from app.ui.common.wording import plural
from app.ui.common.worker import run_in_thread
from app.ui.transfer.import_pages import ChoosePage, DonePage, PasswordPage
from app.ui.transfer.import_plan import LoadedFile, load_files, make_preview, read_loaded
from app.ui.transfer.import_preview import PreviewPage
from app.vault.account_edits import AddResult, add_accounts

if TYPE_CHECKING:
    from app.core.account import Account
    from app.formats.base import ImportResult
    from app.vault.store import Vault

_PAGE_CHOOSE, _PAGE_PASSWORD, _PAGE_PREVIEW, _PAGE_DONE = range(4)


class ImportWizard(QDialog):
    """`imported(accounts)` after a save, with the accounts as stored."""

    imported = Signal(list)

    def __init__(self, parent: QWidget | None, vault: Vault) -> None:
        super().__init__(parent)
        self.vault = vault
        self.busy = False
        self.loaded: LoadedFile | None = None
        self.outcome: AddResult | None = None
        self.setWindowTitle(self.tr("Import accounts"))
        self.setAcceptDrops(True)
        self.setMinimumSize(QSize(560, 540))

        self.title = heading(self.tr("Import accounts"), 1.3)
        self.pages = QStackedWidget()
        self.pages.addWidget(self._choose_page())
        self.pages.addWidget(self._password_page())
        self.pages.addWidget(self._preview_page())
        self.pages.addWidget(self._done_page())
        self.status = StatusLine()  # names the file; quotes what is wrong with it

        self.back_button = QPushButton(self.tr("← Another file"))
        self.back_button.clicked.connect(self.start_over)
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.clicked.connect(self.reject)
        self.next_button = QPushButton()
        self.next_button.setObjectName("primaryButton")
        self.next_button.setDefault(True)
        self.next_button.clicked.connect(self.go_on)

        layout = window_column(self)
        layout.addWidget(self.title)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.status)
        layout.addLayout(row(self.back_button, None, self.cancel_button, self.next_button))
        self.status.show()  # an empty line under the first page, until a message comes
        self._show_page(_PAGE_CHOOSE)

    # --- pages -----------------------------------------------------------------------------

    def _choose_page(self) -> ChoosePage:
        page = ChoosePage()
        self.drop_area = page.drop_area
        self.drop_area.choose_button.clicked.connect(self.open_file_dialog)
        return page

    def _password_page(self) -> PasswordPage:
        self.password_page = PasswordPage()
        self.password, self.password_error = self.password_page.password, self.password_page.error
        self.format_label = self.password_page.format_label
        self.password.returnPressed.connect(self.go_on)
        self.password.textChanged.connect(self._update_buttons)
        return self.password_page

    def _preview_page(self) -> PreviewPage:
        self.preview_page = PreviewPage()
        self.preview_page.changed.connect(self._update_buttons)
        self.source_label, self.summary = self.preview_page.source_label, self.preview_page.summary
        self.preview_list = self.preview_page.list
        return self.preview_page

    def _done_page(self) -> DonePage:
        self.done_page = DonePage()
        self.result_label = self.done_page.result_label
        self.result_detail = self.done_page.result_detail
        return self.done_page

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
        self.status.say(message)
        self._update_buttons()

    # --- choosing --------------------------------------------------------------------------

    def open_file_dialog(self) -> QFileDialog:
        filters = [
            self.tr("All files (*)"),
            self.tr("Exports (*.json *.txt *.csv *.2fas *.aegis *.bak *.backup *.db)"),
            self.tr("QR code pictures (*.png *.jpg *.jpeg *.gif *.bmp *.webp)"),
        ]
        title = self.tr("Choose the export file")
        self.file_dialog = choose_files(self, title, filters, self.take_files)
        return self.file_dialog

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
        self.status.say("")
        self._show_page(_PAGE_CHOOSE)

    def _loaded(self, loaded: LoadedFile) -> None:
        self.loaded = loaded
        self.password_page.show_file(loaded)
        if loaded.encrypted:
            self._ask_password()
        else:
            self._read(None)

    def _ask_password(self, error: str = "") -> None:
        self._set_busy(False)
        self.password_page.ask(error)
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
        ask = self.tr("Enter the file's password.")
        password = typed_password(self.password, self.password_error, ask)
        if password is not None:
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
            self.status.say("")
            return
        if isinstance(error, PasswordRequiredError) and self.loaded is not None:
            self._ask_password()
            self.status.say("")
            return
        self._set_busy(False)
        if not isinstance(error, KeyfobError):
            raise error
        self._forget()
        self._show_page(_PAGE_CHOOSE)
        self.status.show_error(self.tr("Nothing was imported: %1").replace("%1", str(error)))

    def _read_done(self, result: ImportResult) -> None:
        self._set_busy(False)
        self.password.clear()
        preview = make_preview(result, self.vault.content.accounts)
        loaded = self.loaded
        source = f"{loaded.name} — {loaded.format_title}" if loaded is not None else ""
        self.preview_page.show_preview(preview, source)
        self._show_page(_PAGE_PREVIEW)
        if not preview.entries:
            self.status.show_error(self.tr("The file holds no account Keyfob can use."))

    def chosen_accounts(self) -> list[Account]:
        """The checked new accounts, in the file's order."""
        return self.preview_page.chosen_accounts()

    # --- importing -------------------------------------------------------------------------

    def import_chosen(self) -> None:
        chosen = self.chosen_accounts()
        preview = self.preview_page.preview
        if self.busy or not chosen or preview is None:
            return
        try:
            # The planner checks for duplicates again: the vault may have changed meanwhile.
            outcome = self.vault.modify(lambda content: add_accounts(content, chosen))
        except KeyfobError as error:
            self.status.show_error(self.tr("Nothing was imported: %1").replace("%1", str(error)))
            return
        self.outcome = outcome
        self.done_page.show_outcome(preview, outcome, len(chosen))
        self._forget()
        self.status.say("")
        self._show_page(_PAGE_DONE)
        self.imported.emit(outcome.added)

    def _forget(self) -> None:
        """Drop the file's content and accounts (they hold secrets) and the password."""
        self.loaded = None
        self.preview_page.clear()
        self.password.clear()
        self.password_error.clear_error()

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

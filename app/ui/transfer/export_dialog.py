"""The export dialog: the vault's accounts into a file another app (or a printer) takes.

Encrypted formats ask for the file's password twice; plaintext ones say plainly that the
file shows the secrets to anyone and will not go on until that is acknowledged. Either way
the vault password is asked again first, then the file is written off the GUI thread (the
encrypted formats run a KDF), and a summary says what was written and what was left out.

The form is export_form's, the summary export_result's; here is the order of things.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QStackedWidget, QWidget

from app.core.errors import KeyfobError
from app.ui.common.confirm import confirm
from app.ui.common.file_dialogs import choose_folder, choose_new_file
from app.ui.common.layouts import window_column
from app.ui.common.password_gate import PasswordGate
from app.ui.common.worker import run_in_thread
from app.ui.transfer.export_form import ExportForm, default_folder, suggested_name
from app.ui.transfer.export_result import ExportResult

if TYPE_CHECKING:
    from app.formats.exporters.base import Exporter, ExportReport
    from app.vault.store import Vault

_PAGE_FORM, _PAGE_DONE = range(2)


class ExportDialog(QDialog):
    """`exported(report)` once a file (or folder) was written."""

    exported = Signal(object)

    def __init__(
        self,
        parent: QWidget | None,
        vault: Vault,
        *,
        exporters: Sequence[Exporter] | None = None,
        folder: Path | None = None,
    ) -> None:
        super().__init__(parent)
        if exporters is None:
            from app.formats.exporters.registry import exporters as all_exporters

            exporters = all_exporters()
        self.vault = vault
        self.exporters = list(exporters)
        self.busy = False
        self.report: ExportReport | None = None
        self.gate: PasswordGate | None = None
        self._folder = folder or default_folder()
        self._suggested = ""
        self._replace_confirmed: Path | None = None
        self.setWindowTitle(self.tr("Export accounts"))
        self.setMinimumWidth(580)

        form = self.form = ExportForm(self.exporters, len(vault.content.accounts))
        form.changed.connect(self._update_state)
        form.format_box.currentIndexChanged.connect(self._format_chosen)
        form.browse_button.clicked.connect(self.choose_destination)
        form.cancel_button.clicked.connect(self.reject)
        form.export_button.clicked.connect(self.export)
        result = self.summary = ExportResult()
        result.close_button.clicked.connect(self.accept)
        # What the main window's tests and the renders reach.
        self.format_box, self.destination = form.format_box, form.destination
        self.status, self.export_button = form.status, form.export_button
        self.acknowledge = form.acknowledge
        self.file_password, self.file_confirm = form.file_password, form.file_confirm
        self.mismatch, self.password_section = form.mismatch, form.password_section
        self.plaintext_warning = self.plaintext_section = form.plaintext_warning
        self.result_label, self.left_out_label = result.result_label, result.left_out_label
        self.result_warning = result.result_warning

        self.pages = QStackedWidget()
        self.pages.addWidget(form)
        self.pages.addWidget(result)
        window_column(self).addWidget(self.pages, 1)
        self._format_chosen()

    @property
    def exporter(self) -> Exporter:
        return self.exporters[max(0, self.format_box.currentIndex())]

    def choose_format(self, name: str) -> None:
        index = self.format_box.findData(name)
        if index < 0:
            raise ValueError(f"no export format {name!r}")
        self.format_box.setCurrentIndex(index)

    def _format_chosen(self) -> None:
        exporter = self.exporter
        current = self.destination.text().strip()
        if not current or current == self._suggested:
            self._suggested = str(self._folder / suggested_name(exporter.name))
            self.destination.setText(self._suggested)
        self._replace_confirmed = None
        self.form.show_format(exporter)
        self._update_state()

    def _update_state(self) -> None:
        agreed = self.form.agreed(self.exporter)  # first: it shows the password's strength
        ready = agreed and bool(self.destination.text().strip()) and not self.busy
        if not self.vault.content.accounts:
            ready = False
            self.status.show_error(self.tr("The vault has no accounts to export."))
        self.export_button.setEnabled(ready)
        self.form.set_busy(self.busy)

    # --- the destination -------------------------------------------------------------------

    def _destination_path(self) -> Path:
        return Path(self.destination.text().strip()).expanduser()

    def choose_destination(self) -> QFileDialog:
        exporter = self.exporter
        current = Path(self.destination.text().strip() or self._suggested)
        if exporter.folder:
            name = current.name or suggested_name(exporter.name)
            self.file_dialog = choose_folder(
                self,
                self.tr("Choose where to make the folder of pictures"),
                current.parent,
                lambda folder: self.destination.setText(str(Path(folder) / name)),
            )
        else:
            self.file_dialog = choose_new_file(
                self, self.tr("Export to"), current, self._file_chosen
            )
        return self.file_dialog

    def _file_chosen(self, name: str) -> None:
        self.destination.setText(name)
        # The save dialog itself asked before choosing a file that exists.
        self._replace_confirmed = Path(name)

    def _check_destination(self, path: Path) -> str | None:
        """Why the export cannot go to `path`, or None."""
        vault_file = self.vault.path
        try:
            if path.exists() and vault_file.exists() and os.path.samefile(path, vault_file):
                return self.tr("That is the vault itself: choose another file name.")
        except OSError:
            pass
        if self.exporter.folder:
            if path.exists() and not path.is_dir():
                return self.tr("%1 is a file: the pictures go into a folder.").replace(
                    "%1", str(path)
                )
        elif path.is_dir():
            return self.tr("%1 is a folder: add a file name.").replace("%1", str(path))
        if not path.parent.is_dir():
            return self.tr("The folder %1 does not exist.").replace("%1", str(path.parent))
        return None

    # --- exporting -------------------------------------------------------------------------

    def export(self) -> None:
        """Check the choices, ask for the vault password, then write."""
        if self.busy or not self.export_button.isEnabled():
            return
        path = self._destination_path()
        problem = self._check_destination(path)
        if problem:
            self.status.show_error(problem)
            return
        self.status.clear_error()
        if not self.exporter.folder and path.exists() and self._replace_confirmed != path:

            def replace() -> None:
                self._replace_confirmed = path
                self._ask_password()

            self.replace_box = confirm(
                self,
                self.tr("Replace the file?"),
                self.tr("%1 already exists. Replace it with the export?").replace("%1", path.name),
                self.tr("Replace"),
                replace,
                role=QMessageBox.ButtonRole.DestructiveRole,
            )
            return
        self._ask_password()

    def _ask_password(self) -> None:
        gate = PasswordGate(
            self,
            self.vault,
            self.tr("Enter the vault password to export your accounts."),
            self.tr("Export"),
        )
        gate.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        gate.confirmed.connect(self._write)
        gate.open()
        self.gate = gate

    def _write(self) -> None:
        if self.vault.is_locked:  # locked while the password was checked
            return
        exporter = self.exporter
        path = self._destination_path()
        password = None if exporter.plaintext else self.file_password.text()
        content = self.vault.content
        accounts, groups = list(content.accounts), list(content.groups)
        self.busy = True
        self._update_state()
        self.status.say(self.tr("Encrypting and writing…") if password else self.tr("Writing…"))
        run_in_thread(
            lambda: exporter.write(accounts, path, password, groups=groups),
            self._written,
            self._failed,
            owner=self,
        )

    def _failed(self, error: BaseException) -> None:
        self.busy = False
        self._update_state()
        if not isinstance(error, KeyfobError):
            self.status.clear_error()
            raise error
        self.status.show_error(self.tr("Nothing was exported: %1").replace("%1", str(error)))

    def _written(self, report: ExportReport) -> None:
        self.busy = False
        self.report = report
        self.form.forget_password()
        self.summary.show_report(report, self.exporter, self._destination_path())
        self.pages.setCurrentIndex(_PAGE_DONE)
        self.exported.emit(report)

    def done(self, result: int) -> None:
        self.form.forget_password()
        super().done(result)

"""The export dialog: the vault's accounts into a file another app (or a printer) takes.

Encrypted formats ask for the file's password twice; plaintext ones say plainly that the
file shows the secrets to anyone and will not go on until that is acknowledged. Either way
the vault password is asked again first, then the file is written off the GUI thread (the
encrypted formats run a KDF), and a summary says what was written and what was left out.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, QStandardPaths, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.errors import KeyfobError
from app.ui.common import strength
from app.ui.common.password_gate import PasswordGate
from app.ui.common.resources import icon
from app.ui.common.warning_box import WarningBox
from app.ui.common.widgets import (
    ErrorLabel,
    PasswordField,
    StrengthMeter,
    heading,
    message_box,
    muted,
    plain_label,
)
from app.ui.common.wording import plural
from app.ui.common.worker import run_in_thread

if TYPE_CHECKING:
    from app.formats.exporters.base import Exporter, ExportReport
    from app.vault.store import Vault

_PAGE_FORM, _PAGE_DONE = range(2)

# Per format: what it is for, and the name suggested for the file (or folder).
_HELP = {
    "keyfob": (
        "An encrypted copy of your accounts with its own password: Keyfob on another "
        "computer imports it, and so does this one after a disk failure."
    ),
    "aegis": (
        "An encrypted Aegis backup: Aegis Authenticator on Android imports it (Settings ▸ "
        "Import & Export ▸ Import from file), with the password you choose here."
    ),
    "aegis-plain": (
        "Aegis's format without encryption, for apps that read Aegis files but not its "
        "encryption (Ente Auth, 2FAS, Stratum…)."
    ),
    "otpauth": (
        "One otpauth:// link a line: a text file most authenticator apps and password "
        "managers import."
    ),
    "googleauth": (
        "A folder of QR code pictures that Google Authenticator scans (Transfer accounts ▸ "
        "Import accounts). To scan them straight from the screen, use Transfer to phone "
        "instead."
    ),
    "html": (
        "A page to print: each account's QR code and setup key, for a paper backup kept "
        "somewhere safe."
    ),
}
_NAMES = {
    "keyfob": "keyfob-export-{date}.json",
    "aegis": "aegis-backup-{date}.json",
    "aegis-plain": "aegis-export-plain-{date}.json",
    "otpauth": "keyfob-otpauth-{date}.txt",
    "googleauth": "keyfob-google-qr-{date}",
    "html": "keyfob-paper-backup-{date}.html",
}


def suggested_name(format_name: str, today: datetime.date | None = None) -> str:
    day = (today or datetime.date.today()).isoformat()
    return _NAMES.get(format_name, "keyfob-export-{date}").format(date=day)


def default_folder() -> Path:
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    folder = Path(location) if location else Path.home()
    return folder if folder.is_dir() else Path.home()


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

        self.pages = QStackedWidget()
        self.pages.addWidget(self._form_page())
        self.pages.addWidget(self._done_page())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 20, 22, 18)
        layout.setSpacing(10)
        layout.addWidget(self.pages, 1)
        self.format_box.currentIndexChanged.connect(self._format_chosen)
        self._format_chosen()

    # --- building --------------------------------------------------------------------------

    def _form_page(self) -> QWidget:
        count = len(self.vault.content.accounts)
        title = heading(self.tr("Export accounts"), 1.3)
        intro = muted(
            plural(
                count,
                self.tr("Writes your account to a file that another app can import."),
                self.tr("Writes all %n accounts to a file that another app can import."),
            )
        )
        self.format_box = QComboBox()
        self.format_box.setAccessibleName(self.tr("Format"))
        for exporter in self.exporters:
            self.format_box.addItem(exporter.title, exporter.name)
        self.format_help = muted(small=True)
        self.format_help.setAccessibleName(self.tr("About this format"))

        format_field = QWidget()
        format_column = QVBoxLayout(format_field)
        format_column.setContentsMargins(0, 0, 0, 0)
        format_column.setSpacing(4)
        format_column.addWidget(self.format_box)
        format_column.addWidget(self.format_help)
        where_widget = self._destination_row()
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(10)
        format_label = QLabel(self.tr("&Format"))
        format_label.setBuddy(self.format_box)
        form.addRow(format_label, format_field)
        save_label = QLabel(self.tr("&Save to"))
        save_label.setBuddy(self.destination)
        form.addRow(save_label, where_widget)

        self.password_section = self._password_section()
        # The two forms' fields line up: their labels share one width.
        labels = [format_label, save_label, *self._password_labels]
        width = max(label.sizeHint().width() for label in labels)
        for label in labels:
            label.setMinimumWidth(width)
        self.plaintext_section = self._plaintext_section()

        self.status = ErrorLabel()
        self.status.setAccessibleName(self.tr("Status"))

        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addSpacing(4)
        layout.addLayout(form)
        layout.addWidget(self.password_section)
        layout.addWidget(self.plaintext_section)
        layout.addStretch(1)
        layout.addWidget(self.status)
        layout.addLayout(self._form_buttons())
        return page

    def _form_buttons(self) -> QHBoxLayout:
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.clicked.connect(self.reject)
        self.export_button = QPushButton(self.tr("Export…"))
        self.export_button.setObjectName("primaryButton")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.export)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.export_button)
        return buttons

    def _destination_row(self) -> QWidget:
        self.destination = QLineEdit()
        self.destination.setAccessibleName(self.tr("Save to"))
        self.destination.textChanged.connect(self._update_state)
        self.browse_button = QPushButton(self.tr("&Choose…"))
        self.browse_button.clicked.connect(self.choose_destination)
        row = QWidget()
        where = QHBoxLayout(row)
        where.setContentsMargins(0, 0, 0, 0)
        where.addWidget(self.destination, 1)
        where.addWidget(self.browse_button)
        return row

    def _password_section(self) -> QWidget:
        self.file_password = PasswordField(
            self.tr("Password for the file"), self.tr("Password for the file")
        )
        self.file_confirm = PasswordField(
            self.tr("The same password again"), self.tr("Password for the file, again")
        )
        self.meter = StrengthMeter()
        self.strength_label = muted(small=True)
        self.mismatch = ErrorLabel()
        for field in (self.file_password, self.file_confirm):
            field.textChanged.connect(self._update_state)
        note = muted(
            self.tr(
                "You will need this password to import the file. It need not be the vault "
                "password; keep it somewhere other than the file."
            ),
            small=True,
        )
        section = QWidget()
        form = QFormLayout(section)
        form.setContentsMargins(0, 4, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(8)
        label = QLabel(self.tr("File &password"))
        label.setBuddy(self.file_password)
        form.addRow(label, self.file_password)
        again = QLabel(self.tr("&Again"))
        again.setBuddy(self.file_confirm)
        form.addRow(again, self.file_confirm)
        self._password_labels = [label, again]
        form.addRow("", self.meter)
        form.addRow("", self.strength_label)
        form.addRow("", self.mismatch)
        form.addRow("", note)
        return section

    def _plaintext_section(self) -> QWidget:
        self.plaintext_warning = WarningBox("")
        self.acknowledge = QCheckBox(
            self.tr("I understand this file shows my secrets to anyone who opens it")
        )
        self.acknowledge.toggled.connect(self._update_state)
        self.plaintext_warning.add(self.acknowledge)
        return self.plaintext_warning

    def _done_page(self) -> QWidget:
        symbol = QLabel()
        symbol.setPixmap(icon("check").pixmap(QSize(48, 48), self.devicePixelRatioF()))
        self.result_title = heading(self.tr("Export finished"), 1.3)
        top = QHBoxLayout()
        top.addWidget(symbol, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.result_title, 1)
        self.result_label = plain_label()
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.setAccessibleName(self.tr("What was exported"))
        self.left_out_label = plain_label()
        self.left_out_label.setWordWrap(True)
        self.left_out_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.left_out_label.setAccessibleName(self.tr("What was left out"))
        self.result_warning = WarningBox("")
        self.open_folder_button = QPushButton(self.tr("Show in &folder"))
        self.open_folder_button.clicked.connect(self._open_folder)
        close = QPushButton(self.tr("Close"))
        close.setObjectName("primaryButton")
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.open_folder_button)
        buttons.addWidget(close)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addWidget(self.result_label)
        layout.addWidget(self.left_out_label)
        layout.addWidget(self.result_warning)
        layout.addStretch(1)
        layout.addLayout(buttons)
        return page

    # --- state -----------------------------------------------------------------------------

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
        self.format_help.setText(self.tr(_HELP.get(exporter.name, "")))
        current = self.destination.text().strip()
        if not current or current == self._suggested:
            self._suggested = str(self._folder / suggested_name(exporter.name))
            self.destination.setText(self._suggested)
        self._replace_confirmed = None
        self.password_section.setVisible(not exporter.plaintext)
        self.plaintext_section.setVisible(exporter.plaintext)
        if exporter.plaintext:
            self.acknowledge.setChecked(False)
            self.plaintext_warning.body.setText(self._plaintext_text(exporter.name))
        self._update_state()

    def _plaintext_text(self, name: str) -> str:
        what = (
            self.tr("These pictures are not encrypted.")
            if name == "googleauth"
            else self.tr("This page is not encrypted.")
            if name == "html"
            else self.tr("This file is not encrypted.")
        )
        return (
            what
            + " "
            + self.tr(
                "Anyone who opens it — or any program, backup or cloud folder that reads your "
                "disk — can make your sign-in codes. Delete it as soon as it has served."
            )
        )

    def _update_state(self) -> None:
        exporter = self.exporter
        ready = bool(self.destination.text().strip()) and not self.busy
        if not self.vault.content.accounts:
            ready = False
            self.status.show_error(self.tr("The vault has no accounts to export."))
        if exporter.plaintext:
            ready = ready and self.acknowledge.isChecked()
        else:
            text = self.file_password.text()
            repeated = self.file_confirm.text()
            if text:
                result = strength.estimate(text)
                self.meter.set_score(result.score)
                self.strength_label.setText(self.meter.describe(result.score))
            else:
                self.meter.set_score(-1)
                self.strength_label.setText(
                    self.tr("Use a long passphrase: four or more unrelated words work well.")
                )
            mismatch = bool(repeated) and repeated != text and not text.startswith(repeated)
            self.mismatch.show_error(self.tr("The passwords do not match.") if mismatch else "")
            ready = ready and bool(text) and repeated == text
        self.export_button.setEnabled(ready)
        for widget in (self.format_box, self.destination, self.browse_button, self.acknowledge):
            widget.setEnabled(not self.busy)

    # --- the destination -------------------------------------------------------------------

    def choose_destination(self) -> QFileDialog:
        exporter = self.exporter
        current = Path(self.destination.text().strip() or self._suggested)
        if exporter.folder:
            dialog = QFileDialog(self, self.tr("Choose where to make the folder of pictures"))
            dialog.setFileMode(QFileDialog.FileMode.Directory)
            dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
            dialog.setDirectory(str(current.parent))
            name = current.name or suggested_name(exporter.name)
            dialog.fileSelected.connect(
                lambda folder: self.destination.setText(str(Path(folder) / name))
            )
        else:
            dialog = QFileDialog(self, self.tr("Export to"))
            dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
            dialog.setDirectory(str(current.parent))
            dialog.selectFile(current.name)
            dialog.fileSelected.connect(self._file_chosen)
        dialog.setOption(
            QFileDialog.Option.DontUseNativeDialog, QGuiApplication.platformName() == "offscreen"
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.file_dialog = dialog
        return dialog

    def _file_chosen(self, name: str) -> None:
        self.destination.setText(name)
        # The save dialog itself asked before choosing a file that exists.
        self._replace_confirmed = Path(name)

    def _check_destination(self, path: Path) -> str | None:
        """Why the export cannot go to `path`, or None."""
        exporter = self.exporter
        vault_file = self.vault.path
        try:
            if path.exists() and vault_file.exists() and os.path.samefile(path, vault_file):
                return self.tr("That is the vault itself: choose another file name.")
        except OSError:
            pass
        if exporter.folder:
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
        path = Path(self.destination.text().strip()).expanduser()
        problem = self._check_destination(path)
        if problem:
            self.status.show_error(problem)
            return
        self.status.clear_error()
        if not self.exporter.folder and path.exists() and self._replace_confirmed != path:
            box = message_box(
                QMessageBox.Icon.Question,
                self.tr("Replace the file?"),
                self.tr("%1 already exists. Replace it with the export?").replace("%1", path.name),
                self,
            )
            replace = box.addButton(self.tr("Replace"), QMessageBox.ButtonRole.DestructiveRole)
            box.addButton(QMessageBox.StandardButton.Cancel)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

            def answered() -> None:
                if box.clickedButton() is replace:
                    self._replace_confirmed = path
                    self._ask_password()

            box.finished.connect(answered)
            box.open()
            self.replace_box = box
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
        path = Path(self.destination.text().strip()).expanduser()
        password = None if exporter.plaintext else self.file_password.text()
        content = self.vault.content
        accounts, groups = list(content.accounts), list(content.groups)
        self.busy = True
        self._update_state()
        self.status.setStyleSheet("")
        self.status.setText(self.tr("Encrypting and writing…") if password else self.tr("Writing…"))
        self.status.show()
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
        self.file_password.clear()
        self.file_confirm.clear()
        self._show_result(report)
        self.pages.setCurrentIndex(_PAGE_DONE)
        self.exported.emit(report)

    def _show_result(self, report: ExportReport) -> None:
        exporter = self.exporter
        where = Path(self.destination.text().strip()).expanduser()
        text = (
            plural(
                report.exported,
                self.tr("Exported 1 account to %1 as %2."),
                self.tr("Exported %n accounts to %1 as %2."),
            )
            .replace("%1", str(where))
            .replace("%2", exporter.title)
        )
        if exporter.folder:
            images = [p for p in report.files if p.suffix == ".png"]
            text += "\n" + plural(
                len(images),
                self.tr("1 picture: show it to the phone and scan it."),
                self.tr(
                    "%n pictures: show them to the phone one at a time, in order, and scan each."
                ),
            )
        for note in report.notes:
            text += "\n" + self.tr("Note: %1").replace("%1", note)
        self.result_label.setText(text)
        if report.left_out:
            lines = [
                plural(
                    len(report.left_out),
                    self.tr("1 account was not exported (the format cannot hold it):"),
                    self.tr("%n accounts were not exported (the format cannot hold them):"),
                )
            ]
            lines += [f"•  {item.label}: {item.reason}" for item in report.left_out]
            self.left_out_label.setText("\n".join(lines))
            self.left_out_label.setStyleSheet("")
        self.left_out_label.setVisible(bool(report.left_out))
        self.result_warning.setVisible(exporter.plaintext)
        self.result_warning.body.setText(
            self.tr(
                "Not encrypted: anyone who reads it can make your codes. Delete it once it "
                "has served."
            )
        )

    def _open_folder(self) -> None:
        where = Path(self.destination.text().strip()).expanduser()
        folder = where if self.exporter.folder else where.parent
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def done(self, result: int) -> None:
        self.file_password.clear()
        self.file_confirm.clear()
        super().done(result)

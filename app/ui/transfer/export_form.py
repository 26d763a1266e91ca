"""The export dialog's form: the format and what it is for, where to save, and either the
file's password (twice, with a strength meter) or, for a plaintext format, the warning that
must be acknowledged."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QStandardPaths, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.ui.common.columns import column, fill
from app.ui.common.layouts import row
from app.ui.common.password_feedback import repeat_differs, show_strength
from app.ui.common.status_line import StatusLine
from app.ui.common.warning_box import WarningBox
from app.ui.common.widgets import ErrorLabel, PasswordField, StrengthMeter, heading, muted
from app.ui.common.wording import plural

if TYPE_CHECKING:
    from app.formats.exporters.base import Exporter

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


class ExportForm(QWidget):
    """`changed` when anything that decides whether Export can go changes."""

    changed = Signal()

    def __init__(self, exporters: Sequence[Exporter], count: int) -> None:
        super().__init__()
        intro = muted(
            plural(
                count,
                self.tr("Writes your account to a file that another app can import."),
                self.tr("Writes all %n accounts to a file that another app can import."),
            )
        )
        self.format_box = QComboBox()
        self.format_box.setAccessibleName(self.tr("Format"))
        for exporter in exporters:
            self.format_box.addItem(exporter.title, exporter.name)
        self.format_help = muted(small=True)
        self.format_help.setAccessibleName(self.tr("About this format"))
        format_field = QWidget()
        column(format_field, self.format_box, self.format_help, spacing=4)
        self.destination = QLineEdit()
        self.destination.setAccessibleName(self.tr("Save to"))
        self.destination.textChanged.connect(self.changed)
        self.browse_button = QPushButton(self.tr("&Choose…"))
        where = QWidget()
        fill(where, row((self.destination, 1), self.browse_button))
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setVerticalSpacing(10)
        labels = [self._row(form, self.tr("&Format"), self.format_box, format_field)]
        labels.append(self._row(form, self.tr("&Save to"), self.destination, where))
        self.password_section = self._password_section(labels)
        # The two forms' fields line up: their labels share one width.
        width = max(label.sizeHint().width() for label in labels)
        for label in labels:
            label.setMinimumWidth(width)
        self.plaintext_warning = WarningBox("")
        self.acknowledge = QCheckBox(
            self.tr("I understand this file shows my secrets to anyone who opens it")
        )
        self.acknowledge.toggled.connect(self.changed)
        self.plaintext_warning.add(self.acknowledge)
        self.status = StatusLine()
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.export_button = QPushButton(self.tr("Export…"))
        self.export_button.setObjectName("primaryButton")
        self.export_button.setDefault(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        layout.addWidget(heading(self.tr("Export accounts"), 1.3))
        layout.addWidget(intro)
        layout.addSpacing(4)
        layout.addLayout(form)
        layout.addWidget(self.password_section)
        layout.addWidget(self.plaintext_warning)
        layout.addStretch(1)
        layout.addWidget(self.status)
        layout.addLayout(row(None, self.cancel_button, self.export_button))

    @staticmethod
    def _row(form: QFormLayout, text: str, buddy: QWidget, field: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(buddy)
        form.addRow(label, field)
        return label

    def _password_section(self, labels: list[QLabel]) -> QWidget:
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
            field.textChanged.connect(self.changed)
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
        labels.append(
            self._row(form, self.tr("File &password"), self.file_password, self.file_password)
        )
        labels.append(self._row(form, self.tr("&Again"), self.file_confirm, self.file_confirm))
        for below in (self.meter, self.strength_label, self.mismatch, note):
            form.addRow("", below)
        return section

    def show_format(self, exporter: Exporter) -> None:
        """What the format is for, and the password or the warning it needs."""
        self.format_help.setText(self.tr(_HELP.get(exporter.name, "")))
        self.password_section.setVisible(not exporter.plaintext)
        self.plaintext_warning.setVisible(exporter.plaintext)
        if exporter.plaintext:
            self.acknowledge.setChecked(False)
            self.plaintext_warning.body.setText(self._plaintext_text(exporter.name))

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

    def agreed(self, exporter: Exporter) -> bool:
        """Whether the password is chosen (twice alike) or the warning acknowledged; shows
        the password's strength and a mismatch meanwhile."""
        if exporter.plaintext:
            return self.acknowledge.isChecked()
        text = self.file_password.text()
        repeated = self.file_confirm.text()
        show_strength(self.meter, self.strength_label, text)
        differs = repeat_differs(text, repeated)
        self.mismatch.show_error(self.tr("The passwords do not match.") if differs else "")
        return bool(text) and repeated == text

    def set_busy(self, busy: bool) -> None:
        for widget in (self.format_box, self.destination, self.browse_button, self.acknowledge):
            widget.setEnabled(not busy)

    def forget_password(self) -> None:
        self.file_password.clear()
        self.file_confirm.clear()

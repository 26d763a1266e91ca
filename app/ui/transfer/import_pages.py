"""The import wizard's simpler pages: choosing the file, its password, and what was imported.

(The preview of the accounts, the page with choices, is in import_preview.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QVBoxLayout, QWidget

from app.ui.common.columns import column, fill
from app.ui.common.layouts import row
from app.ui.common.symbol import symbol
from app.ui.common.widgets import ErrorLabel, PasswordField, muted, plain_label, scaled_font
from app.ui.common.wording import plural
from app.vault.account_edits import Disposition

if TYPE_CHECKING:
    from app.ui.transfer.import_plan import LoadedFile, Preview
    from app.vault.account_edits import AddResult


class DropArea(QFrame):
    """The dashed box on the first page: where a file can be dropped, with a Choose button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dropArea")
        self.setStyleSheet("#dropArea { border: 2px dashed palette(mid); border-radius: 12px; }")
        self.setMinimumHeight(220)
        text = QLabel(self.tr("Drop the export file here"))
        text.setFont(scaled_font(text, 1.15, bold=True))
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.choose_button = QPushButton(self.tr("&Choose file…"))
        self.choose_button.setObjectName("primaryButton")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 20)
        layout.setSpacing(10)
        layout.addStretch(1)
        layout.addWidget(symbol("image", 48))
        layout.addWidget(text)
        layout.addSpacing(4)
        layout.addLayout(row(None, self.choose_button, None))
        layout.addStretch(1)


class ChoosePage(QWidget):
    """What to export from the other app, the drop area, and the formats Keyfob reads."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        intro = muted(
            self.tr(
                "In the app you are leaving, export or back up your accounts to a file, then "
                "choose that file here or drop it on this window. For a Google Authenticator "
                "transfer, choose the pictures of all its QR codes together."
            )
        )
        self.drop_area = DropArea()
        known = muted(
            self.tr(
                "Keyfob reads Aegis, 2FAS, andOTP, Bitwarden, Ente Auth, FreeOTP and FreeOTP+, "
                "Stratum (Authenticator Pro), Proton Authenticator, TOTP Authenticator, "
                "Authenticator Plus, Google Authenticator, WinAuth, otpauth:// lists and its "
                "own exports. The format is recognised from the file."
            ),
            small=True,
        )
        column(self, intro, (self.drop_area, 1), known, spacing=12)


class PasswordPage(QWidget):
    """The file and its format, and its password (the other app's, not Keyfob's)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
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
        self.error = ErrorLabel()
        layout = fill(self, QVBoxLayout(), spacing=8)
        layout.addSpacing(12)
        layout.addWidget(self.file_label)
        layout.addWidget(self.format_label)
        layout.addSpacing(10)
        layout.addWidget(explain)
        layout.addWidget(self.password)
        layout.addWidget(self.error)
        layout.addStretch(1)

    def show_file(self, loaded: LoadedFile) -> None:
        self.file_label.setText(loaded.name)
        self.format_label.setText(loaded.format_title)

    def ask(self, error: str = "") -> None:
        """Ask (again, after `error`) for the password."""
        if error:
            self.error.show_error(error)
            self.password.selectAll()
        else:
            self.error.clear_error()


class DonePage(QWidget):
    """What the import added, skipped and could not use."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.result_label = plain_label()
        self.result_label.setFont(scaled_font(self.result_label, 1.15, bold=True))
        self.result_label.setWordWrap(True)
        self.result_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.result_label.setAccessibleName(self.tr("Result"))
        self.result_detail = muted()
        self.result_detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(symbol("check", 56))
        layout.addSpacing(8)
        layout.addWidget(self.result_label)
        layout.addWidget(self.result_detail)
        layout.addStretch(2)

    def show_outcome(self, preview: Preview, added: AddResult, chosen: int) -> None:
        """`added`: what the vault took of the `chosen` accounts of `preview`."""
        skipped = (
            preview.count(Disposition.DUPLICATE)
            + preview.count(Disposition.REPEATED)
            + len(added.duplicates)  # added to the vault meanwhile, by another window
        )
        parts = [plural(len(added.added), self.tr("Added 1 account"), self.tr("Added %n accounts"))]
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
        unchecked = preview.count(Disposition.NEW) - chosen
        self.result_detail.setText(
            plural(
                unchecked,
                self.tr("You left 1 account out: import the file again to add it later."),
                self.tr("You left %n accounts out: import the file again to add them later."),
            )
            if unchecked
            else ""
        )

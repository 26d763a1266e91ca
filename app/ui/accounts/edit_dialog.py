"""Editing what the user keeps with an account: issuer, name, groups, icon, favourite, note.

The secret and the code parameters are not editable: a wrong one is a new enrollment.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core.account import Account
from app.ui.common.avatar import AvatarPainter, encode_icon
from app.ui.common.widgets import ErrorLabel, muted


def split_groups(text: str) -> tuple[str, ...]:
    """ "Work, Personal ,, work" -> ("Work", "Personal"): trimmed, no empties, no repeats."""
    seen: dict[str, str] = {}
    for part in text.split(","):
        name = part.strip()
        if name and name.casefold() not in seen:
            seen[name.casefold()] = name
    return tuple(seen.values())


class EditDialog(QDialog):
    saved = Signal(dict)

    def __init__(self, parent: QWidget | None, account: Account, groups: list[str]) -> None:
        super().__init__(parent)
        self.account = account
        self.icon_uri = account.icon
        self._avatars = AvatarPainter()
        self.setWindowTitle(self.tr("Edit %1").replace("%1", account.label))
        self.setMinimumWidth(460)

        icon_row = self._build_icon_row()

        self.issuer = QLineEdit(account.issuer)
        self.issuer.setAccessibleName(self.tr("Issuer"))
        self.name = QLineEdit(account.name)
        self.name.setAccessibleName(self.tr("Account name"))
        self.groups = QLineEdit(", ".join(account.groups))
        self.groups.setPlaceholderText(self.tr("e.g. Work, Personal"))
        self.groups.setAccessibleName(self.tr("Groups"))
        known = [g for g in groups if g not in account.groups]
        self.group_hint = muted(
            self.tr("Existing groups: %1").replace("%1", ", ".join(known)) if known else "",
            small=True,
        )
        self.group_hint.setVisible(bool(known))
        self.favourite = QCheckBox(self.tr("&Favourite (shown at the top)"))
        self.favourite.setChecked(account.favourite)
        self.note = QPlainTextEdit(account.note)
        self.note.setAccessibleName(self.tr("Note"))
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(80)
        self.error = ErrorLabel()

        form = QFormLayout()
        form.addRow(self.tr("&Issuer"), self.issuer)
        form.addRow(self.tr("Account &name"), self.name)
        form.addRow(self.tr("&Groups"), self.groups)
        form.addRow("", self.group_hint)
        form.addRow("", self.favourite)
        form.addRow(self.tr("N&ote"), self.note)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 18, 20, 16)
        layout.addLayout(icon_row)
        layout.addSpacing(6)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.issuer.textChanged.connect(self._update_avatar)
        self.name.textChanged.connect(self._update_avatar)
        self._update_avatar()

    def _build_icon_row(self) -> QHBoxLayout:
        self.avatar = QLabel()
        self.avatar.setFixedSize(QSize(64, 64))
        self.avatar.setAccessibleName(self.tr("Icon"))
        choose = QPushButton(self.tr("Choose &image…"))
        choose.clicked.connect(self.choose_icon)
        self.letter_button = QPushButton(self.tr("Use &letter"))
        self.letter_button.clicked.connect(self.use_letter)
        icon_buttons = QVBoxLayout()
        icon_buttons.addWidget(choose)
        icon_buttons.addWidget(self.letter_button)
        icon_row = QHBoxLayout()
        icon_row.addWidget(self.avatar)
        icon_row.addSpacing(8)
        icon_row.addLayout(icon_buttons)
        icon_row.addStretch(1)
        return icon_row

    def _preview(self) -> Account:
        return replace(
            self.account,
            issuer=self.issuer.text().strip(),
            name=self.name.text().strip(),
            icon=self.icon_uri,
        )

    def _update_avatar(self) -> None:
        self.avatar.setPixmap(self._avatars.pixmap(self._preview(), 64, self.devicePixelRatioF()))
        self.letter_button.setEnabled(self.icon_uri is not None)

    def choose_icon(self) -> QFileDialog:
        dialog = QFileDialog(self, self.tr("Choose an icon"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilter(self.tr("Images (*.png *.jpg *.jpeg *.svg *.gif *.bmp *.webp)"))
        dialog.setOption(
            QFileDialog.Option.DontUseNativeDialog,
            QGuiApplication.platformName() == "offscreen",
        )
        dialog.fileSelected.connect(self._icon_file_chosen)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _icon_file_chosen(self, path: str) -> None:
        image = QImage(path)
        if image.isNull():
            self.error.show_error(self.tr("That file is not an image Keyfob can read."))
            return
        self.set_icon_image(image)

    def set_icon_image(self, image: QImage) -> None:
        self.error.clear_error()
        self.icon_uri = encode_icon(image)
        self._update_avatar()

    def use_letter(self) -> None:
        self.icon_uri = None
        self._update_avatar()

    def changes(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer.text().strip(),
            "name": self.name.text().strip(),
            "groups": split_groups(self.groups.text()),
            "favourite": self.favourite.isChecked(),
            "note": self.note.toPlainText().strip(),
            "icon": self.icon_uri,
        }

    def save(self) -> None:
        changes = self.changes()
        if not changes["issuer"] and not changes["name"]:
            self.error.show_error(self.tr("Enter the issuer or the account name."))
            self.issuer.setFocus()
            return
        self.saved.emit(changes)
        self.accept()

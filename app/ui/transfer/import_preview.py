"""The import wizard's preview: what the file holds, grouped, each new account with a check box.

New accounts come checked; those already in Keyfob and those repeated in the file are shown
greyed, as skipped; entries that are not accounts are listed with the reason, by a short
name, never by their text (it may hold the secret).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QPushButton, QWidget

from app.core.account import Account
from app.ui.common.avatar import AvatarPainter
from app.ui.common.columns import column
from app.ui.common.layouts import row
from app.ui.common.resources import icon
from app.ui.common.warning_box import ORANGE
from app.ui.common.widgets import (
    muted,
    plain_label,
    plain_tooltip,
    scaled_font,
    show_check_boxes_on_dark,
)
from app.ui.common.wording import plural
from app.ui.transfer.import_plan import Preview
from app.vault.account_edits import Disposition

_ENTRY = Qt.ItemDataRole.UserRole  # index into the preview's entries, on account rows


class PreviewPage(QWidget):
    """`changed` when the choice changes. `preview` is what is shown, until `clear`."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.preview: Preview | None = None
        self._avatars = AvatarPainter()
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
        bottom = Qt.AlignmentFlag.AlignBottom
        select = row((self.summary, 1))
        select.addWidget(self.all_button, 0, bottom)
        select.addWidget(self.none_button, 0, bottom)
        self.list = QListWidget()
        self.list.setAccessibleName(self.tr("Accounts in the file"))
        self.list.setIconSize(QSize(32, 32))
        self.list.setSpacing(2)
        self.list.setWordWrap(True)
        self.list.itemChanged.connect(self.changed)
        show_check_boxes_on_dark(self.list)
        column(self, self.source_label, select, (self.list, 1), spacing=6)

    def show_preview(self, preview: Preview, source: str) -> None:
        """List `preview`; `source` names the file and its format."""
        self.preview = preview
        self.source_label.setText(source)
        self.summary.setText(self._summary(preview))
        self.list.blockSignals(True)
        self.list.clear()
        groups = (
            (Disposition.NEW, self.tr("New")),
            (Disposition.DUPLICATE, self.tr("Already in Keyfob — skipped")),
            (Disposition.REPEATED, self.tr("Repeated in the file — skipped")),
        )
        for disposition, title in groups:
            rows = [(i, e) for i, e in enumerate(preview.entries) if e.disposition is disposition]
            if rows:
                self._header(f"{title} ({len(rows)})")
            for index, entry in rows:
                self._add_account(index, entry.account, disposition)
        if preview.unusable:
            self._header(self.tr("Cannot be used (%1)").replace("%1", str(len(preview.unusable))))
            warning = icon("warning", ORANGE)
            for problem in preview.unusable:
                item = QListWidgetItem(warning, f"{problem.title}\n{problem.reason}")
                item.setFlags(Qt.ItemFlag.ItemIsEnabled)
                item.setToolTip(plain_tooltip(problem.reason))
                self.list.addItem(item)
        self.list.blockSignals(False)

    def clear(self) -> None:
        """Forget the preview (its accounts hold secrets)."""
        self.preview = None
        self.list.clear()

    def _summary(self, preview: Preview) -> str:
        new = preview.count(Disposition.NEW)
        parts = [plural(new, self.tr("1 new account"), self.tr("%n new accounts"))]
        skipped = preview.count(Disposition.DUPLICATE) + preview.count(Disposition.REPEATED)
        if skipped:
            parts.append(
                plural(skipped, self.tr("1 already in Keyfob"), self.tr("%n already in Keyfob"))
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
        item.setFont(scaled_font(self.list, 0.95, bold=True))
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        item.setSizeHint(QSize(0, self.list.fontMetrics().height() + 14))
        item.setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom)
        self.list.addItem(item)

    def _add_account(self, index: int, account: Account, disposition: Disposition) -> None:
        text = account.issuer or account.name or self.tr("(unnamed)")
        detail = account.name if account.issuer else ""
        if disposition is Disposition.DUPLICATE:
            detail = (detail + " — " if detail else "") + self.tr("already in Keyfob")
        elif disposition is Disposition.REPEATED:
            detail = (detail + " — " if detail else "") + self.tr("appears twice")
        item = QListWidgetItem(f"{text}\n{detail}" if detail else text)
        item.setIcon(QIcon(self._avatars.pixmap(account, 32, self.devicePixelRatioF())))
        item.setData(_ENTRY, index)
        if disposition is Disposition.NEW:
            item.setFlags(
                Qt.ItemFlag.ItemIsEnabled
                | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemIsUserCheckable
            )
            item.setCheckState(Qt.CheckState.Checked)
        else:
            item.setFlags(Qt.ItemFlag.ItemIsSelectable)
            item.setCheckState(Qt.CheckState.Unchecked)
        self.list.addItem(item)

    def _account_items(self) -> list[QListWidgetItem]:
        items = [self.list.item(row) for row in range(self.list.count())]
        return [item for item in items if item.data(_ENTRY) is not None]

    def _check_all(self, checked: bool) -> None:
        state = Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        self.list.blockSignals(True)
        for item in self._account_items():
            if item.flags() & Qt.ItemFlag.ItemIsUserCheckable:
                item.setCheckState(state)
        self.list.blockSignals(False)
        self.changed.emit()

    def chosen_accounts(self) -> list[Account]:
        """The checked new accounts, in the file's order."""
        preview = self.preview
        if preview is None:
            return []
        chosen = []
        for item in self._account_items():
            entry = preview.entries[int(item.data(_ENTRY))]
            if entry.disposition is Disposition.NEW and item.checkState() == Qt.CheckState.Checked:
                chosen.append(entry.account)
        return chosen

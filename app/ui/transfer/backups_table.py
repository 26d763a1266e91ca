"""The backups dialog's table: when each backup was taken, how many accounts it holds, its size.

The counts come once the vault password is known ("—" until then, "…" while counting); a
backup the password does not open says "other password", one that does not decrypt
"damaged".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QDateTime, QLocale, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from app.vault.backup_counts import Uncounted

if TYPE_CHECKING:
    from app.vault.backups import BackupInfo

_COLUMN_DATE, _COLUMN_COUNT, _COLUMN_SIZE = range(3)


def local_time(info: BackupInfo) -> str:
    """When the backup was taken, in local time: "Tue 14 May 2024, 10:32:05"."""
    moment = QDateTime.fromSecsSinceEpoch(int(info.created.timestamp())).toLocalTime()
    return QLocale().toString(moment, "ddd d MMM yyyy, HH:mm:ss")


class BackupsTable(QTreeWidget):
    """One row a backup, newest first; `fill` again whenever the backups or counts change."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Backups"))
        self.setColumnCount(3)
        self.setHeaderLabels(
            [self.tr("The vault as it was on"), self.tr("Accounts"), self.tr("Size")]
        )
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setStyleSheet("QTreeWidget::item { padding: 3px 2px; }")
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(_COLUMN_DATE, QHeaderView.ResizeMode.Stretch)
        for column in (_COLUMN_COUNT, _COLUMN_SIZE):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)

    def fill(
        self,
        backups: Sequence[BackupInfo],
        counts: Sequence[int | Uncounted],
        *,
        counting: bool,
    ) -> None:
        """List `backups` with their `counts` (as many as are known); the selection stays."""
        selected = self.selected_position()
        path = backups[selected].path if selected is not None and selected < len(backups) else None
        self.clear()
        locale = QLocale()
        for position, info in enumerate(backups):
            count = counts[position] if position < len(counts) else None
            item = QTreeWidgetItem(
                [
                    local_time(info),
                    self._count_text(count, counting),
                    locale.formattedDataSize(info.size),
                ]
            )
            item.setData(_COLUMN_DATE, Qt.ItemDataRole.UserRole, position)
            for column in (_COLUMN_COUNT, _COLUMN_SIZE):
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight)
            if count == Uncounted.OTHER_PASSWORD:
                item.setToolTip(
                    _COLUMN_COUNT,
                    self.tr("Made before a password change: it opens with the password then."),
                )
            self.addTopLevelItem(item)
            if info.path == path:
                self.setCurrentItem(item)

    def _count_text(self, count: int | Uncounted | None, counting: bool) -> str:
        if count is None:
            return "…" if counting else "—"
        if count == Uncounted.OTHER_PASSWORD:
            return self.tr("other password")
        if count == Uncounted.DAMAGED:
            return self.tr("damaged")
        return str(count)

    def selected_position(self) -> int | None:
        """The selected backup's position in the list filled, or None."""
        item = self.currentItem()
        if item is None or not item.isSelected():
            return None
        position = item.data(_COLUMN_DATE, Qt.ItemDataRole.UserRole)
        return int(position) if position is not None else None

    def select_row(self, row: int) -> None:
        item = self.topLevelItem(row)
        if item is not None:
            self.setCurrentItem(item)
            item.setSelected(True)

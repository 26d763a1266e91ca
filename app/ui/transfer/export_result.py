"""The export dialog's last page: what was written where, what the format could not hold,
and, for a plaintext file, the reminder to delete it once it has served."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QPushButton, QWidget

from app.ui.common.columns import column
from app.ui.common.layouts import row
from app.ui.common.symbol import symbol
from app.ui.common.warning_box import WarningBox
from app.ui.common.widgets import heading, plain_label
from app.ui.common.wording import plural

if TYPE_CHECKING:
    from PySide6.QtWidgets import QLabel

    from app.formats.exporters.base import Exporter, ExportReport


class ExportResult(QWidget):
    """`close_button` closes the dialog; Show in folder opens the folder written to."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._folder: Path | None = None
        self.result_title = heading(self.tr("Export finished"), 1.3)
        self.result_label = self._text(self.tr("What was exported"))
        self.left_out_label = self._text(self.tr("What was left out"))
        self.result_warning = WarningBox("")
        self.open_folder_button = QPushButton(self.tr("Show in &folder"))
        self.open_folder_button.clicked.connect(self._open_folder)
        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.setObjectName("primaryButton")
        check = symbol(
            "check", 48, alignment=Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        )
        top = row()
        top.addWidget(check, 0, Qt.AlignmentFlag.AlignTop)
        top.addWidget(self.result_title, 1)
        buttons = row(None, self.open_folder_button, self.close_button)
        column(
            self,
            top,
            self.result_label,
            self.left_out_label,
            self.result_warning,
            None,
            buttons,
            spacing=10,
        )

    @staticmethod
    def _text(name: str) -> QLabel:
        label = plain_label()
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        label.setAccessibleName(name)
        return label

    def show_report(self, report: ExportReport, exporter: Exporter, where: Path) -> None:
        """`report` of `exporter` writing to `where` (a file, or a folder of pictures)."""
        self._folder = where if exporter.folder else where.parent
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
        self.left_out_label.setVisible(bool(report.left_out))
        self.result_warning.setVisible(exporter.plaintext)
        self.result_warning.body.setText(
            self.tr(
                "Not encrypted: anyone who reads it can make your codes. Delete it once it "
                "has served."
            )
        )

    def _open_folder(self) -> None:
        if self._folder is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._folder)))

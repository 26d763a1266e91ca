"""Choosing files and folders: one way to open a file dialog, for every window.

Each dialog opens window-modal (the window stays responsive to its own repaints), is deleted
once closed, and hands the choice to a callback. Where Qt runs offscreen (tests, renders)
Qt's own dialog is used: a platform dialog can be neither driven nor drawn there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QWidget


def _dialog(parent: QWidget, title: str) -> QFileDialog:
    dialog = QFileDialog(parent, title)
    # Qt's documentation: set before any other property, or it is not honoured.
    dialog.setOption(
        QFileDialog.Option.DontUseNativeDialog, QGuiApplication.platformName() == "offscreen"
    )
    return dialog


def _open(dialog: QFileDialog) -> QFileDialog:
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def choose_files(
    parent: QWidget, title: str, filters: Sequence[str], chosen: Callable[[list[Path]], None]
) -> QFileDialog:
    """Existing files, one or several; `filters` as Qt writes them ("Images (*.png)")."""
    dialog = _dialog(parent, title)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
    dialog.setNameFilters(list(filters))
    dialog.filesSelected.connect(lambda files: chosen([Path(file) for file in files]))
    return _open(dialog)


def choose_file(
    parent: QWidget,
    title: str,
    filters: Sequence[str],
    start: str | Path | None,
    chosen: Callable[[Path], None],
) -> QFileDialog:
    """One existing file, starting in `start` when there is one."""
    dialog = _dialog(parent, title)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    dialog.setNameFilters(list(filters))
    if start:
        dialog.setDirectory(str(start))
    dialog.fileSelected.connect(lambda file: chosen(Path(file)))
    return _open(dialog)


def choose_folder(
    parent: QWidget, title: str, start: str | Path | None, chosen: Callable[[str], None]
) -> QFileDialog:
    """A folder (only folders are listed), starting in `start` when there is one."""
    dialog = _dialog(parent, title)
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
    if start:
        dialog.setDirectory(str(start))
    dialog.fileSelected.connect(chosen)
    return _open(dialog)


def choose_new_file(
    parent: QWidget, title: str, suggested: Path, chosen: Callable[[str], None]
) -> QFileDialog:
    """A file to write, `suggested` preselected; the dialog itself asks before replacing."""
    dialog = _dialog(parent, title)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setDirectory(str(suggested.parent))
    dialog.selectFile(suggested.name)
    dialog.fileSelected.connect(chosen)
    return _open(dialog)

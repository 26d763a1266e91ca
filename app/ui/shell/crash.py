"""An unexpected exception shows a dialog with the details, instead of a silent exit.

The traceback names files, lines and exception messages, never local values, so it carries
no secret; our own errors never put one in their messages either.
"""

from __future__ import annotations

import sys
import traceback
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox

_open: list[QMessageBox] = []


def crash_text(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> str:
    return "".join(traceback.format_exception(kind, error, tb))


def show_crash(
    kind: type[BaseException], error: BaseException, tb: TracebackType | None
) -> QMessageBox | None:
    """Print the traceback and show it in a dialog (one at a time)."""
    details = crash_text(kind, error, tb)
    print(details, file=sys.stderr, end="")
    if QApplication.instance() is None or _open:
        return None
    from PySide6.QtCore import Qt  # not before the first window (app.ui.common.qt_names)
    from PySide6.QtWidgets import QMessageBox  # only now: it is slow to load, and rare

    translate = QCoreApplication.translate
    box = QMessageBox(
        QMessageBox.Icon.Critical,
        translate("Crash", "Keyfob"),
        translate("Crash", "Keyfob ran into an unexpected problem."),
    )
    box.setInformativeText(
        translate(
            "Crash",
            "Your vault is safe: changes are saved as they are made. If this happens again, "
            "please report it with the details below.",
        )
    )
    box.setDetailedText(details)
    box.setStandardButtons(QMessageBox.StandardButton.Close)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.finished.connect(lambda _result: _open.clear())
    _open.append(box)
    box.open()
    return box


def install() -> None:
    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        show_crash(kind, error, tb)

    sys.excepthook = hook

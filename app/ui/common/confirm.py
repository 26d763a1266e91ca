"""Asking before doing something that is hard to undo: replace a file, restore a backup.

The question is window-modal and does not block: the action runs when its button is
clicked, and Cancel, Escape or closing the box do nothing. Texts show as typed (they may
quote file names).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from app.ui.common.widgets import message_box


def confirm(
    parent: QWidget,
    title: str,
    question: str,
    action: str,
    then: Callable[[], None],
    *,
    details: str = "",
    role: QMessageBox.ButtonRole = QMessageBox.ButtonRole.AcceptRole,
    cancel_by_default: bool = False,
) -> QMessageBox:
    """Ask `question` with an `action` button and Cancel; `then()` if `action` is clicked.

    `role` places the button the platform's way (DestructiveRole for what destroys data);
    `cancel_by_default` makes Enter cancel, for what must be chosen deliberately.
    """
    box = message_box(QMessageBox.Icon.Question, title, question, parent)
    if details:
        box.setInformativeText(details)
    button = box.addButton(action, role)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    if cancel_by_default:
        box.setDefaultButton(cancel)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def answered() -> None:
        if box.clickedButton() is button:
            then()

    box.finished.connect(answered)
    box.open()
    return box

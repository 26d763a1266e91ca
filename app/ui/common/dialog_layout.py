"""The frame of a dialog that lists things (push enrollments, past sign-in requests): a title,
a line on what the list is, the content, and Close with the dialog's own buttons beside it."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPushButton, QVBoxLayout

from app.ui.common.widgets import heading, muted


def titled_column(dialog: QDialog, title: str, intro: str) -> QVBoxLayout:
    """`dialog`'s column with `title` and `intro` at the top; the caller adds the content."""
    layout = QVBoxLayout(dialog)
    layout.setContentsMargins(18, 16, 18, 14)
    layout.addWidget(heading(title, 1.25))
    layout.addWidget(muted(intro, small=True))
    return layout


def close_buttons(
    dialog: QDialog, *extra: tuple[QPushButton, QDialogButtonBox.ButtonRole]
) -> QDialogButtonBox:
    """Close (and Escape) for `dialog`, with `extra` buttons placed by their roles."""
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    for button, role in extra:
        buttons.addButton(button, role)
    buttons.rejected.connect(dialog.reject)
    return buttons

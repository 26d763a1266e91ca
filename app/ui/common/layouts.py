"""The house layout of Keyfob's windows, written once: the margins of a dialog's content, and
rows of buttons (Cancel and the main action at the right, as the platforms place them)."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLayout, QVBoxLayout, QWidget

# A row's item: a widget, a layout, (a widget, its stretch factor), or None for a stretch.
RowItem = QWidget | QLayout | tuple[QWidget, int] | None


def window_column(window: QWidget, *, bottom: int = 18, spacing: int = 10) -> QVBoxLayout:
    """The column a dialog's content stands in: 22 px from the sides, 20 from the top."""
    layout = QVBoxLayout(window)
    layout.setContentsMargins(22, 20, 22, bottom)
    layout.setSpacing(spacing)
    return layout


def row(*items: RowItem) -> QHBoxLayout:
    """The items side by side; a None is a stretch: `row(None, cancel, ok)` puts the buttons
    at the right."""
    layout = QHBoxLayout()
    for item in items:
        if item is None:
            layout.addStretch(1)
        elif isinstance(item, tuple):
            layout.addWidget(*item)
        elif isinstance(item, QLayout):
            layout.addLayout(item)
        else:
            layout.addWidget(item)
    return layout

"""A widget's content as one column or one row, edge to edge or within given margins.

Built on `layouts.row`: a column is a row turned on its side (Qt's box layouts take either
direction, and space their items by the direction they have), so both read their items the
same way: a widget, a layout, (a widget, its stretch factor), or None for a stretch.
"""

from __future__ import annotations

from PySide6.QtWidgets import QBoxLayout, QWidget

from app.ui.common.layouts import RowItem, row

Margins = tuple[int, int, int, int]


def fill(
    widget: QWidget, layout: QBoxLayout, *, margins: Margins = (0, 0, 0, 0), spacing: int = -1
) -> QBoxLayout:
    """`layout` as `widget`'s, within `margins`; `spacing` -1 leaves the style's."""
    layout.setContentsMargins(*margins)
    if spacing >= 0:
        layout.setSpacing(spacing)
    widget.setLayout(layout)
    return layout


def column(
    widget: QWidget, *items: RowItem, margins: Margins = (0, 0, 0, 0), spacing: int = -1
) -> QBoxLayout:
    """`items` from top to bottom in `widget` (see `fill`)."""
    layout = row(*items)
    layout.setDirection(QBoxLayout.Direction.TopToBottom)
    return fill(widget, layout, margins=margins, spacing=spacing)

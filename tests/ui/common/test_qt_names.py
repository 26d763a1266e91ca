"""The first window sets Qt's enums by name (app.ui.common.qt_names): what it sets is what a
user sees, and a misspelt name fails loudly instead of leaving a label off-centre."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QEnterEvent
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from app.ui.common.qt_names import set_by_name
from app.ui.common.widgets import ErrorLabel, LinkButton, plain_label


def test_properties_set_by_name_take_the_named_keys(qtbot: QtBot) -> None:
    label = QLabel("Unlock Keyfob")
    qtbot.addWidget(label)
    set_by_name(label, "alignment", "AlignHCenter|AlignTop")
    assert label.alignment() == Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
    set_by_name(label, "textInteractionFlags", "TextSelectableByMouse")
    assert label.textInteractionFlags() == Qt.TextInteractionFlag.TextSelectableByMouse


@pytest.mark.parametrize(
    ("name", "keys"),
    [("alignment", "AlignCentre"), ("textFormat", "Plain"), ("no such property", "AlignTop")],
)
def test_a_misspelt_name_is_an_error_and_changes_nothing(
    qtbot: QtBot, name: str, keys: str
) -> None:
    label = QLabel("x")
    qtbot.addWidget(label)
    before = (label.alignment(), label.textFormat())
    with pytest.raises(ValueError, match="QLabel"):
        set_by_name(label, name, keys)
    assert (label.alignment(), label.textFormat()) == before


def test_the_text_helpers_still_show_plain_text(qtbot: QtBot) -> None:
    label = plain_label("<b>x</b>")
    error = ErrorLabel()
    qtbot.addWidget(label)
    qtbot.addWidget(error)
    assert label.textFormat() == Qt.TextFormat.PlainText
    assert error.textFormat() == Qt.TextFormat.PlainText
    assert error.textInteractionFlags() == Qt.TextInteractionFlag.TextSelectableByMouse


def test_a_link_button_shows_the_pointing_hand_once_hovered(qtbot: QtBot) -> None:
    button = LinkButton("Open another vault…")
    qtbot.addWidget(button)
    assert button.isFlat()
    assert button.cursor().shape() == Qt.CursorShape.ArrowCursor  # nothing made before the hover
    point = QPointF(4, 4)
    QApplication.sendEvent(button, QEnterEvent(point, point, point))
    assert button.cursor().shape() == Qt.CursorShape.PointingHandCursor

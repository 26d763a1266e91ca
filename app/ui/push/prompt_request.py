"""The top of the sign-in prompt: which request of the queue this is, who asks and what, and
how long is left.

Every text here comes from the push server and shows as plain text: a site name or a
location must never be taken for markup.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QDateTime, QLocale, QSize, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.account import Account
from app.push.messages import DETAILS_FIELD
from app.ui.common.avatar import AvatarPainter
from app.ui.common.columns import column, fill
from app.ui.common.layouts import row
from app.ui.common.widgets import error_colour, heading, muted, scaled_font
from app.ui.push.manager import Prompt

HURRY_SECONDS: Final = 15
# The rows of the details box, in order; a row shows only when the request fills it in.
# `details` is what other APIs the server speaks add (Duo's pushinfo: "key: value · ...").
DETAIL_ROWS: Final = ("action", "app", "location", "ip", "user_agent", DETAILS_FIELD, "time")


def _local_time(seconds: int) -> str:
    moment = QDateTime.fromSecsSinceEpoch(seconds)
    return QLocale().toString(moment.time(), QLocale.FormatType.ShortFormat)


def _countdown(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


class QueueBar(QWidget):
    """ "SIGN-IN REQUEST", which of the waiting requests shows ("2 of 3"), arrows to step."""

    step_requested = Signal(int)  # -1 the previous request, +1 the next

    def __init__(self) -> None:
        super().__init__()
        self.kind = QLabel(self.tr("SIGN-IN REQUEST"))
        self.kind.setFont(scaled_font(self.kind, 0.85, bold=True))
        self.kind.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.position = muted(small=True)
        self.position.setAccessibleName(self.tr("Request number"))
        self.previous_button = QToolButton()
        self.previous_button.setArrowType(Qt.ArrowType.LeftArrow)
        self.previous_button.setToolTip(self.tr("Previous request"))
        self.previous_button.setAccessibleName(self.tr("Previous request"))
        self.previous_button.clicked.connect(lambda: self.step_requested.emit(-1))
        self.next_button = QToolButton()
        self.next_button.setArrowType(Qt.ArrowType.RightArrow)
        self.next_button.setToolTip(self.tr("Next request"))
        self.next_button.setAccessibleName(self.tr("Next request"))
        self.next_button.clicked.connect(lambda: self.step_requested.emit(1))
        buttons = (self.previous_button, self.next_button)
        fill(self, row(self.kind, None, self.position, *buttons), spacing=6)

    def show_place(self, index: int | None, count: int, showing_result: bool) -> None:
        """The request shown is `index` of `count` waiting (None: it is not one of them)."""
        if index is not None and count > 1:
            self.position.setText(
                self.tr("%1 of %2").replace("%1", str(index + 1)).replace("%2", str(count))
            )
            self.previous_button.setEnabled(index > 0 and not showing_result)
            self.next_button.setEnabled(index < count - 1 and not showing_result)
        elif showing_result and count:
            self.position.setText(self.tr("%n more waiting", "", count))
        else:
            self.position.setText("")
        several = count > 1 and not showing_result
        self.previous_button.setVisible(several)
        self.next_button.setVisible(several)


class RequestView(QWidget):
    """Who asks and what: the site and the account, then the request's details in a box."""

    def __init__(self) -> None:
        super().__init__()
        self._avatars = AvatarPainter()
        column(self, self._identity(), self._details(), spacing=10)

    def _identity(self) -> QHBoxLayout:
        self.avatar = QLabel()
        self.avatar.setFixedSize(QSize(48, 48))
        self.issuer = heading("", 1.5)
        self.issuer.setTextFormat(Qt.TextFormat.PlainText)
        self.issuer.setAccessibleName(self.tr("Site"))
        self.user = muted()
        self.user.setTextFormat(Qt.TextFormat.PlainText)
        self.user.setAccessibleName(self.tr("Account"))
        self.user.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        names = QVBoxLayout()
        names.setSpacing(0)
        names.addWidget(self.issuer)
        names.addWidget(self.user)
        row = QHBoxLayout()
        row.setSpacing(12)
        row.addWidget(self.avatar, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(names, 1)
        return row

    def _details(self) -> QFrame:
        frame = QFrame()
        frame.setObjectName("promptDetails")
        self.details = QFormLayout(frame)
        self.details.setContentsMargins(14, 10, 14, 10)
        self.details.setHorizontalSpacing(16)
        self.details.setVerticalSpacing(5)
        self.details.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        titles = {
            "action": self.tr("Request"),
            "app": self.tr("Application"),
            "location": self.tr("Location"),
            "ip": self.tr("IP address"),
            "user_agent": self.tr("Browser"),
            DETAILS_FIELD: self.tr("Details"),
            "time": self.tr("Time"),
        }
        self.detail_values: dict[str, QLabel] = {}
        for name in DETAIL_ROWS:
            title = QLabel(titles[name])
            title.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            value = QLabel()
            value.setTextFormat(Qt.TextFormat.PlainText)
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setAccessibleName(titles[name])
            self.details.addRow(title, value)
            self.detail_values[name] = value
        return frame

    def show_request(self, prompt: Prompt) -> None:
        challenge = prompt.challenge
        self.issuer.setText(challenge.issuer)
        self.user.setText(challenge.user)
        stand_in = Account(secret=bytes(10), issuer=challenge.issuer, name=challenge.user)
        self.avatar.setPixmap(self._avatars.pixmap(stand_in, 48, self.devicePixelRatioF()))
        # The server's times, moved to our clock by the offset the session measured.
        offset = challenge.expires_at - prompt.local_expires_at
        values = {name: challenge.context.get(name, "") for name in DETAIL_ROWS}
        values["action"] = challenge.action
        values["time"] = _local_time(challenge.created_at - offset)
        for index, name in enumerate(DETAIL_ROWS):
            self.detail_values[name].setText(values[name])
            self.details.setRowVisible(index, bool(values[name]))


class Countdown(QWidget):
    """A bar of the time left and "1:47 left", both turning red in the last 15 seconds."""

    def __init__(self) -> None:
        super().__init__()
        self._hurry: bool | None = None
        self.time_bar = QProgressBar()
        self.time_bar.setTextVisible(False)
        self.time_bar.setFixedHeight(6)
        self.time_bar.setAccessibleName(self.tr("Time left"))
        self.time_left = muted(small=True)
        self.time_left.setAccessibleName(self.tr("Time left"))
        self.time_left.setMinimumWidth(70)
        self.time_left.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        fill(self, row((self.time_bar, 1), self.time_left), spacing=10)

    def start(self, total: int) -> None:
        """A request of `total` seconds in all shows."""
        self.time_bar.setRange(0, total)
        self.time_bar.show()

    def recolour(self) -> None:
        """Colour anew at the next `show_left` (the palette may have changed)."""
        self._hurry = None

    def show_left(self, left: int) -> None:
        self.time_bar.setValue(min(left, self.time_bar.maximum()))
        self.time_left.setText(self.tr("%1 left").replace("%1", _countdown(left)))
        hurry = left <= HURRY_SECONDS
        if hurry is self._hurry:
            return  # restyling twice a second would cost for nothing
        self._hurry = hurry
        colour = error_colour(self) if hurry else ""
        self.time_left.setStyleSheet(f"color: {colour};" if colour else "")
        accent = QColor(colour) if hurry else self.palette().color(QPalette.ColorRole.Highlight)
        self.time_bar.setStyleSheet(
            "QProgressBar { border: none; border-radius: 3px;"
            " background: rgba(127,127,127,0.22); }"
            f"QProgressBar::chunk {{ border-radius: 3px; background: {accent.name()}; }}"
        )

    def stop(self) -> None:
        """The request is over: no time to show."""
        self.time_left.setText("")
        self.time_bar.hide()

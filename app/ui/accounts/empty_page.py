"""What the main window shows instead of the list while the vault holds no account: how to
add the first one (scan the screen, other ways) or bring them from another authenticator."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QPushButton, QVBoxLayout

from app.ui.accounts.actions import WindowActions
from app.ui.common.layouts import row
from app.ui.common.resources import icon
from app.ui.common.symbol import symbol
from app.ui.common.widgets import heading, muted


class EmptyPage(QFrame):
    def __init__(self, actions: WindowActions) -> None:
        super().__init__()
        self.setObjectName("emptyPage")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(40, 20, 40, 40)
        layout.addStretch(1)
        layout.addWidget(symbol("qr", 64))
        layout.addSpacing(8)
        title = heading(self.tr("No accounts yet"), 1.3)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(title)
        text = muted(
            self.tr(
                "Turn on two-factor authentication on a site, leave its QR code on the "
                "screen and choose Scan screen. You can also drop a picture of the code here."
            )
        )
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(text)
        layout.addSpacing(12)
        self.scan_button = QPushButton(self.tr("Scan screen"))
        self.scan_button.setObjectName("primaryButton")
        self.scan_button.clicked.connect(actions["scan"].trigger)
        other = QPushButton(icon("add"), self.tr("Other ways…"))
        other.clicked.connect(actions["add"].trigger)
        layout.addLayout(row(None, self.scan_button, other, None))
        layout.addSpacing(6)
        self.import_button = QPushButton(
            self.tr("Moving from another authenticator? Import its accounts…")
        )
        self.import_button.setFlat(True)
        self.import_button.clicked.connect(actions["import"].trigger)
        layout.addWidget(self.import_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)

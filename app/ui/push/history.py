"""The history of push sign-in requests on screen: a dialog of past requests and the words
for how each ended. The history itself (entries, saving into the vault) is app.push.history.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QDateTime, QLocale, QSize, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from app.push.history import PENDING, UNANSWERED, HistoryEntry, PushHistory
from app.push.messages import DETAILS_FIELD
from app.ui.common.dialog_layout import close_buttons, titled_column
from app.ui.common.widgets import muted, plain_tooltip


def _translate(text: str) -> str:
    return QCoreApplication.translate("PushHistory", text)


def describe_outcome(outcome: str, elsewhere: bool = False) -> str:
    """How a request ended, in words; `elsewhere` when another device of the user decided."""
    if elsewhere:
        texts = {
            "approved": _translate("Approved on another device"),
            "denied": _translate("Denied on another device"),
            "fraud": _translate("Reported on another device"),
            "wrong_number": _translate("Wrong number typed on another device"),
        }
        if outcome in texts:
            return texts[outcome]
    return {
        "approved": _translate("Approved"),
        "denied": _translate("Denied"),
        "fraud": _translate("Reported: it wasn't me"),
        "wrong_number": _translate("Refused: wrong number"),
        "expired": _translate("Expired"),
        "cancelled": _translate("Cancelled by the site"),
        "invalid": _translate("Not accepted by the server"),
        PENDING: _translate("Waiting for an answer"),
        UNANSWERED: _translate("No answer (Keyfob was closed)"),
    }.get(outcome, outcome)


def _when(seconds: int) -> str:
    moment = QDateTime.fromSecsSinceEpoch(seconds)
    return QLocale().toString(moment, QLocale.FormatType.ShortFormat)


def describe_request(entry: HistoryEntry) -> str:
    """ "Sign in · Webmail · Lyon, France · 203.0.113.7", then the details a site added."""
    parts = [entry.action]
    context = entry.context
    parts += [context[k] for k in ("app", "location", "ip", DETAILS_FIELD) if context.get(k)]
    return " · ".join(p for p in parts if p)


class HistoryDialog(QDialog):
    """The past requests, newest first, with how each ended."""

    def __init__(self, parent: QWidget | None, history: PushHistory) -> None:
        super().__init__(parent)
        self.history = history
        self.setWindowTitle(self.tr("Sign-in requests"))
        self.setMinimumSize(QSize(720, 360))
        self.tree = QTreeWidget()
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setAccessibleName(self.tr("Past sign-in requests"))
        self.tree.setHeaderLabels(
            [self.tr("When"), self.tr("Site and account"), self.tr("Request"), self.tr("Outcome")]
        )
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.empty = muted(self.tr("No sign-in request has arrived yet."))
        self.clear_button = QPushButton(self.tr("C&lear history"))
        self.clear_button.clicked.connect(self._clear)
        layout = titled_column(
            self,
            self.tr("Sign-in requests"),
            self.tr("Push requests this computer received. Saved in the vault, not elsewhere."),
        )
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.empty)
        layout.addWidget(
            close_buttons(self, (self.clear_button, QDialogButtonBox.ButtonRole.ResetRole))
        )
        self.refresh()

    def refresh(self) -> None:
        self.tree.clear()
        newest_first = sorted(self.history.entries, key=lambda e: e.received_at, reverse=True)
        for entry in newest_first:
            site = f"{entry.issuer} — {entry.user}" if entry.user else entry.issuer
            item = QTreeWidgetItem(
                [
                    _when(entry.received_at),
                    site,
                    describe_request(entry),
                    describe_outcome(entry.outcome, entry.elsewhere),
                ]
            )
            context = "\n".join(f"{k}: {v}" for k, v in entry.context.items())
            item.setToolTip(2, plain_tooltip(context))  # the server's words, shown as sent
            item.setData(0, Qt.ItemDataRole.UserRole, entry.challenge_id)
            self.tree.addTopLevelItem(item)
        empty = not self.history.entries
        self.tree.setVisible(not empty)
        self.empty.setVisible(empty)
        self.clear_button.setEnabled(not empty)

    def _clear(self) -> None:
        self.history.clear()
        self.refresh()

"""The history of push sign-in requests: what was asked, from where, and how it ended.

Kept in memory while Keyfob runs (requests also arrive while it is locked) and saved inside
the vault, with each enrollment's entry in the `push` list (`"history"`), so it is as
private as the enrollments themselves. Entries hold no key, no number and no password.
Saving happens when the vault closes (lock or quit), not after every request: every save
rotates the vault's backups, and a few sign-ins must not push real backups out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from PySide6.QtCore import QCoreApplication, QDateTime, QLocale, QSize, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.ui.widgets import heading, muted, plain_tooltip

HISTORY_KEY: Final = "history"
MAX_PER_ENROLLMENT: Final = 50
PENDING: Final = "pending"
UNANSWERED: Final = "unanswered"  # Keyfob closed before the request ended
_CONTEXT_KEYS: Final = ("app", "ip", "location", "user_agent")
_MAX_TEXT: Final = 256


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


def _text(data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    return value[:_MAX_TEXT] if isinstance(value, str) else ""


def _int(data: Mapping[str, Any], name: str) -> int | None:
    value = data.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@dataclass
class HistoryEntry:
    device_id: str
    challenge_id: str
    issuer: str
    user: str
    action: str
    context: dict[str, str]
    created_at: int  # by the server's clock
    received_at: int  # by ours
    outcome: str = PENDING
    elsewhere: bool = False
    ended_at: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.device_id, self.challenge_id

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.challenge_id,
            "issuer": self.issuer,
            "user": self.user,
            "action": self.action,
            "context": dict(self.context),
            "created_at": self.created_at,
            "received_at": self.received_at,
            "outcome": self.outcome,
            "elsewhere": self.elsewhere,
            "ended_at": self.ended_at,
        }

    @classmethod
    def from_dict(cls, device_id: str, data: object) -> HistoryEntry | None:
        """An entry as saved, or None when it is not one (skipped, never fatal)."""
        if not isinstance(data, Mapping):
            return None
        challenge_id = _text(data, "id")
        received_at = _int(data, "received_at")
        if not challenge_id or received_at is None:
            return None
        raw_context = data.get("context")
        context: dict[str, str] = {}
        if isinstance(raw_context, Mapping):
            for key in _CONTEXT_KEYS:
                value = raw_context.get(key)
                if isinstance(value, str):
                    context[key] = value[:_MAX_TEXT]
        outcome = _text(data, "outcome") or UNANSWERED
        return cls(
            device_id=device_id,
            challenge_id=challenge_id,
            issuer=_text(data, "issuer"),
            user=_text(data, "user"),
            action=_text(data, "action"),
            context=context,
            created_at=_int(data, "created_at") or received_at,
            received_at=received_at,
            # A request still waiting when Keyfob closed ended without us.
            outcome=UNANSWERED if outcome == PENDING else outcome,
            elsewhere=data.get("elsewhere") is True,
            ended_at=_int(data, "ended_at"),
        )


@dataclass
class PushHistory:
    """Every request seen, oldest first; `dirty` while some are not saved in the vault."""

    entries: list[HistoryEntry] = field(default_factory=list)
    dirty: bool = False

    def add(self, entry: HistoryEntry) -> None:
        if self.find(*entry.key) is None:
            self.entries.append(entry)
            self.dirty = True

    def find(self, device_id: str, challenge_id: str) -> HistoryEntry | None:
        for entry in reversed(self.entries):
            if entry.key == (device_id, challenge_id):
                return entry
        return None

    def finish(
        self, device_id: str, challenge_id: str, outcome: str, *, elsewhere: bool, ended_at: int
    ) -> None:
        entry = self.find(device_id, challenge_id)
        if entry is not None and entry.outcome == PENDING:
            entry.outcome = outcome
            entry.elsewhere = elsewhere
            entry.ended_at = ended_at
            self.dirty = True

    def clear(self) -> None:
        self.entries.clear()
        self.dirty = True

    def keep_only(self, device_ids: set[str]) -> None:
        """Forget the requests of enrollments that were removed."""
        kept = [e for e in self.entries if e.device_id in device_ids]
        if len(kept) != len(self.entries):
            self.entries = kept
            self.dirty = True

    def load(self, push: list[dict[str, Any]]) -> None:
        """Merge what the vault holds; entries already in memory are newer and win."""
        stored: list[HistoryEntry] = []
        for enrollment in push:
            device_id = enrollment.get("device_id")
            saved = enrollment.get(HISTORY_KEY)
            if not isinstance(device_id, str) or not isinstance(saved, list):
                continue
            for item in saved:
                entry = HistoryEntry.from_dict(device_id, item)
                if entry is not None and self.find(*entry.key) is None:
                    stored.append(entry)
        if stored:
            self.entries = sorted([*stored, *self.entries], key=lambda e: e.received_at)

    def store(self, push: list[dict[str, Any]]) -> None:
        """Write the entries into the vault's enrollment objects (inside `Vault.modify`)."""
        for enrollment in push:
            device_id = enrollment.get("device_id")
            mine = [e for e in self.entries if e.device_id == device_id]
            if mine:
                enrollment[HISTORY_KEY] = [e.to_dict() for e in mine[-MAX_PER_ENROLLMENT:]]
            else:
                enrollment.pop(HISTORY_KEY, None)


def _when(seconds: int) -> str:
    moment = QDateTime.fromSecsSinceEpoch(seconds)
    return QLocale().toString(moment, QLocale.FormatType.ShortFormat)


def describe_request(entry: HistoryEntry) -> str:
    parts = [entry.action]
    context = entry.context
    parts += [context[k] for k in ("app", "location", "ip") if context.get(k)]
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
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.clear_button, QDialogButtonBox.ButtonRole.ResetRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.addWidget(heading(self.tr("Sign-in requests"), 1.25))
        layout.addWidget(
            muted(
                self.tr("Push requests this computer received. Saved in the vault, not elsewhere."),
                small=True,
            )
        )
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.empty)
        layout.addWidget(buttons)
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

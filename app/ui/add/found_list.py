"""The add window's list of what was found: each account and push sign-in set-up with a check
box, and above it how far each Google Authenticator export has been read.

New accounts come checked; those already in Keyfob are shown greyed and cannot be checked;
once added (while an export's other QR codes are still awaited) an account is greyed too.
The rows point into the window's `Harvest`, which keeps what they stand for.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from app.core.account import Account
from app.ui.add.harvest import Found, Harvest, PushFound, TakeResult
from app.ui.common.avatar import AvatarPainter
from app.ui.common.columns import column
from app.ui.common.resources import icon
from app.ui.common.widgets import plain_label, show_check_boxes_on_dark

_FOUND_ROLE = Qt.ItemDataRole.UserRole  # an account's index in harvest.found
_PUSH_ROLE = Qt.ItemDataRole.UserRole + 1  # a push set-up's index in harvest.push_found
_CHOOSABLE = (
    Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable
)


def _set_aside(item: QListWidgetItem) -> None:
    """Unchecked and greyed: shown, but no longer to be chosen."""
    item.setFlags(Qt.ItemFlag.ItemIsSelectable)
    item.setCheckState(Qt.CheckState.Unchecked)


class FoundList(QWidget):
    """`changed` when a check box is changed."""

    changed = Signal()

    def __init__(self, harvest: Harvest, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.harvest = harvest
        self._avatars = AvatarPainter()
        self.list = QListWidget()
        self.list.setAccessibleName(self.tr("Accounts found"))
        self.list.setIconSize(QSize(32, 32))
        self.list.setSpacing(2)
        self.list.itemChanged.connect(self.changed)
        show_check_boxes_on_dark(self.list)
        self.batch_label = plain_label()
        self.batch_label.setWordWrap(True)
        self.batch_label.setAccessibleName(self.tr("Export progress"))
        self.batch_label.hide()
        column(self, self.batch_label, self.list)

    # --- filling ---------------------------------------------------------------------------

    def show_result(self, result: TakeResult) -> None:
        """Add the rows for what `result` found, and say how far each export was read."""
        for found in result.added:
            self._add_account(found)
        for push in result.push:
            self._add_push(push)
        self._show_batches()

    def _add_account(self, found: Found) -> None:
        account = found.account
        title = account.issuer or account.name
        detail = account.name if account.issuer else ""
        text = f"{title}\n{detail}" if detail else title
        if found.duplicate:
            text += "  " + self.tr("(already in Keyfob)")
        item = QListWidgetItem(text)
        item.setIcon(QIcon(self._avatars.pixmap(account, 32, self.devicePixelRatioF())))
        position = next(i for i, f in enumerate(self.harvest.found) if f is found)
        item.setData(_FOUND_ROLE, position)
        if found.duplicate:
            _set_aside(item)
        else:
            item.setFlags(_CHOOSABLE)
            item.setCheckState(Qt.CheckState.Checked)
        self.list.addItem(item)

    def _add_push(self, push: PushFound) -> None:
        item = QListWidgetItem(
            self.tr("Set up push sign-in for %1 / %2")
            .replace("%1", push.issuer)
            .replace("%2", push.user)
            + "\n"
            + self.tr("Approve sign-ins here (server %1)").replace("%1", push.server)
        )
        item.setIcon(icon("push"))
        item.setData(_PUSH_ROLE, self.harvest.push_found.index(push))
        item.setFlags(_CHOOSABLE)
        item.setCheckState(Qt.CheckState.Checked)
        self.list.addItem(item)

    def _show_batches(self) -> None:
        lines = []
        for batch in self.harvest.progress.exports:
            if batch.complete:
                lines.append(
                    self.tr("Google Authenticator export: all %1 QR codes read.").replace(
                        "%1", str(batch.size)
                    )
                )
            else:
                missing = ", ".join(str(n) for n in batch.missing())
                lines.append(
                    self.tr(
                        "Google Authenticator export: QR %1 of %2 read — scan the next one "
                        "(still missing: %3)."
                    )
                    .replace("%1", str(len(batch.read)))
                    .replace("%2", str(batch.size))
                    .replace("%3", missing)
                )
        self.batch_label.setText("\n".join(lines))
        self.batch_label.setVisible(bool(lines))

    def summary(self, result: TakeResult, nothing: str) -> tuple[str, bool]:
        """What to say about `result`, and whether it is a problem (nothing usable was found);
        `nothing` when there is nothing else to say."""
        messages: list[str] = []
        problem = False
        new = [f for f in result.added if not f.duplicate]
        duplicates = [f for f in result.added if f.duplicate]
        if new:
            messages.append(
                self.tr("Found a new account.")
                if len(new) == 1
                else self.tr("Found %n new accounts.", "", len(new))
            )
        if duplicates:
            messages.append(
                self.tr("One account is already in Keyfob and will be skipped.")
                if len(duplicates) == 1
                else self.tr(
                    "%n accounts are already in Keyfob and will be skipped.", "", len(duplicates)
                )
            )
        for push in result.push:
            messages.append(
                self.tr("Found a push sign-in set-up for %1.").replace("%1", push.issuer)
            )
        if result.repeated and not result.added and not result.push:
            messages.append(self.tr("Already in the list below."))
        if result.not_otp and not result.added and not result.push:
            messages.append(
                self.tr("A QR code was found, but it is not a two-factor setup code.")
                if result.not_otp == 1
                else self.tr("The QR codes found are not two-factor setup codes.")
            )
            problem = True
        for text in result.problems:
            messages.append(self.tr("Not usable: %1").replace("%1", text))
            problem = True
        if not messages:
            messages.append(nothing)
            problem = True
        return " ".join(messages), problem and not new and not result.push

    # --- the choice ------------------------------------------------------------------------

    def _checked(self, role: int) -> list[tuple[QListWidgetItem, int]]:
        """The checked rows of one kind (accounts or push set-ups), with their index."""
        rows = []
        for row in range(self.list.count()):
            item = self.list.item(row)
            index = item.data(role)
            if index is not None and item.checkState() == Qt.CheckState.Checked:
                rows.append((item, int(index)))
        return rows

    def chosen_accounts(self) -> list[Account]:
        """The checked accounts that are not in Keyfob yet."""
        found = [self.harvest.found[index] for _item, index in self._checked(_FOUND_ROLE)]
        return [f.account for f in found if not f.duplicate]

    def chosen_push(self) -> list[PushFound]:
        return [self.harvest.push_found[index] for _item, index in self._checked(_PUSH_ROLE)]

    def mark_added(self) -> None:
        """The checked accounts were added: they are in Keyfob now, and say so."""
        for item, index in self._checked(_FOUND_ROLE):
            self.harvest.found[index].duplicate = True
            _set_aside(item)
            item.setText(item.text() + "  " + self.tr("(added)"))

    def mark_push_sent(self) -> None:
        """The checked push set-ups were handed on to be set up: not to be chosen again."""
        for item, _index in self._checked(_PUSH_ROLE):
            _set_aside(item)

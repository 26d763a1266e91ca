"""Following the vault while the app runs: a vault in a synced folder changes under it.

When the watcher reports a change (or the vault has just been opened), `take_in` merges the
file another Keyfob or a sync tool wrote (Vault.refresh), merges the conflict copies sync
tools leave beside it and moves them into the backups folder (app.vault.conflict_copies),
and says what came in with a notice at the foot of the window. A copy under another
password (changed on another computer) is asked for once, in its own dialog; "Not now"
means not again in this run. A file left alone (another vault, damaged) gets one message:
the vault layer reports each only once.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, Signal
from PySide6.QtWidgets import QDialog, QMessageBox

from app.core.errors import KeyfobError
from app.ui.common.widgets import message_box
from app.ui.common.wording import plural

if TYPE_CHECKING:
    from app.ui.accounts.main_window import MainWindow
    from app.ui.shell.copy_password import CopyPasswordDialog
    from app.vault.conflict_copies import (
        ConflictCopy,
        ConflictOutcome,
        CopyLeftAlone,
        CopyMerged,
    )
    from app.vault.merge import MergeReport
    from app.vault.store import Vault

NOTICE_MS = 6000  # long enough to read two lines


def _tr(text: str) -> str:
    return QCoreApplication.translate("SyncFollow", text)


def describe_changes(reports: Iterable[MergeReport]) -> str:
    """What merges brought in, counted: "2 accounts added, 1 account changed"."""
    added = changed = removed = 0
    for report in reports:
        added += len(report.added)
        changed += len(report.changed)
        removed += len(report.removed)
    parts = []
    if added:
        parts.append(plural(added, _tr("1 account added"), _tr("%n accounts added")))
    if changed:
        parts.append(plural(changed, _tr("1 account changed"), _tr("%n accounts changed")))
    if removed:
        parts.append(plural(removed, _tr("1 account removed"), _tr("%n accounts removed")))
    return ", ".join(parts) or _tr("no account changed")


def merged_copies_notice(merged: list[CopyMerged]) -> str:
    """The notice for conflict copies merged: which tool made them, what they brought."""
    what = describe_changes(item.report for item in merged)
    if len(merged) == 1:
        text = _tr("Merged the %1 conflict copy: %2.").replace("%1", merged[0].copy.tool)
    else:
        text = _tr("Merged %1 conflict copies: %2.").replace("%1", str(len(merged)))
    kept = plural(
        len(merged),
        _tr("The copy is kept in the backups folder."),
        _tr("The copies are kept in the backups folder."),
    )
    return text.replace("%2", what) + "\n" + kept


class SyncFollow(QObject):
    """The open vault's changes on disk, taken in and shown over its main window.

    Made once per run (what the user declined holds until the app quits); `attach` at each
    unlock, `detach` at each lock. `changed` says the accounts changed outside `take_in` (a
    copy merged with its password): the window must show them.
    """

    changed = Signal()
    key_changed = Signal(str)  # the file has another key now: only the password opens it

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._vault: Vault | None = None
        self._main: MainWindow | None = None
        self._declined: set[Path] = set()  # "Not now": not asked again in this run
        self._waiting: list[ConflictCopy] = []  # copies whose password is to be asked
        self.asking: CopyPasswordDialog | None = None
        self.paused = False  # Settings is moving the vault file

    def attach(self, vault: Vault, main: MainWindow) -> None:
        self._vault, self._main = vault, main

    def detach(self) -> None:
        """The vault locks: its window (and any password dialog over it) goes."""
        self._vault = self._main = self.asking = None
        self._waiting = []
        self.paused = False

    def moving(self, started: bool) -> None:
        """Settings moves the vault file (True), or is done (False). Meanwhile the old file
        going is no change to take in; what waits in memory goes into the file about to
        move (the push history, saved at each lock, follows the vault by itself)."""
        self.paused = started
        if started and self._main is not None:
            self._main.editor.save_pending()

    # --- taking changes in -----------------------------------------------------------------

    def take_in(self) -> None:
        """Merge what changed on disk and say what came in: `changed` if the accounts did,
        `key_changed(message)` if the file has another key now (the password was changed
        elsewhere), a message over the window if it cannot be read."""
        vault, main = self._vault, self._main
        if vault is None or main is None or self.paused:
            return
        from app.vault.errors import VaultConflictError

        try:
            changed = self._merge(vault, main)
        except VaultConflictError as error:
            self.key_changed.emit(str(error))
            return
        except KeyfobError as error:
            main.show_problem(_tr("The vault file changed and cannot be read."), str(error))
            return
        if changed:
            self.changed.emit()

    def _merge(self, vault: Vault, main: MainWindow) -> bool:
        """The merges themselves, and what they are said with; True if the accounts changed."""
        before = vault.last_reload
        changed = vault.refresh()
        lines = []
        report = vault.last_reload
        if changed and report is not None and report is not before and report.anything:
            # Another Keyfob (the CLI, or another computer through the sync tool) saved.
            lines.append(
                _tr("Merged changes from another Keyfob: %1.").replace(
                    "%1", describe_changes([report])
                )
            )
        # Copies merged by our own saves meanwhile, then those that appeared since.
        outcomes: list[ConflictOutcome] = [
            *vault.conflict_news(),
            vault.take_in_conflict_copies(),
        ]
        merged = [item for outcome in outcomes for item in outcome.merged]
        if merged:
            changed = True
            lines.append(merged_copies_notice(merged))
        if lines:
            main.toast.show_message("\n".join(lines), NOTICE_MS)
        left = [item for outcome in outcomes for item in outcome.left_alone]
        if left:
            self.say_left_alone(main, left)
        for outcome in outcomes:
            for needs in outcome.needs_password:
                self._ask_later(needs.copy)
        self._ask_next()
        return changed

    def say_left_alone(self, main: MainWindow, left: list[CopyLeftAlone]) -> QMessageBox:
        if len(left) == 1:
            text = _tr("Keyfob did not merge “%1”").replace("%1", left[0].copy.path.name)
        else:
            text = _tr("Keyfob did not merge %1 files beside the vault").replace(
                "%1", str(len(left))
            )
        box = message_box(QMessageBox.Icon.Information, _tr("Keyfob"), text, main)
        lines = [
            _tr("This %1 conflict copy is left where it is: %2.")
            .replace("%1", item.copy.tool)
            .replace("%2", item.reason)
            if len(left) == 1
            else _tr("“%1” (%2): %3.")
            .replace("%1", item.copy.path.name)
            .replace("%2", item.copy.tool)
            .replace("%3", item.reason)
            for item in left
        ]
        lines.append(
            _tr("Keyfob does not mention it again. Move or delete it once you no longer need it.")
        )
        box.setInformativeText("\n\n".join(lines))
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        return main.dialogs.open("conflict-left-alone", box)

    # --- copies under another password ------------------------------------------------------

    def _ask_later(self, copy: ConflictCopy) -> None:
        asked = self.asking.copy.path if self.asking is not None else None
        known = {waiting.path for waiting in self._waiting} | self._declined
        if copy.path != asked and copy.path not in known:
            self._waiting.append(copy)

    def _ask_next(self) -> None:
        vault, main = self._vault, self._main
        if self.asking is not None or not self._waiting or vault is None or main is None:
            return
        from app.ui.shell.copy_password import CopyPasswordDialog

        copy = self._waiting.pop(0)
        dialog = CopyPasswordDialog(main, vault, copy)
        dialog.merged.connect(self._merged_with_password)
        dialog.finished.connect(lambda result: self._answered(dialog, result))
        self.asking = dialog
        main.dialogs.open("conflict-password", dialog)

    def _answered(self, dialog: CopyPasswordDialog, result: int) -> None:
        # A dialog closed by a lock (detached first) is no answer: asked again at the unlock.
        if self.asking is not dialog:
            return
        self.asking = None
        if result != QDialog.DialogCode.Accepted.value:
            self._declined.add(dialog.copy.path)  # "Not now"
        self._ask_next()

    def _merged_with_password(self, merged: CopyMerged) -> None:
        if self._main is not None:
            self._main.toast.show_message(merged_copies_notice([merged]), NOTICE_MS)
        self.changed.emit()

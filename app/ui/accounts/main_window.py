"""The main window: the header, the account list, its codes and copying them.

The rest is handed to parts, each in its own module: the actions and menus (actions), every
change to the accounts (editor, through the Qt-free service tier the CLI uses too), adding
(adding), an account's secret (secrets), moving accounts (transfer.flows), settings and the
password (settings.flows). Their dialogs open through one `DialogHost` (`self.dialogs`).
The list is rebuilt from the vault's content after each write and after the file watcher
notices another program's save.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPoint, QSize, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QMainWindow,
    QMenu,
    QMessageBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.core.account import Account
from app.core.clock import Clock
from app.ui.accounts.account_model import AccountModel
from app.ui.accounts.account_view import AccountListView, is_typing
from app.ui.accounts.actions import WindowActions
from app.ui.accounts.adding import AddFlow
from app.ui.accounts.editor import AccountEditing
from app.ui.accounts.empty_page import EmptyPage
from app.ui.accounts.header import GroupChoice, Header
from app.ui.accounts.live_codes import DriftBanner, LiveCodes
from app.ui.accounts.secrets import SecretFlow
from app.ui.common.clipboard import SecretClipboard
from app.ui.common.dialog_host import DialogHost
from app.ui.common.resources import app_icon
from app.ui.common.settings import Settings, SortMode
from app.ui.common.widgets import Toast, message_box
from app.ui.settings.flows import SettingsFlows
from app.ui.transfer.extra_backup import BackupProblemBanner, ExtraBackup
from app.ui.transfer.flows import TransferFlows

if TYPE_CHECKING:
    from app.ui.add.screen import ScreenSource
    from app.vault.store import Vault


class MainWindow(QMainWindow):
    lock_requested = Signal()
    quit_requested = Signal()
    accounts_changed = Signal()
    push_enroll_requested = Signal(str)  # a keyfob://enroll link chosen in the add window

    def __init__(
        self,
        vault: Vault,
        settings: Settings,
        clock: Clock,
        clipboard: SecretClipboard,
        *,
        screen_source: ScreenSource | None = None,
        camera_check: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__()
        self.vault = vault
        self.settings = settings
        self.clock = clock
        self.clipboard = clipboard
        self.tray_available = False
        self.setWindowTitle(self.tr("Keyfob"))
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)

        self.dialogs = DialogHost(self)
        self.editor = AccountEditing(self, self.dialogs)
        self.secrets = SecretFlow(self, self.dialogs)
        self.transfer_flows = TransferFlows(vault, self.dialogs)
        self.adding = AddFlow(
            self, self.dialogs, screen_source=screen_source, camera_check=camera_check
        )

        self.codes = LiveCodes(self, clock, settings, clipboard, self.editor)
        self.model = AccountModel(self)
        self.model.set_sort(settings.sort_mode)
        self.model.describe = self.codes.describe
        self.view = AccountListView(self.codes.delegate, self.model)

        self.window_actions = WindowActions(self, self, settings.sort_mode)
        # Where push sign-in puts its menu entry (before Settings).
        self.main_menu = self.window_actions.main_menu
        self.settings_action = self.window_actions["settings"]
        self.extra_backup = ExtraBackup(vault.path, settings, self)
        self.accounts_changed.connect(self.extra_backup.vault_changed)
        self.settings_flows = SettingsFlows(self, self.dialogs)
        self._build_ui()
        self._connect()
        self.reload()
        self.model.set_group(settings.group if self.group_box.offers(settings.group) else "")
        self.codes.show_in(self.view, self.toast)
        geometry = settings.geometry("main")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(QSize(560, 680))

    # --- building --------------------------------------------------------------------------

    def _build_ui(self) -> None:
        self.header = Header(self.window_actions, self.adding.open)  # push adds its button
        self.search = self.header.search
        self.group_box: GroupChoice = self.header.group_box
        self.lock_button = self.header.lock_button

        self.drift_banner = DriftBanner(self.clock)

        self.backup_banner = BackupProblemBanner(self.extra_backup)
        self.backup_banner.settings_requested.connect(self.settings_flows.open_settings)

        self.pages = QStackedWidget()
        self.pages.addWidget(self.view)
        self.pages.addWidget(EmptyPage(self.window_actions))

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(self.header)
        layout.addWidget(self.drift_banner)
        layout.addWidget(self.backup_banner)
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        self.toast: Toast = Toast(central)

        self.setTabOrder(self.search, self.view)
        self.setTabOrder(self.view, self.group_box)
        self.setTabOrder(self.group_box, self.header.add_button)
        self.setTabOrder(self.header.add_button, self.lock_button)
        self.setTabOrder(self.lock_button, self.header.menu_button)

    def _connect(self) -> None:
        self.search.textChanged.connect(self._search_changed)
        self.search.moved.connect(self.view.move_current)
        self.search.activated.connect(self.codes.copy_selected)
        self.search.copy_requested.connect(self.codes.copy_selected)
        self.search.paste_requested.connect(self.adding.paste)
        self.view.copy_requested.connect(self.codes.copy_index)
        self.view.next_code_requested.connect(self.codes.next_hotp_index)
        self.view.text_typed.connect(self._type_into_search)
        self.view.menu_requested.connect(self.show_context_menu)
        self.model.order_changed.connect(self.editor.reorder)
        self.group_box.activated.connect(self._group_chosen)
        self.settings.changed.connect(self._setting_changed)
        self.adding.push_enroll_requested.connect(self.push_enroll_requested)
        self.transfer_flows.imported.connect(self._imported)
        self.transfer_flows.restored.connect(self._backup_restored)
        self.transfer_flows.lock_requested.connect(self.lock_requested)
        self.transfer_flows.problem.connect(self.show_problem)
        self.settings_flows.drift_measured.connect(self.set_drift)
        self.settings_flows.notice.connect(self.toast.show_message)

    # --- state from the vault --------------------------------------------------------------

    def reload(self) -> None:
        """Show the vault's content (after a write, or another program's save)."""
        content = self.vault.content
        accounts = self.editor.shown(content.accounts)
        current = self.selected_account()
        scroll = self.view.verticalScrollBar().value()
        self.model.set_accounts(accounts)
        self._update_groups(content.groups, accounts)
        self.pages.setCurrentIndex(0 if accounts else 1)
        self._update_placeholder()
        row = self.model.row_of(current.uuid) if current is not None else None
        self.view.verticalScrollBar().setValue(scroll)
        self.view.select_row(row if row is not None else 0, scroll=False)
        self.accounts_changed.emit()

    def _update_groups(self, groups: list[str], accounts: list[Account]) -> None:
        names = list(dict.fromkeys([*groups, *(g for a in accounts for g in a.groups)]))
        chosen = self.model.group
        self.group_box.show_groups(names, chosen)
        if chosen and chosen not in names:
            self.set_group("")

    def _update_placeholder(self) -> None:
        text = self.search.text().strip()
        if text:
            self.view.set_placeholder(self.tr("No account matches “%1”.").replace("%1", text))
        else:
            self.view.set_placeholder(self.tr("No account in this group."))

    def _imported(self, added: list[Account]) -> None:
        self.reload()
        if added:
            self.select_account(added[-1].uuid)

    def _backup_restored(self) -> None:
        self.reload()
        self.toast.show_message(self.tr("Backup restored."), 3000)

    # --- selection and search --------------------------------------------------------------

    def selected_account(self) -> Account | None:
        return self.view.selected_account()

    def select_account(self, uuid: str) -> None:
        self.view.select_account(uuid)

    def _search_changed(self, text: str) -> None:
        self.model.set_filter(text)
        self._update_placeholder()
        self.view.select_row(0)

    def _type_into_search(self, text: str) -> None:
        self.search.setFocus()
        self.search.insert(text)

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Typing anywhere goes to the search field (the list forwards its own keys).
        if is_typing(event) and event.text() != " " and not self.search.hasFocus():
            self._type_into_search(event.text())
            return
        super().keyPressEvent(event)

    def set_sort(self, mode: SortMode) -> None:
        self.settings.sort_mode = mode
        current = self.selected_account()
        self.model.set_sort(mode)
        self.window_actions.show_sort(mode)
        row = self.model.row_of(current.uuid) if current is not None else None
        self.view.select_row(row if row is not None else 0)

    def set_group(self, group: str) -> None:
        self.settings.group = group
        self.model.set_group(group)
        self.group_box.choose(group)
        self._update_placeholder()
        self.view.select_row(0)

    def _group_chosen(self, index: int) -> None:
        self.set_group(self.group_box.group_at(index))

    def move_selected(self, step: int) -> None:
        """Move the selected account up (-1) or down (1) in the manual order; saved."""
        index = self.view.currentIndex()
        if not index.isValid():
            return
        if not self.model.can_reorder():
            self.toast.show_message(
                self.tr("Choose Sort by ▸ Manual order and clear the search to rearrange.")
            )
            return
        row = index.row()
        target = row + step
        if not 0 <= target < self.model.rowCount():
            return
        uuid = self.model.account(row).uuid
        destination = target + 1 if step > 0 else target
        # The model says the new order (order_changed), which the editor saves.
        if self.model.moveRows(QModelIndex(), row, 1, QModelIndex(), destination):
            self.select_account(uuid)

    def show_context_menu(self, index: QModelIndex, position: QPoint) -> QMenu:
        menu = self.window_actions.context_menu(
            self.model.account_at(index), self.model.can_reorder()
        )
        return self.dialogs.open("context-menu", menu, lambda m: m.popup(position))

    # --- messages --------------------------------------------------------------------------

    def show_problem(self, text: str, details: str = "") -> QMessageBox:
        box = message_box(QMessageBox.Icon.Warning, self.tr("Keyfob"), text, self)
        if details:
            box.setInformativeText(details)
        return self.dialogs.open("problem", box)

    def set_drift(self, drift: float | None) -> None:
        """Warn when the system clock is off by more than 15 s and uncorrected."""
        self.drift_banner.show_drift(drift)

    def _setting_changed(self, key: str) -> None:
        if key == "time/offset_seconds":
            self.clock.offset = self.settings.time_offset
        self.codes.settings_changed()

    # --- window ----------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.adding.accepts(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        if self.adding.take_drop(event.mimeData()):
            event.acceptProposedAction()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.toast.isVisible():
            self.toast.show_message(self.toast.text)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.set_geometry("main", self.saveGeometry())
        if self.tray_available and self.settings.close_to_tray:
            event.ignore()
            self.hide()
            return
        event.accept()
        self.quit_requested.emit()

    def shut_down(self) -> None:
        """Before the window goes (lock or quit): save what is pending, forget the codes."""
        self.codes.stop()
        self.settings.set_geometry("main", self.saveGeometry())
        try:
            self.editor.save_pending()
        finally:
            self.codes.forget()
            self.model.set_accounts([])
            for child in self.findChildren(QWidget):
                if child.isWindow() and child.isVisible():
                    child.close()

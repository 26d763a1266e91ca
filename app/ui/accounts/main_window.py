"""The main window: search, the account list, copying codes, and every change to accounts.

Every change is one of the vault's account edits (app.vault.account_edits, the same the CLI
makes), applied through `AccountEditor`, which re-reads the file under the OS lock, so a change
made meanwhile by the CLI is kept. The list is rebuilt from the vault's content after each
write and after the file watcher notices another program's save.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QMimeData, QModelIndex, QPoint, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QRegion,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core.account import Account, OtpType
from app.core.clock import Clock
from app.core.errors import KeyfobError
from app.ui.accounts.account_delegate import AccountDelegate, DisplayOptions
from app.ui.accounts.account_model import AccountModel
from app.ui.accounts.account_view import AccountListView, is_typing
from app.ui.accounts.code_cache import CodeCache
from app.ui.add.add_dialog import AddDialog
from app.ui.add.harvest import looks_like_enrollment
from app.ui.add.screen import ScreenSource
from app.ui.common.clipboard import SecretClipboard
from app.ui.common.resources import app_icon, icon
from app.ui.common.settings import Settings, SortMode
from app.ui.common.widgets import Toast, heading, message_box, muted
from app.vault.account_edits import (
    advance_hotp,
    edit_account,
    remove_account,
    set_sort_positions,
)
from app.vault.editor import AccountEditor

if TYPE_CHECKING:
    from app.ui.common.password_gate import PasswordGate
    from app.ui.settings.change_password import ChangePasswordDialog
    from app.ui.transfer.backups_dialog import BackupsDialog
    from app.ui.transfer.export_dialog import ExportDialog
    from app.ui.transfer.import_wizard import ImportWizard
    from app.vault.content import VaultContent
    from app.vault.kdf import KdfParams
    from app.vault.rekey import OldBackup, RetiredKey
    from app.vault.store import Vault

T = TypeVar("T")
REVEAL_SECONDS = 20  # a hidden code clicked stays visible this long


class SearchField(QLineEdit):
    """The search box: arrows move in the list, Enter copies, Ctrl+C copies the selected code."""

    moved = Signal(int)
    activated = Signal()
    copy_requested = Signal()
    paste_requested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        steps = {
            Qt.Key.Key_Up: -1,
            Qt.Key.Key_Down: 1,
            Qt.Key.Key_PageUp: -10,
            Qt.Key.Key_PageDown: 10,
        }
        if key in steps:
            self.moved.emit(steps[Qt.Key(key)])
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.activated.emit()
            return
        if key == Qt.Key.Key_Escape and self.text():
            self.clear()
            return
        if event.matches(QKeySequence.StandardKey.Copy) and not self.hasSelectedText():
            self.copy_requested.emit()
            return
        if event.matches(QKeySequence.StandardKey.Paste) and _clipboard_has_enrollment():
            self.paste_requested.emit()
            return
        super().keyPressEvent(event)


def _clipboard_has_enrollment() -> bool:
    mime: QMimeData | None = QGuiApplication.clipboard().mimeData()
    if mime is None:  # Qt returns null for an empty clipboard on some platforms
        return False
    if mime.hasImage() or any(url.isLocalFile() for url in mime.urls()):
        return True
    return mime.hasText() and looks_like_enrollment(mime.text())


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
        self.screen_source = screen_source
        self.camera_check = camera_check
        self.tray_available = False
        self.kdf: KdfParams | None = None  # a new password's KDF cost; None: the default
        self.editor = AccountEditor(vault)  # every change to the accounts goes through it
        self._revealed: dict[str, float] = {}
        self._add_dialog: AddDialog | None = None
        self.setWindowTitle(self.tr("Keyfob"))
        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)

        self.cache = CodeCache()
        self.display = DisplayOptions(settings.hide_codes, settings.next_code_seconds)
        self.model = AccountModel(self)
        self.model.set_sort(settings.sort_mode)
        self.model.describe = self.describe
        self.delegate = AccountDelegate(self.cache, clock.now, self.display, self.is_revealed, self)
        self.view = AccountListView(self.delegate)
        self.view.setModel(self.model)

        self._build_actions()
        self._build_ui()
        self._connect()
        self.reload()
        self.model.set_group(self._valid_group(settings.group))

        self._tick = QTimer(self)
        self._tick.setSingleShot(True)
        self._tick.timeout.connect(self.refresh_codes)
        self._schedule_tick()
        geometry = settings.geometry("main")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(QSize(560, 680))

    # --- building --------------------------------------------------------------------------

    def _action(
        self,
        text: str,
        slot: Callable[[], Any],
        shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
        icon_name: str | None = None,
    ) -> QAction:
        action = QAction(text, self)
        if icon_name:
            action.setIcon(icon(icon_name))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self._build_account_actions()
        self._build_add_actions()
        self._build_transfer_actions()
        self._build_app_actions()
        self._build_sort_menu()

    def _build_account_actions(self) -> None:
        self.copy_action = self._action(self.tr("&Copy code"), self.copy_selected, None, "copy")
        self.copy_next_action = self._action(self.tr("Copy &next code"), self.copy_selected_next)
        self.next_hotp_action = self._action(
            self.tr("&Next code"), self.next_selected_hotp, None, "refresh"
        )
        self.edit_action = self._action(self.tr("&Edit…"), self.edit_selected, "F2", "edit")
        self.favourite_action = self._action(
            self.tr("&Favourite"), self.toggle_selected_favourite, "Ctrl+D", "star"
        )
        self.move_up_action = self._action(
            self.tr("Move &up"), lambda: self.move_selected(-1), "Alt+Up", "up"
        )
        self.move_down_action = self._action(
            self.tr("Move &down"), lambda: self.move_selected(1), "Alt+Down", "down"
        )
        self.show_qr_action = self._action(
            self.tr("Show &QR code…"), self.show_selected_qr, None, "qr"
        )
        self.reveal_action = self._action(
            self.tr("Reveal &secret…"), self.reveal_selected_secret, None, "eye"
        )
        self.delete_action = self._action(
            self.tr("&Delete…"), self.delete_selected, QKeySequence.StandardKey.Delete, "delete"
        )

    def _build_add_actions(self) -> None:
        self.add_action = self._action(
            self.tr("&Add account…"), self.open_add, QKeySequence.StandardKey.New, "add"
        )
        self.scan_action = self._action(
            self.tr("&Scan screen"),
            lambda: self.open_add(lambda d: d.scan_screen()),
            "Ctrl+Shift+S",
            "scan-screen",
        )
        self.file_action = self._action(
            self.tr("From &image file…"),
            lambda: self.open_add(lambda d: d.open_image_dialog()),
            "Ctrl+O",
            "image",
        )
        self.paste_action = self._action(
            self.tr("&Paste QR code or link"), self.paste_enrollment, None, "paste"
        )
        self.manual_action = self._action(
            self.tr("&Enter a setup key…"),
            lambda: self.open_add(lambda d: d.show_manual()),
            None,
            "keyboard",
        )

    def _build_transfer_actions(self) -> None:
        self.import_action = self._action(self.tr("&Import accounts…"), self.open_import, "Ctrl+I")
        self.export_action = self._action(self.tr("&Export accounts…"), self.open_export, "Ctrl+E")
        self.phone_action = self._action(
            self.tr("&Transfer to phone…"), self.open_phone_transfer, None, "qr"
        )
        self.backups_action = self._action(self.tr("&Backups…"), self.open_backups)

    def _build_app_actions(self) -> None:
        self.settings_action = self._action(
            self.tr("&Settings…"),
            self.open_settings,
            QKeySequence.StandardKey.Preferences,
            "settings",
        )
        if self.settings_action.shortcut().isEmpty():
            self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        self.password_action = self._action(
            self.tr("Change &password…"), self.open_change_password, None, "lock"
        )
        self.lock_action = self._action(
            self.tr("&Lock"), self.lock_requested.emit, "Ctrl+L", "lock"
        )
        self.quit_action = self._action(
            self.tr("&Quit"), self.quit_requested.emit, QKeySequence.StandardKey.Quit, "quit"
        )
        self.find_action = self._action(
            self.tr("&Find"), self.focus_search, QKeySequence.StandardKey.Find
        )
        copy_shortcut = QAction(self)
        copy_shortcut.setShortcut(QKeySequence(QKeySequence.StandardKey.Copy))
        copy_shortcut.triggered.connect(lambda _c=False: self.copy_selected())
        self.addAction(copy_shortcut)
        paste_shortcut = QAction(self)
        paste_shortcut.setShortcut(QKeySequence(QKeySequence.StandardKey.Paste))
        paste_shortcut.triggered.connect(lambda _c=False: self.paste_enrollment())
        self.addAction(paste_shortcut)

    def _build_sort_menu(self) -> None:
        self.sort_actions = QActionGroup(self)
        self.sort_menu = QMenu(self.tr("S&ort by"), self)
        self.sort_menu.setIcon(icon("sort"))
        for mode, text in (
            (SortMode.MANUAL, self.tr("&Manual order (drag to arrange)")),
            (SortMode.ISSUER, self.tr("&Issuer")),
            (SortMode.NAME, self.tr("Account &name")),
            (SortMode.LAST_USED, self.tr("&Last used")),
        ):
            action = QAction(text, self.sort_actions)
            action.setCheckable(True)
            action.setData(mode.value)
            action.setChecked(mode is self.settings.sort_mode)
            action.triggered.connect(lambda _c=False, m=mode: self.set_sort(m))
            self.sort_menu.addAction(action)

    def _build_ui(self) -> None:
        header = self._build_header()
        self.header = header  # push sign-in puts its status button here

        self.drift_banner = QLabel()
        self.drift_banner.setObjectName("driftBanner")
        self.drift_banner.setWordWrap(True)
        self.drift_banner.setStyleSheet(
            "#driftBanner { background: rgba(230,126,34,0.16); border: 1px solid "
            "rgba(230,126,34,0.6); border-radius: 8px; padding: 8px 10px; margin: 0 14px; }"
        )
        self.drift_banner.hide()

        self.pages = QStackedWidget()
        self.pages.addWidget(self.view)
        self.pages.addWidget(self._empty_page())

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(header)
        layout.addWidget(self.drift_banner)
        layout.addWidget(self._build_backup_banner())
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)
        self.toast = Toast(central)

        self.setTabOrder(self.search, self.view)
        self.setTabOrder(self.view, self.group_box)
        self.setTabOrder(self.group_box, self.add_button)
        self.setTabOrder(self.add_button, self.lock_button)
        self.setTabOrder(self.lock_button, self.menu_button)

    def _build_backup_banner(self) -> QWidget:
        from app.ui.transfer.extra_backup import BackupProblemBanner, ExtraBackup

        self.extra_backup = ExtraBackup(self.vault.path, self.settings, self)
        self.accounts_changed.connect(self.extra_backup.vault_changed)
        self.backup_banner = BackupProblemBanner(self.extra_backup)
        self.backup_banner.settings_requested.connect(self.open_settings)
        return self.backup_banner

    def _build_header(self) -> QHBoxLayout:
        self.search = SearchField()
        self.search.setPlaceholderText(self.tr("Search — just start typing"))
        self.search.setAccessibleName(self.tr("Search accounts"))
        self.search.setClearButtonEnabled(True)
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.setMinimumHeight(36)

        self.group_box = QComboBox()
        self.group_box.setAccessibleName(self.tr("Group"))
        self.group_box.setToolTip(self.tr("Show one group"))
        self.group_box.setMinimumHeight(36)

        self.add_button = QToolButton()
        self.add_button.setObjectName("addButton")
        self.add_button.setIcon(icon("add"))
        self.add_button.setIconSize(QSize(20, 20))
        self.add_button.setText(self.tr("Add"))
        self.add_button.setToolTip(self.tr("Add an account (Ctrl+N)"))
        self.add_button.setAccessibleName(self.tr("Add account"))
        self.add_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.add_button.setMinimumHeight(36)
        self.add_button.clicked.connect(self.open_add_window)
        add_menu = QMenu(self)
        for action in (self.scan_action, self.file_action, self.paste_action, self.manual_action):
            add_menu.addAction(action)
        self.add_button.setMenu(add_menu)

        self.menu_button = self._build_menu_button()

        self.lock_button = QToolButton()
        self.lock_button.setDefaultAction(self.lock_action)
        self.lock_button.setIconSize(QSize(20, 20))
        self.lock_button.setToolTip(self.tr("Lock (Ctrl+L)"))
        self.lock_button.setAccessibleName(self.tr("Lock"))
        self.lock_button.setMinimumSize(QSize(36, 36))

        header = QHBoxLayout()
        header.setContentsMargins(14, 12, 14, 6)
        header.setSpacing(8)
        header.addWidget(self.search, 1)
        header.addWidget(self.group_box)
        header.addWidget(self.add_button)
        header.addWidget(self.lock_button)
        header.addWidget(self.menu_button)
        return header

    def _build_menu_button(self) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon("menu"))
        button.setIconSize(QSize(20, 20))
        button.setToolTip(self.tr("Menu"))
        button.setAccessibleName(self.tr("Menu"))
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        button.setMinimumSize(QSize(36, 36))
        button.setStyleSheet("QToolButton::menu-indicator { image: none; width: 0; }")
        self.main_menu = QMenu(self)
        self.main_menu.addMenu(self.sort_menu)
        self.main_menu.addAction(self.settings_action)
        self.main_menu.addAction(self.password_action)
        self.main_menu.addSeparator()
        for action in (
            self.import_action,
            self.export_action,
            self.phone_action,
            self.backups_action,
        ):
            self.main_menu.addAction(action)
        self.main_menu.addSeparator()
        self.main_menu.addAction(self.lock_action)
        self.main_menu.addAction(self.quit_action)
        button.setMenu(self.main_menu)
        return button

    def _empty_page(self) -> QWidget:
        page = QFrame()
        page.setObjectName("emptyPage")
        layout = QVBoxLayout(page)
        layout.setContentsMargins(40, 20, 40, 40)
        layout.addStretch(1)
        symbol = QLabel()
        symbol.setPixmap(icon("qr").pixmap(QSize(64, 64), self.devicePixelRatioF()))
        symbol.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(symbol)
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
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        scan = QPushButton(self.tr("Scan screen"))
        scan.setObjectName("primaryButton")
        scan.clicked.connect(self.scan_action.trigger)
        other = QPushButton(icon("add"), self.tr("Other ways…"))
        other.clicked.connect(self.open_add_window)
        buttons.addWidget(scan)
        buttons.addWidget(other)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addSpacing(6)
        moving = QPushButton(self.tr("Moving from another authenticator? Import its accounts…"))
        moving.setFlat(True)
        moving.clicked.connect(self.import_action.trigger)
        layout.addWidget(moving, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        self.empty_scan_button = scan
        self.empty_import_button = moving
        return page

    def _connect(self) -> None:
        self.search.textChanged.connect(self._search_changed)
        self.search.moved.connect(self._move_current)
        self.search.activated.connect(self.copy_selected)
        self.search.copy_requested.connect(self.copy_selected)
        self.search.paste_requested.connect(self.paste_enrollment)
        self.view.copy_requested.connect(self.copy_index)
        self.view.next_code_requested.connect(self.next_hotp_index)
        self.view.text_typed.connect(self._type_into_search)
        self.view.menu_requested.connect(self._show_context_menu)
        self.model.order_changed.connect(self._save_order)
        self.group_box.activated.connect(self._group_chosen)
        self.settings.changed.connect(self._setting_changed)

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
        self._select_row(row if row is not None else 0, scroll=False)
        self.accounts_changed.emit()

    def _update_groups(self, groups: list[str], accounts: list[Account]) -> None:
        names = list(dict.fromkeys([*groups, *(g for a in accounts for g in a.groups)]))
        chosen = self.model.group
        self.group_box.blockSignals(True)
        self.group_box.clear()
        self.group_box.addItem(self.tr("All accounts"), "")
        for name in names:
            self.group_box.addItem(icon("group"), name, name)
        index = self.group_box.findData(chosen)
        self.group_box.setCurrentIndex(max(0, index))
        self.group_box.blockSignals(False)
        self.group_box.setVisible(bool(names))
        if chosen and chosen not in names:
            self.set_group("")

    def _valid_group(self, group: str) -> str:
        return group if self.group_box.findData(group) > 0 else ""

    def _update_placeholder(self) -> None:
        text = self.search.text().strip()
        if text:
            self.view.set_placeholder(self.tr("No account matches “%1”.").replace("%1", text))
        else:
            self.view.set_placeholder(self.tr("No account in this group."))

    # --- selection and search --------------------------------------------------------------

    def selected_account(self) -> Account | None:
        return self.model.account_at(self.view.currentIndex())

    def _select_row(self, row: int, *, scroll: bool = True) -> None:
        if not 0 <= row < self.model.rowCount():
            return
        index = self.model.index(row, 0)
        self.view.setCurrentIndex(index)
        if scroll:
            self.view.scrollTo(index)

    def _search_changed(self, text: str) -> None:
        self.model.set_filter(text)
        self._update_placeholder()
        self._select_row(0)

    def _move_current(self, step: int) -> None:
        count = self.model.rowCount()
        if not count:
            return
        current = self.view.currentIndex().row()
        row = max(0, min(count - 1, (current if current >= 0 else -1) + step))
        self._select_row(row)

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
        for action in self.sort_actions.actions():
            action.setChecked(action.data() == mode.value)
        row = self.model.row_of(current.uuid) if current is not None else None
        self._select_row(row if row is not None else 0)

    def set_group(self, group: str) -> None:
        self.settings.group = group
        self.model.set_group(group)
        index = self.group_box.findData(group)
        self.group_box.setCurrentIndex(max(0, index))
        self._update_placeholder()
        self._select_row(0)

    def _group_chosen(self, index: int) -> None:
        self.set_group(str(self.group_box.itemData(index) or ""))

    # --- codes -----------------------------------------------------------------------------

    def _schedule_tick(self) -> None:
        fraction = self.clock.now() % 1.0
        self._tick.start(max(10, int((1.0 - fraction) * 1000) + 5))

    def refresh_codes(self) -> None:
        """The once-a-second repaint: only the visible rows, codes from the cache."""
        now = time.monotonic()
        if self._revealed:
            self._revealed = {u: t for u, t in self._revealed.items() if t > now}
        region = QRegion()
        view, model, font = self.view, self.model, self.view.font()
        for row in view.visible_rows():
            index = model.index(row, 0)
            region += self.delegate.live_rect(view.visualRect(index), model.account(row), font)
        view.viewport().update(region)
        self._schedule_tick()

    def is_revealed(self, uuid: str) -> bool:
        until = self._revealed.get(uuid)
        return until is not None and until > time.monotonic()

    def describe(self, account: Account) -> str:
        """A row as a screen reader says it: the account, its code and the time left."""
        shown = self.cache.code(account, self.clock.now())
        if self.display.hide_codes and not self.is_revealed(account.uuid):
            return self.tr("%1, code hidden").replace("%1", account.label)
        code = " ".join(shown.text)  # read digit by digit
        if shown.seconds_left is None:
            return self.tr("%1, code %2").replace("%1", account.label).replace("%2", code)
        left = max(1, int(shown.seconds_left + 0.999))
        return (
            self.tr("%1, code %2, %3 seconds left")
            .replace("%1", account.label)
            .replace("%2", code)
            .replace("%3", str(left))
        )

    def code_of(self, account: Account) -> str:
        return self.cache.code(account, self.clock.now()).text

    def copy_account(self, account: Account, *, next_code: bool = False) -> None:
        text = (
            self.cache.next_code(account, self.clock.now()) if next_code else self.code_of(account)
        )
        self.clipboard.copy(text)
        self.editor.note_use(account.uuid)
        if self.display.hide_codes:
            self._revealed[account.uuid] = time.monotonic() + REVEAL_SECONDS
            self.view.viewport().update()
        seconds = self.settings.clipboard_clear_seconds
        what = self.tr("Next code copied") if next_code else self.tr("Copied")
        message = f"{what}: {account.label}"
        if seconds:
            message += " — " + self.tr("clears in %n s", "", seconds)
        self.toast.show_message(message)

    def copy_index(self, index: QModelIndex) -> None:
        account = self.model.account_at(index)
        if account is not None:
            self.copy_account(account)

    def copy_selected(self) -> None:
        account = self.selected_account()
        if account is None and self.model.rowCount():
            self._select_row(0)
            account = self.selected_account()
        if account is not None:
            self.copy_account(account)

    def copy_selected_next(self) -> None:
        account = self.selected_account()
        if account is not None:
            self.copy_account(account, next_code=True)

    def next_hotp_index(self, index: QModelIndex) -> None:
        account = self.model.account_at(index)
        if account is None or account.type is not OtpType.HOTP:
            return
        uuid = account.uuid
        updated = self.write(lambda content: advance_hotp(content, uuid))
        if updated is not None:
            self.copy_account(updated)

    def next_selected_hotp(self) -> None:
        self.next_hotp_index(self.view.currentIndex())

    # --- writing ---------------------------------------------------------------------------

    def write(self, change: Callable[[VaultContent], T]) -> T | None:
        """Apply `change` through the editor (with pending last-used times); reload the list."""
        try:
            result = self.editor.write(change)
        except KeyfobError as error:
            self.show_problem(self.tr("The change was not saved."), str(error))
            self.reload()
            return None
        self.reload()
        return result

    def save_pending(self) -> None:
        """Save last-used times (kept in memory so copying a code does not write the file)."""
        if self.editor.has_pending and not self.vault.is_locked:
            self.write(lambda content: None)

    def show_problem(self, text: str, details: str = "") -> QMessageBox:
        box = message_box(QMessageBox.Icon.Warning, self.tr("Keyfob"), text, self)
        if details:
            box.setInformativeText(details)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    def add_accounts(self, accounts: list[Account]) -> None:
        try:
            result = self.editor.add(accounts)
        except KeyfobError as error:
            self.show_problem(self.tr("The accounts were not added."), str(error))
            return
        self.reload()
        added, duplicates = len(result.added), len(result.duplicates)
        if added == 1:
            message = self.tr("Added %1.").replace("%1", result.added[0].label)
        elif added:
            message = self.tr("Added %n accounts.", "", added)
        else:
            message = self.tr("Nothing was added.")
        if duplicates:
            message += " " + (
                self.tr("One was already in Keyfob and was skipped.")
                if duplicates == 1
                else self.tr("%n were already in Keyfob and were skipped.", "", duplicates)
            )
        self.toast.show_message(message, 3000)
        if result.added:
            row = self.model.row_of(result.added[-1].uuid)
            if row is not None:
                self._select_row(row)

    def update_fields(self, uuid: str, **changes: Any) -> bool:
        done = self.write(lambda content: edit_account(content, uuid, changes) is not None)
        if done is False:
            self.show_problem(self.tr("That account is no longer in the vault."))
        return bool(done)

    def _save_order(self, positions: dict[str, int]) -> None:
        self.write(lambda content: set_sort_positions(content, positions))

    # --- organising ------------------------------------------------------------------------

    def toggle_selected_favourite(self) -> None:
        account = self.selected_account()
        if account is not None:
            self.update_fields(account.uuid, favourite=not account.favourite)

    def move_selected(self, step: int) -> None:
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
        if self.model.moveRows(QModelIndex(), row, 1, QModelIndex(), destination):
            moved = self.model.row_of(uuid)
            if moved is not None:
                self._select_row(moved)

    def edit_selected(self) -> None:
        account = self.selected_account()
        if account is None:
            return
        from app.ui.accounts.edit_dialog import EditDialog

        dialog = EditDialog(self, account, self.vault.content.groups)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(lambda changes: self.update_fields(account.uuid, **changes))
        dialog.open()
        self.edit_dialog = dialog

    def delete_selected(self) -> QMessageBox | None:
        account = self.selected_account()
        if account is None:
            return None
        box = message_box(
            QMessageBox.Icon.Question,
            self.tr("Delete account"),
            self.tr("Delete %1?").replace("%1", account.label),
            self,
        )
        box.setInformativeText(
            self.tr(
                "Its codes will no longer be available here. Turn off two-factor sign-in on "
                "the site first, or keep another way in. The previous vault stays in the "
                "backups."
            )
        )
        delete = box.addButton(self.tr("Delete"), QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        uuid = account.uuid

        def finished() -> None:
            if box.clickedButton() is delete:
                self._delete(uuid)

        box.finished.connect(finished)
        box.open()
        self.delete_box = box
        return box

    def _delete(self, uuid: str) -> None:
        if self.write(lambda content: remove_account(content, uuid) is not None):
            self.toast.show_message(self.tr("Account deleted."))

    # --- secrets behind the password -------------------------------------------------------

    def show_selected_qr(self) -> None:
        self._with_password(lambda account: self._open_secret(account, show_qr=True))

    def reveal_selected_secret(self) -> None:
        self._with_password(lambda account: self._open_secret(account, show_qr=False))

    def _with_password(self, then: Callable[[Account], None]) -> None:
        account = self.selected_account()
        if account is None:
            return
        from app.ui.common.password_gate import PasswordGate

        dialog = PasswordGate(
            self, self.vault, self.tr("Enter the vault password to see this account's secret.")
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        # A lock may come while the password is checked: then the answer shows nothing.
        dialog.confirmed.connect(lambda: None if self.vault.is_locked else then(account))
        dialog.open()
        self.password_dialog = dialog

    def _open_secret(self, account: Account, *, show_qr: bool) -> None:
        from app.ui.common.secret_dialog import SecretDialog

        dialog = SecretDialog(self, account, show_qr=show_qr, copy=self.clipboard.copy)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.secret_dialog = dialog

    # --- adding ----------------------------------------------------------------------------

    def open_add(self, start: Callable[[AddDialog], Any] | None = None) -> AddDialog:
        dialog = self._add_dialog
        if dialog is None:
            identities = {a.identity() for a in self.vault.content.accounts}
            dialog = AddDialog(
                self,
                is_known=lambda account: account.identity() in identities,
                now=self.clock.now,
                screen_source=self.screen_source,
                camera_check=self.camera_check,
            )
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.accounts_chosen.connect(self.add_accounts)
            dialog.push_enrollment_chosen.connect(self.push_enroll_requested)
            dialog.destroyed.connect(lambda: setattr(self, "_add_dialog", None))
            self._add_dialog = dialog
            dialog.open()
        dialog.raise_()
        dialog.activateWindow()
        if start is not None:
            start(dialog)
        return dialog

    def open_add_window(self) -> None:
        self.open_add()

    @property
    def add_dialog(self) -> AddDialog | None:
        return self._add_dialog

    def paste_enrollment(self) -> None:
        self.open_add(lambda dialog: dialog.paste_from_clipboard())

    def add_from_text(self, text: str) -> AddDialog:
        return self.open_add(lambda dialog: dialog.take_text(text))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if (
            mime.hasUrls()
            or mime.hasImage()
            or (mime.hasText() and looks_like_enrollment(mime.text()))
        ):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        mime = event.mimeData()
        files = [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]
        if files:
            from app.ui.transfer.import_plan import claimed_export

            if claimed_export(files):  # another app's export: the import wizard takes it
                self.open_import(files)
                event.acceptProposedAction()
                return
        dialog = self.open_add()
        if dialog.take_mime(mime, self.tr("in what was dropped")):
            event.acceptProposedAction()

    # --- moving accounts: import, export, transfer to phone, backups ------------------------

    def open_import(self, files: list[Path] | None = None) -> ImportWizard:
        from app.ui.transfer.import_wizard import ImportWizard

        wizard = ImportWizard(self, self.vault)
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.imported.connect(self._imported)
        wizard.open()
        self.import_wizard = wizard
        if files:
            wizard.take_files(files)
        return wizard

    def _imported(self, added: list[Account]) -> None:
        self.reload()
        if added:
            row = self.model.row_of(added[-1].uuid)
            if row is not None:
                self._select_row(row)

    def open_export(self) -> ExportDialog:
        from app.ui.transfer.export_dialog import ExportDialog

        dialog = ExportDialog(self, self.vault)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.export_dialog = dialog
        return dialog

    def open_phone_transfer(self) -> PasswordGate:
        from app.ui.common.password_gate import PasswordGate

        gate = PasswordGate(
            self,
            self.vault,
            self.tr("Enter the vault password to show your accounts as QR codes for a phone."),
            self.tr("Show codes"),
        )
        gate.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        gate.confirmed.connect(self._show_phone_transfer)
        gate.open()
        self.password_gate = gate
        return gate

    def _show_phone_transfer(self) -> None:
        from app.ui.transfer.phone_transfer import PhoneTransferDialog

        if self.vault.is_locked:  # locked while the password was checked
            return
        dialog = PhoneTransferDialog(self, self.vault.content.accounts)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.phone_dialog = dialog

    def open_backups(self) -> BackupsDialog:
        from app.ui.transfer.backups_dialog import BackupsDialog

        dialog = BackupsDialog(
            self, self.vault.path, current_count=lambda: len(self.vault.content.accounts)
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.restored.connect(self._backup_restored)
        dialog.open()
        self.backups_dialog = dialog
        return dialog

    def _backup_restored(self) -> None:
        """A backup became the vault file: show it (or unlock again if it has another key)."""
        from app.vault.errors import VaultConflictError

        try:
            self.vault.refresh()
        except VaultConflictError:
            self.lock_requested.emit()
            return
        except KeyfobError as error:
            self.show_problem(self.tr("The restored vault cannot be read."), str(error))
            return
        self.reload()
        self.toast.show_message(self.tr("Backup restored."), 3000)

    # --- context menu ----------------------------------------------------------------------

    def _show_context_menu(self, index: QModelIndex, position: QPoint) -> QMenu:
        account = self.model.account_at(index)
        menu = QMenu(self)
        if account is not None:
            menu.addAction(self.copy_action)
            if account.type is OtpType.HOTP:
                menu.addAction(self.next_hotp_action)
            else:
                menu.addAction(self.copy_next_action)
            menu.addSeparator()
            self.favourite_action.setText(
                self.tr("Remove from &favourites")
                if account.favourite
                else self.tr("Add to &favourites")
            )
            menu.addAction(self.favourite_action)
            menu.addAction(self.edit_action)
            if self.model.can_reorder():
                menu.addAction(self.move_up_action)
                menu.addAction(self.move_down_action)
            menu.addSeparator()
            menu.addAction(self.show_qr_action)
            menu.addAction(self.reveal_action)
            menu.addSeparator()
            menu.addAction(self.delete_action)
        else:
            menu.addAction(self.add_action)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(position)
        self.context_menu = menu
        return menu

    # --- password --------------------------------------------------------------------------

    def open_change_password(self) -> ChangePasswordDialog:
        from app.ui.settings.change_password import ChangePasswordDialog
        from app.vault.extra_backup import copies_of_vault

        vault, folder = self.vault, self.extra_backup.folder
        dialog = ChangePasswordDialog(
            self,
            vault,
            kdf=self.kdf,
            extra_copies=lambda: copies_of_vault(folder, vault.path, vault.vault_id),
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.changed.connect(self._password_changed)
        dialog.open()
        self.change_password_dialog = dialog
        return dialog

    def _password_changed(self, retired: RetiredKey, old: list[OldBackup]) -> None:
        self.extra_backup.vault_changed()  # a copy under the new key in the extra folder
        if not old:
            retired.forget()
            self.toast.show_message(self.tr("Password changed."), 3000)
            return
        from app.ui.transfer.old_backups_dialog import OldBackupsDialog

        dialog = OldBackupsDialog(self, retired, old)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.handled.connect(lambda text: self.toast.show_message(text, 5000))
        dialog.open()
        self.old_backups_dialog = dialog

    # --- settings --------------------------------------------------------------------------

    def open_settings(self) -> None:
        from app.ui.settings.settings_dialog import SettingsDialog

        dialog = SettingsDialog(
            self,
            self.settings,
            self.clock,
            tray_available=self.tray_available,
            extra_backup=self.extra_backup,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.drift_measured.connect(self.set_drift)
        dialog.open()
        self.settings_dialog = dialog

    def _setting_changed(self, key: str) -> None:
        self.display.hide_codes = self.settings.hide_codes
        self.display.next_code_seconds = self.settings.next_code_seconds
        if key == "time/offset_seconds":
            self.clock.offset = self.settings.time_offset
        self.view.viewport().update()

    def set_drift(self, drift: float | None) -> None:
        """Warn when the system clock is off by more than 15 s and uncorrected."""
        if drift is None or abs(drift - self.clock.offset) <= 15:
            self.drift_banner.hide()
            return
        self.drift_banner.setText(
            self.tr(
                "Your computer's clock is off by %1 seconds, so codes may be refused. "
                "Correct it in Settings ▸ Time, or fix the system clock."
            ).replace("%1", f"{drift:+.0f}")
        )
        self.drift_banner.show()

    # --- window ----------------------------------------------------------------------------

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
        self._tick.stop()
        self.settings.set_geometry("main", self.saveGeometry())
        try:
            self.save_pending()
        finally:
            self.cache.clear()
            self.delegate.clear_images()
            self.model.set_accounts([])
            for child in self.findChildren(QWidget):
                if child.isWindow() and child.isVisible():
                    child.close()

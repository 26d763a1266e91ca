"""The main window's actions, declared once as data: each one's text, shortcut, icon and what
it does; the menus that list them (the Add button's, the main menu, Sort by); and the list's
context menu with the rule that decides when each entry shows.

The window gives a `Target` (itself) and gets `WindowActions`: the QActions by name, added to
the window so their shortcuts work wherever the focus is, and the menus built from the table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from app.core.account import Account, OtpType
from app.ui.common.resources import icon
from app.ui.common.settings import SortMode

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from app.ui.accounts.adding import AddFlow
    from app.ui.accounts.editor import AccountEditing
    from app.ui.accounts.live_codes import LiveCodes
    from app.ui.accounts.secrets import SecretFlow
    from app.ui.settings.flows import SettingsFlows
    from app.ui.transfer.flows import TransferFlows

_CONTEXT = "MainWindow"  # the translation context these texts always had
Shortcut = QKeySequence.StandardKey | str | None


def _tr(text: str) -> str:
    # Marks the text for lupdate; it is translated when the action is made (`_translate`).
    return str(QT_TRANSLATE_NOOP(_CONTEXT, text))


def _translate(text: str) -> str:
    return QCoreApplication.translate(_CONTEXT, text)


class Target(Protocol):
    """What the actions act on: the main window and the parts it hands the work to."""

    @property
    def codes(self) -> LiveCodes: ...
    @property
    def editor(self) -> AccountEditing: ...
    @property
    def secrets(self) -> SecretFlow: ...
    @property
    def adding(self) -> AddFlow: ...
    @property
    def transfer_flows(self) -> TransferFlows: ...
    @property
    def settings_flows(self) -> SettingsFlows: ...
    @property
    def lock_requested(self) -> SignalInstance: ...
    @property
    def quit_requested(self) -> SignalInstance: ...

    def move_selected(self, step: int) -> None: ...
    def focus_search(self) -> None: ...
    def set_sort(self, mode: SortMode) -> None: ...


@dataclass(frozen=True, slots=True)
class ActionSpec:
    name: str
    text: str  # untranslated; "" for a shortcut without a menu entry
    run: Callable[[Target], object]
    shortcut: Shortcut = None
    icon: str | None = None
    fallback: str | None = None  # the shortcut where the platform has no standard one


_S = QKeySequence.StandardKey

ACTIONS: tuple[ActionSpec, ...] = (
    # One account: the selected one.
    ActionSpec("copy", _tr("&Copy code"), lambda t: t.codes.copy_selected(), None, "copy"),
    ActionSpec("copy_next", _tr("Copy &next code"), lambda t: t.codes.copy_selected_next()),
    ActionSpec(
        "next_hotp", _tr("&Next code"), lambda t: t.codes.next_selected_hotp(), None, "refresh"
    ),
    ActionSpec("edit", _tr("&Edit…"), lambda t: t.editor.edit_selected(), "F2", "edit"),
    ActionSpec(
        "favourite",
        _tr("&Favourite"),
        lambda t: t.editor.toggle_selected_favourite(),
        "Ctrl+D",
        "star",
    ),
    ActionSpec("move_up", _tr("Move &up"), lambda t: t.move_selected(-1), "Alt+Up", "up"),
    ActionSpec("move_down", _tr("Move &down"), lambda t: t.move_selected(1), "Alt+Down", "down"),
    ActionSpec(
        "show_qr", _tr("Show &QR code…"), lambda t: t.secrets.show_selected_qr(), None, "qr"
    ),
    ActionSpec(
        "reveal", _tr("Reveal &secret…"), lambda t: t.secrets.reveal_selected_secret(), None, "eye"
    ),
    ActionSpec(
        "delete", _tr("&Delete…"), lambda t: t.editor.delete_selected(), _S.Delete, "delete"
    ),
    # Adding.
    ActionSpec("add", _tr("&Add account…"), lambda t: t.adding.open(), _S.New, "add"),
    ActionSpec(
        "scan",
        _tr("&Scan screen"),
        lambda t: t.adding.open(lambda d: d.scan_screen()),
        "Ctrl+Shift+S",
        "scan-screen",
    ),
    ActionSpec(
        "file",
        _tr("From &image file…"),
        lambda t: t.adding.open(lambda d: d.open_image_dialog()),
        "Ctrl+O",
        "image",
    ),
    ActionSpec("paste", _tr("&Paste QR code or link"), lambda t: t.adding.paste(), None, "paste"),
    ActionSpec(
        "manual",
        _tr("&Enter a setup key…"),
        lambda t: t.adding.open(lambda d: d.show_manual()),
        None,
        "keyboard",
    ),
    # Moving accounts.
    ActionSpec(
        "import", _tr("&Import accounts…"), lambda t: t.transfer_flows.open_import(), "Ctrl+I"
    ),
    ActionSpec(
        "export", _tr("&Export accounts…"), lambda t: t.transfer_flows.open_export(), "Ctrl+E"
    ),
    ActionSpec(
        "phone",
        _tr("&Transfer to phone…"),
        lambda t: t.transfer_flows.open_phone_transfer(),
        None,
        "qr",
    ),
    ActionSpec("backups", _tr("&Backups…"), lambda t: t.transfer_flows.open_backups()),
    # The app.
    ActionSpec(
        "settings",
        _tr("&Settings…"),
        lambda t: t.settings_flows.open_settings(),
        _S.Preferences,
        "settings",
        fallback="Ctrl+,",
    ),
    ActionSpec(
        "password",
        _tr("Change &password…"),
        lambda t: t.settings_flows.open_change_password(),
        None,
        "lock",
    ),
    ActionSpec("lock", _tr("&Lock"), lambda t: t.lock_requested.emit(), "Ctrl+L", "lock"),
    ActionSpec("quit", _tr("&Quit"), lambda t: t.quit_requested.emit(), _S.Quit, "quit"),
    ActionSpec("find", _tr("&Find"), lambda t: t.focus_search(), _S.Find),
    # Ctrl+C and Ctrl+V with the focus anywhere in the window.
    ActionSpec("copy_key", "", lambda t: t.codes.copy_selected(), _S.Copy),
    ActionSpec("paste_key", "", lambda t: t.adding.paste(), _S.Paste),
)

ADD_MENU = ("scan", "file", "paste", "manual")
# None: a separator. "sort" is the Sort by submenu.
MAIN_MENU = (
    "sort",
    "settings",
    "password",
    None,
    "import",
    "export",
    "phone",
    "backups",
    None,
    "lock",
    "quit",
)
SORT_MODES = (
    (SortMode.MANUAL, _tr("&Manual order (drag to arrange)")),
    (SortMode.ISSUER, _tr("&Issuer")),
    (SortMode.NAME, _tr("Account &name")),
    (SortMode.LAST_USED, _tr("&Last used")),
)


def _always(_account: Account, _can_reorder: bool) -> bool:
    return True


# The list's context menu for an account: each entry with when it shows (None: a separator).
# Without an account under the pointer it offers only "add".
CONTEXT_MENU: tuple[tuple[str, Callable[[Account, bool], bool]] | None, ...] = (
    ("copy", _always),
    ("next_hotp", lambda account, _r: account.type is OtpType.HOTP),
    ("copy_next", lambda account, _r: account.type is not OtpType.HOTP),
    None,
    ("favourite", _always),
    ("edit", _always),
    ("move_up", lambda _a, can_reorder: can_reorder),
    ("move_down", lambda _a, can_reorder: can_reorder),
    None,
    ("show_qr", _always),
    ("reveal", _always),
    None,
    ("delete", _always),
)


class WindowActions:
    """The table's QActions on `window`, running on `target` (the window too), and its menus."""

    def __init__(self, window: QWidget, target: Target, sort_mode: SortMode) -> None:
        self._window = window
        self._actions: dict[str, QAction] = {}
        for spec in ACTIONS:
            self._actions[spec.name] = self._make(spec, target)
        self.sort_group, self.sort_menu = self._sort_menu(target, sort_mode)
        self.add_menu = self._menu(ADD_MENU)
        self.main_menu = self._menu(MAIN_MENU)

    def __getitem__(self, name: str) -> QAction:
        return self._actions[name]

    def _make(self, spec: ActionSpec, target: Target) -> QAction:
        action = QAction(_translate(spec.text) if spec.text else "", self._window)
        if spec.icon:
            action.setIcon(icon(spec.icon))
        if spec.shortcut is not None:
            action.setShortcut(QKeySequence(spec.shortcut))
        if spec.fallback and action.shortcut().isEmpty():
            action.setShortcut(QKeySequence(spec.fallback))
        run = spec.run
        action.triggered.connect(lambda _checked=False: run(target))
        self._window.addAction(action)
        return action

    def _sort_menu(self, target: Target, chosen: SortMode) -> tuple[QActionGroup, QMenu]:
        group = QActionGroup(self._window)
        menu = QMenu(QCoreApplication.translate("MainWindow", "S&ort by"), self._window)
        menu.setIcon(icon("sort"))
        for mode, text in SORT_MODES:
            action = QAction(_translate(text), group)
            action.setCheckable(True)
            action.setData(mode.value)
            action.setChecked(mode is chosen)
            action.triggered.connect(lambda _c=False, m=mode: target.set_sort(m))
            menu.addAction(action)
        return group, menu

    def _menu(self, names: tuple[str | None, ...]) -> QMenu:
        menu = QMenu(self._window)
        for name in names:
            if name is None:
                menu.addSeparator()
            elif name == "sort":
                menu.addMenu(self.sort_menu)
            else:
                menu.addAction(self[name])
        return menu

    def show_sort(self, mode: SortMode) -> None:
        for action in self.sort_group.actions():
            action.setChecked(action.data() == mode.value)

    def context_menu(self, account: Account | None, can_reorder: bool) -> QMenu:
        """The list's menu for `account` (None: the empty space under the rows)."""
        menu = QMenu(self._window)
        if account is None:
            menu.addAction(self["add"])
            return menu
        favourite = self["favourite"]
        favourite.setText(
            QCoreApplication.translate("MainWindow", "Remove from &favourites")
            if account.favourite
            else QCoreApplication.translate("MainWindow", "Add to &favourites")
        )
        for entry in CONTEXT_MENU:
            if entry is None:
                menu.addSeparator()
            elif entry[1](account, can_reorder):
                menu.addAction(self[entry[0]])
        return menu

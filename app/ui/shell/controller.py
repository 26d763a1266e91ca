"""The app's states and what moves between them: locked (unlock window) and open (main window).

Locking drops the decrypted vault, the main window and every code it cached; the unlock
window comes back. The tray, the settings and the clock outlive a lock.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QWidget

from app.core.clock import Clock
from app.ui.common.clipboard import SecretClipboard
from app.ui.common.settings import Settings
from app.ui.shell.first_paint import after_first_paint
from app.ui.shell.idle import AutoLock
from app.ui.shell.links import LinkInbox
from app.ui.shell.theme import ThemeFollower
from app.ui.shell.unlock_window import UnlockWindow, open_in_background
from app.ui.shell.window_front import bring_to_front

if TYPE_CHECKING:
    from app.core.account import Account
    from app.ui.accounts.main_window import MainWindow
    from app.ui.add.screen import ScreenSource
    from app.ui.push.feature import PushFeature
    from app.ui.shell.quick_start import QuickStart
    from app.ui.shell.sync_follow import SyncFollow
    from app.ui.shell.tray import Tray
    from app.ui.shell.vault_watcher import VaultWatcher
    from app.vault.kdf import KdfParams
    from app.vault.relocate import Moved
    from app.vault.revisions import RevisionLog
    from app.vault.store import Vault


class Controller(QObject):
    locked = Signal()
    opened = Signal()  # the list is on screen, and what follows an opening is done
    # A keyfob://enroll link (push sign-in approvals) arrived, and the vault is open: the
    # push UI connects here. Without a receiver, a note says the desktop cannot enroll yet.
    enrollment_link_received = Signal(str)
    # The vault file changed place ("Open an existing vault…", a move): its new path.
    vault_path_changed = Signal(object)

    def __init__(
        self,
        vault_path: Path,
        settings: Settings,
        *,
        kdf: KdfParams | None = None,
        screen_source: ScreenSource | None = None,
        camera_check: Callable[[], bool] | None = None,
        idle_timeout_ms: int | None = None,
        uris: list[str] | None = None,
        watch_session: bool = True,
        revision_log: RevisionLog | None = None,
    ) -> None:
        super().__init__()
        self.vault_path = vault_path
        self.settings = settings
        self.kdf = kdf
        self.screen_source = screen_source
        self.camera_check = camera_check
        # The highest revision seen of each vault (app.vault.revisions); None: not remembered
        # (the self-test's throwaway vault).
        self.revision_log = revision_log
        self.clock = Clock(offset=settings.time_offset)
        self.clipboard = SecretClipboard(lambda: settings.clipboard_clear_seconds, parent=self)
        self.vault: Vault | None = None
        self.unlock_window: UnlockWindow | None = None
        self.main_window: MainWindow | None = None
        self.tray: Tray | None = None
        self.auto_lock = AutoLock(
            settings, timeout_ms=idle_timeout_ms, watch_session=watch_session, parent=self
        )
        self.auto_lock.lock_requested.connect(self.lock)
        self.watcher: VaultWatcher | None = None
        # Merging what sync tools and other Keyfobs write: made at the first unlock.
        self.sync: SyncFollow | None = None
        self.links = LinkInbox(self, self.enrollment_link_received, uris or [])
        # Push sign-in: made at the first unlock, kept across locks (requests arrive locked).
        self.push: PushFeature | None = None
        self.quitting = False
        settings.changed.connect(self._setting_changed)
        self.theme = ThemeFollower(settings, self)

    # --- start and unlock ------------------------------------------------------------------

    def start(
        self, *, minimized: bool = False, quick: QuickStart | None = None
    ) -> UnlockWindow | None:
        """Show the list if the system keyring opens the vault (quick unlock), else the unlock
        window (returned); `minimized` (autostart) leaves only the tray icon. `quick`: what
        the keyring gave already (app.ui.shell.quick_start.before_qt); None tries it here."""
        window: UnlockWindow | None = None
        if quick is None:  # it loads nothing of quick unlock for a vault without the slot
            from app.ui.shell.quick_start import try_keyring

            quick = try_keyring(self.vault_path)
        if quick is not None and quick.vault is not None:
            self._unlocked(quick.vault, show=not minimized)
        else:
            window = self._show_unlock(show=not minimized)
            if quick is not None and quick.why_not is not None:
                say = window.error.show_note if quick.expected else window.error.show_error
                say(quick.why_not)
        # The tray and the session watcher wait until the first window has been drawn.
        after_first_paint(self.main_window or self.unlock_window, self._start_services)
        if minimized:
            QTimer.singleShot(0, self._start_minimized)
        return window

    def _start_minimized(self) -> None:
        # Without a tray (none yet at login, or none at all) a hidden window could not be
        # found again: it goes to the taskbar minimised instead.
        window: QWidget | None = self.unlock_window or self.main_window
        in_tray = self.tray is not None and self.tray.icon.isVisible()
        if window is not None and not window.isVisible() and not in_tray:
            window.showMinimized()

    def _start_services(self) -> None:
        if self.quitting:
            return
        self._update_tray()
        self.auto_lock.watch_session()

    def _show_unlock(self, *, show: bool = True) -> UnlockWindow:
        create = not self.vault_path.exists()
        window = UnlockWindow(
            self.vault_path,
            create=create,
            kdf=self.kdf,
            geometry=self.settings.geometry("unlock"),
        )
        window.unlocked.connect(self._unlocked)
        window.close_requested.connect(self._unlock_closed)
        window.vault_chosen.connect(self.open_vault)
        self.unlock_window = window
        if show:
            bring_to_front(window)
        return window

    def _unlocked(self, vault: Vault, *, show: bool = True) -> None:
        from app.ui.accounts.main_window import MainWindow
        from app.ui.shell.quick_start import renew_after_password
        from app.vault.quick_unlock import opened_by_keyring

        self.vault = vault
        main = MainWindow(
            vault,
            self.settings,
            self.clock,
            self.clipboard,
            screen_source=self.screen_source,
            camera_check=self.camera_check,
        )
        main.tray_available = self.tray is not None and self.tray.available()
        main.settings_flows.kdf = self.kdf  # a new password's cost, as for a new vault
        main.lock_requested.connect(self.lock)
        main.quit_requested.connect(self.quit)
        self.main_window = main
        if self.unlock_window is not None:
            self.settings.set_geometry("unlock", self.unlock_window.saveGeometry())
            self._close_unlock_window().deleteLater()
        if show:
            bring_to_front(main)
        main.search.setFocus()
        if not opened_by_keyring(vault):  # the password was entered: quick unlock counts anew
            renew_after_password(vault, self)
        # The rest waits for the list's first paint, which it would hold back by 20 ms and
        # more: the idle watcher (a filter on every event), the revision log's file lock
        # (filelock's import: 15 ms), the tray's menu, push, the conflict copies' scan.
        after_first_paint(main if show else None, lambda: self._settle(vault, main))

    def _settle(self, vault: Vault, main: MainWindow) -> None:
        """What an opening does once the list is on screen."""
        from app.ui.shell.rollback_notice import notice_rollback
        from app.ui.shell.vault_watcher import VaultWatcher
        from app.vault.memory import release_after_load

        if self.vault is not vault or self.main_window is not main:
            return  # locked (or another vault opened) before the list was drawn
        self.watcher = VaultWatcher(self.vault_path, self)
        self.watcher.changed.connect(self.vault_changed)
        self._follow_sync(vault, main)
        self.auto_lock.vault_opened()
        self._rebuild_tray()
        self._attach_push()
        self.links.offer(main)
        main.settings_flows.check_clock()  # with an address set: warns when over 15 s off
        notice_rollback(vault, self.revision_log, main)
        self.opened.emit()
        self.vault_changed()  # conflict copies beside the vault, merged at each opening
        # Opening the vault and building its list freed megabytes that the C heap keeps:
        # given back once the window is up (11 MiB at 10,000 accounts).
        count = len(vault.content.accounts)
        QTimer.singleShot(0, lambda: release_after_load(count))

    def _attach_push(self) -> None:
        # Made at its first need: a vault without enrollments loads nothing of push but the
        # menu entry and the receiver of enrollment links (app.ui.shell.push_host).
        from app.ui.shell.push_host import attach_push

        attach_push(self)

    def open_with_password(self, password: str, done: Callable[[str | None], None]) -> None:
        """Unlock without the unlock window (approving a push request while locked).

        Then `done(None)`, or `done(message)` saying what was wrong.
        """
        if self.vault is not None:
            done(None)
            return

        def opened(vault: Vault) -> None:
            if self.vault is None:
                self._unlocked(vault)
            else:  # unlocked meanwhile through the unlock window
                vault.lock()
            done(None)

        open_in_background(self.vault_path, password, opened, done, owner=self)

    def _close_unlock_window(self) -> UnlockWindow:
        window, self.unlock_window = self.unlock_window, None
        assert window is not None
        window.close_requested.disconnect(self._unlock_closed)  # not a request to quit
        window.close()
        return window

    def _unlock_closed(self) -> None:
        if self.tray is not None and self.tray.icon.isVisible() and self.settings.close_to_tray:
            return
        self.quit()

    # --- lock and quit ---------------------------------------------------------------------

    @property
    def is_locked(self) -> bool:
        return self.vault is None

    def lock(self) -> None:
        if self.vault is None:
            return
        self._close_vault()
        self._show_unlock()
        self._rebuild_tray()
        self.locked.emit()

    def _close_vault(self) -> None:
        if self.push is not None:
            self.push.before_lock()
        self.auto_lock.vault_closed()
        if self.sync is not None:
            self.sync.detach()
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher.deleteLater()
            self.watcher = None
        main, self.main_window = self.main_window, None
        if main is not None:
            try:
                main.shut_down()
            finally:
                main.hide()
                main.deleteLater()
        self.clipboard.clear_if_ours()
        vault, self.vault = self.vault, None
        if vault is not None:
            vault.lock()

    def quit(self) -> None:
        if self.quitting:
            return
        self.quitting = True
        try:
            self._close_vault()
        finally:
            if self.unlock_window is not None:
                self._close_unlock_window()
            if self.push is not None:
                self.push.shutdown()
            if self.tray is not None:
                self.tray.dispose()
            self.auto_lock.dispose()
            self.settings.sync()
            QApplication.quit()

    # --- the vault changed on disk ---------------------------------------------------------

    def _follow_sync(self, vault: Vault, main: MainWindow) -> None:
        if self.sync is None:
            from app.ui.shell.sync_follow import SyncFollow

            self.sync = SyncFollow(self)
            self.sync.changed.connect(self._content_changed)
            self.sync.key_changed.connect(self._key_changed)
        self.sync.attach(vault, main)
        main.settings_flows.vault_moving.connect(self.sync.moving)
        main.settings_flows.vault_moved.connect(self._vault_moved)
        main.settings_flows.vault_chosen.connect(self.open_vault)

    def vault_changed(self) -> None:
        """The vault's file or folder changed (or the vault was just opened): merge what
        another Keyfob or a sync tool wrote, and conflict copies (app.ui.shell.sync_follow)."""
        if self.sync is not None:
            self.sync.take_in()

    def _key_changed(self, message: str) -> None:
        # Another key (the password was changed elsewhere, or another vault restored): only
        # the password can open it again.
        self.lock()
        if self.unlock_window is not None:
            self.unlock_window.error.show_error(message)

    def _content_changed(self) -> None:  # the list shows the merge, search and selection kept
        if self.main_window is not None:
            self.main_window.reload()
            self._rebuild_tray()
            if self.push is not None:
                self.push.vault_changed()

    # --- another vault file ----------------------------------------------------------------

    def open_vault(self, path: Path) -> None:
        """Use the vault at `path` (chosen and remembered already): locked, its unlock form."""
        self.vault_path = Path(path)
        if self.vault is not None:
            self.lock()  # the unlock form comes for the new path
        else:
            if self.unlock_window is not None:
                self._close_unlock_window().deleteLater()
            self._show_unlock()
        self.vault_path_changed.emit(self.vault_path)

    def _vault_moved(self, moved: Moved) -> None:
        """Settings moved the vault into another folder: go on with it there, unlocked."""
        from app.ui.settings.vault_location import say_moved

        if self.vault is not None:
            self.vault.lock()  # its file is gone: nothing may be saved there any more
        self._close_vault()
        self.vault_path = moved.vault.path
        self._unlocked(moved.vault)
        self.vault_path_changed.emit(self.vault_path)
        main = self.main_window
        if main is not None:
            say_moved(main.toast, main.show_problem, moved)

    # --- tray ------------------------------------------------------------------------------

    def _favourites(self) -> list[Account] | None:
        if self.main_window is None:
            return None
        return [a for a in self.main_window.model.accounts if a.favourite]

    def _update_tray(self) -> None:
        wanted = self.settings.tray_enabled
        if wanted and self.tray is None:
            from app.ui.shell.tray import Tray

            self.tray = Tray(self._favourites, self)
            self.tray.show_requested.connect(self.show_window)
            self.tray.lock_requested.connect(self.lock)
            self.tray.quit_requested.connect(self.quit)
            self.tray.copy_requested.connect(self.copy_favourite)
        if self.tray is not None:
            self.tray.set_visible(wanted)
        if self.main_window is not None:
            self.main_window.tray_available = bool(
                wanted and self.tray is not None and self.tray.available()
            )

    def _rebuild_tray(self) -> None:  # the favourites of the vault now open, or none
        if self.tray is not None:
            self.tray.rebuild()

    def show_window(self) -> None:
        """Bring Keyfob to the front: out of the tray, unminimised, raised and focused."""
        bring_to_front(self.main_window or self.unlock_window or self._show_unlock())

    # --- links from the command line, another `keyfob` or the OS ---------------------------

    def open_links(self, links: list[str], *, show: bool = True) -> None:
        """Offer otpauth:// links in the add window and hand keyfob:// ones to push.

        Locked, they wait for the unlock; the window comes to the front either way (unless
        `show` is False and there is nothing to offer: `keyfob --minimized` at login).
        """
        self.links.put(links)
        if show or links:
            self.show_window()
        if self.main_window is not None:
            self.links.offer(self.main_window)

    def copy_favourite(self, uuid: str) -> None:
        if self.main_window is not None:
            self.main_window.codes.copy_uuid(uuid)

    # --- settings --------------------------------------------------------------------------

    def _setting_changed(self, key: str) -> None:
        if key.startswith("tray/"):
            self._update_tray()
        elif key == "time/offset_seconds":
            self.clock.offset = self.settings.time_offset

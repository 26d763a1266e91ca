"""The app's states and what moves between them: locked (unlock window) and open (main window).

Locking drops the decrypted vault, the main window and every code it cached; the unlock
window comes back. The tray, the settings and the clock outlive a lock.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QMetaMethod, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from app.core.account import Account
from app.core.clock import Clock
from app.core.errors import KeyfobError
from app.ui.add.screen import ScreenSource
from app.ui.common.clipboard import SecretClipboard
from app.ui.common.settings import Settings, Theme
from app.ui.shell.theme import apply_theme
from app.ui.shell.unlock_window import UnlockWindow

if TYPE_CHECKING:
    from app.ui.accounts.main_window import MainWindow
    from app.ui.push.feature import PushFeature
    from app.ui.shell.idle import IdleWatcher
    from app.ui.shell.session_watch import SessionWatcher
    from app.ui.shell.tray import Tray
    from app.ui.shell.vault_watcher import VaultWatcher
    from app.vault.kdf import KdfParams
    from app.vault.revisions import RevisionLog
    from app.vault.store import Vault


class Controller(QObject):
    locked = Signal()
    opened = Signal()
    # A keyfob://enroll link (push sign-in approvals) arrived, and the vault is open: the
    # push UI connects here. Without a receiver, a note says the desktop cannot enroll yet.
    enrollment_link_received = Signal(str)

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
        self._idle_override = idle_timeout_ms
        self._uris = list(uris or [])
        self._watch_session = watch_session
        # The highest revision seen of each vault (app.vault.revisions); None: not remembered
        # (the self-test's throwaway vault).
        self.revision_log = revision_log
        self.rollback_notice: QMessageBox | None = None
        self.clock = Clock(offset=settings.time_offset)
        self.clipboard = SecretClipboard(lambda: settings.clipboard_clear_seconds, parent=self)
        self.vault: Vault | None = None
        self.unlock_window: UnlockWindow | None = None
        self.main_window: MainWindow | None = None
        self.tray: Tray | None = None
        self.idle: IdleWatcher | None = None
        self.watcher: VaultWatcher | None = None
        self.session: SessionWatcher | None = None
        self.enrollment_notice: QMessageBox | None = None
        # Push sign-in: made at the first unlock, kept across locks (requests arrive locked).
        self.push: PushFeature | None = None
        self.quitting = False
        settings.changed.connect(self._setting_changed)
        # Following the system: re-apply when the desktop switches between light and dark.
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._system_scheme_changed)

    # --- start and unlock ------------------------------------------------------------------

    def start(self, *, minimized: bool = False) -> UnlockWindow:
        """Show the unlock window; `minimized` (autostart) leaves only the tray icon."""
        window = self._show_unlock(show=not minimized)
        # The tray and the session watcher can wait until the first window is on screen.
        QTimer.singleShot(0, self._start_services)
        if minimized:
            QTimer.singleShot(0, self._start_minimized)
        return window

    def _start_minimized(self) -> None:
        # Without a tray (none yet at login, or none at all) a hidden window could not be
        # found again: it goes to the taskbar minimised instead.
        window = self.unlock_window
        in_tray = self.tray is not None and self.tray.icon.isVisible()
        if window is not None and not window.isVisible() and not in_tray:
            window.showMinimized()

    def _start_services(self) -> None:
        if self.quitting:
            return
        self._update_tray()
        if self._watch_session and self.session is None:
            from app.ui.shell.session_watch import SessionWatcher

            self.session = SessionWatcher(self)
            self.session.session_locked.connect(self._session_locked)

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
        self.unlock_window = window
        if show:
            window.show()
            window.raise_()
            window.activateWindow()
        return window

    def _unlocked(self, vault: Vault) -> None:
        from app.ui.accounts.main_window import MainWindow
        from app.ui.shell.idle import IdleWatcher
        from app.ui.shell.vault_watcher import VaultWatcher

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
        main.kdf = self.kdf  # a new password's cost, as for a new vault
        main.lock_requested.connect(self.lock)
        main.quit_requested.connect(self.quit)
        self.main_window = main
        unlock = self.unlock_window
        if unlock is not None:
            self.settings.set_geometry("unlock", unlock.saveGeometry())
            self.unlock_window = None
            unlock.close_requested.disconnect(self._unlock_closed)
            unlock.close()
            unlock.deleteLater()
        main.show()
        main.raise_()
        main.activateWindow()
        main.search.setFocus()

        self.watcher = VaultWatcher(self.vault_path, self)
        self.watcher.changed.connect(self.vault_changed)
        if self.idle is None:
            self.idle = IdleWatcher(self._idle_timeout(), self)
            self.idle.idle.connect(self.lock)
        else:
            self.idle.set_timeout(self._idle_timeout())
        if self.tray is not None:
            self.tray.rebuild()
        self._attach_push(vault, main)
        self._offer_links()
        self._check_clock()
        self._check_rollback(vault, main)
        self.opened.emit()

    def _check_rollback(self, vault: Vault, main: MainWindow) -> None:
        """Say so when the vault is older than a version seen before (an old copy put back)."""
        if self.revision_log is None:
            return
        rollback = vault.track_revisions(self.revision_log)
        if rollback is None:
            return
        from app.ui.shell.rollback_notice import RollbackNotice

        notice = RollbackNotice(main, rollback, main.open_backups)
        notice.open()
        self.rollback_notice = notice

    def _attach_push(self, vault: Vault, main: MainWindow) -> None:
        if self.push is None:
            from app.ui.push.feature import PushFeature

            self.push = PushFeature(self)
        self.push.attach(vault, main)

    def open_with_password(self, password: str, done: Callable[[str | None], None]) -> None:
        """Unlock without the unlock window (approving a push request while locked).

        Then `done(None)`, or `done(message)` saying what was wrong.
        """
        if self.vault is not None:
            done(None)
            return
        path = self.vault_path

        def work() -> Vault:
            from app.vault.store import Vault

            return Vault.open(path, password)

        def opened(vault: Vault) -> None:
            if self.vault is None:
                self._unlocked(vault)
            else:  # unlocked meanwhile through the unlock window
                vault.lock()
            done(None)

        def failed(error: BaseException) -> None:
            from app.vault.errors import VaultAuthError

            if isinstance(error, VaultAuthError):
                done(self.tr("Wrong password. Try again."))
            elif isinstance(error, KeyfobError | OSError):
                done(str(error))
            else:
                raise error

        from app.ui.common.worker import run_in_thread

        run_in_thread(work, opened, failed, owner=self)

    def _check_clock(self) -> None:
        """With a clock-check address set, measure the drift once per unlock (warns > 15 s)."""
        url = self.settings.time_check_url
        if not url or self.main_window is None:
            return
        from app.ui.settings.time_check import TimeCheck

        main = self.main_window
        check = TimeCheck(main)
        check.finished.connect(main.set_drift)
        check.check(url)

    def _idle_timeout(self) -> int:
        if self._idle_override is not None:
            return self._idle_override
        return self.settings.auto_lock_minutes * 60_000

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
        if self.tray is not None:
            self.tray.rebuild()
        self.locked.emit()

    def _session_locked(self) -> None:
        if self.settings.lock_on_session_lock:
            self.lock()

    def _close_vault(self) -> None:
        if self.push is not None:
            self.push.before_lock()
        if self.idle is not None:
            self.idle.stop()
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
                self.unlock_window.close_requested.disconnect(self._unlock_closed)
                self.unlock_window.close()
            if self.push is not None:
                self.push.shutdown()
            if self.tray is not None:
                self.tray.dispose()
            if self.idle is not None:
                self.idle.dispose()
            self.settings.sync()
            QApplication.quit()

    # --- the vault changed on disk ---------------------------------------------------------

    def vault_changed(self) -> None:
        vault, main = self.vault, self.main_window
        if vault is None or main is None:
            return
        from app.vault.errors import VaultConflictError

        try:
            changed = vault.refresh()
        except VaultConflictError as error:
            # Another key (the password was changed elsewhere, or another vault restored):
            # only the password can open it again.
            self.lock()
            if self.unlock_window is not None:
                self.unlock_window.error.show_error(str(error))
            return
        except KeyfobError as error:
            main.show_problem(self.tr("The vault file changed and cannot be read."), str(error))
            return
        if changed:
            main.reload()
            if self.tray is not None:
                self.tray.rebuild()
            if self.push is not None:
                self.push.vault_changed()

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

    def show_window(self) -> None:
        """Bring Keyfob to the front: out of the tray, unminimised, raised and focused."""
        window: QWidget | None = self.main_window
        if window is None:
            window = self.unlock_window
        if window is None:
            window = self._show_unlock()
        state = window.windowState()
        if state & Qt.WindowState.WindowMinimized:
            # Not showNormal(): a window maximised before it was minimised stays maximised.
            window.setWindowState(state & ~Qt.WindowState.WindowMinimized)
        window.show()
        window.raise_()
        window.activateWindow()

    # --- links from the command line, another `keyfob` or the OS ---------------------------

    def open_links(self, links: list[str], *, show: bool = True) -> None:
        """Offer otpauth:// links in the add window and hand keyfob:// ones to push.

        Locked, they wait for the unlock; the window comes to the front either way (unless
        `show` is False and there is nothing to offer: `keyfob --minimized` at login).
        """
        self._uris.extend(links)
        if show or links:
            self.show_window()
        if self.main_window is not None:
            self._offer_links()

    def _offer_links(self) -> None:
        main = self.main_window
        if main is None or not self._uris:
            return
        links, self._uris = self._uris, []
        accounts = [link for link in links if not link.lower().startswith("keyfob:")]
        if accounts:
            main.add_from_text("\n".join(accounts))
        for link in links:
            if link.lower().startswith("keyfob:"):
                self._enrollment_link(link)

    def _enrollment_link(self, link: str) -> None:
        signal = QMetaMethod.fromSignal(self.enrollment_link_received)
        if self.isSignalConnected(signal):
            self.enrollment_link_received.emit(link)
            return
        box = QMessageBox(
            QMessageBox.Icon.Information,
            self.tr("Push sign-in approval"),
            self.tr(
                "This link enrolls Keyfob for approving sign-ins by push. The desktop app "
                "cannot enroll yet; for now, run keyfob push enroll in a terminal and paste the "
                "link when it asks (never put the link in the command: it holds a secret)."
            ),
            QMessageBox.StandardButton.Ok,
            self.main_window,
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.enrollment_notice = box

    def copy_favourite(self, uuid: str) -> None:
        main = self.main_window
        if main is None:
            return
        for account in main.model.accounts:
            if account.uuid == uuid:
                main.copy_account(account)
                return

    # --- settings --------------------------------------------------------------------------

    def _system_scheme_changed(self) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication) and self.settings.theme is Theme.SYSTEM:
            apply_theme(app, Theme.SYSTEM)

    def _setting_changed(self, key: str) -> None:
        if key == "display/theme":
            app = QApplication.instance()
            if isinstance(app, QApplication):
                apply_theme(app, self.settings.theme)
        elif key.startswith("tray/"):
            self._update_tray()
        elif key == "security/auto_lock_minutes" and self.idle is not None and self.vault:
            self.idle.set_timeout(self._idle_timeout())
        elif key == "time/offset_seconds":
            self.clock.offset = self.settings.time_offset

"""Push sign-in in the running app: the one object the shell makes and talks to.

One `PushFeature` lives as long as the app, from its first need on (the shell makes it when
the vault holds an enrollment, or the user enrolls or opens push sign-in from the menu entry
the shell keeps). At each unlock it reads the vault's enrollments and (re)connects them, puts
the status button in the new main window, and takes the enrollment links met meanwhile. At
a lock it saves the history of requests and keeps the connections: once it runs, requests
arrive while locked.
It reaches the rest of the app only through its `PushHost` (push.host): never the shell's
controller, main window or tray themselves.
Nothing here imports QtWebSockets: the transport does, when the first enrollment connects.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Final

import shiboken6
from PySide6.QtCore import QObject, Qt

from app.core.errors import KeyfobError

if TYPE_CHECKING:
    from app.push.enrollment import PushEnrollment
    from app.push.messages import Challenge
    from app.ui.push.enroll import PushEnrollDialog
    from app.ui.push.history import HistoryDialog
    from app.ui.push.host import PushHost
    from app.ui.push.manager import Prompt, PushManager
    from app.ui.push.prompt import PromptWindow
    from app.ui.push.status_dialog import PushDialog, PushStatusButton, PushStatusLine
    from app.ui.push.transport import TransportOptions
    from app.vault.content import VaultContent
    from app.vault.store import Vault

# Notification servers that announce "body-markup" (GNOME, KDE, dunst, mako...) read a
# notification's body as markup, and Qt hands them our text unchanged (its own balloon, used
# without such a server, shows plain text). Text from a push server must not become a link
# or an image there: whatever could open a tag is taken out.
_TAG: Final = re.compile(r"<[^<>]*>")


def plain_notification_text(text: str) -> str:
    """`text` with anything a notification server could read as markup taken out."""
    return _TAG.sub("", text).replace("<", "").replace(">", "")


def notification_body(challenge: Challenge) -> str:
    """ "alice — Sign in (Lyon, France)": who, what and where, for a desktop notification."""
    where = challenge.context.get("location") or challenge.context.get("app") or ""
    text = f"{challenge.user} — {challenge.action}"
    if where:
        text += f" ({where})"
    return plain_notification_text(text)


def _prompt_window(manager: PushManager) -> PromptWindow:
    # Handed to the manager, which must not import the window: the window imports it.
    from app.ui.push.prompt import PromptWindow

    return PromptWindow(manager)


class PushFeature(QObject):
    """Push sign-in for one app; also the `Unlocker` its manager asks before approving."""

    def __init__(
        self,
        host: PushHost,
        *,
        now: Callable[[], float] = time.time,
        options: TransportOptions | None = None,
        result_ms: int | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.host = host
        self.now = now
        self.options = options
        self.result_ms = result_ms
        self.manager: PushManager | None = None
        self.button: PushStatusButton | None = None
        self.status_line: PushStatusLine | None = None
        self.dialog: PushDialog | None = None
        self.history_dialog: HistoryDialog | None = None
        self.enroll_dialog: PushEnrollDialog | None = None
        self._links: list[str] = []  # keyfob://enroll links waiting for an unlock
        self._history_loaded = False
        host.enrollment_link_received.connect(self.enroll)
        host.settings_opened.connect(self._settings_opened)
        host.notification_clicked.connect(self._show_prompts)

    # --- the Unlocker the manager uses -----------------------------------------------------

    def is_locked(self) -> bool:
        return self.host.vault() is None

    def unlock(self, password: str, done: Callable[[str | None], None]) -> None:
        self.host.unlock(password, done)

    # --- the app's life --------------------------------------------------------------------

    def attach(self) -> None:
        """A fresh unlock: connect the vault's enrollments and show push in the new window."""
        vault = self.host.vault()
        if vault is not None:
            self._sync(vault)
        self._add_button()
        if self.manager is not None and self.manager.drift is not None:
            self.host.show_drift(self.manager.drift)
        links, self._links = self._links, []
        for link in links:
            self.enroll(link)

    def vault_changed(self) -> None:
        """Another program saved the vault: follow its enrollments (the CLI may add some)."""
        vault = self.host.vault()
        if vault is not None:
            self._sync(vault)

    def before_lock(self) -> None:
        """The vault is about to close: save the history while it still can be."""
        manager, vault = self.manager, self.host.vault()
        if manager is None or vault is None or not manager.history.dirty:
            return
        history = manager.history
        try:
            vault.modify(lambda content: history.store(content.push))
        except KeyfobError:
            return  # kept in memory; saved at the next lock
        history.dirty = False

    def shutdown(self) -> None:
        try:
            self.before_lock()
        finally:
            if self.manager is not None:
                self.manager.shutdown()

    def _sync(self, vault: Vault) -> None:
        push = vault.content.push
        if not push and self.manager is None:
            return  # nothing to read: app.push can wait
        from app.push.records import read_enrollments

        enrollments = read_enrollments(push)
        if not enrollments and self.manager is None:
            return
        manager = self._ensure_manager()
        manager.set_enrollments(enrollments)
        if not self._history_loaded:
            # Once per run: afterwards memory is newer than the vault (saved at each lock).
            manager.history.load(push)
            self._history_loaded = True
        self._add_button()

    def _ensure_manager(self) -> PushManager:
        if self.manager is None:
            from app.ui.push.manager import PushManager

            manager = PushManager(
                self,
                now=self.now,
                options=self.options,
                window_factory=_prompt_window,
                parent=self,
            )
            if self.result_ms is not None:
                manager.result_ms = self.result_ms
            manager.drift_measured.connect(self.host.show_drift)
            manager.prompt_arrived.connect(self._notify)
            self.manager = manager
        return self.manager

    # --- the main window -------------------------------------------------------------------

    def _add_button(self) -> None:
        manager, window = self.manager, self.host.dialog_parent()
        if manager is None or window is None:
            return
        button = self.button
        # The button goes with the main window it was in (at each lock).
        if button is not None and shiboken6.isValid(button) and button.window() is window:
            button.refresh()
            return
        from app.ui.push.status_dialog import PushStatusButton, PushStatusLine

        button = PushStatusButton(manager, window)
        button.clicked.connect(self._button_clicked)
        line = PushStatusLine(manager, window)
        line.details_requested.connect(self.open_dialog)
        self.host.add_status(button, line)
        self.button = button
        self.status_line = line
        button.refresh()
        line.refresh()

    def _button_clicked(self) -> None:
        manager = self.manager
        if manager is not None and manager.prompts:
            manager.show_window()
        else:
            self.open_dialog()

    def _settings_opened(self) -> None:
        manager = self.manager
        if manager is None or manager.drift is None or not manager.enrollments:
            return
        from urllib.parse import urlsplit

        server = urlsplit(manager.enrollments[0].url).hostname or manager.enrollments[0].url
        self.host.show_measured_drift(manager.drift, server)

    def open_dialog(self) -> PushDialog | None:
        window = self.host.dialog_parent()
        if window is None:
            return None
        from app.ui.push.status_dialog import PushDialog

        dialog = PushDialog(window, self.manager, self.remove)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.history_requested.connect(self.open_history)
        dialog.open()
        self.dialog = dialog
        return dialog

    def open_history(self) -> HistoryDialog | None:
        window = self.host.dialog_parent()
        if window is None:
            return None
        from app.push.history import PushHistory
        from app.ui.push.history import HistoryDialog

        history = self.manager.history if self.manager is not None else PushHistory()
        dialog = HistoryDialog(self.dialog or window, history)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if self.manager is not None:
            self.manager.history_changed.connect(dialog.refresh)
        dialog.open()
        self.history_dialog = dialog
        return dialog

    # --- desktop notifications -------------------------------------------------------------

    def _notify(self, prompt: Prompt) -> None:
        challenge = prompt.challenge
        title = self.tr("Sign-in request: %1").replace("%1", challenge.issuer)
        self.host.notify(plain_notification_text(title), notification_body(challenge))

    def _show_prompts(self) -> None:
        if self.manager is not None and self.manager.prompts:
            self.manager.show_window()

    # --- enrolling -------------------------------------------------------------------------

    def enroll(self, text: str) -> PushEnrollDialog | None:
        """Offer to set up push sign-in from a keyfob://enroll link (after an unlock)."""
        from app.push.enrollment import parse_enroll_uri
        from app.push.errors import PushUriError

        try:
            uri = parse_enroll_uri(text)
        except PushUriError as error:
            self.host.show_problem(self.tr("This push sign-in link cannot be used."), str(error))
            return None
        vault, window = self.host.vault(), self.host.dialog_parent()
        if vault is None or window is None:
            self._links.append(text)
            self.host.show_window()
            return None
        from app.push.records import enrolled_for, read_enrollments
        from app.ui.push.enroll import PushEnrollDialog

        already = enrolled_for(read_enrollments(vault.content.push), uri.url, uri.issuer, uri.user)
        dialog = PushEnrollDialog(window, uri, self._save, already_enrolled=already)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.enroll_dialog = dialog
        return dialog

    def _save(self, enrollment: PushEnrollment) -> None:
        vault = self.host.vault()
        if vault is None:
            from app.ui.common.errors import UiError

            raise UiError(self.tr("Keyfob was locked meanwhile; set it up again after unlocking."))

        from app.push.records import add_enrollment

        def change(content: VaultContent) -> None:
            add_enrollment(content, enrollment)

        vault.modify(change)
        self._sync(vault)

    def remove(self, device_id: str) -> None:
        vault = self.host.vault()
        if vault is None:
            return

        from app.push.records import remove_enrollment

        def change(content: VaultContent) -> None:
            remove_enrollment(content, device_id)

        try:
            vault.modify(change)
        except KeyfobError as error:
            self.host.show_problem(self.tr("The push enrollment was not removed."), str(error))
            return
        self._sync(vault)

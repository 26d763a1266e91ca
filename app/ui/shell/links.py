"""Links that reach the running app: from its command line, a second `keyfob`, or the OS.

otpauth:// links are offered in the add window. keyfob:// links (enrolling for push sign-in)
go to whatever listens to the owner's enrollment signal (push sign-in), or, when nothing
does, to a note that says how to enroll from a terminal. Links that come while the vault is
locked wait here for the unlock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, SignalInstance

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox, QWidget

    from app.ui.accounts.main_window import MainWindow


def is_enrollment(link: str) -> bool:
    return link.lower().startswith("keyfob:")


class LinkInbox(QObject):
    """The links not offered yet; `enrollments` is `owner`'s signal for keyfob:// ones."""

    def __init__(self, owner: QObject, enrollments: SignalInstance, links: list[str]) -> None:
        super().__init__(owner)
        self._owner = owner
        self._enrollments = enrollments
        self._waiting = list(links)
        self.enrollment_notice: QMessageBox | None = None

    def put(self, links: list[str]) -> None:
        self._waiting.extend(links)

    def offer(self, main: MainWindow) -> None:
        """Hand every waiting link on, now that `main` (the vault) is open."""
        if not self._waiting:
            return
        links, self._waiting = self._waiting, []
        accounts = [link for link in links if not is_enrollment(link)]
        if accounts:
            main.adding.add_from_text("\n".join(accounts))
        for link in links:
            if is_enrollment(link):
                self._enroll(link, main)

    def _enroll(self, link: str, main: QWidget) -> None:
        # Imported when a keyfob:// link comes: the start does not wait for these types.
        from PySide6.QtCore import QMetaMethod, Qt
        from PySide6.QtWidgets import QMessageBox

        signal = QMetaMethod.fromSignal(self._enrollments)
        if self._owner.isSignalConnected(signal):
            self._enrollments.emit(link)
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
            main,
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.enrollment_notice = box

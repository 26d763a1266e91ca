"""What push sign-in asks of the app around it: the one way `PushFeature` reaches the rest.

The shell implements it (shell.push_host) over its controller, main window and tray. Push
never sees those: it gets the open vault, a window to parent its dialogs, places for its
status button and status line, and a few signals. (The menu entry that opens push sign-in is
the shell's: it is there before push is loaded.) So push can be read, tested
and changed without the shell, and the shell's widgets can change without push.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance
    from PySide6.QtWidgets import QWidget

    from app.vault.store import Vault


class PushHost(Protocol):
    """The app as push sign-in sees it. Signals are Qt signals of the host."""

    @property
    def enrollment_link_received(self) -> SignalInstance:
        """(str) A keyfob://enroll link: from the command line, the OS or the add window."""
        ...

    @property
    def settings_opened(self) -> SignalInstance:
        """() The settings dialog opened: push may tell it the clock drift it measured."""
        ...

    @property
    def notification_clicked(self) -> SignalInstance:
        """() The user clicked a desktop notification that `notify` showed."""
        ...

    def vault(self) -> Vault | None:
        """The open vault; None while locked."""
        ...

    def dialog_parent(self) -> QWidget | None:
        """The window push's dialogs belong to; None while locked."""
        ...

    def unlock(self, password: str, done: Callable[[str | None], None]) -> None:
        """Open the vault with `password`; then `done(None)`, or `done(message)` if not."""
        ...

    def show_window(self) -> None:
        """Bring Keyfob to the front (the unlock window while locked)."""
        ...

    def add_status(self, button: QWidget, line: QWidget) -> None:
        """Put the status button in the main window's header and the status line under it."""
        ...

    def show_problem(self, text: str, details: str) -> None:
        """Say what went wrong, over the main window (nothing while locked)."""
        ...

    def show_drift(self, drift: float) -> None:
        """The system clock is `drift` seconds behind the push server: warn if it matters."""
        ...

    def show_measured_drift(self, drift: float, server: str) -> None:
        """Show the drift measured against `server` in the settings dialog, if it is open."""
        ...

    def notify(self, title: str, text: str) -> None:
        """A desktop notification (the tray's); both texts are plain text."""
        ...

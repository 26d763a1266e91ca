"""Opening the add window: one at a time, whichever way it is asked for (the Add button and
its menu, a paste, a drop on the main window, an otpauth:// link from the command line or
the OS). A dropped export of another app goes to the import wizard instead.

A second request brings the open add window to the front and hands it the new source, so a
link opened while adding is not lost in a second window. The add window's code (and the
otpauth:// and migration readers it brings) loads when it first opens.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QMimeData, QObject, Signal

if TYPE_CHECKING:
    from app.core.clock import Clock
    from app.ui.accounts.editor import AccountEditing
    from app.ui.add.add_dialog import AddDialog
    from app.ui.add.screen import ScreenSource
    from app.ui.common.dialog_host import DialogHost
    from app.ui.transfer.flows import TransferFlows
    from app.vault.store import Vault


class AddWindow(Protocol):
    """What adding needs of the main window: where accounts and dropped exports go."""

    @property
    def vault(self) -> Vault: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def editor(self) -> AccountEditing: ...
    @property
    def transfer_flows(self) -> TransferFlows: ...


class AddFlow(QObject):
    """The add window of `host`: what it is given and where what it finds goes. The screen
    and the camera are the tests' to replace."""

    push_enroll_requested = Signal(str)  # a keyfob://enroll link chosen in the add window

    def __init__(
        self,
        host: AddWindow,
        dialogs: DialogHost,
        *,
        screen_source: ScreenSource | None = None,
        camera_check: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__(dialogs.window)
        self.host = host
        self.dialogs = dialogs
        self.screen_source = screen_source
        self.camera_check = camera_check

    @property
    def dialog(self) -> AddDialog | None:
        """The add window, while it is open."""
        if self.dialogs.current("add") is None:
            return None  # never opened, or closed: no need to load it to say so
        from app.ui.add.add_dialog import AddDialog

        return self.dialogs.current("add", AddDialog)

    def open(self, start: Callable[[AddDialog], Any] | None = None) -> AddDialog:
        """The add window, in front (opened if needed), then `start(dialog)` (a source)."""
        dialog = self.dialogs.open_once("add", self._make)
        if start is not None:
            start(dialog)
        return dialog

    def _make(self) -> AddDialog:
        from app.ui.add.add_dialog import AddDialog

        identities = {a.identity() for a in self.host.vault.content.accounts}
        dialog = AddDialog(
            self.dialogs.window,
            is_known=lambda account: account.identity() in identities,
            now=self.host.clock.now,
            screen_source=self.screen_source,
            camera_check=self.camera_check,
        )
        dialog.accounts_chosen.connect(self.host.editor.add_accounts)
        dialog.push_enrollment_chosen.connect(self.push_enroll_requested)
        return dialog

    def paste(self) -> None:
        self.open(lambda dialog: dialog.paste_from_clipboard())

    def add_from_text(self, text: str) -> AddDialog:
        return self.open(lambda dialog: dialog.take_text(text))

    def accepts(self, mime: QMimeData) -> bool:
        """Whether a drag holds what a drop could add (files, a picture, a link)."""
        from app.ui.add.harvest import looks_like_enrollment

        return (
            mime.hasUrls()
            or mime.hasImage()
            or (mime.hasText() and looks_like_enrollment(mime.text()))
        )

    def take_drop(self, mime: QMimeData) -> bool:
        """Hand what was dropped to the import wizard or the add window; False if useless."""
        files = [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()]
        if files:
            from app.ui.transfer.import_plan import claimed_export

            if claimed_export(files):  # another app's export: the import wizard takes it
                self.host.transfer_flows.open_import(files)
                return True
        return self.open().take_mime(mime, self.tr("in what was dropped"))

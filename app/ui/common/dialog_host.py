"""Opening a window's dialogs, written once: each under a name, deleted when it closes, and
reachable by that name while it is open (by the code that opened it, by other code, by tests).

A dialog opens window-modal (`QDialog.open`), or as the caller shows it (a menu pops up at a
point). `open_once` keeps one per name, as the add window does: asked again, it brings the
open one to the front instead of making a second.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast, overload

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QWidget

W = TypeVar("W", bound=QWidget)


def _show(widget: QWidget) -> None:
    if isinstance(widget, QDialog):
        widget.open()  # window-modal: the window behind waits, the rest of the app does not
    else:
        widget.show()


class DialogHost:
    """The dialogs opened over `window` (their parent), by name."""

    def __init__(self, window: QWidget) -> None:
        self.window = window
        self._open: dict[str, QWidget] = {}
        self._opened: set[str] = set()

    def open(self, key: str, dialog: W, show: Callable[[W], object] | None = None) -> W:
        """Show `dialog` as the open `key` (`show(dialog)`, or `open()` for a dialog); it is
        deleted when it closes. An older dialog under the same name stays as it is."""
        self.keep(key, dialog)
        if show is None:
            _show(dialog)
        else:
            show(dialog)
        return dialog

    def keep(self, key: str, dialog: W) -> W:
        """Take `dialog`, shown already (by a helper such as common.confirm), as the open
        `key`: reachable until it closes, and deleted then."""
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._open[key] = dialog
        self._opened.add(key)
        dialog.destroyed.connect(lambda: self._forget(key, dialog))
        return dialog

    def open_once(self, key: str, make: Callable[[], W]) -> W:
        """The open `key` brought to the front, or a new one from `make()` if none is open."""
        # A name stands for one kind of dialog: the one open under `key` is a W as well.
        dialog = cast("W | None", self.current(key))
        if dialog is None:
            dialog = self.open(key, make())
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    @overload
    def current(self, key: str) -> QWidget | None: ...

    @overload
    def current(self, key: str, kind: type[W]) -> W | None: ...

    def current(self, key: str, kind: type[QWidget] = QWidget) -> QWidget | None:
        """The dialog open as `key` (closed but not deleted yet counts), if it is a `kind`."""
        dialog = self._open.get(key)
        if dialog is None or not shiboken6.isValid(dialog) or not isinstance(dialog, kind):
            return None
        return dialog

    def was_opened(self, key: str) -> bool:
        """Whether a dialog was ever opened as `key`, even if closed and deleted since: how
        to tell that nothing was shown (a password answer that came after a lock)."""
        return key in self._opened

    def _forget(self, key: str, dialog: QWidget) -> None:
        if self._open.get(key) is dialog:
            del self._open[key]

""" "Open an existing vault…": the second computer of a synced folder opens the vault file
the first one keeps there, instead of creating a vault of its own.

The file chosen must be a Keyfob vault (its outer layer is read: no password yet); it is
then remembered in the preferences (the `vault/path` preference, app.vault.relocate), so
the next start and the CLI open it too, and the window asks for its password.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QFileDialog, QWidget

from app.core.errors import KeyfobError
from app.ui.common.file_dialogs import choose_file


def _tr(text: str) -> str:
    return QCoreApplication.translate("OpenExisting", text)


def choose_existing_vault(
    parent: QWidget,
    current: Path,
    chosen: Callable[[Path], None],
    refused: Callable[[str], None],
) -> QFileDialog:
    """Ask for a vault file; `chosen(path)` once it is a vault and remembered, `refused(line)`
    saying why not. The dialog starts in the folder of `current` if it exists, else at home."""
    start = current.parent if current.parent.is_dir() else Path.home()

    def take(path: Path) -> None:
        from app.vault.preferences import Preferences
        from app.vault.relocate import use_existing_vault

        try:
            remembered = use_existing_vault(path, Preferences.default())
        except (KeyfobError, OSError) as error:
            refused(
                _tr("“%1” was not opened: %2.").replace("%1", path.name).replace("%2", str(error))
            )
            return
        chosen(remembered)

    return choose_file(
        parent,
        _tr("Open an existing vault"),
        [_tr("Keyfob vault (*.json)"), _tr("All files (*)")],
        start,
        take,
    )


def missing_vault_note(path: Path) -> str:
    """For the first-start window: the vault chosen before ("Open an existing vault…", a
    move) is not at its path, perhaps a synced folder not synced yet; "" otherwise."""
    from app.vault.paths import preferred_vault_path

    if path.exists() or preferred_vault_path() != path:
        return ""
    return _tr(
        "The vault you chose is no longer at its place (below). If it is in a synced folder, "
        "let the folder sync first, or open the vault where it is now."
    )

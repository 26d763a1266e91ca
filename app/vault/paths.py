"""Where the vault lives: named on the command line, in $KEYFOB_VAULT, chosen in the desktop
app (the `vault/path` preference), or by default in the per-user data folder."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

# The per-user folders live in a leaf module, which app.vault.preferences uses too; they are
# named here as well, where callers have always found them.
from app.vault.user_dirs import (
    APP_NAME,
    CONFIG_ENV,
    PREFERENCES_FILE,
    STATE_ENV,
    default_config_dir,
    default_state_dir,
)

__all__ = [
    "APP_NAME",
    "CONFIG_ENV",
    "STATE_ENV",
    "VAULT_ENV",
    "VAULT_FILE",
    "default_config_dir",
    "default_state_dir",
    "default_vault_path",
    "preferred_vault_path",
    "resolve_vault_path",
]

VAULT_FILE = "vault.json"
VAULT_ENV = "KEYFOB_VAULT"


def default_vault_path() -> Path:
    """`vault.json` in the per-user data folder (~/.local/share/Keyfob on Linux)."""
    # appauthor=False: on Windows the folder is %LOCALAPPDATA%\\Keyfob, not Keyfob\\Keyfob.
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / VAULT_FILE


def resolve_vault_path(explicit: Path | str | None = None) -> Path:
    """The vault to use: an explicit path (`--vault`), else $KEYFOB_VAULT, else the vault
    chosen in the desktop app (Open an existing vault, Move the vault), else the default.

    The CLI and the desktop app both ask here, so both open the same vault.
    """
    if explicit:
        return Path(explicit).expanduser()
    from_env = os.environ.get(VAULT_ENV)
    if from_env:
        return Path(from_env).expanduser()
    return preferred_vault_path() or default_vault_path()


def preferred_vault_path() -> Path | None:
    """The vault chosen in the desktop app (the `vault/path` preference), if one was."""
    folder = default_config_dir()
    if not os.path.exists(folder / PREFERENCES_FILE):  # no preferences: no reader to load
        return None
    from app.vault.preferences import Preferences

    return Preferences(folder).vault_path

"""Where the vault lives when nobody says otherwise."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "Keyfob"
VAULT_FILE = "vault.json"
VAULT_ENV = "KEYFOB_VAULT"
STATE_ENV = "KEYFOB_STATE_DIR"
CONFIG_ENV = "KEYFOB_CONFIG_DIR"


def default_vault_path() -> Path:
    """`vault.json` in the per-user data folder (~/.local/share/Keyfob on Linux)."""
    # appauthor=False: on Windows the folder is %LOCALAPPDATA%\\Keyfob, not Keyfob\\Keyfob.
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / VAULT_FILE


def resolve_vault_path(explicit: Path | str | None = None) -> Path:
    """The vault to use: an explicit path (`--vault`), else $KEYFOB_VAULT, else the default."""
    if explicit:
        return Path(explicit).expanduser()
    from_env = os.environ.get(VAULT_ENV)
    if from_env:
        return Path(from_env).expanduser()
    return default_vault_path()


def default_state_dir() -> Path:
    """Where Keyfob keeps what it must remember outside the vault (the revisions it has seen).

    $KEYFOB_STATE_DIR, else the per-user state folder (~/.local/state/Keyfob on Linux).
    """
    from_env = os.environ.get(STATE_ENV)
    if from_env:
        return Path(from_env).expanduser()
    return Path(platformdirs.user_state_dir(APP_NAME, appauthor=False))


def default_config_dir() -> Path:
    """Where Keyfob keeps the preferences both faces read (app.vault.preferences).

    $KEYFOB_CONFIG_DIR, else the per-user config folder (~/.config/Keyfob on Linux).
    """
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env).expanduser()
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))

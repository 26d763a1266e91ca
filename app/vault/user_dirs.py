"""The per-user folders Keyfob keeps its own files in, and the variables that move them.

A leaf module (nothing of Keyfob's imported), so that both app.vault.paths, which reads the
preferences to find the vault, and app.vault.preferences, which lives in the config folder,
can use it without needing each other.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "Keyfob"
STATE_ENV = "KEYFOB_STATE_DIR"
CONFIG_ENV = "KEYFOB_CONFIG_DIR"
PREFERENCES_FILE = "preferences.json"  # in the config folder: app.vault.preferences


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

"""Checks on vault files that tests of several faces make."""

from __future__ import annotations

from pathlib import Path

from app.vault import Vault, VaultAuthError


def opens_with(path: Path, password: str) -> bool:
    """Whether the vault file (or a backup or copy of it) opens with `password`."""
    try:
        Vault.open(path, password)
    except VaultAuthError:
        return False
    return True

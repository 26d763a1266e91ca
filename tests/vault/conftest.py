"""Vault test helpers: real files in tmp_path, the cheapest KDF the reader accepts."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.core.account import Account
from app.vault import KdfParams, Vault

PASSWORD = "correct horse battery staple"


def cheap() -> KdfParams:
    return KdfParams.for_tests()


def account(**fields: Any) -> Account:
    """An account with a random 20-byte secret unless one is given."""
    fields.setdefault("secret", os.urandom(20))
    fields.setdefault("issuer", "Example")
    fields.setdefault("name", f"user-{os.urandom(3).hex()}@example.com")
    return Account(**fields)


@pytest.fixture
def vault_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "vault.json"


@pytest.fixture
def new_vault(vault_path: Path) -> Callable[..., Vault]:
    def make(password: str = PASSWORD) -> Vault:
        return Vault.create(vault_path, password, kdf=cheap())

    return make


@pytest.fixture
def vault(new_vault: Callable[..., Vault]) -> Vault:
    return new_vault()

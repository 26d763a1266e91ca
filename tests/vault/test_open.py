"""Creating and opening vaults: passwords, missing files, the default KDF."""

from __future__ import annotations

import json
import os
import stat
import unicodedata
from pathlib import Path

import pytest

from app.core.errors import KeyfobError
from app.vault import (
    KdfParams,
    Vault,
    VaultAuthError,
    VaultError,
    VaultExistsError,
    VaultFormatError,
    VaultLockedError,
    VaultNotFoundError,
    default_vault_path,
    resolve_vault_path,
)
from app.vault.kdf import ARGON2ID
from tests.vault.conftest import PASSWORD, account, cheap


def test_create_then_open_with_the_password(vault_path: Path) -> None:
    created = Vault.create(vault_path, PASSWORD, kdf=cheap())
    assert vault_path.is_file()
    assert created.content.accounts == []
    assert created.revision == 1

    opened = Vault.open(vault_path, PASSWORD)
    assert opened.content == created.content
    assert opened.revision == 1
    assert opened.vault_id == created.vault_id


def test_create_makes_missing_folders_and_a_private_file(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "vault.json"
    Vault.create(path, PASSWORD, kdf=cheap())
    assert path.is_file()
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_create_refuses_to_overwrite(vault: Vault) -> None:
    before = vault.path.read_bytes()
    with pytest.raises(VaultExistsError):
        Vault.create(vault.path, "another password", kdf=cheap())
    assert vault.path.read_bytes() == before


def test_create_refuses_an_empty_password(vault_path: Path) -> None:
    with pytest.raises(VaultError, match="empty"):
        Vault.create(vault_path, "", kdf=cheap())
    assert not vault_path.exists()


def test_wrong_password_is_an_auth_error_and_changes_nothing(vault: Vault) -> None:
    vault.add_accounts([account()])
    folder = vault.path.parent
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    mtime = vault.path.stat().st_mtime_ns

    with pytest.raises(VaultAuthError, match="wrong password"):
        Vault.open(vault.path, PASSWORD + "x")

    assert {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()} == before
    assert vault.path.stat().st_mtime_ns == mtime


def test_missing_vault_says_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(VaultNotFoundError, match="keyfob init"):
        Vault.open(tmp_path / "nope.json", PASSWORD)
    assert not (tmp_path / "nope.json").exists()


def test_a_folder_or_other_file_is_not_a_vault(tmp_path: Path) -> None:
    with pytest.raises(VaultFormatError):
        Vault.open(tmp_path, PASSWORD)
    other = tmp_path / "notes.json"
    other.write_text(json.dumps({"hello": "world"}))
    with pytest.raises(VaultFormatError, match="not a Keyfob vault"):
        Vault.open(other, PASSWORD)


def test_errors_belong_to_the_keyfob_hierarchy() -> None:
    for error in (VaultAuthError, VaultFormatError, VaultNotFoundError, VaultExistsError):
        assert issubclass(error, VaultError)
        assert issubclass(error, KeyfobError)


def test_password_is_unicode_normalised(vault_path: Path) -> None:
    composed = unicodedata.normalize("NFC", "pässwörd-é")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    Vault.create(vault_path, composed, kdf=cheap())
    assert Vault.open(vault_path, decomposed).revision == 1


def test_locked_vault_forgets_its_content_and_key(vault: Vault) -> None:
    vault.add_accounts([account()])
    key = vault._key
    vault.lock()
    assert vault.is_locked
    assert key == bytearray(len(key))  # overwritten in place, not just dropped
    with pytest.raises(VaultLockedError):
        _ = vault.content
    with pytest.raises(VaultLockedError):
        vault.modify(lambda content: None)
    with pytest.raises(VaultLockedError):
        vault.refresh()
    assert len(Vault.open(vault.path, PASSWORD).content.accounts) == 1


def test_check_password(vault: Vault) -> None:
    assert vault.check_password(PASSWORD)
    assert not vault.check_password("nope")


def test_repr_shows_no_secret(vault: Vault) -> None:
    secret = b"repr-secret-bytes!!!"
    vault.add_accounts([account(secret=secret, note="private")])
    vault.modify(lambda c: c.push.append({"device_key": "DEVICE-KEY-XYZ"}))
    for text in (repr(vault), repr(vault.content), repr(vault.content.accounts)):
        assert "DEVICE-KEY-XYZ" not in text
        assert secret.decode() not in text


def test_default_kdf_is_argon2id_of_at_least_64_mib(vault_path: Path) -> None:
    params = KdfParams.default()
    assert params.name == ARGON2ID
    assert params.memory_kib >= 64 * 1024
    assert len(params.salt) >= 16
    assert KdfParams.default().salt != params.salt

    vault = Vault.create(vault_path, PASSWORD)  # no kdf=: what `keyfob init` gets
    slot = json.loads(vault_path.read_text())["header"]["slots"][0]
    assert slot["kdf"]["name"] == "argon2id"
    assert slot["kdf"]["memory_kib"] == params.memory_kib
    assert slot["kdf"]["iterations"] == params.iterations
    assert Vault.open(vault_path, PASSWORD).vault_id == vault.vault_id


def test_kdf_params_out_of_bounds_are_refused() -> None:
    salt = os.urandom(16)
    for bad in (
        {"memory_kib": 1024},
        {"memory_kib": 64 * 1024 * 1024},
        {"iterations": 0},
        {"iterations": 1000},
        {"lanes": 0},
        {"memory_kib": 1024 * 1024, "iterations": 64},
    ):
        with pytest.raises(ValueError):  # noqa: PT011 - the message is checked by the reader tests
            KdfParams(ARGON2ID, salt, **bad)
    with pytest.raises(ValueError, match="salt"):
        KdfParams(ARGON2ID, b"short")


def test_default_vault_path_is_in_the_user_data_folder() -> None:
    path = default_vault_path()
    assert path.name == "vault.json"
    assert path.parent.name == "Keyfob"


def test_resolve_vault_path_prefers_explicit_then_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEYFOB_CONFIG_DIR", str(tmp_path / "config"))  # no vault chosen in the app
    monkeypatch.setenv("KEYFOB_VAULT", str(tmp_path / "env.json"))
    assert resolve_vault_path(tmp_path / "x.json") == tmp_path / "x.json"
    assert resolve_vault_path() == tmp_path / "env.json"
    monkeypatch.delenv("KEYFOB_VAULT")
    assert resolve_vault_path() == default_vault_path()


def test_a_symlinked_vault_stays_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "synced" / "vault.json"
    Vault.create(real, PASSWORD, kdf=cheap())
    link = tmp_path / "vault.json"
    link.symlink_to(real)

    vault = Vault.open(link, PASSWORD)
    vault.add_accounts([account()])

    assert link.is_symlink()
    assert len(Vault.open(real, PASSWORD).content.accounts) == 1

"""The extra backup folder's copies (Qt-free): made atomically, the newest N kept, other files
and other vaults' copies left alone, and a folder that is not there never created."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.account import Account
from app.vault import Vault
from app.vault.extra_backup import ExtraBackupError, copies_of_vault, copy_vault, extra_copies
from tests.vault.conftest import PASSWORD, account


def test_pruning_keeps_other_files_and_other_vaults_copies(vault: Vault, tmp_path: Path) -> None:
    folder = tmp_path / "synced"
    folder.mkdir()
    mine = folder / "notes.txt"
    mine.write_text("not a backup")
    other = folder / "vault-0123abcd-20200101-000000-000000Z.json"
    other.write_text("another vault's copy")
    made = []
    for _ in range(3):
        vault.add_accounts([Account(secret=bytes([len(made) + 1]) * 10, issuer=f"S{len(made)}")])
        result = copy_vault(vault.path, folder, keep=2)
        assert result.path is not None
        made.append(result.path)
    assert copy_vault(vault.path, folder, keep=2).path is None  # this version is there
    left = sorted(folder.iterdir())
    assert mine in left
    assert other in left
    assert [p for p in left if p not in (mine, other)] == sorted(made[1:])
    assert made[-1].read_bytes() == vault.path.read_bytes()


def test_a_copy_opens_with_the_vault_password(vault: Vault, tmp_path: Path) -> None:
    vault.add_accounts([account(issuer="Kept")])
    result = copy_vault(vault.path, tmp_path, keep=5)
    assert result.path is not None
    assert [a.issuer for a in Vault.open(result.path, PASSWORD).content.accounts] == ["Kept"]
    assert copies_of_vault(tmp_path, vault.path, vault.vault_id) == [result.path]
    assert copies_of_vault(None, vault.path, vault.vault_id) == []


def test_a_missing_folder_is_an_error_and_is_not_created(vault: Vault, tmp_path: Path) -> None:
    folder = tmp_path / "unplugged"
    with pytest.raises(ExtraBackupError, match="is not there") as caught:
        copy_vault(vault.path, folder, keep=3)
    assert caught.value.brief == "The folder is not there: is the drive connected?"
    assert not folder.exists()


def test_a_file_in_place_of_the_folder_is_an_error(vault: Vault, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(ExtraBackupError, match="is a file, not a folder"):
        copy_vault(vault.path, blocker, keep=3)
    assert blocker.read_text() == "x"


def test_the_known_version_is_not_copied_again_unless_forced(vault: Vault, tmp_path: Path) -> None:
    first = copy_vault(vault.path, tmp_path, keep=5)
    assert first.path is not None
    first.path.unlink()  # the folder was emptied meanwhile
    assert copy_vault(vault.path, tmp_path, keep=5, known_digest=first.digest).path is None
    again = copy_vault(vault.path, tmp_path, keep=5, known_digest=first.digest, force=True)
    assert again.path is not None
    assert extra_copies(tmp_path, vault.path, again.path.name.split("-")[1]) == [again.path]

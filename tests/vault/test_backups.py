"""Rotating backups: kept 20, newest first, each a vault; restore backs up the current first."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from app.vault import (
    BACKUPS_KEPT,
    Vault,
    VaultAuthError,
    VaultConflictError,
    VaultNotFoundError,
    count_accounts,
    list_backups,
    read_backup,
    restore_backup,
)
from tests.vault.conftest import PASSWORD, account, cheap


def _issuers(path: Path, password: str = PASSWORD) -> list[str]:
    return [a.issuer for a in Vault.open(path, password).content.accounts]


def test_no_backup_before_the_first_change(vault: Vault) -> None:
    assert list_backups(vault.path) == []


def test_backups_rotate_at_20_newest_first_and_each_opens(vault: Vault) -> None:
    for i in range(BACKUPS_KEPT + 5):
        vault.add_accounts([account(issuer=f"a{i}")])

    backups = list_backups(vault.path)
    assert BACKUPS_KEPT == 20
    assert len(backups) == BACKUPS_KEPT
    assert [b.created for b in backups] == sorted((b.created for b in backups), reverse=True)
    assert len({b.path for b in backups}) == BACKUPS_KEPT
    # The newest backup is the vault as it was just before the last save.
    assert count_accounts(backups[0], PASSWORD) == BACKUPS_KEPT + 4
    assert count_accounts(backups[-1], PASSWORD) == 5
    for info in backups:
        assert info.size == info.path.stat().st_size
        assert info.created.tzinfo is not None
        assert len(read_backup(info, PASSWORD).accounts) >= 5
        Vault.open(info.path, PASSWORD)  # a complete vault file, openable as one


def test_restore_by_name_backs_up_the_current_vault_first(vault: Vault) -> None:
    for name in ("one", "two", "three"):
        vault.add_accounts([account(issuer=name)])
    current = vault.path.read_bytes()
    target = list_backups(vault.path)[1]  # the vault holding just "one"

    restore_backup(vault.path, target.name, PASSWORD)

    assert _issuers(vault.path) == ["one"]
    newest = list_backups(vault.path)[0]
    assert newest.path.read_bytes() == current
    assert target.path.exists()  # a restore copies, the backup stays


def test_restore_by_path_and_undo_the_restore(vault: Vault) -> None:
    vault.add_accounts([account(issuer="one")])
    vault.add_accounts([account(issuer="two")])
    restore_backup(vault.path, list_backups(vault.path)[0].path, PASSWORD)
    assert _issuers(vault.path) == ["one"]
    restore_backup(vault.path, list_backups(vault.path)[0], PASSWORD)
    assert _issuers(vault.path) == ["one", "two"]


def test_restore_with_the_wrong_password_changes_nothing(vault: Vault) -> None:
    vault.add_accounts([account(issuer="one")])
    vault.add_accounts([account(issuer="two")])
    before = {p: p.read_bytes() for p in vault.path.parent.rglob("*") if p.is_file()}
    with pytest.raises(VaultAuthError):
        restore_backup(vault.path, list_backups(vault.path)[0].name, "wrong")
    assert {p: p.read_bytes() for p in vault.path.parent.rglob("*") if p.is_file()} == before


def test_restore_of_a_missing_backup(vault: Vault) -> None:
    with pytest.raises(VaultNotFoundError, match="no backup"):
        restore_backup(vault.path, "vault-20000101-000000-000000.json", PASSWORD)


def test_restore_after_the_vault_file_was_lost(vault: Vault) -> None:
    vault.add_accounts([account(issuer="one")])
    vault.add_accounts([account(issuer="two")])
    vault.path.unlink()
    restore_backup(vault.path, list_backups(vault.path)[0].name, PASSWORD)
    assert _issuers(vault.path) == ["one"]


def test_an_open_vault_follows_a_restore(vault: Vault) -> None:
    vault.add_accounts([account(issuer="one")])
    vault.add_accounts([account(issuer="two")])
    restore_backup(vault.path, list_backups(vault.path)[0].name, PASSWORD)

    assert vault.refresh()
    assert [a.issuer for a in vault.content.accounts] == ["one"]
    vault.add_accounts([account(issuer="three")])
    assert _issuers(vault.path) == ["one", "three"]


def test_restoring_another_vaults_backup_is_a_conflict_for_open_windows(
    vault: Vault, tmp_path: Path
) -> None:
    vault.add_accounts([account(issuer="mine")])
    stranger = Vault.create(tmp_path / "other" / "vault.json", PASSWORD, kdf=cheap())
    stranger.add_accounts([account(issuer="theirs")])

    restore_backup(vault.path, stranger.path, PASSWORD)

    with pytest.raises(VaultConflictError, match="open it again"):
        vault.refresh()
    with pytest.raises(VaultConflictError):
        vault.add_accounts([account(issuer="lost?")])
    assert _issuers(vault.path) == ["theirs"]
    assert [a.issuer for a in vault.content.accounts] == ["mine"]  # kept, not half-replaced


def test_backups_are_copies_where_hard_links_fail(
    vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(src: object, dst: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    vault.add_accounts([account(issuer="one")])
    vault.add_accounts([account(issuer="two")])
    monkeypatch.undo()

    backups = list_backups(vault.path)
    assert len(backups) == 2
    assert os.stat(backups[0].path).st_nlink == 1
    assert _issuers(backups[0].path) == ["one"]
    assert not list(vault.path.parent.rglob("*.tmp"))


def test_backups_keep_working_with_the_password_they_were_made_with(vault: Vault) -> None:
    vault.add_accounts([account(issuer="before")])
    vault.change_password("new password", kdf=cheap())
    old_backup = list_backups(vault.path)[0]
    assert _issuers(old_backup.path, PASSWORD) == ["before"]
    with pytest.raises(VaultAuthError):
        Vault.open(old_backup.path, "new password")
    restore_backup(vault.path, old_backup.name, PASSWORD)
    assert _issuers(vault.path, PASSWORD) == ["before"]

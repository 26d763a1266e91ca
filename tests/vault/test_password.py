"""Changing the password rewraps the master key; content, key and backups stay usable."""

from __future__ import annotations

import json

import pytest

from app.vault import Vault, VaultAuthError, VaultError, list_backups
from tests.vault.conftest import PASSWORD, account, cheap


def test_change_password_old_fails_new_works_content_stays(vault: Vault) -> None:
    vault.add_accounts([account(issuer="GitHub"), account(issuer="GitLab")])
    before = json.loads(vault.path.read_bytes())
    key = bytes(vault._key)

    vault.change_password("a brand new password", kdf=cheap())

    with pytest.raises(VaultAuthError):
        Vault.open(vault.path, PASSWORD)
    reopened = Vault.open(vault.path, "a brand new password")
    assert reopened.content == vault.content
    assert [a.issuer for a in reopened.content.accounts] == ["GitHub", "GitLab"]
    assert bytes(reopened._key) == key  # the master key did not change
    assert reopened.vault_id == vault.vault_id
    after = json.loads(vault.path.read_bytes())
    old_slot, new_slot = before["header"]["slots"][0], after["header"]["slots"][0]
    assert new_slot["kdf"]["salt"] != old_slot["kdf"]["salt"]
    assert new_slot["wrapped_key"] != old_slot["wrapped_key"]
    assert len(after["header"]["slots"]) == 1
    assert after["header"]["revision"] == before["header"]["revision"] + 1


def test_the_previous_file_is_a_backup_that_opens_with_the_old_password(vault: Vault) -> None:
    vault.add_accounts([account(issuer="GitHub")])
    vault.change_password("new", kdf=cheap())
    newest = list_backups(vault.path)[0]
    assert [a.issuer for a in Vault.open(newest.path, PASSWORD).content.accounts] == ["GitHub"]


def test_a_window_opened_before_a_password_change_keeps_working_and_keeps_it(
    vault: Vault,
) -> None:
    other_window = Vault.open(vault.path, PASSWORD)
    vault.change_password("new", kdf=cheap())

    other_window.add_accounts([account(issuer="after")])  # same master key: reload, reapply

    with pytest.raises(VaultAuthError):
        Vault.open(vault.path, PASSWORD)  # the stale window did not bring the old slot back
    assert [a.issuer for a in Vault.open(vault.path, "new").content.accounts] == ["after"]


def test_an_empty_new_password_is_refused(vault: Vault) -> None:
    before = vault.path.read_bytes()
    with pytest.raises(VaultError, match="empty"):
        vault.change_password("", kdf=cheap())
    assert vault.path.read_bytes() == before


def test_other_kinds_of_slot_are_kept(vault: Vault) -> None:
    """A slot type from a newer Keyfob (say an OS keyring slot) survives a password change."""
    from app.vault.envelope import seal

    document = json.loads(json.dumps(vault._document))
    keyring_slot = {"type": "keyring", "id": "k-1", "service": "keyfob"}
    document["header"]["slots"].append(keyring_slot)
    vault.path.write_bytes(seal(document, vault._key, b"{}"))
    assert vault.refresh()

    vault.change_password("new", kdf=cheap())

    slots = json.loads(vault.path.read_bytes())["header"]["slots"]
    assert [s["type"] for s in slots] == ["password", "keyring"]
    assert slots[1] == keyring_slot
    Vault.open(vault.path, "new")

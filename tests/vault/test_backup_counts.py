"""Counting the accounts in each backup: behind the password, per key slot, damage named."""

from __future__ import annotations

import base64
import json

from app.vault import Vault, list_backups
from app.vault.backup_counts import Uncounted, count_backups
from tests.vault.conftest import PASSWORD, account, cheap


def test_each_backup_is_counted_with_the_vault_password(vault: Vault) -> None:
    for issuer in ("one", "two", "three"):
        vault.add_accounts([account(issuer=issuer)])
    paths = [vault.path, *(info.path for info in list_backups(vault.path))]
    assert count_backups(paths, PASSWORD) == [3, 2, 1, 0]


def test_a_wrong_password_counts_nothing(vault: Vault) -> None:
    vault.add_accounts([account()])
    paths = [info.path for info in list_backups(vault.path)]
    assert count_backups(paths, "not the password") == [Uncounted.OTHER_PASSWORD]


def test_backups_from_before_a_password_change_need_the_password_of_then(vault: Vault) -> None:
    vault.add_accounts([account(issuer="before")])
    vault.change_password("the new password", kdf=cheap())
    vault.add_accounts([account(issuer="after")])
    paths = [vault.path, *(info.path for info in list_backups(vault.path))]
    counts = count_backups(paths, "the new password")
    assert counts[:2] == [2, 1]  # the vault, and the backup taken by the last save
    assert set(counts[2:]) == {Uncounted.OTHER_PASSWORD}
    old = count_backups(paths, PASSWORD)
    assert old[:2] == [Uncounted.OTHER_PASSWORD] * 2
    assert 1 in old[2:]  # the vault holding "before", under the old key


def test_a_damaged_or_missing_backup_is_named_not_counted(vault: Vault) -> None:
    for issuer in ("one", "two"):
        vault.add_accounts([account(issuer=issuer)])
    newest, oldest = (info.path for info in list_backups(vault.path))
    document = json.loads(newest.read_bytes())
    data = bytearray(base64.b64decode(document["data"]))
    data[len(data) // 2] ^= 1  # one bit of the encrypted content: authentication fails
    document["data"] = base64.b64encode(bytes(data)).decode()
    newest.write_text(json.dumps(document))
    garbage = vault.path.parent / "garbage.json"
    garbage.write_bytes(b"not a vault")
    missing = vault.path.parent / "missing.json"
    paths = [newest, oldest, garbage, missing]
    assert count_backups(paths, PASSWORD) == [Uncounted.DAMAGED, 0] + [Uncounted.DAMAGED] * 2

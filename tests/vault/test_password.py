"""Changing the password makes a new master key; the backups the old password opens are found,
and re-encrypted under the new password or deleted, as the user chooses."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import os
import shutil
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.vault import Vault, VaultAuthError, VaultConflictError, VaultError, list_backups
from app.vault.encoding import canonical_json
from app.vault.envelope import decrypt, parse, seal, unwrap_with_password
from app.vault.rekey import OldBackup
from tests.vault.conftest import PASSWORD, account, cheap

NEW = "a brand new password"


def _issuers(path: Path, password: str) -> list[str]:
    return [a.issuer for a in Vault.open(path, password).content.accounts]


def _header(path: Path) -> dict[str, object]:
    header: dict[str, object] = json.loads(path.read_bytes())["header"]
    return header


def test_change_password_makes_a_new_master_key_and_keeps_the_content(vault: Vault) -> None:
    vault.add_accounts([account(issuer="GitHub"), account(issuer="GitLab")])
    before = _header(vault.path)
    old_key = bytes(vault._key)

    vault.change_password(NEW, kdf=cheap()).forget()

    with pytest.raises(VaultAuthError):
        Vault.open(vault.path, PASSWORD)
    reopened = Vault.open(vault.path, NEW)
    assert reopened.content == vault.content
    assert [a.issuer for a in reopened.content.accounts] == ["GitHub", "GitLab"]
    assert bytes(reopened._key) != old_key
    assert bytes(vault._key) == bytes(reopened._key)  # the open vault goes on with the new key
    assert reopened.vault_id == vault.vault_id
    after = _header(vault.path)
    assert after["key_id"] != before["key_id"]
    assert after["revision"] == before["revision"] + 1  # type: ignore[operator]
    assert len(after["slots"]) == 1  # type: ignore[arg-type]
    vault.add_accounts([account(issuer="after the change")])  # and keeps saving
    assert _issuers(vault.path, NEW)[-1] == "after the change"


def test_an_old_password_and_an_old_copy_cannot_decrypt_later_versions(
    vault: Vault, tmp_path: Path
) -> None:
    """The attack: someone who knew the old password kept a copy of the vault file."""
    vault.add_accounts([account(issuer="old")])
    stolen = tmp_path / "stolen.json"
    shutil.copy(vault.path, stolen)
    vault.change_password(NEW, kdf=cheap()).forget()
    vault.add_accounts([account(issuer="secret later account")])

    key_from_copy = unwrap_with_password(parse(stolen.read_bytes()), PASSWORD)
    later = parse(vault.path.read_bytes())
    assert decrypt(later, key_from_copy) is None
    # Not only because the file names another key: AES-GCM itself refuses.
    with pytest.raises(InvalidTag):
        AESGCM(bytes(key_from_copy)).decrypt(later.nonce, later.ciphertext, later.aad)


def test_the_previous_file_is_an_old_backup_that_can_be_re_encrypted(vault: Vault) -> None:
    vault.add_accounts([account(issuer="GitHub")])
    retired = vault.change_password(NEW, kdf=cheap())
    newest = list_backups(vault.path)[0]
    assert _issuers(newest.path, PASSWORD) == ["GitHub"]  # as before the change: old password

    old = retired.old_backups()
    assert [(b.path, b.renewable) for b in old] == [
        (b.path, True) for b in list_backups(vault.path)
    ]
    revision = _header(newest.path)["revision"]

    assert retired.reencrypt(old) == len(old)
    retired.forget()

    assert _issuers(newest.path, NEW) == ["GitHub"]
    with pytest.raises(VaultAuthError):
        Vault.open(newest.path, PASSWORD)
    assert _header(newest.path)["revision"] == revision  # the same version, new key
    assert _header(newest.path)["key_id"] == _header(vault.path)["key_id"]
    assert [b.path for b in list_backups(vault.path)] == [b.path for b in old]  # same names
    assert vault.backups_under_current_key() == [b.path for b in old]  # the new password opens


def test_deleting_the_old_backups(vault: Vault) -> None:
    vault.add_accounts([account(issuer="one")])
    vault.add_accounts([account(issuer="two")])
    retired = vault.change_password(NEW, kdf=cheap())
    old = retired.old_backups()
    assert len(old) == 3

    assert retired.delete(old) == 3

    assert list_backups(vault.path) == []
    assert _issuers(vault.path, NEW) == ["one", "two"]


def test_keeping_them_leaves_them_opening_with_the_old_password(vault: Vault) -> None:
    vault.add_accounts([account(issuer="one")])
    retired = vault.change_password(NEW, kdf=cheap())
    retired.forget()
    backups = list_backups(vault.path)
    assert len(backups) == 2
    for backup in backups:
        Vault.open(backup.path, PASSWORD)
    assert vault.backups_under_current_key() == []
    assert retired._old == bytearray(len(retired._old))  # forget() overwrote the keys


def test_backups_kept_from_an_earlier_change_are_listed_but_not_renewable(vault: Vault) -> None:
    vault.add_accounts([account(issuer="first")])
    vault.change_password("second password", kdf=cheap()).forget()  # backups kept
    vault.add_accounts([account(issuer="second")])

    retired = vault.change_password(NEW, kdf=cheap())
    old = retired.old_backups()

    by_password = {
        b.path: ("first" if b.path in _opening_with(old, PASSWORD) else "second") for b in old
    }
    assert {b.renewable for b in old if by_password[b.path] == "second"} == {True}
    assert {b.renewable for b in old if by_password[b.path] == "first"} == {False}
    assert retired.reencrypt(old) == sum(b.renewable for b in old)
    for backup in old:
        password = NEW if backup.renewable else PASSWORD
        Vault.open(backup.path, password)  # the first ones still need the first password
    assert retired.delete([b for b in old if not b.renewable]) == 2
    assert {b.path for b in list_backups(vault.path)} == {b.path for b in old if b.renewable}


def _opening_with(backups: list[OldBackup], password: str) -> set[Path]:
    opening = set()
    for backup in backups:
        try:
            Vault.open(backup.path, password)
        except VaultAuthError:
            continue
        opening.add(backup.path)
    return opening


def test_copies_elsewhere_are_found_and_re_encrypted(vault: Vault, tmp_path: Path) -> None:
    """The extra backup folder's copies are passed in as `extra`; strangers are ignored."""
    vault.add_accounts([account(issuer="mine")])
    folder = tmp_path / "usb"
    folder.mkdir()
    copy_of_mine = folder / "vault-copy.json"
    shutil.copy(vault.path, copy_of_mine)
    stranger = Vault.create(tmp_path / "other" / "vault.json", PASSWORD, kdf=cheap())
    (folder / "not-a-vault.json").write_text("{}")

    retired = vault.change_password(NEW, kdf=cheap())
    old = retired.old_backups([copy_of_mine, stranger.path, folder / "not-a-vault.json"])

    assert copy_of_mine in [b.path for b in old]
    assert stranger.path not in [b.path for b in old]
    retired.reencrypt(old)
    assert _issuers(copy_of_mine, NEW) == ["mine"]
    assert _issuers(stranger.path, PASSWORD) == []


def _legacy_file(vault: Vault, path: Path) -> None:
    """A vault file as Keyfob wrote it before key ids: no "key_id" in the header."""
    document = copy.deepcopy(vault._document)
    assert document is not None
    header = document["header"]
    del header["key_id"]
    nonce = os.urandom(12)
    header["nonce"] = base64.b64encode(nonce).decode()
    data = AESGCM(bytes(vault._key)).encrypt(nonce, b"{}", canonical_json(document))
    path.write_text(json.dumps({**document, "data": base64.b64encode(data).decode()}))


def test_files_from_before_key_ids_are_sorted_by_trying_the_old_key(
    vault: Vault, tmp_path: Path
) -> None:
    legacy = tmp_path / "legacy.json"
    _legacy_file(vault, legacy)
    assert parse(legacy.read_bytes()).key_id is None
    assert Vault.open(legacy, PASSWORD).content.accounts == []  # older files still open
    assert vault.backups_under_current_key([legacy]) == [legacy]

    retired = vault.change_password(NEW, kdf=cheap())
    old = retired.old_backups([legacy])

    assert OldBackup(legacy, _header(legacy)["revision"], True) in old  # type: ignore[arg-type]
    retired.reencrypt(old)
    assert Vault.open(legacy, NEW).content.accounts == []
    assert parse(legacy.read_bytes()).key_id == _header(vault.path)["key_id"]


def test_a_window_opened_before_the_change_is_told_and_loses_nothing(vault: Vault) -> None:
    other_window = Vault.open(vault.path, PASSWORD)
    vault.change_password(NEW, kdf=cheap()).forget()

    with pytest.raises(VaultConflictError, match=r"password .* was changed"):
        other_window.add_accounts([account(issuer="typed in the other window")])

    with pytest.raises(VaultAuthError):
        Vault.open(vault.path, PASSWORD)  # the stale window did not bring the old key back
    assert _issuers(vault.path, NEW) == []


def test_an_empty_new_password_is_refused(vault: Vault) -> None:
    before = vault.path.read_bytes()
    with pytest.raises(VaultError, match="empty"):
        vault.change_password("", kdf=cheap())
    assert vault.path.read_bytes() == before


def test_other_kinds_of_slot_are_dropped(vault: Vault) -> None:
    """A slot from a newer Keyfob (say an OS keyring slot) wraps the old key: it goes."""
    document = json.loads(json.dumps(vault._document))
    document["header"]["slots"].append({"type": "keyring", "id": "k-1", "service": "keyfob"})
    vault.path.write_bytes(seal(document, vault._key, b"{}"))
    assert vault.refresh()

    vault.change_password(NEW, kdf=cheap()).forget()

    assert [s["type"] for s in _header(vault.path)["slots"]] == ["password"]  # type: ignore[attr-defined]
    Vault.open(vault.path, NEW)


def test_the_key_id_names_the_key_and_a_wrong_one_is_refused(vault: Vault) -> None:
    """The id is authenticated; a file whose id disagrees with its key does not open."""
    from app.vault.envelope import key_id

    # As FORMAT.md defines it, computed here without Keyfob's code.
    digest = hmac.new(bytes(vault._key), b"keyfob-vault key id v1", hashlib.sha256).digest()
    assert _header(vault.path)["key_id"] == base64.b64encode(digest[:16]).decode()
    assert _header(vault.path)["key_id"] == key_id(vault._key)
    assert key_id(vault._key) != key_id(os.urandom(32))
    document = copy.deepcopy(vault._document)
    assert document is not None
    raw = seal(document, vault._key, b"{}")
    document = json.loads(raw)
    document["header"]["key_id"] = key_id(os.urandom(32))
    vault.path.write_text(json.dumps(document))
    with pytest.raises(VaultError):
        Vault.open(vault.path, PASSWORD)

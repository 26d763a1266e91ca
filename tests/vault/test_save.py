"""Saving: atomic, leaves no temporary file, and never puts plaintext on disk."""

from __future__ import annotations

import base64
import dataclasses
import errno
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from app.core.secret import encode_base32
from app.vault import Vault, VaultError, list_backups
from tests.conftest import ROOT
from tests.vault.conftest import PASSWORD, account, cheap


def _folder_state(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_saves_leave_only_the_vault_its_lock_and_backups(vault: Vault) -> None:
    for i in range(3):
        vault.add_accounts([account(issuer=f"n{i}")])
    names = sorted(p.name for p in vault.path.parent.iterdir())
    assert names == ["backups", "vault.json", "vault.json.lock"]
    assert not list(vault.path.parent.rglob("*.tmp"))
    if os.name == "posix":
        assert vault.path.stat().st_mode & 0o077 == 0
        assert (vault.path.parent / "backups").stat().st_mode & 0o077 == 0


def test_a_replace_that_fails_leaves_the_old_vault(
    vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault.add_accounts([account(issuer="Old")])
    before = _folder_state(vault.path.parent)

    def full_disk(src: str, dst: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(VaultError, match="No space left"):
        vault.add_accounts([account(issuer="New")])
    monkeypatch.undo()

    assert _folder_state(vault.path.parent) == before  # no temp file, no extra backup
    assert [a.issuer for a in vault.content.accounts] == ["Old"]
    assert [a.issuer for a in Vault.open(vault.path, PASSWORD).content.accounts] == ["Old"]
    vault.add_accounts([account(issuer="Later")])  # the object still works afterwards
    assert len(Vault.open(vault.path, PASSWORD).content.accounts) == 2


HALF_WRITE = """
import os, resource, signal, sys
from pathlib import Path
from app.core.account import Account
from app.vault import Vault, VaultError

vault = Vault.open(Path(sys.argv[1]), sys.argv[2])
limit = int(sys.argv[3])
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG from write() instead of dying
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
try:
    vault.add_accounts([Account(secret=os.urandom(20), issuer=f"Big {i}") for i in range(500)])
except VaultError as error:
    print(error)
    sys.exit(3)
"""


def test_a_write_that_fails_half_way_leaves_the_old_vault(vault: Vault) -> None:
    """A real failure in the middle of writing: the file-size limit stops the temp file."""
    vault.add_accounts([account(issuer="Old")])
    before = _folder_state(vault.path.parent)
    limit = vault.path.stat().st_size + 4096  # the new vault is far bigger than this

    result = subprocess.run(
        [sys.executable, "-c", HALF_WRITE, str(vault.path), PASSWORD, str(limit)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 3, result.stderr
    assert "cannot save" in result.stdout
    assert "File too large" in result.stdout  # it really failed in the middle of the write
    assert _folder_state(vault.path.parent) == before
    assert [a.issuer for a in Vault.open(vault.path, PASSWORD).content.accounts] == ["Old"]


def test_a_backup_that_cannot_be_made_stops_the_save(vault: Vault) -> None:
    backups = vault.path.parent / "backups"
    backups.write_text("a file where the backups folder should be")
    before = vault.path.read_bytes()
    with pytest.raises(VaultError, match="backups folder"):
        vault.add_accounts([account()])
    assert vault.path.read_bytes() == before
    assert vault.content.accounts == []


def test_no_secret_or_password_reaches_the_disk_in_plaintext(tmp_path: Path) -> None:
    started = time.time() - 1
    path = tmp_path / "vault.json"
    secret = os.urandom(20)
    other_secret = os.urandom(32)
    # A password of its own: the scan below also reads the temp folder, where tests running
    # alongside write password files with the shared test password on purpose.
    password = f"CanaryPassword-{os.urandom(8).hex()}"
    vault = Vault.create(path, password, kdf=cheap())
    first = account(secret=secret, issuer="PlaintextCanaryIssuer", note="CanaryNote")
    vault.add_accounts([first, account(secret=other_secret)])
    vault.modify(lambda c: c.push.append({"device_key": "CanaryDeviceKey"}))
    vault.update_account(dataclasses.replace(first, name="renamed"))
    vault.change_password("CanaryNewPassword", kdf=cheap())
    vault.remove_account(first.uuid)

    needles = [password.encode(), b"CanaryNewPassword", b"PlaintextCanaryIssuer",
               b"CanaryNote", b"CanaryDeviceKey"]  # fmt: skip
    for raw in (secret, other_secret):
        needles += [raw, encode_base32(raw).encode(), base64.b64encode(raw).rstrip(b"=")]
        needles += [raw.hex().encode()]

    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    files += _recent_files(Path(tempfile.gettempdir()), started)
    assert any(p.name == "vault.json" for p in files)
    for file in files:
        data = _read(file)
        for needle in needles:
            assert needle not in data, f"plaintext found in {file}"


def _recent_files(folder: Path, since: float) -> list[Path]:
    found = []
    for root, _, names in os.walk(folder):
        for name in names:
            path = Path(root) / name
            try:
                info = path.stat()
            except OSError:
                continue
            if info.st_mtime >= since and info.st_size < 50_000_000 and path.is_file():
                found.append(path)
    return found


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def test_backups_of_a_vault_in_the_same_folder_as_another_stay_apart(tmp_path: Path) -> None:
    one = Vault.create(tmp_path / "vault.json", PASSWORD, kdf=cheap())
    two = Vault.create(tmp_path / "vault-2.json", PASSWORD, kdf=cheap())
    one.add_accounts([account()])
    two.add_accounts([account()])
    two.add_accounts([account()])
    assert len(list_backups(one.path)) == 1
    assert len(list_backups(two.path)) == 2

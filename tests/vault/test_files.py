"""The vault's folder, lock file and backups folder are private whatever the umask, and the
temporary files of a save killed midway are swept by the next save."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.vault import Vault, list_backups, restore_backup
from app.vault.fileio import lock_path
from tests.conftest import ROOT
from tests.vault.conftest import PASSWORD, account, cheap

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual desktop umask: new folders 0755 and files 0644 unless Keyfob says otherwise."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("umask_022")
def test_a_new_vault_folder_is_0700_and_its_lock_file_0600(tmp_path: Path) -> None:
    path = tmp_path / "home" / "Keyfob" / "vault.json"
    vault = Vault.create(path, PASSWORD, kdf=cheap())
    vault.add_accounts([account()])
    assert _mode(path.parent) == 0o700
    assert _mode(lock_path(path)) == 0o600
    assert _mode(path.parent / "backups") == 0o700
    assert _mode(path) == 0o600


@pytest.mark.usefixtures("umask_022")
def test_a_folder_the_user_already_has_is_left_as_it_is(tmp_path: Path) -> None:
    shared = tmp_path / "Sync"
    shared.mkdir(mode=0o755)
    Vault.create(shared / "vault.json", PASSWORD, kdf=cheap())
    assert _mode(shared) == 0o755  # theirs to decide
    assert _mode(lock_path(shared / "vault.json")) == 0o600


@pytest.mark.usefixtures("umask_022")
def test_a_lock_file_readable_by_others_is_made_private_on_the_next_save(vault: Vault) -> None:
    lock = lock_path(vault.path)
    os.chmod(lock, 0o644)  # as an older Keyfob left it
    vault.add_accounts([account()])
    assert _mode(lock) == 0o600


@pytest.mark.usefixtures("umask_022")
def test_restoring_into_a_missing_folder_makes_it_private(vault: Vault, tmp_path: Path) -> None:
    vault.add_accounts([account(issuer="one")])
    target = tmp_path / "new home" / "vault.json"
    restore_backup(target, vault.path, PASSWORD)
    assert _mode(target.parent) == 0o700
    assert _mode(lock_path(target)) == 0o600


# --- temporary files left by a killed save --------------------------------------------------

_KILLED_SAVE = """
import os, sys, tempfile
from pathlib import Path
import app.vault.backups as backups

def write_then_die(path, data):
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.write(fd, data[: len(data) // 2])
    os.fsync(fd)
    print(name, flush=True)
    os.kill(os.getpid(), 9)

backups.atomic_write = write_then_die  # the write of every save (replace_keeping_backup)
from app.vault import Vault
from app.core.account import Account
Vault.open(Path(sys.argv[1]), sys.argv[2]).add_accounts([Account(secret=b"0123456789")])
"""


def _killed_save(vault_path: Path) -> Path:
    """Run a save in another process and kill -9 it in the middle of its write."""
    result = subprocess.run(
        [sys.executable, "-c", _KILLED_SAVE, str(vault_path), PASSWORD],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == -signal.SIGKILL, result.stderr
    left = Path(result.stdout.strip())
    assert left.exists()
    return left


def test_a_save_sweeps_the_temporary_file_a_killed_save_left(vault: Vault) -> None:
    left = _killed_save(vault.path)
    assert left.name.startswith(".vault.json.")
    assert left.name.endswith(".tmp")

    vault.add_accounts([account(issuer="next save")])

    assert not left.exists()
    assert not list(vault.path.parent.glob("*.tmp"))
    assert [a.issuer for a in Vault.open(vault.path, PASSWORD).content.accounts] == ["next save"]


def test_a_restore_sweeps_them_too(vault: Vault) -> None:
    vault.add_accounts([account(issuer="one")])
    left = _killed_save(vault.path)
    restore_backup(vault.path, list_backups(vault.path)[0], PASSWORD)
    assert not left.exists()


def test_only_this_vaults_temporary_files_go(vault: Vault) -> None:
    folder = vault.path.parent
    ours = folder / ".vault.json.k3x_9a0b.tmp"
    another_vaults = folder / ".vault.json.bak.k3x_9a0b.tmp"  # "vault.json.bak" has its own lock
    users_file = folder / "notes.tmp"
    for path in (ours, another_vaults, users_file):
        path.write_bytes(b"half a save")
    stale_copy = folder / "backups" / ".backup.abcd1234.tmp"  # a copy where links fail
    stale_copy.parent.mkdir(exist_ok=True)
    stale_copy.write_bytes(b"half a backup")

    vault.add_accounts([account()])

    assert not ours.exists()
    assert not stale_copy.exists()
    assert another_vaults.exists()
    assert users_file.exists()

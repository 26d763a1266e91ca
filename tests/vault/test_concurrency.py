"""Several writers on one vault: no lost update, refresh, the OS lock."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from app.vault import (
    AccountNotInVaultError,
    Vault,
    VaultBusyError,
    VaultContent,
    fileio,
    list_backups,
)
from tests.conftest import ROOT
from tests.vault.conftest import PASSWORD, account


def _issuers(path: Path) -> list[str]:
    return [a.issuer for a in Vault.open(path, PASSWORD).content.accounts]


def test_two_open_vaults_adding_in_turn_lose_nothing(vault: Vault) -> None:
    gui = vault
    cli = Vault.open(vault.path, PASSWORD)
    for i in range(5):
        gui.add_accounts([account(issuer=f"gui{i}")])
        cli.add_accounts([account(issuer=f"cli{i}")])
    expected = [name for i in range(5) for name in (f"gui{i}", f"cli{i}")]
    assert _issuers(vault.path) == expected
    assert [a.issuer for a in cli.content.accounts] == expected
    assert cli.revision == 11


def test_a_stale_writer_reloads_and_reapplies(vault: Vault) -> None:
    stale = Vault.open(vault.path, PASSWORD)
    vault.add_accounts([account(issuer="first")])
    vault.modify(lambda c: c.groups.append("Work"))

    seen: list[list[str]] = []

    def change(content: VaultContent) -> int:
        seen.append([a.issuer for a in content.accounts])
        content.accounts.append(account(issuer="second"))
        return len(content.accounts)

    assert stale.modify(change) == 2
    assert seen == [["first"]]  # the change ran on the fresh content, once
    assert _issuers(vault.path) == ["first", "second"]
    assert Vault.open(vault.path, PASSWORD).content.groups == ["Work"]


def test_duplicates_are_judged_against_what_is_on_disk(vault: Vault) -> None:
    stale = Vault.open(vault.path, PASSWORD)
    shared = account(issuer="Shared")
    assert vault.add_accounts([shared]).added == [shared]
    result = stale.add_accounts([shared, account(issuer="Other")])
    assert result.duplicates == [shared]
    assert [a.issuer for a in result.added] == ["Other"]


def test_editing_an_account_another_window_removed(vault: Vault) -> None:
    (added,) = vault.add_accounts([account(issuer="Doomed")]).added
    other = Vault.open(vault.path, PASSWORD)
    other.remove_account(added.uuid)
    before = vault.path.read_bytes()
    with pytest.raises(AccountNotInVaultError):
        vault.update_account(added)
    assert vault.path.read_bytes() == before
    assert vault.content.accounts == []  # it did pick up the removal


def test_refresh_picks_up_another_writers_change(vault: Vault) -> None:
    other = Vault.open(vault.path, PASSWORD)
    assert not vault.refresh()
    other.add_accounts([account(issuer="from the CLI")])
    assert vault.refresh()
    assert [a.issuer for a in vault.content.accounts] == ["from the CLI"]
    assert vault.revision == other.revision
    assert not vault.refresh()
    vault.add_accounts([account(issuer="mine")])
    assert not vault.refresh()  # our own save is not news


def test_add_update_remove(vault: Vault) -> None:
    a, b = account(issuer="A", groups=("Work",)), account(issuer="B")
    result = vault.add_accounts([a, b, account(secret=a.secret, issuer="A", name=a.name)])
    assert result.added == [a, b]
    assert len(result.duplicates) == 1
    assert vault.content.groups == ["Work"]

    renamed = dataclasses.replace(a, issuer="A2", groups=("Home",))
    vault.update_account(renamed)
    assert vault.remove_account(b.uuid) == b
    with pytest.raises(AccountNotInVaultError):
        vault.remove_account(b.uuid)
    reopened = Vault.open(vault.path, PASSWORD).content
    assert [x.issuer for x in reopened.accounts] == ["A2"]
    assert reopened.groups == ["Work", "Home"]


def test_adding_only_duplicates_writes_nothing(vault: Vault) -> None:
    a = account()
    vault.add_accounts([a])
    before = vault.path.read_bytes()
    result = vault.add_accounts([a])
    assert result.added == []
    assert result.duplicates == [a]
    assert vault.path.read_bytes() == before


def test_an_added_account_with_a_taken_uuid_gets_a_new_one(vault: Vault) -> None:
    a = account(issuer="A")
    b = account(issuer="B", uuid=a.uuid)
    vault.add_accounts([a])
    (stored,) = vault.add_accounts([b]).added
    assert stored.uuid != a.uuid
    assert stored.issuer == "B"


WRITER = """
import os, sys
from pathlib import Path
from app.core.account import Account
from app.vault import Vault

path, password, name, count = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
vault = Vault.open(path, password)
print("ready", flush=True)
sys.stdin.readline()  # the test starts every writer at once
for i in range(count):
    vault.add_accounts([Account(secret=os.urandom(20), issuer=name, name=str(i))])
print("done", flush=True)
"""


def test_several_processes_adding_at_once_lose_nothing(vault: Vault) -> None:
    writers, per_writer = 4, 15
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(vault.path), PASSWORD, f"w{n}", str(per_writer)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(writers)
    ]
    try:
        for process in processes:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "ready"
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        for process in processes:
            out, _ = process.communicate(timeout=120)
            assert process.returncode == 0
            assert out.strip() == "done"
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()

    final = Vault.open(vault.path, PASSWORD)
    accounts = final.content.accounts
    assert len(accounts) == writers * per_writer
    for n in range(writers):
        names = [a.name for a in accounts if a.issuer == f"w{n}"]
        assert names == [str(i) for i in range(per_writer)]  # each writer's order kept
    assert final.revision == 1 + writers * per_writer
    assert len(list_backups(vault.path)) == 20


HOLDER = """
import sys, filelock
lock = filelock.FileLock(sys.argv[1])
lock.acquire()
print("locked", flush=True)
sys.stdin.readline()
lock.release()
"""


def test_a_writer_waits_for_the_lock_then_gives_up_clearly(
    vault: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fileio, "LOCK_TIMEOUT_SECONDS", 0.3)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(fileio.lock_path(vault.path))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        before = vault.path.read_bytes()
        with pytest.raises(VaultBusyError, match="another Keyfob process"):
            vault.add_accounts([account()])
        assert vault.path.read_bytes() == before
    finally:
        holder.communicate("release\n", timeout=30)
    vault.add_accounts([account()])
    assert len(_issuers(vault.path)) == 1

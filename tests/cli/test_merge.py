"""Conflict copies at the command line, and `keyfob merge FILE`, as a user runs them.

The vault is real, the CLI a subprocess; the "other computer" is the vault file copied into
another folder and changed there, then put beside the vault under its sync tool's name.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.account import Account
from app.vault.kdf import KdfParams
from app.vault.store import Vault
from tests.cli.conftest import KEYFOB, PASSWORD, Cli, assert_user_error, write_password_file

DROPBOX_NAME = "vault (Alice's conflicted copy 2026-12-04).json"
NEW = "the laptop's new password"


def account(issuer: str) -> Account:
    return Account(secret=issuer.encode().ljust(10, b"-"), issuer=issuer, name="me")


def other_computer(cli: Cli, tmp_path: Path) -> Vault:
    folder = tmp_path / "laptop"
    folder.mkdir()
    shutil.copy(cli.vault, folder / "vault.json")
    return Vault.open(folder / "vault.json", PASSWORD)


def beside(cli: Cli, vault: Vault, name: str) -> Path:
    copy = cli.vault.parent / name
    shutil.copy(vault.path, copy)
    return copy


def stderr_lines(result: object) -> list[str]:
    return str(getattr(result, "stderr", "")).strip().splitlines()


@pytest.mark.parametrize("command", [["list"], ["list", "--json"], ["code", "laptop"]])
def test_any_command_merges_a_copy_and_says_so(
    vault_cli: Cli, tmp_path: Path, command: list[str]
) -> None:
    laptop = other_computer(vault_cli, tmp_path)
    laptop.add_accounts([account("laptop")])
    copy = beside(vault_cli, laptop, DROPBOX_NAME)

    result = vault_cli(*command)

    assert result.returncode == 0, result.stderr
    [line] = stderr_lines(result)
    assert line == (
        f'Merged the Dropbox conflict copy "{DROPBOX_NAME}" (1 account added); '
        f"it is kept in backups/conflict-{DROPBOX_NAME}"
    )
    assert not copy.exists()
    assert (vault_cli.vault.parent / "backups" / f"conflict-{DROPBOX_NAME}").exists()
    listing = vault_cli("list")
    assert "laptop" in listing.stdout
    assert listing.stderr == ""  # said once: the copy is gone


def test_a_copy_that_appears_while_a_command_runs_is_taken_in_by_its_save(
    vault_cli: Cli, tmp_path: Path
) -> None:
    Vault.open(vault_cli.vault, PASSWORD).add_accounts([account("old"), account("kept")])
    laptop = other_computer(vault_cli, tmp_path)
    laptop.add_accounts([account("laptop")])
    # `keyfob remove` opens the vault (no copy there yet), then asks; its question goes to
    # stdout, a pipe, and the answer comes from a terminal.
    master, slave = os.openpty()
    with subprocess.Popen(
        [KEYFOB, "remove", "old"],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=vault_cli.env,
        start_new_session=True,
    ) as process:
        os.close(slave)
        try:
            assert process.stdout is not None
            shown = b""
            deadline = time.monotonic() + 60
            while b"[y/N]" not in shown and time.monotonic() < deadline:
                ready, _, _ = select.select([process.stdout], [], [], 1)
                if ready:
                    shown += os.read(process.stdout.fileno(), 1024)
            assert b"[y/N]" in shown
            beside(vault_cli, laptop, DROPBOX_NAME)  # the sync tool delivers one meanwhile
            os.write(master, b"y\n")
            _, errors = process.communicate(timeout=60)
        finally:
            os.close(master)
    assert process.returncode == 0, errors
    assert errors.decode().strip().splitlines() == [
        f'Merged the Dropbox conflict copy "{DROPBOX_NAME}" (1 account added); '
        f"it is kept in backups/conflict-{DROPBOX_NAME}"
    ]
    issuers = [row["issuer"] for row in json.loads(vault_cli("list", "--json").stdout)]
    assert sorted(issuers) == ["kept", "laptop"]


def test_merging_a_copy_by_hand_that_opening_would_take_in(vault_cli: Cli, tmp_path: Path) -> None:
    laptop = other_computer(vault_cli, tmp_path)
    laptop.add_accounts([account("laptop")])
    copy = beside(vault_cli, laptop, "vault (1).json")

    result = vault_cli("merge", str(copy))

    assert result.returncode == 0, result.stderr
    kept = vault_cli.vault.parent / "backups" / "conflict-vault (1).json"
    assert result.stdout.strip() == (
        f'Merged "vault (1).json" into the vault: 1 account added; the file is kept in {kept}'
    )
    assert result.stderr == ""
    assert kept.exists()


def test_a_copy_under_another_password_is_named_until_merged(
    vault_cli: Cli, tmp_path: Path
) -> None:
    Vault.open(vault_cli.vault, PASSWORD).add_accounts([account("mine")])
    laptop = other_computer(vault_cli, tmp_path)
    laptop.change_password(NEW, kdf=KdfParams.for_tests()).forget()
    laptop.add_accounts([account("laptop")])
    copy = beside(vault_cli, laptop, "vault.sync-conflict-20261204-153045-7QK2ZQX.json")

    for _ in range(2):  # every run: its changes are not in the vault yet
        result = vault_cli("list")
        assert result.returncode == 0
        lines = stderr_lines(result)
        assert len(lines) == 1, result.stderr
        [line] = lines
        assert line.startswith(
            'The Syncthing conflict copy "vault.sync-conflict-20261204-153045-7QK2ZQX.json" '
            "is under another password"
        )
        assert f"keyfob merge {copy} --source-password-file FILE" in line
        assert "laptop" not in result.stdout

    before = vault_cli.vault.read_bytes()
    wrong = write_password_file(tmp_path / "wrong.txt", "not it\n")
    assert_user_error(
        vault_cli("merge", str(copy), "--source-password-file", str(wrong)), "wrong password"
    )
    assert vault_cli.vault.read_bytes() == before
    assert copy.exists()
    assert_user_error(vault_cli("merge", str(copy)), "--source-password-file")  # no terminal
    assert vault_cli.vault.read_bytes() == before

    right = write_password_file(tmp_path / "new.txt", NEW + "\n")
    result = vault_cli("merge", str(copy), "--source-password-file", str(right))
    assert result.returncode == 0, result.stderr
    kept = vault_cli.vault.parent / "backups" / f"conflict-{copy.name}"
    assert result.stdout.strip() == (
        f'Merged "{copy.name}" into the vault: 1 account added; the file is kept in {kept}'
    )
    assert not copy.exists()
    assert kept.exists()
    assert "laptop" in vault_cli("list").stdout


def test_another_vaults_copy_is_said_once_and_can_be_combined(
    vault_cli: Cli, tmp_path: Path
) -> None:
    mine = Vault.open(vault_cli.vault, PASSWORD)
    mine.add_accounts([account("shared"), account("mine")])
    stranger = Vault.create(tmp_path / "other" / "vault.json", NEW, kdf=KdfParams.for_tests())
    stranger.add_accounts([account("shared"), account("theirs")])
    copy = beside(vault_cli, stranger, "vault-DESKTOP-AB12CD.json")

    first = vault_cli("list")
    [line] = stderr_lines(first)
    assert line.startswith(
        'Left the OneDrive conflict copy "vault-DESKTOP-AB12CD.json" as it is: it is a copy '
        "of another Keyfob vault"
    )
    assert vault_cli("list").stderr == ""  # once
    assert copy.exists()

    password = write_password_file(tmp_path / "theirs.txt", NEW + "\n")
    result = vault_cli("merge", str(copy), "--source-password-file", str(password))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        'Combined the accounts of "vault-DESKTOP-AB12CD.json" (another vault) into this one: '
        "1 account added; 1 account the vault has already skipped"
    )
    issuers = [row["issuer"] for row in json.loads(vault_cli("list", "--json").stdout)]
    assert sorted(issuers) == ["mine", "shared", "theirs"]


def test_merging_a_separate_vault_file_by_hand(vault_cli: Cli, tmp_path: Path) -> None:
    stranger = Vault.create(tmp_path / "other" / "vault.json", PASSWORD, kdf=KdfParams.for_tests())
    stranger.add_accounts([account("theirs")])
    password = write_password_file(tmp_path / "same.txt", PASSWORD + "\n")

    result = vault_cli("merge", str(stranger.path), "--source-password-file", str(password))

    assert result.returncode == 0, result.stderr
    assert "1 account added" in result.stdout
    assert stranger.path.exists()  # not a conflict copy beside the vault: left where it is


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda cli, tmp: tmp / "nothing-here.json", "no file at"),
        (lambda cli, tmp: tmp, "folder"),
        (lambda cli, tmp: cli.vault, "the vault itself"),
        (lambda cli, tmp: _written(tmp / "junk.json", b"\xff\x00junk"), "not a Keyfob vault"),
        (
            lambda cli, tmp: _written(
                tmp / "new.json", b'{"format": "keyfob-vault", "version": 9}'
            ),
            "newer Keyfob",
        ),
    ],
    ids=["missing", "folder", "itself", "garbage", "newer"],
)
def test_bad_files_are_one_line_and_change_nothing(
    vault_cli: Cli, tmp_path: Path, make: object, words: str
) -> None:
    assert callable(make)
    before = vault_cli.vault.read_bytes()
    assert_user_error(vault_cli("merge", str(make(vault_cli, tmp_path))), words)
    assert vault_cli.vault.read_bytes() == before


def _written(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.one_of(
        st.binary(max_size=300),
        st.dictionaries(
            st.sampled_from(["format", "version", "header", "data"]),
            st.one_of(st.just("keyfob-vault"), st.integers(), st.text(max_size=8)),
        ).map(lambda d: json.dumps(d).encode()),
    )
)
def test_merging_garbage_never_changes_the_vault(
    vault_cli: Cli, tmp_path: Path, data: bytes
) -> None:
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(data)
    password = write_password_file(tmp_path / "pw.txt", PASSWORD + "\n")
    before = vault_cli.vault.read_bytes()
    result = vault_cli("merge", str(garbage), "--source-password-file", str(password))
    assert_user_error(result)
    assert vault_cli.vault.read_bytes() == before

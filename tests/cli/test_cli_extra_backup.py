"""End-to-end: the CLI keeps the extra backup folder set in the desktop app's Settings up to
date, as the app does: a copy after every change, nothing after a command that only reads, a
warning (and the change kept) when the copy fails, and the old-key copies dealt with at a
password change. The folder is named in a real preferences file in $KEYFOB_CONFIG_DIR."""

from __future__ import annotations

import ctypes
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.core.account import Account, OtpType
from app.vault import Vault, list_backups
from app.vault.backups import backups_dir
from app.vault.content import VaultContent
from app.vault.envelope import parse
from app.vault.extra_backup import copies_of_vault, copy_vault
from app.vault.preferences import EXTRA_COPIES, EXTRA_FOLDER, FILE_NAME, Preferences
from tests.cli.conftest import KEYFOB, PASSWORD, Cli, write_password_file
from tests.cli.terminal import Terminal
from tests.formats import samples
from tests.vault_checks import opens_with

NEW_PASSWORD = "a brand new passphrase"
GITHUB_SECRET = "JBSWY3DPEHPK3PXP"
GITHUB = f"otpauth://totp/GitHub:alice?secret={GITHUB_SECRET}&issuer=GitHub"
GITLAB = "otpauth://totp/GitLab:alice?secret=KRSXG5CTMVRXEZLU&issuer=GitLab"
WARNING = "Warning: the extra backup copy was not made: "


@dataclass
class Setup:
    cli: Cli
    config: Path
    folder: Path

    def prefer(self, values: dict[str, bool | int | float | str]) -> None:
        """What the desktop app's Settings store."""
        Preferences(self.config).update(values)

    def copies(self) -> list[Path]:
        """This vault's copies in the extra folder, newest first."""
        vault_id = parse(self.cli.vault.read_bytes()).vault_id
        return copies_of_vault(self.folder, self.cli.vault, vault_id)

    def newest(self, password: str = PASSWORD) -> VaultContent:
        """The newest copy: it must be the vault as it is now, and open with `password`."""
        copies = self.copies()
        assert copies, "no copy in the extra folder"
        assert copies[0].read_bytes() == self.cli.vault.read_bytes()
        return Vault.open(copies[0], password).content

    def listing(self) -> dict[str, int]:
        return {p.name: p.stat().st_mtime_ns for p in self.folder.iterdir()}


@pytest.fixture
def setup(vault_cli: Cli, tmp_path: Path) -> Setup:
    config, folder = tmp_path / "config", tmp_path / "usb stick"
    folder.mkdir()
    vault_cli.env["KEYFOB_CONFIG_DIR"] = str(config)
    chosen = Setup(vault_cli, config, folder)
    chosen.prefer({EXTRA_FOLDER: str(folder)})
    return chosen


def add(cli: Cli, *uris: str) -> None:
    result = cli("add", "-", input="\n".join(uris) + "\n")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def issuers(content: VaultContent) -> list[str]:
    return [a.issuer for a in content.accounts]


# --- a copy after each change ----------------------------------------------------------------


def test_add_leaves_a_copy_and_the_folder_keeps_the_count_set(setup: Setup) -> None:
    setup.prefer({EXTRA_COPIES: 2})
    add(setup.cli, GITHUB)
    assert issuers(setup.newest()) == ["GitHub"]
    add(setup.cli, GITLAB)
    add(setup.cli, samples.uri(samples.TOTP))
    assert len(setup.copies()) == 2  # the newest two, as the desktop app keeps them
    assert issuers(setup.newest()) == ["GitHub", "GitLab", samples.TOTP.issuer]


def test_remove_leaves_a_copy_without_the_account(setup: Setup) -> None:
    Vault.open(setup.cli.vault, PASSWORD).add_accounts([Account(secret=b"1" * 10, issuer="Gone")])
    result = setup.cli("remove", "gone", "--yes")
    assert result.returncode == 0, result.stderr
    assert issuers(setup.newest()) == []


def test_a_hotp_code_taken_leaves_a_copy_with_the_counter_advanced(setup: Setup) -> None:
    hotp = Account(secret=b"2" * 10, issuer="Bank", type=OtpType.HOTP, counter=4)
    Vault.open(setup.cli.vault, PASSWORD).add_accounts([hotp])
    result = setup.cli("code", "bank")
    assert result.returncode == 0, result.stderr
    assert [a.counter for a in setup.newest().accounts] == [5]


def test_import_leaves_a_copy_with_the_imported_accounts(setup: Setup, tmp_path: Path) -> None:
    source = tmp_path / "accounts.txt"
    source.write_bytes(samples.otpauth_list([samples.TOTP, samples.HOTP]))
    result = setup.cli("import", str(source))
    assert result.returncode == 0, result.stderr
    assert issuers(setup.newest()) == [samples.TOTP.issuer, samples.HOTP.issuer]


def test_restore_leaves_a_copy_of_the_vault_restored(setup: Setup) -> None:
    vault = Vault.open(setup.cli.vault, PASSWORD)
    vault.add_accounts([Account(secret=b"3" * 10, issuer="Kept")])
    vault.add_accounts([Account(secret=b"4" * 10, issuer="Undone")])
    newest_backup = list_backups(setup.cli.vault)[0].name  # the vault before "Undone"
    result = setup.cli("restore", newest_backup)
    assert result.returncode == 0, result.stderr
    assert issuers(setup.newest()) == ["Kept"]


def test_commands_that_only_read_write_nothing_there(setup: Setup) -> None:
    add(setup.cli, GITHUB)
    assert len(setup.copies()) == 1
    before = setup.listing()
    for command in (["list"], ["list", "--json"], ["code", "github"], ["code", "--json"]):
        result = setup.cli(*command)
        assert result.returncode == 0, (command, result.stderr)
        assert result.stderr == "", command
    assert setup.cli("backups").returncode == 0
    assert setup.cli("add", "-", input=GITHUB + "\n").returncode == 0  # a duplicate: no save
    assert setup.listing() == before


# --- when there is no copy to make -----------------------------------------------------------


def files_under(folder: Path) -> set[Path]:
    return {Path(root) / name for root, _, names in os.walk(folder) for name in names}


def test_turned_off_or_never_set_no_copy_is_made_anywhere(setup: Setup, tmp_path: Path) -> None:
    add(setup.cli, GITHUB)
    assert len(setup.copies()) == 1

    def add_and_see_what_was_made(uri: str) -> set[Path]:
        before = files_under(tmp_path)
        add(setup.cli, uri)
        return files_under(tmp_path) - before

    setup.prefer({EXTRA_FOLDER: ""})  # Settings' "Turn off"
    turned_off = add_and_see_what_was_made(GITLAB)
    (setup.config / FILE_NAME).unlink()  # never set: no preferences at all
    never_set = add_and_see_what_was_made(samples.uri(samples.TOTP))

    # Only the vault's own backups of the files it replaced; nothing in the old folder.
    backups = backups_dir(setup.cli.vault)
    assert {path.parent for path in turned_off | never_set} == {backups}, turned_off | never_set
    assert len(setup.copies()) == 1


def test_damaged_preferences_are_a_warning_and_the_change_stands(setup: Setup) -> None:
    (setup.config / FILE_NAME).write_text('{"format": "keyfob-preferences", "preferences": [')
    result = setup.cli("add", "-", input=GITHUB + "\n")
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"Warning: {setup.config / FILE_NAME} is damaged")
    assert "no copy was made in an extra backup folder" in lines[0]
    assert issuers(Vault.open(setup.cli.vault, PASSWORD).content) == ["GitHub"]
    assert setup.copies() == []


# --- a copy that fails ------------------------------------------------------------------------

_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2


def _as_an_ordinary_user() -> None:
    """In the child, before exec: without these capabilities root obeys permission bits too,
    so a folder that is read-only for its owner is read-only for the command."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if libc.prctl(_PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "cannot drop a capability")


@pytest.fixture
def restore_modes() -> Iterator[Callable[[Path, int], None]]:
    changed: list[tuple[Path, int]] = []

    def chmod(path: Path, mode: int) -> None:
        changed.append((path, path.stat().st_mode & 0o7777))
        path.chmod(mode)

    yield chmod
    for path, mode in reversed(changed):
        path.chmod(mode)


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("read-only", "cannot write the copy into {folder}: Permission denied"),
        ("unplugged", "the backup folder {folder} is not there (is the drive connected?)"),
        ("unreachable", "cannot reach the backup folder {folder}: Permission denied"),
    ],
    ids=["read-only", "unplugged", "unreachable"],
)
def test_a_copy_that_fails_is_one_warning_and_the_change_stands(
    setup: Setup,
    tmp_path: Path,
    restore_modes: Callable[[Path, int], None],
    case: str,
    reason: str,
) -> None:
    folder = setup.folder
    if case == "read-only":
        restore_modes(folder, 0o500)
    elif case == "unplugged":
        folder.rmdir()
    else:
        folder = tmp_path / "locked" / "usb stick"
        folder.mkdir(parents=True)
        restore_modes(folder.parent, 0o000)
        setup.prefer({EXTRA_FOLDER: str(folder)})
    ordinary = _as_an_ordinary_user if os.geteuid() == 0 else None

    result = setup.cli("add", "-", input=GITHUB + "\n", preexec_fn=ordinary)

    assert result.returncode == 0, result.stderr
    assert result.stdout == "added: GitHub (alice)\n"
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(WARNING + reason.format(folder=folder)), lines[0]
    assert "Traceback" not in result.stderr
    assert GITHUB_SECRET not in result.stderr
    assert issuers(Vault.open(setup.cli.vault, PASSWORD).content) == ["GitHub"]
    if case == "unplugged":
        assert not folder.exists()  # never created where a drive should be
    if case == "read-only":
        assert list(folder.iterdir()) == []  # not even a temporary file left


# --- a password change -----------------------------------------------------------------------


@pytest.fixture
def old_copies(setup: Setup) -> list[Path]:
    """Two copies the desktop app made under the current key (as it does after changes)."""
    vault = Vault.open(setup.cli.vault, PASSWORD)
    made = []
    for issuer in ("One", "Two"):
        vault.add_accounts([Account(secret=issuer.encode() * 4, issuer=issuer)])
        copy = copy_vault(setup.cli.vault, setup.folder, keep=10).path
        assert copy is not None
        made.append(copy)
    return made


def passwd(setup: Setup, tmp_path: Path, *options: str) -> str:
    new = write_password_file(tmp_path / "new.txt", NEW_PASSWORD + "\n")
    result = setup.cli("passwd", "--new-password-file", str(new), *options)
    assert result.returncode == 0, result.stderr
    return result.stderr


def test_passwd_re_encrypts_the_extra_folders_copies(
    setup: Setup, tmp_path: Path, old_copies: list[Path]
) -> None:
    said = passwd(setup, tmp_path, "--old-backups", "reencrypt")
    # Two adds and the change: three backups beside the vault; two copies in the folder.
    assert "Re-encrypted 5 backups (2 of them in the extra backup folder)" in said
    for copy in old_copies:
        assert opens_with(copy, NEW_PASSWORD)
        assert not opens_with(copy, PASSWORD)
    assert issuers(Vault.open(old_copies[0], NEW_PASSWORD).content) == ["One"]
    assert issuers(setup.newest(NEW_PASSWORD)) == ["One", "Two"]  # and the vault as it is now
    assert len(setup.copies()) == 3


def test_passwd_deletes_the_extra_folders_copies(
    setup: Setup, tmp_path: Path, old_copies: list[Path]
) -> None:
    said = passwd(setup, tmp_path, "--old-backups", "delete")
    assert "Deleted 5 backups (2 of them in the extra backup folder)" in said
    assert not any(copy.exists() for copy in old_copies)
    assert len(setup.copies()) == 1
    assert issuers(setup.newest(NEW_PASSWORD)) == ["One", "Two"]


def test_passwd_keeps_the_extra_folders_copies_and_says_where(
    setup: Setup, tmp_path: Path, old_copies: list[Path]
) -> None:
    said = passwd(setup, tmp_path, "--old-backups", "keep")
    assert "Kept 5 backups (2 of them in the extra backup folder)" in said
    assert all(opens_with(copy, PASSWORD) for copy in old_copies)
    assert issuers(setup.newest(NEW_PASSWORD)) == ["One", "Two"]

    # Not told what to do (no terminal): they stay, and the note names both folders.
    newer = write_password_file(tmp_path / "newer.txt", "an even newer passphrase\n")
    again = setup.cli(
        "passwd",
        "--new-password-file",
        str(newer),
        env={"KEYFOB_PASSWORD_FILE": str(tmp_path / "new.txt")},
    )
    assert again.returncode == 0, again.stderr
    assert f"(in {backups_dir(setup.cli.vault)} and {setup.folder})" in again.stderr


def test_passwd_on_a_terminal_asks_about_the_extra_folders_copies_too(
    setup: Setup, tmp_path: Path, old_copies: list[Path]
) -> None:
    new = write_password_file(tmp_path / "new.txt", NEW_PASSWORD + "\n")
    terminal = Terminal([KEYFOB, "passwd", "--new-password-file", str(new)], setup.cli.env)
    try:
        # Asked before the change: two backups beside the vault, two copies in the folder.
        terminal.expect("4 backups (2 of them in the extra backup folder) open with the current")
        terminal.expect("[r] ")
        terminal.type("r\n")
        assert terminal.wait() == 0, terminal.stderr
    finally:
        terminal.close()
    assert "Re-encrypted 5 backups (2 of them in the extra backup folder)" in terminal.stderr
    assert all(opens_with(copy, NEW_PASSWORD) for copy in old_copies)
    assert issuers(setup.newest(NEW_PASSWORD)) == ["One", "Two"]

"""End-to-end: creating, opening, re-keying and restoring the vault from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.cli.conftest import PASSWORD, Cli, assert_user_error

GITHUB = "otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP&issuer=GitHub"
GITLAB = "otpauth://totp/GitLab:alice?secret=KRSXG5CTMVRXEZLU&issuer=GitLab"


def test_no_command_prints_help(cli: Cli) -> None:
    result = cli()
    assert result.returncode == 0
    assert "usage: keyfob" in result.stdout
    for command in ("init", "add", "list", "code", "remove", "passwd", "backups", "scan"):
        assert command in result.stdout


def test_usage_errors_exit_2(cli: Cli) -> None:
    for args in (["frobnicate"], ["add"], ["code", "--at", "soon"], ["list", "--nope"]):
        result = cli(*args)
        assert result.returncode == 2, args
        assert "usage:" in result.stderr
        assert "Traceback" not in result.stderr


def test_init_creates_a_vault_and_refuses_a_second_time(cli: Cli) -> None:
    created = cli("init")
    assert created.returncode == 0, created.stderr
    assert cli.vault.is_file()
    assert "cannot be recovered" in created.stderr
    before = cli.vault.read_bytes()
    again = cli("init")
    assert_user_error(again, "already exists")
    assert cli.vault.read_bytes() == before
    assert cli("list").returncode == 0


def test_init_without_any_password_source_says_how_to_give_one(cli: Cli) -> None:
    result = cli("init", env={"KEYFOB_PASSWORD_FILE": ""})
    assert_user_error(result, "--password-file")
    assert not cli.vault.exists()


def test_missing_vault_says_how_to_create_one(cli: Cli) -> None:
    assert_user_error(cli("list"), "no vault at", "keyfob init")


def test_wrong_password_changes_nothing(vault_cli: Cli, tmp_path: Path) -> None:
    vault_cli("add", GITHUB)
    before = vault_cli.vault.read_bytes()
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not the password\n")
    for args in (["list"], ["add", GITLAB], ["code", "git"], ["remove", "git", "--yes"]):
        result = vault_cli("--password-file", str(wrong), *args)
        assert_user_error(result, "password")
        assert "not the password" not in result.stderr
    assert vault_cli.vault.read_bytes() == before


def test_options_work_after_the_command_and_override_the_environment(
    vault_cli: Cli, tmp_path: Path
) -> None:
    other = tmp_path / "other.json"
    created = vault_cli("init", "--vault", str(other))
    assert created.returncode == 0, created.stderr
    vault_cli("add", GITLAB, "--vault", str(other))
    in_other = json.loads(vault_cli("--vault", str(other), "list", "--json").stdout)
    in_default = json.loads(vault_cli("list", "--json").stdout)
    assert [e["issuer"] for e in in_other] == ["GitLab"]
    assert in_default == []


def test_password_file_option_and_missing_password_file(vault_cli: Cli, tmp_path: Path) -> None:
    result = vault_cli("--password-file", str(vault_cli.password_file), "list")
    assert result.returncode == 0
    assert_user_error(
        vault_cli("--password-file", str(tmp_path / "absent"), "list"), "password file not found"
    )


def test_passwd_rewraps_the_key(vault_cli: Cli, tmp_path: Path) -> None:
    vault_cli("add", GITHUB)
    new = tmp_path / "new.txt"
    new.write_text("a brand new passphrase\n")
    changed = vault_cli("passwd", "--new-password-file", str(new))
    assert changed.returncode == 0, changed.stderr
    assert_user_error(vault_cli("list"), "password")
    listed = vault_cli("list", "--json", env={"KEYFOB_PASSWORD_FILE": str(new)})
    assert [e["issuer"] for e in json.loads(listed.stdout)] == ["GitHub"]


def test_backups_are_listed_and_restore_brings_back_a_removed_account(vault_cli: Cli) -> None:
    vault_cli("add", GITHUB)
    vault_cli("add", GITLAB)
    vault_cli("remove", "gitlab", "--yes")
    listing = vault_cli("backups")
    assert listing.returncode == 0
    names = [line.split()[0] for line in listing.stdout.splitlines()[1:]]
    assert len(names) >= 3
    # Newest first: a backup is the file a save replaced, so the newest is the vault as it
    # was just before the removal.
    restored = vault_cli("restore", names[0])
    assert restored.returncode == 0, restored.stderr
    issuers = [e["issuer"] for e in json.loads(vault_cli("list", "--json").stdout)]
    assert issuers == ["GitHub", "GitLab"]
    after = vault_cli("backups").stdout.splitlines()[1:]
    assert len(after) > len(names)


def test_restore_of_an_unknown_backup_is_an_error(vault_cli: Cli) -> None:
    vault_cli("add", GITHUB)
    before = vault_cli.vault.read_bytes()
    assert_user_error(vault_cli("restore", "no-such-backup.json"), "backup")
    assert vault_cli.vault.read_bytes() == before


def test_damaged_vault_is_a_clear_error(vault_cli: Cli) -> None:
    vault_cli.vault.write_text('{"format": "keyfob-vault", "version": 1')
    assert_user_error(vault_cli("list"), "vault")
    vault_cli.vault.write_bytes(b"\x00\xff garbage")
    assert_user_error(vault_cli("list"), "vault")


def test_password_never_reaches_any_output(vault_cli: Cli) -> None:
    outputs = [vault_cli("add", GITHUB), vault_cli("list"), vault_cli("code"), vault_cli("backups")]
    for result in outputs:
        assert PASSWORD not in result.stdout + result.stderr


def test_python_dash_m_app_is_the_same_command(vault_cli: Cli) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app", "list", "--json"],
        env=vault_cli.env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []

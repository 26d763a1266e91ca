"""End-to-end: creating, opening, re-keying and restoring the vault from the command line."""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.vault import list_backups
from app.vault.envelope import decrypt, parse, unwrap_with_password
from tests.cli.conftest import KEYFOB, PASSWORD, Cli, assert_user_error, write_password_file
from tests.vault_checks import opens_with

NEW_PASSWORD = "a brand new passphrase"

GITHUB = "otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP&issuer=GitHub"
GITLAB = "otpauth://totp/GitLab:alice?secret=KRSXG5CTMVRXEZLU&issuer=GitLab"


def test_no_command_prints_help(cli: Cli) -> None:
    result = cli()
    assert result.returncode == 0
    assert "usage: keyfob" in result.stdout
    for command in ("init", "add", "list", "code", "remove", "passwd", "backups", "scan"):
        assert command in result.stdout


def test_usage_errors_exit_2(cli: Cli) -> None:
    for args in (["frobnicate"], ["code", "--at", "soon"], ["list", "--nope"], ["restore", ""]):
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
    write_password_file(wrong, "not the password\n")
    for args in (["list"], ["add", "-"], ["code", "git"], ["remove", "git", "--yes"]):
        result = vault_cli("--password-file", str(wrong), *args, input=GITLAB)
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


def _new_password_file(tmp_path: Path) -> Path:
    new = tmp_path / "new.txt"
    return write_password_file(new, NEW_PASSWORD + "\n")


def _with_backups(vault_cli: Cli) -> list[Path]:
    vault_cli("add", GITHUB)
    vault_cli("add", GITLAB)
    return [info.path for info in list_backups(vault_cli.vault)]


def test_passwd_makes_a_new_key_and_says_what_the_old_password_still_opens(
    vault_cli: Cli, tmp_path: Path
) -> None:
    _with_backups(vault_cli)
    kept_copy = tmp_path / "a copy someone kept.json"
    shutil.copy(vault_cli.vault, kept_copy)

    changed = vault_cli("passwd", "--new-password-file", str(_new_password_file(tmp_path)))

    assert changed.returncode == 0, changed.stderr
    # The old password opens the old copy, and the key in it does not decrypt the vault now.
    old_key = unwrap_with_password(parse(kept_copy.read_bytes()), PASSWORD)
    assert decrypt(parse(vault_cli.vault.read_bytes()), old_key) is None
    assert changed.stdout == "Password changed.\n"
    # Two adds and the change itself: three backups, all under the old key.
    assert "3 backups made before now still open with the old password" in changed.stderr
    assert "--old-backups" in changed.stderr
    assert_user_error(vault_cli("list"), "password")
    listed = vault_cli("list", "--json", env={"KEYFOB_PASSWORD_FILE": str(tmp_path / "new.txt")})
    assert [e["issuer"] for e in json.loads(listed.stdout)] == ["GitHub", "GitLab"]
    assert all(opens_with(b.path, PASSWORD) for b in list_backups(vault_cli.vault))


def test_passwd_can_re_encrypt_the_old_backups(vault_cli: Cli, tmp_path: Path) -> None:
    _with_backups(vault_cli)
    new = str(_new_password_file(tmp_path))

    changed = vault_cli("passwd", "--new-password-file", new, "--old-backups", "reencrypt")

    assert changed.returncode == 0, changed.stderr
    assert "Re-encrypted 3 backups under the new password." in changed.stderr
    assert "still open with the old password" not in changed.stderr
    backups = list_backups(vault_cli.vault)
    assert len(backups) == 3
    for backup in backups:
        assert opens_with(backup.path, NEW_PASSWORD)
        assert not opens_with(backup.path, PASSWORD)
    restored = vault_cli("restore", backups[0].name, env={"KEYFOB_PASSWORD_FILE": new})
    assert restored.returncode == 0, restored.stderr


def test_passwd_can_delete_the_old_backups(vault_cli: Cli, tmp_path: Path) -> None:
    old = _with_backups(vault_cli)
    changed = vault_cli(
        "passwd",
        "--new-password-file",
        str(_new_password_file(tmp_path)),
        "--old-backups",
        "delete",
    )
    assert changed.returncode == 0, changed.stderr
    assert "Deleted 3 backups that opened with an old password." in changed.stderr
    assert "still open with the old password" not in changed.stderr
    assert not any(path.exists() for path in old)
    assert list_backups(vault_cli.vault) == []


def test_passwd_keeping_the_old_backups_says_so(vault_cli: Cli, tmp_path: Path) -> None:
    _with_backups(vault_cli)
    changed = vault_cli(
        "passwd", "--new-password-file", str(_new_password_file(tmp_path)), "--old-backups", "keep"
    )
    assert changed.returncode == 0, changed.stderr
    assert "Kept 3 backups made before now: they still open with the old password." in (
        changed.stderr
    )
    assert all(opens_with(b.path, PASSWORD) for b in list_backups(vault_cli.vault))


def test_passwd_refuses_an_unknown_choice_before_changing_anything(
    vault_cli: Cli, tmp_path: Path
) -> None:
    before = vault_cli.vault.read_bytes()
    result = vault_cli(
        "passwd", "--new-password-file", str(_new_password_file(tmp_path)), "--old-backups", "burn"
    )
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
    assert vault_cli.vault.read_bytes() == before


def _on_a_terminal(cli: Cli, args: list[str], answer: bytes) -> tuple[int, str]:
    """Run keyfob with a pseudo-terminal as its controlling terminal; answer the question."""
    master, slave = os.openpty()
    terminal = os.ttyname(slave)

    def take_the_terminal() -> None:
        # A session leader opening a terminal makes it its controlling terminal (Linux).
        os.close(os.open(terminal, os.O_RDWR))

    process = subprocess.Popen(
        [KEYFOB, *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=cli.env,
        start_new_session=True,
        preexec_fn=take_the_terminal,  # noqa: PLW1509 - no threads touch this child
    )
    os.close(slave)
    output = b""
    answered = False
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], deadline - time.monotonic())
            if not ready:
                break
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
            if not answered and b"[r] " in output:
                os.write(master, answer + b"\n")
                answered = True
        return process.wait(timeout=60), output.decode("utf-8", "replace")
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pseudo-terminal set-up")
def test_passwd_on_a_terminal_asks_what_to_do_with_the_old_backups(
    vault_cli: Cli, tmp_path: Path
) -> None:
    old = _with_backups(vault_cli)
    new = str(_new_password_file(tmp_path))

    code, output = _on_a_terminal(vault_cli, ["passwd", "--new-password-file", new], b"d")

    assert code == 0, output
    assert "2 backups open with the current password" in output  # asked before the change
    assert "delete them [d]" in output
    assert "Password changed." in output
    assert "Deleted 3 backups" in output  # and the change's own backup of the old file
    assert not any(path.exists() for path in old)
    assert list_backups(vault_cli.vault) == []


# --- rollback -------------------------------------------------------------------------------


def _rollback_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "older than a version" in line]


def test_an_older_vault_file_put_back_is_warned_about(vault_cli: Cli, tmp_path: Path) -> None:
    vault_cli("add", GITHUB)
    older = tmp_path / "older.json"
    shutil.copy(vault_cli.vault, older)
    vault_cli("add", GITLAB)
    vault_cli("remove", "github", "--yes")

    shutil.copy(older, vault_cli.vault)  # an older, genuine file: GitHub is back, GitLab gone
    listed = vault_cli("list", "--json")

    assert listed.returncode == 0, listed.stderr
    assert [e["issuer"] for e in json.loads(listed.stdout)] == ["GitHub"]
    warning = _rollback_lines(listed.stderr)
    assert len(warning) == 1, listed.stderr
    assert "revision 2, seen 4" in warning[0]
    assert len(listed.stderr.strip().splitlines()) == 1  # one line, nothing else
    # The memory lives in the (test's own) user state folder, outside the vault's folder.
    assert (Path(vault_cli.env["HOME"]) / ".local" / "state" / "Keyfob" / "revisions.json").exists()
    # It stays until the vault moves on: the next change goes above every revision seen.
    assert _rollback_lines(vault_cli("code").stderr)
    vault_cli("add", GITLAB)
    assert _rollback_lines(vault_cli("list").stderr) == []


def test_a_restore_the_user_asked_for_is_not_a_rollback(vault_cli: Cli) -> None:
    vault_cli("add", GITHUB)
    vault_cli("add", GITLAB)
    oldest = list_backups(vault_cli.vault)[-1]

    restored = vault_cli("restore", oldest.name)

    assert restored.returncode == 0, restored.stderr
    listed = vault_cli("list", "--json")
    assert json.loads(listed.stdout) == []  # the vault as it was first
    assert _rollback_lines(listed.stderr) == []
    assert listed.stderr == ""


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

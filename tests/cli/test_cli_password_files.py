"""Password files as people really make them: readable by others by mistake, written by a
Windows editor (BOM, CRLF), or not a file at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import PASSWORD, Cli, assert_user_error, write_password_file

WARNING = "other users can read the password file"


def _lists(cli: Cli, password_file: Path) -> tuple[int, str]:
    result = cli("--password-file", str(password_file), "list", "--json")
    if result.returncode == 0:
        assert json.loads(result.stdout) == []
    return result.returncode, result.stderr


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604], ids=oct)
def test_a_file_others_can_read_works_with_one_warning(
    vault_cli: Cli, tmp_path: Path, mode: int
) -> None:
    shared = write_password_file(tmp_path / "shared.txt", PASSWORD + "\n")
    shared.chmod(mode)
    code, stderr = _lists(vault_cli, shared)
    assert code == 0, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert WARNING in lines[0]
    assert "chmod 600" in lines[0]
    assert PASSWORD not in stderr


def test_a_private_file_gives_no_warning(vault_cli: Cli) -> None:
    code, stderr = _lists(vault_cli, vault_cli.password_file)
    assert (code, stderr) == (0, "")


@pytest.mark.parametrize(
    "content",
    [
        b"\xef\xbb\xbf" + PASSWORD.encode() + b"\r\n",  # Notepad: a BOM and CRLF
        b"\xef\xbb\xbf" + PASSWORD.encode(),  # a BOM, no line ending
        PASSWORD.encode() + b"\r\n",
        PASSWORD.encode() + b"\nsecond line, ignored\n",
    ],
    ids=["bom-crlf", "bom", "crlf", "two-lines"],
)
def test_bom_and_line_endings_are_not_part_of_the_password(
    vault_cli: Cli, tmp_path: Path, content: bytes
) -> None:
    password_file = tmp_path / "password.txt"
    password_file.write_bytes(content)
    password_file.chmod(0o600)
    assert _lists(vault_cli, password_file) == (0, "")


def test_spaces_and_inner_characters_are_kept(vault_cli: Cli, tmp_path: Path) -> None:
    # Only the line ending goes: a password may end with a space, or hold a form feed.
    password_file = write_password_file(tmp_path / "password.txt", PASSWORD + " \n")
    assert_user_error(vault_cli("--password-file", str(password_file), "list"), "password")


def test_an_endless_file_is_refused_in_one_line(vault_cli: Cli) -> None:
    result = vault_cli("--password-file", "/dev/zero", "list")
    assert_user_error(result, "/dev/zero", "first line")
    assert "MemoryError" not in result.stderr


def test_a_huge_first_line_is_refused_without_reading_it_all(
    vault_cli: Cli, tmp_path: Path
) -> None:
    huge = write_password_file(tmp_path / "huge.txt", "x" * 50_000_000)
    assert_user_error(vault_cli("--password-file", str(huge), "list"), "first line")


def test_a_folder_or_undecodable_file_is_one_line(vault_cli: Cli, tmp_path: Path) -> None:
    assert_user_error(vault_cli("--password-file", str(tmp_path), "list"), "password file")
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("mot de passe é\n".encode("latin-1"))
    latin1.chmod(0o600)
    assert_user_error(vault_cli("--password-file", str(latin1), "list"), "UTF-8")


def test_the_same_rules_hold_for_every_password_file_option(vault_cli: Cli, tmp_path: Path) -> None:
    shared = tmp_path / "new.txt"
    shared.write_bytes(b"\xef\xbb\xbfa brand new passphrase\r\n")
    shared.chmod(0o644)
    result = vault_cli("passwd", "--new-password-file", str(shared))
    assert result.returncode == 0, result.stderr
    assert WARNING in result.stderr
    new = write_password_file(tmp_path / "new-private.txt", "a brand new passphrase\n")
    assert _lists(vault_cli, new) == (0, "")

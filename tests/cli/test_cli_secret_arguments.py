"""Secrets never wait in the process list: every local user can read /proc/PID/cmdline.

`keyfob add URI` and `keyfob push enroll URI` are run on a terminal of their own, without a
password file, and looked at while they wait for the password: no process of theirs shows the
secret. The ways that never put it there (stdin with `-`, a hidden prompt) work too.
"""

from __future__ import annotations

import json

from tests.cli.conftest import KEYFOB, PASSWORD, Cli, assert_user_error
from tests.cli.terminal import Terminal

SECRET = "JBSWY3DPEHPK3PXP"
URI = f"otpauth://totp/GitHub:alice?secret={SECRET}&issuer=GitHub"
WARNING = "other users of this computer can read a command's arguments"


def asking(cli: Cli) -> dict[str, str]:
    """The environment without a password file: the command asks on its terminal."""
    return {k: v for k, v in cli.env.items() if k != "KEYFOB_PASSWORD_FILE"}


def _listed(cli: Cli) -> list[str]:
    result = cli("list", "--json")
    assert result.returncode == 0, result.stderr
    return [entry["issuer"] for entry in json.loads(result.stdout)]


def test_add_with_a_uri_argument_hides_it_while_it_waits_for_the_password(
    vault_cli: Cli,
) -> None:
    terminal = Terminal([KEYFOB, "add", URI], asking(vault_cli))
    try:
        terminal.expect("Password:")
        command_lines = terminal.group_command_lines()
        assert command_lines, "the waiting keyfob is in its process group"
        assert all(SECRET.encode() not in line for line in command_lines), command_lines
        terminal.type(PASSWORD + "\n")
        assert terminal.wait() == 0, terminal.screen + terminal.stderr
    finally:
        terminal.close()
    assert "added: GitHub (alice)" in terminal.screen
    warnings = [line for line in terminal.stderr.splitlines() if WARNING in line]
    assert len(warnings) == 1, terminal.stderr
    assert "keyfob add -" in warnings[0]
    assert _listed(vault_cli) == ["GitHub"]


def test_add_with_no_uri_asks_for_it_without_showing_it(vault_cli: Cli) -> None:
    terminal = Terminal([KEYFOB, "add"], asking(vault_cli))
    try:
        terminal.expect("otpauth:// URI (not shown):")
        terminal.type(URI + "\n")
        terminal.expect("Password:")
        terminal.type(PASSWORD + "\n")
        assert terminal.wait() == 0, terminal.screen + terminal.stderr
    finally:
        terminal.close()
    assert SECRET not in terminal.screen  # not echoed
    assert WARNING not in terminal.stderr
    assert _listed(vault_cli) == ["GitHub"]


def test_add_from_stdin_gives_no_warning(vault_cli: Cli) -> None:
    result = vault_cli("add", "-", input=URI + "\n")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert _listed(vault_cli) == ["GitHub"]


def test_add_with_no_uri_and_no_terminal_reads_stdin(vault_cli: Cli) -> None:
    result = vault_cli("add", input=URI + "\n")
    assert result.returncode == 0, result.stderr
    assert _listed(vault_cli) == ["GitHub"]


def test_a_bad_uri_argument_fails_at_once_with_one_line(vault_cli: Cli) -> None:
    # Checked before anything else: no warning, no second process, no password asked.
    assert_user_error(vault_cli("add", "otpauth://totp/x?secret=not*base32"), "URI 1")

"""`keyfob quick-unlock` and every command after it, as a user runs them: the CLI in a
subprocess, a real GNOME Keyring on a private D-Bus bus (tests/secret_service.py), the
keyring's contents read back with secret-tool."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.core.account import Account
from app.core.secret import decode_base32
from app.vault.envelope import parse, unwrap_with_password
from app.vault.quick_unlock import enable
from app.vault.store import Vault
from tests.cli.conftest import KEYFOB, PASSWORD, Cli, assert_user_error, write_password_file
from tests.cli.terminal import Terminal
from tests.secret_service import SecretService, require_programs, running_secret_service

DAY = 86_400
NO_PASSWORD = {"KEYFOB_PASSWORD_FILE": ""}  # and no terminal: a password cannot be had


@dataclass
class Setup:
    cli: Cli
    keyring: SecretService
    vault_id: str


@pytest.fixture
def keyring_service() -> Iterator[SecretService]:
    require_programs()
    with running_secret_service() as service:
        yield service


@pytest.fixture
def setup(vault_cli: Cli, keyring_service: SecretService) -> Setup:
    """A vault with a GitHub account and a running keyring; quick unlock still off."""
    vault = Vault.open(vault_cli.vault, PASSWORD)
    vault.add_accounts([Account(secret=decode_base32("JBSWY3DPEHPK3PXP"), issuer="GitHub")])
    return Setup(vault_cli, keyring_service, vault.vault_id)


def _with_bus(setup: Setup, **extra: str) -> dict[str, str]:
    return {**setup.keyring.env, **extra}


def _enabled(setup: Setup) -> None:
    result = setup.cli("quick-unlock", "enable", env=_with_bus(setup))
    assert result.returncode == 0, result.stderr
    assert "Quick unlock is on until" in result.stdout


def test_enable_then_code_needs_no_password(setup: Setup) -> None:
    before = setup.cli("code", "github", env=_with_bus(setup, **NO_PASSWORD))
    assert_user_error(before, "no terminal to ask for the password")

    _enabled(setup)
    result = setup.cli("code", "github", "--json", env=_with_bus(setup, **NO_PASSWORD))

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    (shown,) = json.loads(result.stdout)
    assert shown["issuer"] == "GitHub"
    assert len(shown["code"]) == 6


def test_the_keyring_holds_neither_the_password_nor_the_master_key(setup: Setup) -> None:
    _enabled(setup)
    master_key = bytes(unwrap_with_password(parse(setup.cli.vault.read_bytes()), PASSWORD))
    stored = setup.keyring.lookup(setup.vault_id)
    listing = setup.keyring.listing()

    assert stored is not None
    assert len(base64.b64decode(stored, validate=True)) == 32
    assert setup.vault_id in listing
    for spelling in (
        PASSWORD,
        base64.b64encode(master_key).decode(),
        base64.urlsafe_b64encode(master_key).decode(),
        master_key.hex(),
    ):
        assert spelling not in listing


def test_a_deleted_item_asks_for_the_password_and_says_why(setup: Setup) -> None:
    _enabled(setup)
    setup.keyring.clear(setup.vault_id)

    no_terminal = setup.cli("code", "github", env=_with_bus(setup, **NO_PASSWORD))
    assert_user_error(no_terminal, "keyring", "no terminal to ask for the password")

    with_file = setup.cli("code", "github", "--json", env=_with_bus(setup))
    assert with_file.returncode == 0, with_file.stderr
    (line,) = with_file.stderr.splitlines()
    assert "keyring" in line
    assert "password is needed" in line
    # That password entry put a new key in the keyring: the next command needs none.
    assert setup.keyring.lookup(setup.vault_id) is not None
    again = setup.cli("code", "github", env=_with_bus(setup, **NO_PASSWORD))
    assert again.returncode == 0, again.stderr
    assert again.stderr == ""


def test_on_a_terminal_the_reason_comes_before_the_prompt(setup: Setup) -> None:
    _enabled(setup)
    setup.keyring.clear(setup.vault_id)
    terminal = Terminal(
        [KEYFOB, "code", "github"], {**setup.cli.env, **_with_bus(setup, **NO_PASSWORD)}
    )
    try:
        terminal.expect("Password:")
        terminal.type(PASSWORD + "\n")
        assert terminal.wait() == 0
    finally:
        terminal.close()
    assert "GitHub" in terminal.screen
    (line,) = terminal.stderr.splitlines()
    assert "keyring" in line


def test_a_locked_keyring_asks_for_the_password(setup: Setup) -> None:
    _enabled(setup)
    setup.keyring.lock()
    result = setup.cli("code", "github", env=_with_bus(setup, **NO_PASSWORD))
    assert_user_error(result, "the system keyring is locked", "no terminal")


def test_without_a_keyring_the_password_is_asked(setup: Setup) -> None:
    _enabled(setup)
    result = setup.cli("code", "github", env=NO_PASSWORD)  # no bus at all
    assert_user_error(result, "no system keyring", "no terminal")


def test_passwd_ends_quick_unlock_and_deletes_the_key(setup: Setup, tmp_path: Path) -> None:
    _enabled(setup)
    old_item = setup.keyring.lookup(setup.vault_id)
    assert old_item is not None
    new = write_password_file(tmp_path / "new.txt", "a new password\n")

    changed = setup.cli(
        "passwd", "--new-password-file", str(new), "--old-backups", "keep", env=_with_bus(setup)
    )

    assert changed.returncode == 0, changed.stderr
    assert "Quick unlock is off" in changed.stderr
    assert setup.keyring.lookup(setup.vault_id) is None
    after = setup.cli("code", "github", env=_with_bus(setup, **NO_PASSWORD))
    assert_user_error(after, "no terminal to ask for the password")
    # Even with the old key put back, nothing opens without the new password.
    setup.keyring.store(setup.vault_id, old_item)
    still = setup.cli("code", "github", env=_with_bus(setup, **NO_PASSWORD))
    assert_user_error(still, "no terminal to ask for the password")


def test_export_and_passwd_always_ask_for_the_password(setup: Setup, tmp_path: Path) -> None:
    _enabled(setup)
    export = setup.cli(
        "export",
        "--format",
        "otpauth",
        "--out",
        str(tmp_path / "out.txt"),
        "--yes-plaintext",
        env=_with_bus(setup, **NO_PASSWORD),
    )
    assert_user_error(export, "no terminal to ask for the password")
    assert not (tmp_path / "out.txt").exists()
    new = write_password_file(tmp_path / "new.txt", "a new password\n")
    passwd = setup.cli(
        "passwd", "--new-password-file", str(new), env=_with_bus(setup, **NO_PASSWORD)
    )
    assert_user_error(passwd, "no terminal to ask for the password")
    assert Vault.open(setup.cli.vault, PASSWORD).content.accounts


def test_enable_asks_for_the_password(setup: Setup) -> None:
    result = setup.cli("quick-unlock", "enable", env=_with_bus(setup, **NO_PASSWORD))
    assert_user_error(result, "no terminal to ask for the password")
    assert setup.keyring.lookup(setup.vault_id) is None


def test_it_expires_after_the_set_days(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    """Quick unlock turned on (with an injected clock) 15 days ago, 14 being the default."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", setup.keyring.address)
    enable(Vault.open(setup.cli.vault, PASSWORD), now=time.time() - 15 * DAY)

    expired = setup.cli("code", "github", env=_with_bus(setup, **NO_PASSWORD))
    assert_user_error(expired, "expired", "14 days", "no terminal")

    renewed = setup.cli("code", "github", env=_with_bus(setup))  # the password, from its file
    assert renewed.returncode == 0, renewed.stderr
    assert "expired" in renewed.stderr
    fresh = setup.cli("code", "github", env=_with_bus(setup, **NO_PASSWORD))
    assert fresh.returncode == 0, fresh.stderr


def test_status_and_disable(setup: Setup) -> None:
    off = setup.cli("quick-unlock", "status", "--json", env=_with_bus(setup))
    assert off.returncode == 0, off.stderr
    assert json.loads(off.stdout)["enabled"] is False

    _enabled(setup)
    on = setup.cli("quick-unlock", "status", "--json", env=_with_bus(setup, **NO_PASSWORD))
    assert on.returncode == 0, on.stderr
    state = json.loads(on.stdout)
    assert state["enabled"] is True
    assert state["in_keyring"] is True
    assert state["days"] == 14
    assert state["expires"] - state["password_entered"] == 14 * DAY
    text = setup.cli("quick-unlock", "status", env=_with_bus(setup, **NO_PASSWORD))
    assert "Its key is in the system keyring." in text.stdout

    # Turning it off needs no password: the keyring opens the vault one last time.
    disabled = setup.cli("quick-unlock", "disable", env=_with_bus(setup, **NO_PASSWORD))
    assert disabled.returncode == 0, disabled.stderr
    assert setup.keyring.lookup(setup.vault_id) is None
    header = json.loads(setup.cli.vault.read_bytes())["header"]
    assert [slot["type"] for slot in header["slots"]] == ["password"]
    after = setup.cli("code", "github", env=_with_bus(setup, **NO_PASSWORD))
    assert_user_error(after, "no terminal to ask for the password")

"""Which vault both faces open, and moving it: the `vault/path` preference set by "Open an
existing vault" or by a move, read by the CLI as a subprocess; a move that copies, checks,
switches and only then removes, and that changes nothing when it cannot finish."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.vault.backups import backups_dir, list_backups
from app.vault.errors import VaultError, VaultExistsError, VaultFormatError
from app.vault.paths import CONFIG_ENV, VAULT_ENV, default_vault_path, resolve_vault_path
from app.vault.preferences import FILE_NAME, VAULT_PATH, Preferences, PreferencesError
from app.vault.relocate import check_vault_file, move_vault, use_existing_vault
from app.vault.store import Vault
from tests.vault.conftest import PASSWORD, account, cheap

KEYFOB = str(Path(sys.executable).with_name("keyfob"))


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private config folder for this test, for this process and the CLI it starts."""
    folder = tmp_path / "config"
    monkeypatch.setenv(CONFIG_ENV, str(folder))
    monkeypatch.delenv(VAULT_ENV, raising=False)
    return folder


def keyfob(*args: str, config: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """The CLI as a user runs it: no --vault, no $KEYFOB_VAULT, this user's preferences."""
    password_file = home / "password.txt"
    password_file.write_text(PASSWORD + "\n")
    password_file.chmod(0o600)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        CONFIG_ENV: str(config),
        "KEYFOB_PASSWORD_FILE": str(password_file),
        "LANG": "C.UTF-8",
    }
    return subprocess.run(
        [KEYFOB, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
        start_new_session=True,
    )


def synced_vault(tmp_path: Path, *issuers: str) -> Vault:
    vault = Vault.create(tmp_path / "Sync" / "Keyfob" / "vault.json", PASSWORD, kdf=cheap())
    for issuer in issuers:  # one save each: backups to move along
        vault.add_accounts([account(issuer=issuer)])
    return vault


# --- which vault -------------------------------------------------------------------------


def test_resolve_vault_path_takes_the_preference_after_the_option_and_the_variable(
    tmp_path: Path, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert resolve_vault_path() == default_vault_path()  # no preferences file at all
    chosen = tmp_path / "Sync" / "vault.json"
    Preferences(config).set_vault_path(chosen)
    assert resolve_vault_path() == chosen
    monkeypatch.setenv(VAULT_ENV, str(tmp_path / "env.json"))
    assert resolve_vault_path() == tmp_path / "env.json"
    assert resolve_vault_path(tmp_path / "option.json") == tmp_path / "option.json"


@pytest.mark.parametrize("value", ["relative/vault.json", "", 42, True])
def test_a_preference_that_is_no_absolute_path_is_not_used(config: Path, value: str | int) -> None:
    Preferences(config).set_value(VAULT_PATH, value)
    assert Preferences(config).vault_path is None
    assert resolve_vault_path() == default_vault_path()


def test_the_cli_opens_the_vault_chosen_in_the_app(tmp_path: Path, config: Path) -> None:
    vault = synced_vault(tmp_path, "GitHub")
    home = tmp_path / "home"
    home.mkdir()
    before = keyfob("list", config=config, home=home)
    assert before.returncode == 1  # nothing at the default path yet
    assert "GitHub" not in before.stdout

    use_existing_vault(vault.path, Preferences.default())  # "Open an existing vault…"
    listed = keyfob("list", config=config, home=home)
    assert listed.returncode == 0, listed.stderr
    assert "GitHub" in listed.stdout


# --- open an existing vault --------------------------------------------------------------


def test_use_existing_vault_remembers_a_vault(tmp_path: Path, config: Path) -> None:
    vault = synced_vault(tmp_path)
    assert use_existing_vault(vault.path, Preferences.default()) == vault.path
    assert Preferences.default().vault_path == vault.path


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"shopping list\n", "not JSON"),
        (b'{"format": "aegis", "db": {}}', "not a Keyfob vault"),
        (b'{"format": "keyfob-vault", "version": 99}', "newer Keyfob"),
    ],
)
def test_a_file_that_is_no_vault_is_refused_and_not_remembered(
    tmp_path: Path, config: Path, content: bytes, reason: str
) -> None:
    other = tmp_path / "other.json"
    other.write_bytes(content)
    with pytest.raises(VaultFormatError, match=reason):
        use_existing_vault(other, Preferences.default())
    assert not (config / FILE_NAME).exists()
    assert other.read_bytes() == content


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_bytes_are_a_vault_or_a_specific_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "candidate.json"
    path.write_bytes(data)
    preferences = Preferences(tmp_path / "fuzz-config")
    with pytest.raises(VaultFormatError):
        use_existing_vault(path, preferences)
    assert not preferences.path.exists()
    assert path.read_bytes() == data
    with pytest.raises(VaultFormatError):
        check_vault_file(path)


# --- moving ------------------------------------------------------------------------------


def test_a_move_takes_the_file_and_its_backups_and_the_vault_goes_on_there(
    tmp_path: Path, config: Path
) -> None:
    vault = Vault.create(tmp_path / "data" / "vault.json", PASSWORD, kdf=cheap())
    for issuer in ("GitHub", "GitLab", "Proton"):
        vault.add_accounts([account(issuer=issuer)])
    Preferences.default().set_vault_path(vault.path)
    old, old_backups = vault.path, list_backups(vault.path)
    assert len(old_backups) == 3
    folder = tmp_path / "Sync"
    folder.mkdir()

    moved = move_vault(vault, folder, Preferences.default())

    target = folder / "vault.json"
    assert moved.vault.path == target
    assert moved.backups == 3
    assert moved.left_behind == []
    assert not moved.named_elsewhere
    assert not old.exists()
    assert not backups_dir(old).exists()
    assert [b.name for b in list_backups(target)] == [b.name for b in old_backups]
    assert resolve_vault_path() == target
    # The vault at its new place holds the same accounts, opens with the same password, and
    # saves there.
    assert moved.vault.content.accounts == vault.content.accounts
    moved.vault.add_accounts([account(issuer="Figma")])
    reopened = Vault.open(target, PASSWORD)
    assert {a.issuer for a in reopened.content.accounts} == {"GitHub", "GitLab", "Proton", "Figma"}
    assert not old.exists()


def test_a_move_takes_in_what_another_keyfob_saved_just_before(
    tmp_path: Path, config: Path
) -> None:
    vault = Vault.create(tmp_path / "data" / "vault.json", PASSWORD, kdf=cheap())
    Vault.open(vault.path, PASSWORD).add_accounts([account(issuer="Saved by the CLI")])
    (tmp_path / "Sync").mkdir()
    moved = move_vault(vault, tmp_path / "Sync", Preferences.default())
    assert [a.issuer for a in moved.vault.content.accounts] == ["Saved by the CLI"]


def test_a_folder_that_holds_a_vault_is_never_written_over(tmp_path: Path, config: Path) -> None:
    vault = Vault.create(tmp_path / "data" / "vault.json", PASSWORD, kdf=cheap())
    there = synced_vault(tmp_path, "Theirs")
    ours, theirs = vault.path.read_bytes(), there.path.read_bytes()
    with pytest.raises(VaultExistsError, match=r"holds a file named vault\.json"):
        move_vault(vault, there.path.parent, Preferences.default())
    assert vault.path.read_bytes() == ours
    assert there.path.read_bytes() == theirs
    assert not (config / FILE_NAME).exists()
    vault.add_accounts([account(issuer="still saving here")])  # the vault goes on as it was


@pytest.mark.parametrize("case", ["same folder", "no such folder", "symbolic link"])
def test_a_move_that_makes_no_sense_is_refused(tmp_path: Path, config: Path, case: str) -> None:
    vault = Vault.create(tmp_path / "data" / "vault.json", PASSWORD, kdf=cheap())
    folder = tmp_path / "Sync"
    folder.mkdir()
    if case == "same folder":
        folder, match = vault.path.parent, "in .* already"
    elif case == "no such folder":
        folder, match = tmp_path / "missing", "there is no folder"
    else:
        link = tmp_path / "link.json"
        link.symlink_to(vault.path)
        vault = Vault.open(link, PASSWORD)
        match = "is a link to"
    before = vault.path.read_bytes()
    with pytest.raises(VaultError, match=match):
        move_vault(vault, folder, Preferences.default())
    assert vault.path.read_bytes() == before
    assert not (tmp_path / "Sync" / "vault.json").exists()
    assert not (config / FILE_NAME).exists()


def test_a_move_that_cannot_be_remembered_leaves_everything_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = Vault.create(tmp_path / "data" / "vault.json", PASSWORD, kdf=cheap())
    vault.add_accounts([account(issuer="GitHub")])
    vault.add_accounts([account(issuer="GitLab")])
    blocked = tmp_path / "config"
    blocked.write_text("a file where the config folder should be")
    monkeypatch.setenv(CONFIG_ENV, str(blocked))
    folder = tmp_path / "Sync"
    folder.mkdir()
    before, backups = vault.path.read_bytes(), list_backups(vault.path)

    with pytest.raises(PreferencesError):
        move_vault(vault, folder, Preferences(blocked))

    assert vault.path.read_bytes() == before
    assert list_backups(vault.path) == backups
    assert not (folder / "vault.json").exists()
    assert list_backups(folder / "vault.json") == []
    vault.add_accounts([account(issuer="still saving here")])


def test_a_move_says_when_keyfob_vault_still_names_the_old_place(
    tmp_path: Path, config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = Vault.create(tmp_path / "data" / "vault.json", PASSWORD, kdf=cheap())
    monkeypatch.setenv(VAULT_ENV, str(vault.path))
    (tmp_path / "Sync").mkdir()
    moved = move_vault(vault, tmp_path / "Sync", Preferences.default())
    assert moved.named_elsewhere
    assert Preferences.default().vault_path == tmp_path / "Sync" / "vault.json"


def test_a_vault_opened_by_the_keyring_stays_one_after_a_move(tmp_path: Path, config: Path) -> None:
    from app.vault.quick_unlock import KeyringOpenedVault, opened_by_keyring

    opened = Vault.create(tmp_path / "data" / "vault.json", PASSWORD, kdf=cheap())
    raw = opened.path.read_bytes()
    quick = KeyringOpenedVault(
        opened.path, bytearray(opened._key), opened._document or {}, opened.content, b""
    )
    assert opened.path.read_bytes() == raw
    (tmp_path / "Sync").mkdir()
    moved = move_vault(quick, tmp_path / "Sync", Preferences.default())
    # Secrets still need the password: no password was entered for the move.
    assert opened_by_keyring(moved.vault)

"""Rollback: the highest revision seen per vault, remembered outside it, tells when an older
genuine vault file comes back; a restore the user asked for does not count."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.account import OtpType
from app.vault import Vault, list_backups, restore_backup
from app.vault.paths import STATE_ENV, default_state_dir
from app.vault.revisions import STATE_FILE, RevisionLog, Rollback, decode
from tests.vault.conftest import PASSWORD, account, cheap


@pytest.fixture
def log(tmp_path: Path) -> RevisionLog:
    return RevisionLog(tmp_path / "state")


def _open(path: Path, log: RevisionLog) -> tuple[Vault, Rollback | None]:
    vault = Vault.open(path, PASSWORD)
    return vault, vault.track_revisions(log)


def test_an_older_copy_put_back_is_noticed(vault: Vault, log: RevisionLog, tmp_path: Path) -> None:
    vault.track_revisions(log)
    vault.add_accounts([account(issuer="Bank", type=OtpType.HOTP, counter=5)])
    vault.add_accounts([account(issuer="Deleted")])
    older = tmp_path / "older.json"
    shutil.copy(vault.path, older)
    hotp, deleted = vault.content.accounts
    vault.update_account(replace(hotp, counter=6))  # a code used since
    vault.remove_account(deleted.uuid)
    seen = vault.revision

    shutil.copy(older, vault.path)  # someone puts the older, genuine file back
    reopened, rollback = _open(vault.path, log)

    assert rollback == Rollback(vault.vault_id, reopened.revision, seen)
    assert reopened.revision < seen
    # It still opens: the counter went back and the deleted account is back.
    assert [(a.issuer, a.counter) for a in reopened.content.accounts] == [
        ("Bank", 5),
        ("Deleted", 0),
    ]


def test_the_notice_stays_until_the_vault_moves_on_then_goes(
    vault: Vault, log: RevisionLog, tmp_path: Path
) -> None:
    vault.track_revisions(log)
    older = tmp_path / "older.json"
    shutil.copy(vault.path, older)
    for name in ("a", "b", "c"):
        vault.add_accounts([account(issuer=name)])
    seen = vault.revision
    shutil.copy(older, vault.path)

    assert _open(vault.path, log)[1] is not None
    reopened, again = _open(vault.path, log)  # not forgotten by being seen once
    assert again is not None

    reopened.add_accounts([account(issuer="a change")])  # the user carries on from here
    assert reopened.revision > seen  # above every number used before
    assert _open(vault.path, log)[1] is None


def test_a_newer_file_is_no_rollback_and_raises_the_mark(vault: Vault, log: RevisionLog) -> None:
    assert vault.track_revisions(log) is None
    other = Vault.open(vault.path, PASSWORD)  # untracked: another Keyfob's saves
    other.add_accounts([account()])
    other.add_accounts([account()])
    assert _open(vault.path, log)[1] is None
    assert log.highest(vault.vault_id) == other.revision


def test_saves_and_reloads_of_a_tracked_vault_are_remembered(
    vault: Vault, log: RevisionLog
) -> None:
    vault.track_revisions(log)
    vault.add_accounts([account()])
    assert log.highest(vault.vault_id) == vault.revision
    other = Vault.open(vault.path, PASSWORD)
    other.add_accounts([account()])
    assert vault.refresh()
    assert log.highest(vault.vault_id) == other.revision


def test_a_restore_is_not_a_rollback(vault: Vault, log: RevisionLog) -> None:
    vault.track_revisions(log)
    for name in ("one", "two", "three"):
        vault.add_accounts([account(issuer=name)])
    seen = vault.revision
    oldest = list_backups(vault.path)[-1]

    restore_backup(vault.path, oldest, PASSWORD, revisions=log)

    reopened, rollback = _open(vault.path, log)
    assert rollback is None
    assert reopened.content.accounts == []  # the restored content, as a new revision
    assert reopened.revision == seen + 1
    assert log.highest(vault.vault_id) == seen + 1


def test_a_restore_goes_above_a_rolled_back_file_and_the_memory(
    vault: Vault, log: RevisionLog, tmp_path: Path
) -> None:
    vault.track_revisions(log)
    older = tmp_path / "older.json"
    shutil.copy(vault.path, older)
    vault.add_accounts([account(issuer="one")])
    vault.add_accounts([account(issuer="two")])
    seen = vault.revision
    shutil.copy(older, vault.path)

    restore_backup(vault.path, list_backups(vault.path)[0], PASSWORD, revisions=log)

    reopened, rollback = _open(vault.path, log)
    assert rollback is None
    assert reopened.revision == seen + 1


def test_each_vault_has_its_own_mark(vault: Vault, log: RevisionLog, tmp_path: Path) -> None:
    other = Vault.create(tmp_path / "other" / "vault.json", PASSWORD, kdf=cheap())
    other.track_revisions(log)
    vault.track_revisions(log)
    for _ in range(3):
        vault.add_accounts([account()])
    assert log.highest(other.vault_id) == 1
    assert _open(other.path, log)[1] is None


def test_the_state_folder_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(STATE_ENV, str(tmp_path / "elsewhere"))
    assert default_state_dir() == tmp_path / "elsewhere"
    assert RevisionLog.default().path == tmp_path / "elsewhere" / STATE_FILE
    monkeypatch.delenv(STATE_ENV)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert default_state_dir() == tmp_path / "xdg" / "Keyfob"


def test_an_unwritable_state_folder_never_stops_a_save(vault: Vault, tmp_path: Path) -> None:
    blocked = tmp_path / "a file"
    blocked.write_text("not a folder")
    log = RevisionLog(blocked / "state")
    assert vault.track_revisions(log) is None
    vault.add_accounts([account(issuer="saved anyway")])
    assert [a.issuer for a in Vault.open(vault.path, PASSWORD).content.accounts] == ["saved anyway"]


def test_the_state_file_is_private_and_readable(vault: Vault, log: RevisionLog) -> None:
    vault.track_revisions(log)
    document = json.loads(log.path.read_text())
    assert document == {"format": "keyfob-revisions", "vaults": {vault.vault_id: 1}}
    assert log.path.stat().st_mode & 0o077 == 0
    assert log.folder.stat().st_mode & 0o077 == 0


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_state_file_reads_as_a_mapping_and_changes_nothing(raw: bytes) -> None:
    seen = decode(raw)
    assert isinstance(seen, dict)
    assert all(isinstance(k, str) and isinstance(v, int) and v >= 0 for k, v in seen.items())


@settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    vaults=st.dictionaries(
        st.text(max_size=10),
        st.none()
        | st.booleans()
        | st.integers(-5, 5)
        | st.text(max_size=3)
        | st.floats(allow_nan=False, allow_infinity=False),
        max_size=5,
    )
)
def test_a_damaged_state_file_keeps_only_its_sound_entries(
    tmp_path: Path, vaults: dict[str, object]
) -> None:
    log = RevisionLog(tmp_path / "fuzz")
    log.folder.mkdir(exist_ok=True)
    text = json.dumps({"format": "keyfob-revisions", "vaults": vaults})
    log.path.write_text(text)
    expected = {k: v for k, v in vaults.items() if type(v) is int and v >= 0}
    assert decode(text.encode()) == expected
    assert log.path.read_text() == text  # reading changed nothing
    if "v" not in vaults:
        log.observe("v", 3)  # a write keeps the sound entries and adds the new one
        assert decode(log.path.read_bytes()) == {**expected, "v": 3}

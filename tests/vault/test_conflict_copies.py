"""Conflict copies that sync tools leave beside the vault: found by their real names, merged
on opening and on every save, moved into the backups (never deleted, never pruned); a copy
under another password waits for it; another vault's copy and a damaged one are left alone
and reported once.

Copies are made as a second computer makes them: the vault file copied into another folder,
opened and changed there as a Vault of its own, then its file dropped beside the first vault
under the name its sync tool gives.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.account import new_uuid
from app.formats.exporters.keyfob import keyfob_file
from app.vault import Vault, VaultAuthError
from app.vault.backups import BACKUPS_KEPT, backups_dir, list_backups
from app.vault.conflict_copies import (
    ANOTHER_VAULT,
    ConflictCopy,
    CopyLeftAlone,
    find_conflict_copies,
)
from app.vault.merge_files import SourcePasswordNeeded
from app.vault.revisions import RevisionLog
from app.vault.sync_tools import (
    DROPBOX,
    GOOGLE_DRIVE,
    NEXTCLOUD,
    ONEDRIVE,
    SEAFILE,
    SYNCTHING,
    conflict_tool,
)
from tests.vault.conftest import PASSWORD, account, cheap

# Real names each tool gives a conflict copy of "vault.json", and where the pattern is from.
REAL_NAMES = [
    # Syncthing, lib/model/folder_sendrecv.go conflictName: ".sync-conflict-" + local time
    # "20060102-150405" + "-" + short device id, before the extension (docs.syncthing.net,
    # users/syncing.html, "Conflicting Changes"); before v0.14 there was no device id.
    ("vault.sync-conflict-20261204-153045-7QK2ZQX.json", SYNCTHING),
    ("vault.sync-conflict-20150301-090807.json", SYNCTHING),
    # Nextcloud / ownCloud desktop, src/common/utility.cpp Utility::makeConflictFileName:
    # " (conflicted copy " [+ user + " "] + "yyyy-MM-dd hhmmss" + ")" before the extension.
    ("vault (conflicted copy 2022-01-20 153045).json", NEXTCLOUD),
    ("vault (conflicted copy Alice Smith 2026-12-04 080910).json", NEXTCLOUD),
    # ... its case-clash copy (makeCaseClashConflictFileName) and the pre-2.5 clients'
    # "_conflict-" + "yyyyMMdd-hhmmss" (propagatedownload.cpp; "_conflict_USER-" with a name).
    ("vault (case clash from 2024-05-06 070809).json", NEXTCLOUD),
    ("vault_conflict-20170203-101112.json", NEXTCLOUD),
    ("vault_conflict_alice-20170203-101112.json", NEXTCLOUD),
    # Dropbox, help.dropbox.com/syncing-uploads/conflicted-copy: "the editor's username,
    # 'conflicted copy', and the save date"; older clients numbered repeats; case and
    # Unicode clashes get "(Case Conflict)" / "(Unicode Encoding Conflict)".
    ("vault (Alice's conflicted copy 2026-12-04).json", DROPBOX),
    ("vault (Bob Jones's MacBook Pro's conflicted copy 2019-02-28).json", DROPBOX),
    ("vault (Alice's conflicted copy 2026-12-04 (1)).json", DROPBOX),
    ("vault (Case Conflict).json", DROPBOX),
    ("Vault (Unicode Encoding Conflict).JSON", DROPBOX),
    # OneDrive: the computer's name appended; the Linux client (abraunegg/onedrive,
    # docs/client-architecture.md) "filename-hostname-safeBackup-number" since v2.5.3,
    # "filename-hostname[-number]" before.
    ("vault-DESKTOP-AB12CD.json", ONEDRIVE),
    ("vault-DESKTOP-AB12CD-2.json", ONEDRIVE),
    ("vault-onedrive-client-dev-safeBackup-0001.json", ONEDRIVE),
    # Google Drive: a second file of the same name kept as "name (1)".
    ("vault (1).json", GOOGLE_DRIVE),
    ("vault (12).json", GOOGLE_DRIVE),
    # Seafile, common/vc-common.c gen_conflict_path: " (SFConflict " [+ modifier + " "]
    # + "%Y-%m-%d-%H-%M-%S" + ")" before the extension.
    ("vault (SFConflict alice@example.com 2026-12-04-15-30-45).json", SEAFILE),
    ("vault (SFConflict 2026-12-04-15-30-45).json", SEAFILE),
    # A copy of a copy: the last mark names the tool that made it.
    ("vault (1) (conflicted copy 2022-01-20 153045).json", NEXTCLOUD),
]

NOT_COPIES = [
    "vault.json",  # the vault itself
    "vault.json.lock",  # its lock
    ".vault.json.a1b2c3d4.tmp",  # a save's temporary file
    "vault-20261204-153045-123456.json",  # a backup's name, were one beside it
    "vault-0123abcd-20200101-000000-000000Z.json",  # an extra backup folder's copy
    "vault-2.json",  # a second vault beside the first (no computer name is only digits)
    "vault.json.bak",
    "other.json",
    "vault (conflicted copy).txt",  # another extension
    "vault (Alice's notes).json",
]


@pytest.fixture(autouse=True)
def _private_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYFOB_STATE_DIR", str(tmp_path / "state"))


@pytest.mark.parametrize(("name", "tool"), REAL_NAMES)
def test_each_tools_real_name_is_a_conflict_copy(name: str, tool: str) -> None:
    assert conflict_tool("vault.json", name) == tool


@pytest.mark.parametrize("name", NOT_COPIES)
def test_other_names_are_not(name: str) -> None:
    assert conflict_tool("vault.json", name) is None


def test_only_files_in_the_vaults_own_folder_are_found(vault: Vault, tmp_path: Path) -> None:
    folder = vault.path.parent
    (folder / "vault (1).json").write_bytes(vault.path.read_bytes())
    (folder / "vault (2).json").mkdir()  # a folder is no copy
    (tmp_path / "vault (3).json").write_bytes(vault.path.read_bytes())  # another folder
    (folder / "backups").mkdir(exist_ok=True)
    (folder / "backups" / "vault (4).json").write_bytes(vault.path.read_bytes())
    assert find_conflict_copies(vault.path) == [
        ConflictCopy(folder / "vault (1).json", GOOGLE_DRIVE)
    ]


# --- a second computer -----------------------------------------------------------------------


def second_computer(vault: Vault, tmp_path: Path, name: str = "laptop") -> Vault:
    """The vault as another computer has it: a copy of its file, opened there."""
    folder = tmp_path / name
    folder.mkdir()
    shutil.copy(vault.path, folder / "vault.json")
    return Vault.open(folder / "vault.json", PASSWORD)


def drop_beside(vault: Vault, other: Vault, name: str) -> Path:
    """The other computer's file, left beside the vault by a sync tool under `name`."""
    copy = vault.path.parent / name
    shutil.copy(other.path, copy)
    return copy


def issuers(vault: Vault) -> list[str]:
    return sorted(a.issuer for a in vault.content.accounts)


@pytest.mark.parametrize(("name", "tool"), REAL_NAMES)
def test_a_copy_is_merged_and_moved_into_the_backups(
    vault: Vault, tmp_path: Path, name: str, tool: str
) -> None:
    vault.add_accounts([account(issuer="here")])
    laptop = second_computer(vault, tmp_path)
    laptop.add_accounts([account(issuer="laptop")])
    copy = drop_beside(vault, laptop, name)
    copied = copy.read_bytes()

    outcome = vault.take_in_conflict_copies()

    assert issuers(vault) == ["here", "laptop"]
    assert issuers(Vault.open(vault.path, PASSWORD)) == ["here", "laptop"]  # saved
    [merged] = outcome.merged
    assert merged.copy == ConflictCopy(copy, tool)
    assert merged.report.added == [laptop.content.accounts[-1].label]
    assert not copy.exists()
    assert merged.moved_to == backups_dir(vault.path) / f"conflict-{name}"
    assert merged.moved_to.read_bytes() == copied  # kept whole, not rewritten
    assert find_conflict_copies(vault.path) == []


def test_every_save_takes_in_a_copy_first(vault: Vault, tmp_path: Path) -> None:
    laptop = second_computer(vault, tmp_path)
    laptop.add_accounts([account(issuer="laptop")])
    drop_beside(vault, laptop, "vault.sync-conflict-20261204-153045-7QK2ZQX.json")

    vault.add_accounts([account(issuer="desk")])  # any save, by either face

    assert issuers(Vault.open(vault.path, PASSWORD)) == ["desk", "laptop"]
    [news] = vault.conflict_news()
    assert [m.copy.tool for m in news.merged] == [SYNCTHING]
    assert vault.conflict_news() == []  # drained
    assert find_conflict_copies(vault.path) == []


def test_a_change_that_saves_nothing_still_saves_the_merge(vault: Vault, tmp_path: Path) -> None:
    laptop = second_computer(vault, tmp_path)
    laptop.add_accounts([account(issuer="laptop")])
    drop_beside(vault, laptop, "vault (1).json")

    vault.modify(lambda content: None, save_if=lambda _: False)

    assert issuers(Vault.open(vault.path, PASSWORD)) == ["laptop"]
    assert find_conflict_copies(vault.path) == []


def test_a_failed_change_leaves_the_copy_for_next_time(vault: Vault, tmp_path: Path) -> None:
    laptop = second_computer(vault, tmp_path)
    laptop.add_accounts([account(issuer="laptop")])
    copy = drop_beside(vault, laptop, "vault (1).json")
    before = vault.path.read_bytes()

    def fail(content: object) -> None:
        raise RuntimeError("the change fails")

    with pytest.raises(RuntimeError):
        vault.modify(fail)
    assert vault.path.read_bytes() == before
    assert copy.exists()
    assert vault.conflict_news() == []


def test_several_copies_merge_in_one_save(vault: Vault, tmp_path: Path) -> None:
    laptop = second_computer(vault, tmp_path, "laptop")
    phone = second_computer(vault, tmp_path, "desk")
    laptop.add_accounts([account(issuer="laptop")])
    phone.add_accounts([account(issuer="desk")])
    drop_beside(vault, laptop, "vault (Alice's conflicted copy 2026-12-04).json")
    drop_beside(vault, phone, "vault-DESKTOP-AB12CD.json")
    saves = len(list_backups(vault.path))

    outcome = vault.take_in_conflict_copies()

    assert len(outcome.merged) == 2
    assert issuers(vault) == ["desk", "laptop"]
    assert len(list_backups(vault.path)) == saves + 1


def test_an_older_copy_brings_nothing_and_still_goes(vault: Vault, tmp_path: Path) -> None:
    laptop = second_computer(vault, tmp_path)
    vault.add_accounts([account(issuer="newer")])
    drop_beside(vault, laptop, "vault (1).json")
    before = vault.path.read_bytes()

    [merged] = vault.take_in_conflict_copies().merged

    assert merged.report.summary() == "nothing new"
    assert vault.path.read_bytes() == before  # no save for nothing
    assert find_conflict_copies(vault.path) == []


def test_moved_copies_are_never_pruned_and_never_overwritten(vault: Vault, tmp_path: Path) -> None:
    laptop = second_computer(vault, tmp_path)
    name = "vault (1).json"
    drop_beside(vault, laptop, name)
    first = vault.take_in_conflict_copies().merged[0].moved_to
    laptop.add_accounts([account(issuer="again")])
    drop_beside(vault, laptop, name)
    second = vault.take_in_conflict_copies().merged[0].moved_to

    for number in range(BACKUPS_KEPT + 5):  # more saves than backups are kept
        vault.add_accounts([account(issuer=f"save {number}")])

    assert first.name == "conflict-vault (1).json"
    assert second.name == "conflict-vault (1) (2).json"
    assert first.exists()
    assert second.exists()
    assert len(list_backups(vault.path)) == BACKUPS_KEPT  # the rotation went on around them
    assert {p.name for p in backups_dir(vault.path).iterdir()} >= {first.name, second.name}


# --- a copy under another password -----------------------------------------------------------

NEW = "a password changed on the laptop"


def test_a_copy_under_another_password_waits_for_it(vault: Vault, tmp_path: Path) -> None:
    vault.add_accounts([account(issuer="here")])
    laptop = second_computer(vault, tmp_path)
    laptop.change_password(NEW, kdf=cheap()).forget()
    laptop.add_accounts([account(issuer="laptop")])
    copy = drop_beside(vault, laptop, "vault (conflicted copy 2026-12-04 101010).json")
    before = vault.path.read_bytes()

    for _ in range(2):  # said every time: its edits are not in the vault yet
        outcome = vault.take_in_conflict_copies()
        assert [n.copy for n in outcome.needs_password] == [ConflictCopy(copy, NEXTCLOUD)]
        assert outcome.merged == []
        assert outcome.left_alone == []
    vault.add_accounts([account(issuer="saved meanwhile")])
    assert [n.copy.path for n in vault.conflict_news()[0].needs_password] == [copy]
    assert copy.exists()

    saved = vault.path.read_bytes()
    with pytest.raises(VaultAuthError):
        vault.merge_copy_with_password(copy, "not it")
    assert vault.path.read_bytes() == saved
    assert copy.exists()

    merged = vault.merge_copy_with_password(copy, NEW)
    assert merged.report.added == [laptop.content.accounts[-1].label]
    assert issuers(Vault.open(vault.path, PASSWORD)) == ["here", "laptop", "saved meanwhile"]
    assert not copy.exists()
    assert merged.moved_to.exists()
    assert before != vault.path.read_bytes()


# --- files left alone ------------------------------------------------------------------------


def test_another_vaults_copy_is_left_alone_and_reported_once(vault: Vault, tmp_path: Path) -> None:
    vault.track_revisions(RevisionLog(tmp_path / "state"))
    stranger = Vault.create(tmp_path / "stranger" / "vault.json", PASSWORD, kdf=cheap())
    stranger.add_accounts([account(issuer="stranger")])
    copy = drop_beside(vault, stranger, "vault-DESKTOP-AB12CD.json")
    held = copy.read_bytes()
    before = vault.path.read_bytes()

    [alone] = vault.take_in_conflict_copies().left_alone
    assert alone == CopyLeftAlone(ConflictCopy(copy, ONEDRIVE), ANOTHER_VAULT)
    assert vault.take_in_conflict_copies().left_alone == []  # once
    vault.add_accounts([account(issuer="mine")])
    assert vault.conflict_news() == []
    # The memory outlives the process: another Keyfob on this vault stays quiet too.
    again = Vault.open(vault.path, PASSWORD)
    again.track_revisions(RevisionLog(tmp_path / "state"))
    assert again.take_in_conflict_copies().left_alone == []
    assert copy.read_bytes() == held
    assert issuers(Vault.open(vault.path, PASSWORD)) == ["mine"]
    assert vault.path.read_bytes() != before  # only the save of "mine" changed it

    stranger.add_accounts([account(issuer="changed")])  # a new version of that file
    shutil.copy(stranger.path, copy)
    os.utime(copy, ns=(1, 1))
    assert [a.copy.path for a in again.take_in_conflict_copies().left_alone] == [copy]


def damaged(vault: Vault) -> bytes:
    document = json.loads(vault.path.read_bytes())
    data = bytearray(document["data"].encode("ascii"))
    data[10] = ord("A") if data[10] != ord("A") else ord("B")
    document["data"] = data.decode("ascii")
    return json.dumps(document).encode("ascii")


@pytest.mark.parametrize(
    ("bytes_of", "words"),
    [
        (damaged, "fail authentication"),
        (lambda vault: b"\x00\xff not even text", "not JSON"),
        (lambda vault: b'{"format": "keyfob-vault"}', "format version"),
    ],
    ids=["tampered", "garbage", "half a vault"],
)
def test_a_damaged_copy_is_left_alone_and_reported_once(
    vault: Vault, bytes_of: object, words: str
) -> None:
    vault.add_accounts([account(issuer="mine")])
    copy = vault.path.parent / "vault (Alice's conflicted copy 2026-12-04).json"
    assert callable(bytes_of)
    copy.write_bytes(bytes_of(vault))
    before = vault.path.read_bytes()

    [alone] = vault.take_in_conflict_copies().left_alone
    assert alone.copy.path == copy
    assert words in alone.reason
    assert vault.take_in_conflict_copies().left_alone == []
    assert vault.path.read_bytes() == before
    assert copy.exists()


# --- merging a file by hand ------------------------------------------------------------------


def test_another_vault_is_combined_without_doubles(vault: Vault, tmp_path: Path) -> None:
    shared = account(issuer="both")
    vault.add_accounts([shared, account(issuer="mine")])
    stranger = Vault.create(tmp_path / "stranger" / "vault.json", NEW, kdf=cheap())
    stranger.add_accounts([replace(shared, uuid=new_uuid()), account(issuer="theirs")])
    stranger.modify(lambda c: c.push.append({"url": "https://push", "device_id": "d"}))

    with pytest.raises(SourcePasswordNeeded):
        vault.merge_file(stranger.path)
    merged = vault.merge_file(stranger.path, NEW)

    assert not merged.same_vault
    assert merged.duplicates == 1
    assert issuers(Vault.open(vault.path, PASSWORD)) == ["both", "mine", "theirs"]
    assert vault.content.push == []  # another vault's device keys stay there
    assert merged.moved_to is None
    assert stranger.path.exists()


def test_an_export_of_this_vault_merges_by_account(vault: Vault) -> None:
    kept = account(issuer="kept")
    vault.add_accounts([kept])
    export = vault.path.parent.parent / "export.json"
    export.write_bytes(keyfob_file([kept, account(issuer="exported")], [], NEW, cheap()))

    merged = vault.merge_file(export, NEW)

    assert merged.duplicates == 0  # the same account (same uuid), not a duplicate
    assert issuers(vault) == ["exported", "kept"]


# --- whatever lies beside the vault ----------------------------------------------------------


@pytest.fixture(scope="module")
def module_vault(tmp_path_factory: pytest.TempPathFactory) -> Vault:
    vault = Vault.create(tmp_path_factory.mktemp("garbage") / "vault.json", PASSWORD, kdf=cheap())
    vault.add_accounts([account(issuer="mine")])
    return vault


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.one_of(
        st.binary(max_size=400),
        st.builds(
            lambda v: json.dumps(v).encode(),
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                lambda inner: (
                    st.lists(inner, max_size=3)
                    | st.dictionaries(
                        st.sampled_from(["format", "version", "header", "data", "slots"]),
                        inner,
                        max_size=4,
                    )
                ),
                max_leaves=12,
            ),
        ),
    ),
    name=st.sampled_from([name for name, _ in REAL_NAMES]),
)
def test_garbage_beside_the_vault_never_changes_it(
    module_vault: Vault, data: bytes, name: str
) -> None:
    copy = module_vault.path.parent / name
    copy.write_bytes(data)
    try:
        before = module_vault.path.read_bytes()
        outcome = module_vault.take_in_conflict_copies()
        module_vault.modify(lambda content: None, save_if=lambda _: False)
        assert module_vault.path.read_bytes() == before
        assert outcome.merged == []
        assert copy.read_bytes() == data
    finally:
        copy.unlink()

"""The account edits both faces make (app.vault.account_edits, app.vault.editor), on a real
vault on disk: what each changes, what it leaves, and that another process's save survives."""

from __future__ import annotations

import dataclasses
import time

import pytest

from app.core.account import Account, OtpType
from app.core.errors import AccountError
from app.vault import Vault, VaultNotFoundError
from app.vault.account_edits import (
    AdditionPlanner,
    Disposition,
    add_accounts,
    advance_hotp,
    edit_account,
    record_last_use,
    remove_account,
    set_sort_positions,
)
from app.vault.editor import AccountEditor
from tests.vault.conftest import PASSWORD, account

LONG_AGO = 1_000_000_000


def on_disk(vault: Vault) -> list[Account]:
    return Vault.open(vault.path, PASSWORD).content.accounts


def by_issuer(vault: Vault, issuer: str) -> Account:
    return next(a for a in on_disk(vault) if a.issuer == issuer)


# --- adding ----------------------------------------------------------------------------------


def test_adding_skips_duplicates_renews_taken_ids_and_appends_group_names(vault: Vault) -> None:
    first = account(issuer="One", groups=("Work",))
    vault.add_accounts([first])
    same_id = account(issuer="Two", uuid=first.uuid, groups=("Home", "Work"))
    copy = dataclasses.replace(first, uuid="another-id")

    result = vault.modify(lambda content: add_accounts(content, [same_id, copy, same_id]))

    assert [a.issuer for a in result.added] == ["Two"]
    assert result.added[0].uuid != first.uuid  # a taken id gets a new one
    assert result.duplicates == [copy, same_id]  # in the vault, and earlier in the batch
    stored = Vault.open(vault.path, PASSWORD).content
    assert [a.issuer for a in stored.accounts] == ["One", "Two"]
    assert stored.groups == ["Work", "Home"]


def test_the_planner_tells_duplicates_from_repeats_across_several_files(vault: Vault) -> None:
    known = account(issuer="Known")
    vault.add_accounts([known])
    fresh = account(issuer="Fresh")
    planner = AdditionPlanner(vault.content.accounts)
    first_file = planner.plan([known, fresh])
    second_file = planner.plan([fresh, account(issuer="Other")])
    assert [p.disposition for p in first_file] == [Disposition.DUPLICATE, Disposition.NEW]
    assert [p.disposition for p in second_file] == [Disposition.REPEATED, Disposition.NEW]


def test_adding_nothing_new_writes_nothing(vault: Vault) -> None:
    known = account(issuer="Known")
    vault.add_accounts([known])
    before = vault.path.read_bytes()
    result = vault.add_accounts([known])
    assert result.added == []
    assert vault.path.read_bytes() == before


# --- one account -----------------------------------------------------------------------------


def test_advancing_hotp_counts_the_code_as_used(vault: Vault) -> None:
    hotp = account(issuer="Bank", type=OtpType.HOTP, counter=5, updated=LONG_AGO)
    totp = account(issuer="Mail", updated=LONG_AGO)
    vault.add_accounts([hotp, totp])
    started = int(time.time())

    advanced = vault.modify(lambda content: advance_hotp(content, hotp.uuid))
    assert vault.modify(lambda content: advance_hotp(content, totp.uuid)) is None
    assert vault.modify(lambda content: advance_hotp(content, "gone")) is None

    stored = by_issuer(vault, "Bank")
    assert stored == advanced
    assert stored.counter == 6
    assert stored.updated >= started
    assert stored.last_used is not None
    assert stored.last_used >= started
    assert by_issuer(vault, "Mail").updated == LONG_AGO  # not HOTP: untouched


def test_editing_changes_what_a_person_keeps_and_records_when(vault: Vault) -> None:
    target = account(issuer="Old", updated=LONG_AGO)
    vault.add_accounts([target])
    changes = {"issuer": "New", "groups": ("Banks",), "favourite": True, "note": "n"}
    edited = vault.modify(lambda content: edit_account(content, target.uuid, changes))
    assert edited is not None
    stored = by_issuer(vault, "New")
    assert (stored.groups, stored.favourite, stored.note) == (("Banks",), True, "n")
    assert stored.secret == target.secret
    assert stored.updated > LONG_AGO
    assert Vault.open(vault.path, PASSWORD).content.groups == ["Banks"]
    assert vault.modify(lambda content: edit_account(content, "gone", changes)) is None


def test_the_secret_and_code_parameters_are_not_edits(vault: Vault) -> None:
    target = account(issuer="Fixed")
    vault.add_accounts([target])
    before = vault.path.read_bytes()
    for field, value in (("secret", b"x" * 10), ("digits", 8), ("counter", 3)):
        refused = {field: value}
        with pytest.raises(AccountError, match=f"{field} cannot be edited"):
            vault.modify(lambda content, c=refused: edit_account(content, target.uuid, c))
    assert vault.path.read_bytes() == before


def test_removing_returns_the_account_or_none(vault: Vault) -> None:
    target = account(issuer="Bye")
    vault.add_accounts([target, account(issuer="Stay")])
    assert vault.modify(lambda content: remove_account(content, target.uuid)) == target
    assert vault.modify(lambda content: remove_account(content, target.uuid)) is None
    assert [a.issuer for a in on_disk(vault)] == ["Stay"]


# --- many accounts ---------------------------------------------------------------------------


def test_sort_positions_and_last_use(vault: Vault) -> None:
    a, b = account(issuer="A", last_used=500), account(issuer="B")
    vault.add_accounts([a, b])
    vault.modify(lambda content: set_sort_positions(content, {a.uuid: 1, b.uuid: 0}))
    vault.modify(lambda content: record_last_use(content, {a.uuid: 100, b.uuid: 900}))
    stored = {x.issuer: x for x in on_disk(vault)}
    assert (stored["A"].sort_position, stored["B"].sort_position) == (1, 0)
    assert stored["A"].last_used == 500  # a later use stands
    assert stored["B"].last_used == 900


# --- the window's editor ---------------------------------------------------------------------


def test_last_use_waits_in_memory_and_goes_with_the_next_write(vault: Vault) -> None:
    a = account(issuer="A")
    vault.add_accounts([a])
    editor = AccountEditor(vault)
    before = vault.path.read_bytes()
    editor.note_use(a.uuid, when=1234)
    assert vault.path.read_bytes() == before  # a copy is not a save
    assert editor.shown(vault.content.accounts)[0].last_used == 1234
    editor.add([account(issuer="B")])
    assert by_issuer(vault, "A").last_used == 1234
    assert not editor.has_pending


def test_a_failed_write_keeps_the_waiting_times(vault: Vault) -> None:
    a = account(issuer="A")
    vault.add_accounts([a])
    editor = AccountEditor(vault)
    editor.note_use(a.uuid, when=1234)
    vault.path.rename(vault.path.with_name("moved.json"))
    with pytest.raises(VaultNotFoundError):
        editor.reorder({a.uuid: 3})
    assert editor.has_pending
    vault.path.with_name("moved.json").rename(vault.path)
    editor.save_pending()
    assert by_issuer(vault, "A").last_used == 1234


def test_the_editor_keeps_another_processes_save(vault: Vault) -> None:
    mine = account(issuer="Mine", type=OtpType.HOTP)
    vault.add_accounts([mine])
    other = Vault.open(vault.path, PASSWORD)  # the CLI, say
    other.add_accounts([account(issuer="Theirs")])
    AccountEditor(vault).next_hotp(mine.uuid)
    stored = {a.issuer: a for a in on_disk(vault)}
    assert set(stored) == {"Mine", "Theirs"}
    assert stored["Mine"].counter == 1

"""Merging two copies of one vault: every rule of FORMAT.md "Merging", and its algebra.

Copies are made as two computers make them: one content, changed on each side through the
same editing functions the faces use, each change stamped by `stamp_changes` at a moment the
test chooses (so "later" is certain), then merged.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.account import Account, OtpType
from app.push import history
from app.vault import Vault, VaultContent, VaultFormatError
from app.vault.account_edits import (
    add_accounts,
    advance_hotp,
    edit_account,
    remove_account,
    set_sort_positions,
)
from app.vault.content import decode_content, encode_content
from app.vault.envelope import VERSION, parse
from app.vault.merge import merge_contents
from app.vault.stamping import stamp_changes
from app.vault.sync_state import PUSH_HISTORY, PUSH_HISTORY_KEPT, TOMBSTONE_MS, decode_sync
from tests.vault.conftest import PASSWORD, account

T0 = 1_800_000_000_000  # a moment (ms) after every account's creation below
Change = Callable[[VaultContent], object]


def changed(content: VaultContent, change: Change, at: int) -> VaultContent:
    """`content` after `change`, stamped at `at` ms, as Vault.modify would save it."""
    after = content.copy()
    change(after)
    stamp_changes(content, after, at)
    return decode_content(encode_content(after))  # through the file, as a copy travels


def base_with(*accounts: Account) -> VaultContent:
    return changed(VaultContent(), lambda c: add_accounts(c, accounts), T0)


def by_uuid(content: VaultContent) -> dict[str, Account]:
    return {a.uuid: a for a in content.accounts}


ALICE = account(issuer="GitHub", name="alice", created=1_700_000_000, uuid="a")
BOB = account(issuer="GitLab", name="bob", created=1_700_000_000, uuid="b")
COUNTER = account(
    issuer="Bank", name="hotp", type=OtpType.HOTP, counter=5, created=1_700_000_000, uuid="h"
)


def test_accounts_added_on_either_side_are_both_kept() -> None:
    base = base_with(ALICE)
    one = changed(base, lambda c: add_accounts(c, [account(uuid="x1")]), T0 + 10)
    two = changed(base, lambda c: add_accounts(c, [account(uuid="x2")]), T0 + 20)
    assert set(by_uuid(merge_contents(one, two))) == {"a", "x1", "x2"}


def test_a_delete_after_the_last_change_wins() -> None:
    base = base_with(ALICE, BOB)
    edited = changed(base, lambda c: edit_account(c, "a", {"note": "old edit"}), T0 + 10)
    deleted = changed(base, lambda c: remove_account(c, "a"), T0 + 20)
    merged = merge_contents(edited, deleted)
    assert set(by_uuid(merged)) == {"b"}
    assert "a" in merged.sync.deleted


def test_an_edit_after_the_delete_keeps_the_account_with_that_edit() -> None:
    base = base_with(ALICE, BOB)
    deleted = changed(base, lambda c: remove_account(c, "a"), T0 + 10)
    edited = changed(base, lambda c: edit_account(c, "a", {"note": "still mine"}), T0 + 20)
    merged = merge_contents(deleted, edited)
    assert by_uuid(merged)["a"].note == "still mine"
    assert "a" not in merged.sync.deleted


def test_a_delete_made_after_seeing_a_change_wins_even_with_a_slow_clock() -> None:
    """The hybrid clock: the second computer's clock is an hour behind, yet its delete,
    made after it received the edit, is later than the edit."""
    base = base_with(ALICE, BOB)
    edited = changed(base, lambda c: edit_account(c, "a", {"note": "x"}), T0 + 3_600_000)
    deleted = changed(edited, lambda c: remove_account(c, "a"), T0)
    assert set(by_uuid(merge_contents(edited, deleted))) == {"b"}


def test_changes_on_both_sides_merge_field_by_field_newest_wins() -> None:
    base = base_with(ALICE)
    one = changed(base, lambda c: edit_account(c, "a", {"issuer": "GitHub Inc"}), T0 + 10)
    one = changed(one, lambda c: edit_account(c, "a", {"name": "late name"}), T0 + 40)
    two = changed(base, lambda c: edit_account(c, "a", {"note": "my note"}), T0 + 20)
    two = changed(two, lambda c: edit_account(c, "a", {"name": "early name"}), T0 + 30)
    two = changed(two, lambda c: edit_account(c, "a", {"groups": ("Work",)}), T0 + 50)
    merged = by_uuid(merge_contents(one, two))["a"]
    assert (merged.issuer, merged.name, merged.note, merged.groups) == (
        "GitHub Inc",
        "late name",
        "my note",
        ("Work",),
    )
    assert merged.secret == ALICE.secret


def test_the_hotp_counter_is_the_larger_of_the_two() -> None:
    base = base_with(COUNTER)

    def shown(times: int) -> Change:
        return lambda c: [advance_hotp(c, "h") for _ in range(times)]

    many = changed(base, shown(7), T0 + 10)  # 12, but early
    few = changed(base, shown(1), T0 + 99)  # 6, later
    few = changed(few, lambda c: edit_account(c, "h", {"note": "later edit"}), T0 + 100)
    merged = by_uuid(merge_contents(few, many))["h"]
    assert merged.counter == 12
    assert merged.note == "later edit"


def test_groups_are_the_union_in_the_newer_sides_order() -> None:
    base = changed(base_with(ALICE), lambda c: c.groups.extend(["Home", "Work"]), T0 + 1)
    one = changed(base, lambda c: c.groups.append("Bank"), T0 + 10)
    two = changed(base, lambda c: c.groups.__setitem__(slice(None), ["Work", "Home"]), T0 + 20)
    assert merge_contents(one, two).groups == ["Work", "Home", "Bank"]


def test_order_and_favourites_come_from_the_side_that_changed_them_last() -> None:
    base = base_with(ALICE, BOB)
    one = changed(base, lambda c: set_sort_positions(c, {"a": 2, "b": 1}), T0 + 10)
    one = changed(one, lambda c: c.accounts.reverse(), T0 + 11)
    two = changed(base, lambda c: set_sort_positions(c, {"a": 5, "b": 9}), T0 + 20)
    two = changed(two, lambda c: edit_account(c, "b", {"favourite": True}), T0 + 30)
    merged = merge_contents(one, two)
    assert [a.uuid for a in merged.accounts] == ["b", "a"]  # only one side reordered the list
    assert {a.uuid: a.sort_position for a in merged.accounts} == {"a": 5, "b": 9}
    assert by_uuid(merged)["b"].favourite


def test_a_copy_that_only_added_and_removed_accounts_merges_into_its_own_order() -> None:
    """The copy an open vault held, merged with the file that grew from it, is that file:
    no account moves to the end, and nothing is written back for it."""
    base = base_with(ALICE, BOB, COUNTER)
    later = changed(
        base,
        lambda c: (c.accounts.insert(1, account(uuid="00-new")), remove_account(c, "h")),
        T0 + 10,
    )
    assert [a.uuid for a in later.accounts] == ["a", "00-new", "b"]
    assert merge_contents(base, later) == later
    assert merge_contents(later, base) == later


def _enrollment(device: str, **more: Any) -> dict[str, Any]:
    return {
        "url": "https://push.example",
        "device_id": device,
        "enrolled_at": 1_700_000_000,
        **more,
    }


def _request(challenge: str, received: int, outcome: str = "pending") -> dict[str, Any]:
    return {"challenge_id": challenge, "received_at": received, "outcome": outcome}


def test_push_enrollments_merge_like_accounts_and_their_histories_entry_by_entry() -> None:
    base = changed(VaultContent(), lambda c: c.push.append(_enrollment("d1", history=[])), T0)
    one = changed(base, lambda c: c.push.append(_enrollment("d2")), T0 + 10)
    one = changed(one, lambda c: c.push[0].__setitem__(PUSH_HISTORY, [_request("r1", 1)]), T0 + 11)
    two = changed(
        base,
        lambda c: c.push[0].__setitem__(
            PUSH_HISTORY, [_request("r1", 1, "approved") | {"ended_at": 5}, _request("r2", 2)]
        ),
        T0 + 20,
    )
    merged = merge_contents(one, two)
    assert [p["device_id"] for p in merged.push] == ["d1", "d2"]
    entries = merged.push[0][PUSH_HISTORY]
    assert [(e["challenge_id"], e["outcome"]) for e in entries] == [
        ("r1", "approved"),
        ("r2", "pending"),
    ]
    removed = changed(merged, lambda c: c.push.pop(1), T0 + 30)
    assert [p["device_id"] for p in merge_contents(removed, one).push] == ["d1"]


def test_the_vault_and_the_push_history_agree_on_the_history_field() -> None:
    assert (PUSH_HISTORY, PUSH_HISTORY_KEPT) == (history.HISTORY_KEY, history.MAX_PER_ENROLLMENT)


def test_tombstones_are_kept_ninety_days_then_forgotten() -> None:
    base = base_with(ALICE, BOB)
    deleted = changed(base, lambda c: remove_account(c, "a"), T0)
    later = changed(deleted, lambda c: edit_account(c, "b", {"note": "x"}), T0 + TOMBSTONE_MS)
    assert "a" in later.sync.deleted
    much_later = changed(
        later, lambda c: edit_account(c, "b", {"note": "y"}), T0 + 2 * TOMBSTONE_MS
    )
    assert "a" not in much_later.sync.deleted


# --- the algebra -------------------------------------------------------------------------------

OPERATIONS = st.sampled_from(
    ["add", "remove", "rename", "regroup", "favourite", "hotp", "reorder", "push", "unpush"]
)


def _apply(operation: str, pick: int, content: VaultContent) -> None:
    uuids = [a.uuid for a in content.accounts]
    target = uuids[pick % len(uuids)] if uuids else None
    if operation == "add" or target is None:
        add_accounts(content, [account(issuer=f"new{pick}", created=1_700_000_000)])
    elif operation == "remove":
        remove_account(content, target)
    elif operation == "rename":
        edit_account(content, target, {"issuer": f"renamed {pick}"})
    elif operation == "regroup":
        edit_account(content, target, {"groups": (f"G{pick % 3}",)})
    elif operation == "favourite":
        edit_account(content, target, {"favourite": bool(pick % 2)})
    elif operation == "hotp":
        advance_hotp(content, target)
    elif operation == "reorder":
        content.accounts.reverse()
    elif operation == "push":
        content.push.append(_enrollment(f"d{pick % 4}"))
    elif content.push:
        content.push.pop(pick % len(content.push))


def _replica(base: VaultContent, steps: list[tuple[str, int, int]]) -> VaultContent:
    content = base
    for operation, pick, at in steps:
        content = changed(content, lambda c, o=operation, p=pick: _apply(o, p, c), at)
    return content


STEPS = st.lists(
    st.tuples(OPERATIONS, st.integers(0, 50), st.integers(T0 + 1, T0 + 10_000)), max_size=8
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(STEPS, STEPS, STEPS)
def test_merge_is_commutative_idempotent_and_keeps_what_it_must(
    one_steps: list[Any], two_steps: list[Any], three_steps: list[Any]
) -> None:
    base = base_with(ALICE, BOB, COUNTER)
    one, two, three = (_replica(base, s) for s in (one_steps, two_steps, three_steps))
    merged = merge_contents(one, two)
    assert merged == merge_contents(two, one)
    assert merge_contents(merged, merged) == merged
    assert merge_contents(merged, one) == merged  # taking in a copy already merged: no change
    # Everything synced, in any order, keeps the same accounts. (Their values may differ in
    # one case: an account deleted on one computer while two others edited different parts
    # of it, and one of those edits is later than the delete: the account stays, and whether
    # the earlier edit joins it depends on whether it met the delete first.)
    left = merge_contents(merge_contents(one, two), three)
    right = merge_contents(one, merge_contents(two, three))
    assert set(by_uuid(left)) == set(by_uuid(right))
    for side in (one, two):
        for held in side.accounts:  # nothing present on a side is lost unless deleted later
            kept = by_uuid(merged).get(held.uuid)
            if kept is None:
                assert merged.sync.deleted[held.uuid] > side.sync.last_change(held)
            elif held.type is OtpType.HOTP:
                assert kept.counter >= held.counter


# --- in vault files ----------------------------------------------------------------------------


def test_two_vault_files_of_one_vault_merge(vault: Vault, tmp_path: Path) -> None:
    vault.add_accounts([ALICE, BOB])
    copy_path = tmp_path / "elsewhere" / "vault.json"
    copy_path.parent.mkdir()
    shutil.copy(vault.path, copy_path)
    other = Vault.open(copy_path, PASSWORD)
    other.remove_account("a")
    other.add_accounts([account(uuid="c", issuer="Added elsewhere")])
    vault.modify(lambda c: edit_account(c, "b", {"note": "edited here"}))

    report = vault.merge_in(other.content)
    assert sorted(by_uuid(vault.content)) == ["b", "c"]
    assert by_uuid(vault.content)["b"].note == "edited here"
    assert report.added == [by_uuid(other.content)["c"].label]
    assert report.removed == [ALICE.label]
    reopened = Vault.open(vault.path, PASSWORD).content
    assert reopened == vault.content


def test_a_file_overwritten_by_an_older_replica_loses_nothing(vault: Vault, tmp_path: Path) -> None:
    """A sync tool that overwrites instead of keeping a conflict copy: the open vault merges
    what it held with what arrived, and writes the result back."""
    vault.add_accounts([ALICE])
    stale = vault.path.read_bytes()
    elsewhere = tmp_path / "replica.json"
    elsewhere.write_bytes(stale)
    other = Vault.open(elsewhere, PASSWORD)
    other.add_accounts([BOB])
    vault.add_accounts([COUNTER])

    vault.path.write_bytes(elsewhere.read_bytes())  # the sync tool's copy replaces ours
    assert vault.refresh()
    assert sorted(by_uuid(vault.content)) == ["a", "b", "h"]
    assert vault.last_reload is not None
    assert vault.last_reload.added == [BOB.label]
    assert sorted(by_uuid(Vault.open(vault.path, PASSWORD).content)) == ["a", "b", "h"]


def test_a_version_1_vault_opens_and_is_version_2_after_its_next_save(vault: Vault) -> None:
    vault.add_accounts([ALICE])
    document = json.loads(vault.path.read_text())
    assert document["version"] == VERSION == 2
    old = _as_version_1(vault)
    opened = Vault.open(old, PASSWORD)
    assert [a.uuid for a in opened.content.accounts] == ["a"]
    assert json.loads(old.read_text())["version"] == 1
    opened.add_accounts([BOB])
    assert parse(old.read_bytes()).document["version"] == 2
    assert [a.uuid for a in Vault.open(old, PASSWORD).content.accounts] == ["a", "b"]


def _as_version_1(vault: Vault) -> Path:
    """The vault's accounts written as Keyfob 1 did: version 1, no "sync" in the content."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    from app.vault.encoding import b64encode, canonical_json

    plain = json.loads(encode_content(vault.content))
    del plain["sync"]
    document = json.loads(vault.path.read_text())
    del document["data"]
    document["version"] = 1
    nonce = bytes(12)
    document["header"]["nonce"] = b64encode(nonce)
    data = AESGCM(bytes(vault._key)).encrypt(
        nonce, json.dumps(plain).encode(), canonical_json(document)
    )
    document["data"] = b64encode(data)
    path = vault.path.with_name("old.json")
    path.write_text(json.dumps(document))
    return path


@given(
    st.one_of(
        st.none(),
        st.integers(),
        st.text(),
        st.lists(st.integers()),
        st.dictionaries(
            st.sampled_from(["clock", "accounts", "deleted", "push", "order", "groups", "x"]),
            st.one_of(
                st.integers(-5, 2**60),
                st.text(max_size=3),
                st.dictionaries(st.text(max_size=3), st.one_of(st.integers(), st.text())),
                st.dictionaries(
                    st.text(max_size=3),
                    st.dictionaries(st.sampled_from(["code", "name", "bogus"]), st.integers()),
                ),
            ),
        ),
    )
)
def test_bad_sync_data_is_a_specific_format_error(value: object) -> None:
    """Any value decodes or is refused naming the sync data: never another exception."""
    with contextlib.suppress(VaultFormatError):
        decode_sync(value)
        return
    with pytest.raises(VaultFormatError, match="sync data"):
        decode_sync(value)

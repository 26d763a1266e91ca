"""The push enrollments a vault keeps: read, added and removed the same way by both faces,
on a real vault on disk."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.push.canonical import b64u_encode, new_private_key, private_key_bytes, public_key_bytes
from app.push.enrollment import PushEnrollment
from app.push.history import HISTORY_KEY
from app.push.records import (
    add_enrollment,
    enrolled_for,
    read_enrollments,
    read_records,
    remove_enrollment,
)
from app.vault.content import VaultContent
from app.vault.kdf import KdfParams
from app.vault.store import Vault

PASSWORD = "correct horse"


def enrollment(device_id: str = "d_1", **change: Any) -> PushEnrollment:
    made = PushEnrollment(
        url="https://push.example.com",
        ws_url="wss://push.example.com/v1/ws",
        device_id=device_id,
        device_key=private_key_bytes(new_private_key()),
        server_key=public_key_bytes(new_private_key()),
        issuer="Example Mail",
        user="alice@example.com",
        name="Keyfob on laptop",
        enrolled_at=1_800_000_000,
    )
    return replace(made, **change)


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    return Vault.create(tmp_path / "vault.json", PASSWORD, kdf=KdfParams.for_tests())


def reopened(vault: Vault) -> VaultContent:
    return Vault.open(vault.path, PASSWORD).content


def test_a_second_enrollment_for_the_same_account_is_kept_and_said(vault: Vault) -> None:
    first, second = enrollment("d_1"), enrollment("d_2")
    assert vault.modify(lambda content: add_enrollment(content, first)) is False
    assert vault.modify(lambda content: add_enrollment(content, second)) is True
    other_site = enrollment("d_3", issuer="Northwind Bank")
    assert vault.modify(lambda content: add_enrollment(content, other_site)) is False
    assert read_enrollments(reopened(vault).push) == [first, second, other_site]


def test_removing_forgets_the_enrollment_and_its_history_only(vault: Vault) -> None:
    kept, gone = enrollment("d_keep"), enrollment("d_gone")
    future = {"device_id": "d_future", "kind": "from a newer Keyfob"}

    def setup(content: VaultContent) -> None:
        content.push.append({**kept.to_dict(), HISTORY_KEY: [{"id": "c_1", "received_at": 1}]})
        content.push.append({**gone.to_dict(), HISTORY_KEY: [{"id": "c_2", "received_at": 2}]})
        content.push.append(future)

    vault.modify(setup)
    assert vault.modify(lambda content: remove_enrollment(content, "d_gone")) is True
    push = reopened(vault).push
    assert [record["device_id"] for record in push] == ["d_keep", "d_future"]
    assert push[0][HISTORY_KEY] == [{"id": "c_1", "received_at": 1}]
    assert push[1] == future  # an entry this Keyfob cannot read is left as it was

    before = copy.deepcopy(push)
    assert vault.modify(lambda content: remove_enrollment(content, "d_gone")) is False
    assert reopened(vault).push == before


def test_unreadable_entries_are_reported_by_position_and_never_show_a_key() -> None:
    good = enrollment("d_good")
    key = b64u_encode(private_key_bytes(new_private_key()))
    broken = {**good.to_dict(), "device_id": "d_broken", "server_key": "short", "device_key": key}
    push: list[dict[str, Any]] = [good.to_dict(), broken, {"device_id": 7}]
    records = read_records(push)
    assert records.usable == [good]
    assert [record.position for record in records.unreadable] == [2, 3]
    assert "server_key" in records.unreadable[0].reason
    assert all(key not in record.reason for record in records.unreadable)


def test_the_same_site_and_account_is_server_issuer_and_user_together() -> None:
    mine = [enrollment()]
    assert enrolled_for(mine, "https://push.example.com", "Example Mail", "alice@example.com")
    assert not enrolled_for(mine, "https://push.example.com", "Example Mail", "bob@example.com")
    assert not enrolled_for(mine, "https://other.example", "Example Mail", "alice@example.com")
    assert not enrolled_for(mine, "https://push.example.com", "Other", "alice@example.com")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=12,
)
GOOD = enrollment().to_dict()


@st.composite
def near_records(draw: st.DrawFn) -> dict[str, Any]:
    """A real enrollment with up to two fields dropped or replaced by any JSON value."""
    record = dict(GOOD)
    for name in draw(st.sets(st.sampled_from(sorted(GOOD)), max_size=2)):
        if draw(st.booleans()):
            del record[name]
        else:
            record[name] = draw(json_values)
    return record


@settings(max_examples=200, deadline=None)
@given(
    push=st.lists(near_records() | st.dictionaries(st.text(max_size=12), json_values), max_size=5)
)
def test_any_push_list_reads_as_enrollments_or_reasons_and_stays_as_it_was(
    push: list[dict[str, Any]],
) -> None:
    before = copy.deepcopy(push)
    records = read_records(push)  # never raises
    assert push == before
    assert len(records.usable) + len(records.unreadable) == len(push)
    positions = [record.position for record in records.unreadable]
    assert positions == sorted(positions)
    assert all(1 <= position <= len(push) for position in positions)
    for usable in records.usable:
        assert usable.to_dict() in push
    json.dumps([record.reason for record in records.unreadable])

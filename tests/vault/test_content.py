"""The plaintext: every Account field, groups, push dicts, and a newer app's data survive."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.core.account import MAX_COUNTER, MAX_PERIOD, Account, Algorithm, OtpType
from app.vault import Vault, VaultContent, VaultError, VaultFormatError
from app.vault.account_table import _FAST_BUILD, ACCOUNT_FIELDS
from app.vault.content import decode_content, encode_content
from app.vault.encoding import b64encode
from app.vault.envelope import seal
from tests.vault.conftest import PASSWORD, account

FULL = Account(
    secret=bytes(range(256)) * 2,
    type=OtpType.HOTP,
    issuer="Bänk & Co ✓",
    name='jo"e@example.com',
    algorithm=Algorithm.SHA512,
    digits=8,
    period=60,
    counter=MAX_COUNTER,
    groups=("Work", "Höme"),
    favourite=True,
    note="line one\nline two \U0001f511 \ud800",
    icon="data:image/png;base64,iVBORw0KGgo=",
    sort_position=-7,
    uuid="6f1c0b5e-1f0e-4f57-9c55-0f6a8d1d2c3b",
    created=1_600_000_000,
    updated=1_700_000_000,
    last_used=1_700_000_123,
)
STEAM = Account(secret=b"steam-secret-bytes", type=OtpType.STEAM, issuer="Steam", digits=9)


def test_the_vault_knows_every_account_field() -> None:
    """If app.core grows a field, it needs a column here (until then loading is slower)."""
    assert {f.name for f in dataclasses.fields(Account)} == set(ACCOUNT_FIELDS)
    assert _FAST_BUILD


def test_every_account_field_round_trips(vault: Vault) -> None:
    vault.add_accounts([FULL, STEAM])
    reopened = Vault.open(vault.path, PASSWORD).content
    assert reopened.accounts == [FULL, STEAM]
    for field in dataclasses.fields(Account):
        assert getattr(reopened.accounts[0], field.name) == getattr(FULL, field.name)
    assert reopened.accounts[1].digits == 5
    assert type(reopened.accounts[0].type) is OtpType
    assert type(reopened.accounts[0].groups) is tuple


def test_groups_push_and_unknown_keys_round_trip(vault: Vault) -> None:
    push = {
        "server": "https://push.example.com",
        "device_id": "d-1",
        "device_key": "base64key==",
        "nested": {"list": [1, 2.5, None, True], "text": "ü"},
    }

    def change(content: VaultContent) -> None:
        content.groups[:] = ["Zeta", "Alpha", "Mid"]
        content.push.append(push)
        content.extra["future_setting"] = {"x": [1, 2]}

    vault.modify(change)
    reopened = Vault.open(vault.path, PASSWORD).content
    assert reopened.groups == ["Zeta", "Alpha", "Mid"]
    assert reopened.push == [push]
    assert reopened.extra == {"future_setting": {"x": [1, 2]}}


def _write_as_newer_app(vault: Vault, document: dict[str, Any]) -> None:
    """Seal a plaintext of our choosing with the vault's real key, as a newer Keyfob would."""
    plaintext = json.dumps(document).encode()
    header_doc = vault._document
    assert header_doc is not None
    vault.path.write_bytes(seal(json.loads(json.dumps(header_doc)), vault._key, plaintext))


def test_a_newer_apps_fields_survive_a_save_by_this_one(vault: Vault) -> None:
    good = [
        "11111111-1111-4111-8111-111111111111",
        "totp",
        "GitHub",
        "me",
        b64encode(b"0123456789abcdef0123"),
        "SHA1",
        6,
        30,
        0,
        ["Work"],
        False,
        "",
        None,
        0,
        1,
        2,
        None,
        "future value",
    ]
    future = [
        "22222222-2222-4222-8222-222222222222",
        "motp",  # a type this version does not know
        "Old bank",
        "me",
        b64encode(b"secret"),
        "MD5",
        6,
        10,
        0,
        [],
        False,
        "",
        None,
        1,
        1,
        2,
        None,
        {"pin": "1234"},
    ]
    _write_as_newer_app(
        vault,
        {
            "accounts": {"fields": [*ACCOUNT_FIELDS, "colour"], "rows": [good, future]},
            "groups": ["Work"],
            "push": [],
            "themes": ["dark"],
        },
    )
    older = Vault.open(vault.path, PASSWORD)
    assert [a.issuer for a in older.content.accounts] == ["GitHub"]
    assert older.content.unreadable_accounts[0]["issuer"] == "Old bank"
    older.add_accounts([account(issuer="New")])

    newer = json.loads(decode_for_test(vault.path))
    table = newer["accounts"]
    assert table["fields"] == [*ACCOUNT_FIELDS, "colour"]
    rows = {row[2]: dict(zip(table["fields"], row, strict=True)) for row in table["rows"]}
    assert rows["GitHub"]["colour"] == "future value"
    assert rows["Old bank"] == dict(zip(table["fields"], future, strict=True))
    assert rows["New"]["colour"] is None
    assert newer["themes"] == ["dark"]


def decode_for_test(path: Path) -> str:
    """Decrypt with the standalone decryptor's function: an independent reading."""
    from app.vault.standalone_decrypt import decrypt_vault

    return json.dumps(decrypt_vault(path.read_bytes(), PASSWORD))


def test_a_change_that_raises_writes_nothing(vault: Vault) -> None:
    vault.add_accounts([account(issuer="Keep")])
    before = vault.path.read_bytes()
    revision = vault.revision

    def change(content: VaultContent) -> None:
        content.accounts.clear()
        content.groups.append("half-done")
        raise RuntimeError("changed my mind")

    with pytest.raises(RuntimeError):
        vault.modify(change)
    assert vault.path.read_bytes() == before
    assert [a.issuer for a in vault.content.accounts] == ["Keep"]
    assert vault.content.groups == []
    assert vault.revision == revision


@pytest.mark.parametrize(
    "bad_change",
    [
        lambda c: c.push.append({"when": object()}),
        lambda c: c.push.append("not a dict"),
        lambda c: c.extra.update(accounts=[]),
        lambda c: c.groups.append(""),
        lambda c: c.accounts.append(dataclasses.replace(c.accounts[0], favourite="yes")),
        lambda c: c.accounts.append(dataclasses.replace(c.accounts[0], sort_position=2**70)),
        lambda c: c.accounts.append(dataclasses.replace(c.accounts[0], uuid="")),
        lambda c: c.unreadable_accounts.append({1: "not a column name"}),
    ],
)
def test_content_the_reader_would_refuse_is_not_written(vault: Vault, bad_change: Any) -> None:
    vault.add_accounts([account()])
    before = vault.path.read_bytes()
    with pytest.raises(VaultError):
        vault.modify(bad_change)
    assert vault.path.read_bytes() == before
    assert len(vault.content.accounts) == 1


# --- property tests --------------------------------------------------------------------------

texts = st.text(max_size=20)
accounts = st.builds(
    Account,
    secret=st.binary(min_size=1, max_size=64),
    type=st.sampled_from(OtpType),
    issuer=texts,
    name=texts,
    algorithm=st.sampled_from(Algorithm),
    digits=st.integers(6, 10),
    period=st.integers(1, MAX_PERIOD),
    counter=st.integers(0, MAX_COUNTER),
    groups=st.lists(st.text(min_size=1, max_size=8), max_size=3).map(tuple),
    favourite=st.booleans(),
    note=texts,
    icon=st.none() | texts,
    sort_position=st.integers(-(2**63) + 1, 2**63 - 1),
    uuid=st.uuids().map(str),
    created=st.integers(0, 2**40),
    updated=st.integers(0, 2**40),
    last_used=st.none() | st.integers(0, 2**40),
)


@given(st.lists(accounts, max_size=8), st.lists(st.text(min_size=1, max_size=8), max_size=4))
def test_any_accounts_round_trip_through_the_plaintext(
    items: list[Account], groups: list[str]
) -> None:
    content = VaultContent(accounts=items, groups=groups)
    decoded = decode_content(encode_content(content))
    assert decoded.accounts == items
    assert decoded.groups == groups
    assert decoded.unreadable_accounts == []


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children),
    max_leaves=12,
)
cell = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
    st.sampled_from(
        ["totp", "hotp", "steam", "SHA1", "SHA256", "sha1", "", "QUJD", "====", "AA=="]
    ),
    st.integers(-3, 12),
    st.lists(st.sampled_from(["", "a", 1]), max_size=2),
)


def _row(item: Account) -> dict[str, Any]:
    row = {name: getattr(item, name) for name in ACCOUNT_FIELDS}
    return {**row, "secret": b64encode(item.secret), "groups": list(item.groups)}


# Valid accounts with a few cells swapped for anything: rows near the edge of validity.
rows_strategy = st.builds(
    lambda item, changes: {**_row(item), **changes},
    accounts,
    st.dictionaries(st.sampled_from(ACCOUNT_FIELDS), cell, max_size=2),
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(rows_strategy, max_size=4))
def test_rows_are_either_valid_accounts_or_kept_unreadable(rows: list[dict[str, Any]]) -> None:
    """What the fast loader accepts, Account's own checks accept identically; the rest is kept."""
    plaintext = json.dumps(
        {"accounts": {"fields": list(ACCOUNT_FIELDS), "rows": [list(r.values()) for r in rows]}}
    ).encode()
    content = decode_content(plaintext)
    assert len(content.accounts) + len(content.unreadable_accounts) == len(rows)
    for loaded in content.accounts:
        fields = {f.name: getattr(loaded, f.name) for f in dataclasses.fields(Account)}
        assert Account(**fields) == loaded  # the real constructor agrees and changes nothing
        assert _row(loaded) in rows
    assert all(raw in rows for raw in content.unreadable_accounts)
    again = decode_content(encode_content(content))
    assert again.accounts == content.accounts
    assert again.unreadable_accounts == content.unreadable_accounts


BASE_ROW = dict(zip(ACCOUNT_FIELDS, [
    "u", "totp", "", "", b64encode(b"x"), "SHA1", 6, 30, 0, [], False, "", None, 0, 0, 0, None,
], strict=True))  # fmt: skip


@pytest.mark.parametrize(
    "change",
    [
        {"digits": 5},
        {"digits": 11},
        {"digits": True},
        {"digits": 6.0},
        {"period": 0},
        {"counter": -1},
        {"type": "steam", "digits": 6},
        {"type": "TOTP"},
        {"algorithm": "MD5"},
        {"secret": ""},
        {"secret": "not base64!"},
        {"groups": [""]},
        {"groups": "Work"},
        {"issuer": 3},
        {"favourite": 1},
        {"icon": 5},
        {"uuid": None},
        {"last_used": "yesterday"},
    ],
)
def test_an_invalid_row_is_kept_unreadable_not_fatal(change: dict[str, Any]) -> None:
    good = {**BASE_ROW, "uuid": "good"}
    row = {**BASE_ROW, **change}
    plaintext = json.dumps(
        {"accounts": {"fields": list(row), "rows": [list(good.values()), list(row.values())]}}
    ).encode()
    content = decode_content(plaintext)
    assert [a.uuid for a in content.accounts] == ["good"]
    assert content.unreadable_accounts == [row]


@settings(max_examples=200)
@given(json_values)
def test_any_json_plaintext_decodes_or_is_a_format_error(value: Any) -> None:
    for document in (value, {"accounts": value}, {"groups": value}, {"push": value}):
        with contextlib.suppress(VaultFormatError):
            decode_content(json.dumps(document).encode())


@settings(max_examples=200)
@given(st.binary(max_size=64))
def test_any_bytes_plaintext_decodes_or_is_a_format_error(data: bytes) -> None:
    with contextlib.suppress(VaultFormatError):
        decode_content(data)


def test_load_fills_in_missing_columns_with_defaults() -> None:
    plaintext = json.dumps(
        {"accounts": {"fields": ["secret", "issuer"], "rows": [[b64encode(b"abc"), "Old"]]}}
    ).encode()
    (loaded,) = decode_content(plaintext).accounts
    assert loaded.issuer == "Old"
    assert loaded.secret == b"abc"
    assert loaded.digits == 6
    assert loaded.uuid


def test_plaintext_refuses_malformed_tables() -> None:
    for table in (
        [],
        {"fields": "x", "rows": []},
        {"fields": ["a", "a"], "rows": []},
        {"fields": ["a"], "rows": [[1, 2]]},
        {"fields": ["a"], "rows": [{"a": 1}]},
    ):
        with pytest.raises(VaultFormatError):
            decode_content(json.dumps({"accounts": table}).encode())

"""The keyring slot's format (app.vault.keyring_slot), and that no malformed keyring slot or
keyring item ever opens anything, breaks opening with the password, or changes the file."""

from __future__ import annotations

import base64
import copy
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.vault.content import VaultContent
from app.vault.envelope import decrypt, parse, seal, unwrap_with_password
from app.vault.errors import VaultFormatError
from app.vault.keyring_slot import (
    decode_item,
    encode_item,
    find_keyring_slot,
    make_keyring_slot,
    read_keyring_slot,
    unwrap_with_keyring_key,
)
from app.vault.quick_unlock import QuickUnlockUnavailable, Reason, open_with_keyring
from app.vault.quick_unlock_probe import KEYRING_SLOT
from app.vault.store import Vault
from tests.vault.conftest import PASSWORD, account, cheap

FIELDS = ("type", "id", "created", "nonce", "wrapped_key")


@dataclass(frozen=True)
class Sample:
    folder: Path
    raw: bytes  # a vault file with one account
    master_key: bytearray
    content: VaultContent


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    folder = tmp_path_factory.mktemp("keyring-slot")
    vault = Vault.create(folder / "vault.json", PASSWORD, kdf=cheap())
    vault.add_accounts([account(issuer="GitHub")])
    raw = vault.path.read_bytes()
    return Sample(folder, raw, unwrap_with_password(parse(raw), PASSWORD), vault.content)


def test_a_slot_opens_with_its_key_only() -> None:
    master_key = bytearray(os.urandom(32))
    keyring_key = os.urandom(32)
    slot = make_keyring_slot(master_key, keyring_key, 1_700_000_000)

    assert set(slot) == set(FIELDS)
    assert slot["type"] == KEYRING_SLOT
    assert slot["created"] == 1_700_000_000
    read = read_keyring_slot(slot)
    assert unwrap_with_keyring_key(read, keyring_key) == master_key
    assert unwrap_with_keyring_key(read, os.urandom(32)) is None
    assert unwrap_with_keyring_key(read, keyring_key[:16]) is None
    # The slot holds the master key only wrapped.
    assert bytes(master_key) not in json.dumps(slot).encode()
    assert base64.b64encode(master_key).decode() not in json.dumps(slot)


def test_the_creation_time_is_bound_to_the_wrap() -> None:
    """Moving `created` forward (to stretch the expiry) makes the slot open nothing."""
    keyring_key = os.urandom(32)
    slot = make_keyring_slot(bytearray(os.urandom(32)), keyring_key, 1_700_000_000)
    slot["created"] += 30 * 86_400
    assert unwrap_with_keyring_key(read_keyring_slot(slot), keyring_key) is None


def test_an_item_holds_the_key_in_base64_only() -> None:
    key = os.urandom(32)
    text = encode_item(key)
    assert text == base64.b64encode(key).decode("ascii")
    assert decode_item(text) == key


def _valid_slot() -> dict[str, Any]:
    return make_keyring_slot(bytearray(os.urandom(32)), os.urandom(32), 1_700_000_000)


def _b64(size: int) -> str:
    return base64.b64encode(os.urandom(size)).decode()


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)


def _not_base64_of(size: int) -> st.SearchStrategy[Any]:
    other_sizes = st.integers(0, 80).filter(lambda n: n != size).map(_b64)
    garbage = st.text(max_size=80).filter(lambda t: not _is_base64_of(t, size))
    not_text = json_values.filter(lambda v: not isinstance(v, str))
    return other_sizes | garbage | not_text


def _is_base64_of(text: str, size: int) -> bool:
    try:
        return len(base64.b64decode(text.encode("ascii"), validate=True)) == size
    except (ValueError, UnicodeEncodeError):
        return False


# Each: one field given a value no writer makes (or taken away).
BAD_FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "id": st.one_of(st.just(""), json_values.filter(lambda v: not isinstance(v, str))),
    "created": st.one_of(
        st.integers(max_value=-1),
        st.booleans(),
        json_values.filter(lambda v: not isinstance(v, int) or isinstance(v, bool)),
    ),
    "nonce": _not_base64_of(12),
    "wrapped_key": _not_base64_of(48),
}
_MISSING = object()


@st.composite
def malformed_slots(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A list of keyring slots to add to a header, at least one of them malformed, or two
    sound ones (Keyfob writes at most one)."""
    slot = _valid_slot()
    if draw(st.booleans()) and draw(st.booleans()):
        return [slot, _valid_slot()]
    field = draw(st.sampled_from(sorted(BAD_FIELDS)))
    value = draw(st.one_of(st.just(_MISSING), BAD_FIELDS[field]))
    if value is _MISSING:
        del slot[field]
    else:
        slot[field] = value
    return [slot]


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(bad=malformed_slots())
def test_a_malformed_keyring_slot_is_refused_and_the_password_still_opens(
    sample: Sample, bad: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # No keyring anywhere: reaching one would give another reason than "damaged".
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    envelope = parse(sample.raw)
    document = copy.deepcopy(envelope.document)
    document["header"]["slots"] += bad
    plaintext = decrypt(envelope, sample.master_key)
    assert plaintext is not None
    written = seal(document, sample.master_key, plaintext)
    path = sample.folder / "candidate.json"
    path.write_bytes(written)

    with pytest.raises(VaultFormatError, match="keyring slot") as refused:
        find_keyring_slot(parse(written))
    assert "\n" not in str(refused.value)
    with pytest.raises(QuickUnlockUnavailable) as unavailable:
        open_with_keyring(path)
    assert unavailable.value.reason is Reason.DAMAGED
    assert str(unavailable.value) == str(refused.value)
    assert Vault.open(path, PASSWORD).content == sample.content
    assert path.read_bytes() == written


ITEM_ERRORS = {
    "the keyring's item for this vault is not a Keyfob key",
    "the keyring's key for this vault is not valid base64",
    "the keyring's key for this vault has the wrong length",
}


@settings(max_examples=300)
@given(text=st.one_of(st.text(max_size=100), json_values))
def test_a_keyring_item_that_is_not_a_key_is_refused_without_quoting_it(text: Any) -> None:
    if isinstance(text, str) and _is_base64_of(text, 32) and len(text) == 44:
        assert len(decode_item(text)) == 32
        return
    with pytest.raises(VaultFormatError) as refused:
        decode_item(text)
    assert str(refused.value) in ITEM_ERRORS  # our words only: the text may be a secret


@given(key=st.binary(min_size=32, max_size=32))
def test_every_key_survives_the_item(key: bytes) -> None:
    assert decode_item(encode_item(key)) == key

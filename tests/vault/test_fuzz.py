"""Property tests of the reader: any file gives a vault or the documented error, and no
reading or failed writing ever changes the file."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.vault import (
    Vault,
    VaultAuthError,
    VaultConflictError,
    VaultFormatError,
)
from tests.vault.conftest import PASSWORD, account, cheap

READ_ERRORS = (VaultFormatError, VaultAuthError)
FOLLOW_ERRORS = (VaultFormatError, VaultConflictError)

# Integers stay small or absurd: a replaced memory_kib of, say, 1 GiB would be a legitimate
# (and slow, memory-hungry) KDF run, not a test of the reader.
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 100_000)
    | st.integers(min_value=2**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=10,
)


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    folder = tmp_path_factory.mktemp("fuzz")
    vault = Vault.create(folder / "vault.json", PASSWORD, kdf=cheap())
    vault.add_accounts([account(issuer="GitHub")])
    return folder, vault.path.read_bytes()


def _open_bytes(folder: Path, raw: bytes) -> None:
    path = folder / "candidate.json"
    path.write_bytes(raw)
    with contextlib.suppress(READ_ERRORS):
        Vault.open(path, PASSWORD)
    assert path.read_bytes() == raw


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_any_bytes_open_or_fail_cleanly(sample: tuple[Path, bytes], raw: bytes) -> None:
    _open_bytes(sample[0], raw)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(json_values)
def test_any_json_opens_or_fails_cleanly(sample: tuple[Path, bytes], value: Any) -> None:
    _open_bytes(sample[0], json.dumps(value).encode())


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


@settings(
    max_examples=60,
    deadline=None,  # some mutations cost a (cheap) KDF run
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(st.data())
def test_a_real_vault_with_any_field_replaced_opens_or_fails_cleanly(
    sample: tuple[Path, bytes], data: st.DataObject
) -> None:
    folder, raw = sample
    document = json.loads(raw)
    path = data.draw(st.sampled_from(_paths(document)))
    target = document
    for key in path[:-1]:
        target = target[key]
    if data.draw(st.booleans()):
        target[path[-1]] = data.draw(json_values)
    elif isinstance(target, dict):
        del target[path[-1]]
    else:
        target.pop(path[-1])
    _open_bytes(folder, json.dumps(document).encode())


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()))
def test_an_open_vault_meeting_a_broken_file_neither_follows_nor_overwrites_it(
    tmp_path: Path, raw: bytes
) -> None:
    path = tmp_path / "vault.json"
    path.unlink(missing_ok=True)
    vault = Vault.create(path, PASSWORD, kdf=cheap())
    path.write_bytes(raw)  # damaged by something outside Keyfob
    with pytest.raises(FOLLOW_ERRORS):
        vault.refresh()
    with pytest.raises(FOLLOW_ERRORS):
        vault.add_accounts([account()])
    assert path.read_bytes() == raw
    assert vault.content.accounts == []
